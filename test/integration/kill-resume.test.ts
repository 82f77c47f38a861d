import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "@databridge/core";
import { requireServers } from "../support/servers.js";
import { createMigrationFixture, type MigrationFixture } from "../support/migration-fixture.js";
import { keyedHash, lastEvent, pipelineSource, protocolProblems, runCli, spawnCli, waitForLine } from "./harness.js";

const ROWS = 200_000;
const BATCH = 2_000;

/**
 * `kill -9` of a real `databridge run` child mid-table, then `databridge run --resume`: the target
 * has no primary key, so a replayed batch would show up as duplicates and a skipped one as a gap.
 */
describe("kill -9 mid-run, then --resume (MariaDB → PostgreSQL, 200k rows)", () => {
  let ready = false;
  let fixture: MigrationFixture;
  let file: string;

  beforeAll(async () => {
    ready = await requireServers("mariadb", "postgres");
    if (!ready) return;
    fixture = await createMigrationFixture("dbt_kill");
    const { source, target, workspace } = fixture;
    await source.query(`CREATE TABLE orders (id INT NOT NULL PRIMARY KEY, customer VARCHAR(60) NOT NULL, note TEXT NULL, total DECIMAL(10,2) NOT NULL, placed DATETIME NOT NULL)`);
    await source.query(`INSERT INTO orders
      SELECT seq, CONCAT(ELT(1 + seq % 4, 'Zoë', 'Müller', '東京', 'O''Brien'), ' ', seq),
             CASE WHEN seq % 10 = 0 THEN NULL WHEN seq % 10 = 1 THEN '' ELSE CONCAT('note\\t', seq, '\\n\\\\') END,
             (seq % 100000) / 100, TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq SECOND
        FROM seq_1_to_${ROWS}`);
    // No primary key on purpose: duplicates would be stored, not refused.
    await target.query(`CREATE TABLE orders (id integer NOT NULL, customer varchar(60) NOT NULL, note text, total numeric(10,2) NOT NULL, placed timestamp NOT NULL)`);
    file = workspace.pipeline("orders", pipelineSource({
      name: "orders",
      source: { connection: "legacy", table: "orders" },
      target: { connection: "warehouse", table: "public.orders", mode: "insert" },
      columns: { id: "id", customer: "customer", note: "note", total: "total", placed: "placed" },
    }));
  });

  afterAll(() => fixture?.close());

  it("no duplicate and no missing row after SIGKILL and resume", async (ctx) => {
    if (!ready) return ctx.skip();
    const { target, workspace, sourceConnector, targetConnector } = fixture;
    const child = spawnCli(["run", file, "--json", "--batch-size", String(BATCH)], { cwd: workspace.dir, env: { TZ: "America/New_York" } });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    let committed = 0;
    const third = await waitForLine(child, (line) => line.includes('"type":"batch.committed"') && ++committed === 3);
    child.kill("SIGKILL");
    expect(await exited).toEqual({ code: null, signal: "SIGKILL" });
    const seenKey = (JSON.parse(third) as Extract<RunEvent, { type: "batch.committed" }>).lastKey;

    // What the killed run left: whole batches only, and the checkpoint agrees with the rows.
    const { rows: [left] } = await target.query("SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, coalesce(max(id), 0) AS max FROM orders");
    const { rows: [checkpoint] } = await target.query("SELECT last_key, complete FROM databridge.checkpoints WHERE pipeline = 'orders'");
    expect(checkpoint.complete).toBe(false);
    expect(left.n).toBeLessThan(ROWS);
    expect(left.n % BATCH).toBe(0);
    expect(left).toEqual({ n: left.n, d: left.n, max: left.n });
    expect(checkpoint.last_key).toEqual([left.n]);
    expect(left.n).toBeGreaterThanOrEqual(Number(seenKey[0]));

    const resumed = await runCli(["run", file, "--json", "--resume", "--batch-size", String(BATCH)], { cwd: workspace.dir, env: { TZ: "America/New_York" } });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(protocolProblems(resumed.events)).toEqual([]);
    expect(lastEvent(resumed.events, "run.started").resume).toBe(true);
    expect(lastEvent(resumed.events, "stage.started").resumeAfter).toEqual([left.n]);
    expect(lastEvent(resumed.events, "run.finished")).toMatchObject({ status: "succeeded", rows: { read: ROWS - left.n, written: ROWS - left.n, rejected: 0 } });

    const { rows: [after] } = await target.query("SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, min(id) AS min, max(id) AS max FROM orders");
    expect(after).toEqual({ n: ROWS, d: ROWS, min: 1, max: ROWS });
    const columns = ["id", "customer", "note", "total", "placed"];
    const [expected, actual] = await Promise.all([
      keyedHash(sourceConnector, { table: "orders", columns, batchSize: 20_000 }),
      keyedHash(targetConnector, { table: "public.orders", key: ["id"], columns, batchSize: 20_000 }),
    ]);
    expect(actual.rows).toBe(ROWS);
    expect(actual.hash).toBe(expected.hash);

    const { rows: runs } = await target.query("SELECT status, resumed_from IS NOT NULL AS resumed FROM databridge.runs WHERE pipeline = 'orders' ORDER BY started_at");
    expect(runs).toEqual([{ status: "interrupted", resumed: false }, { status: "succeeded", resumed: true }]);

    // Nothing left to resume.
    const again = await runCli(["run", file, "--json", "--resume"], { cwd: workspace.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(lastEvent(again.events, "run.finished").rows).toEqual({ read: 0, written: 0, rejected: 0 });
  });
});
