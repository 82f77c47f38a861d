import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffTableHashes, type Connector } from "@databridge/core";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, finished, insertMariadb, keyedHash, openConnector, pipelineFile, runCli, sessionsOf, type Workspace } from "./harness.js";

/**
 * onError "fail" (the failing batch leaves nothing behind), `maxRejected` thresholds, and duplicate
 * keys inside one upsert batch (the last row of a key wins), through the real CLI, MariaDB → PostgreSQL.
 */
const servers = await requireServers("mariadb", "postgres");

describe.skipIf(!servers)("error modes and duplicate keys", () => {
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: Workspace;
  let sourceDb: Connector;
  let targetDb: Connector;

  beforeAll(async () => {
    source = await createMariadbDatabase("dbt_modes_src");
    target = await createPostgresDatabase("dbt_modes_tgt");
    await source.query("CREATE TABLE people (id INT NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL)");
    const people = Array.from({ length: 5_000 }, (_, i) => [i + 1, i + 1 === 3_500 ? "Maximilian-Alexander von Württemberg" : `Person ${i + 1}`]);
    await insertMariadb(source.query, "people", ["id", "name"], people);
    await source.query("CREATE TABLE events (id INT NOT NULL PRIMARY KEY, `Code` VARCHAR(10) NOT NULL, val VARCHAR(40))");
    const events = Array.from({ length: 3_000 }, (_, i) => [i + 1, `C${(i * 7) % 701}`, `value ${i + 1} – ü`]);
    await insertMariadb(source.query, "events", ["id", "Code", "val"], events);
    await target.query(`CREATE TABLE people (id integer PRIMARY KEY, name varchar(20) NOT NULL)`);
    await target.query(`CREATE TABLE "Latest Events" ("Code" varchar(10) PRIMARY KEY, val text, source_id integer NOT NULL)`);
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
    sourceDb = await openConnector("legacy", source.url);
    targetDb = await openConnector("warehouse", target.url);
  }, 660_000);

  afterAll(async () => {
    await sourceDb?.close();
    await targetDb?.close();
    workspace?.remove();
    await target?.drop();
    await source?.drop();
  });

  const peoplePipeline = (name: string, onError: unknown) => workspace.pipeline(name, pipelineFile({
    name, source: { connection: "legacy", table: "people", key: "id" }, target: { connection: "warehouse", table: "people", mode: "insert" },
    columns: { id: "id", name: "name" }, onError, batchSize: 1_000,
  }));

  it('onError "fail": stops at the bad row with one line naming it; its batch leaves nothing behind', async () => {
    const file = peoplePipeline("people_fail", "fail");
    const result = await runCli(["run", file, "--json"], { cwd: workspace.dir });
    expect(result.code).toBe(1);
    const done = finished(result);
    expect(done.status).toBe("failed");
    const line = done.error!;
    expect(line).toContain("people_fail");
    expect(line).toMatch(/too long/);
    expect(line).toContain("3500");
    expect(line).toContain("name");
    expect(line.split("\n")).toHaveLength(1);
    // Batches 1–3 committed; batch 4 (ids 3001–4000) rolled back entirely.
    const { rows } = await target.query("SELECT count(*)::int AS n, min(id) AS lo, max(id) AS hi FROM people");
    expect(rows[0]).toEqual({ n: 3_000, lo: 1, hi: 3_000 });
    const rejected = await target.query("SELECT count(*)::int AS n FROM databridge.rejected_rows");
    expect(rejected.rows[0].n).toBe(0);
    expect((await sessionsOf(target.name)).idleInTransaction).toBe(0);
    await target.query("TRUNCATE people");
  });

  it("maxRejected: passing the threshold fails the run and rolls the batch back; within it the run succeeds with rejects", async () => {
    await source.query("UPDATE people SET name = CONCAT(name, ' is a much too long name') WHERE id IN (1200, 2400)");
    const strict = peoplePipeline("people_strict", { maxRejected: 2 });
    const over = await runCli(["run", strict, "--json"], { cwd: workspace.dir });
    expect(over.code).toBe(1);
    expect(finished(over).error).toMatch(/3 rows rejected, more than onError.maxRejected \(2\)/);
    // The third reject (id 3500, batch 4) passed the limit: batches 1–3 stay, with their two rejects.
    const kept = await target.query("SELECT count(*)::int AS n, max(id) AS hi FROM people");
    expect(kept.rows[0]).toEqual({ n: 2_998, hi: 3_000 });
    const rejects = await target.query("SELECT source_key FROM databridge.rejected_rows ORDER BY id");
    expect(rejects.rows.map((r) => r.source_key)).toEqual([[1200], [2400]]);
    await target.query("TRUNCATE people");
    await target.query("TRUNCATE databridge.rejected_rows, databridge.checkpoints");

    const lenient = peoplePipeline("people_lenient", { maxRejected: "1%" });
    const within = await runCli(["run", lenient, "--json"], { cwd: workspace.dir });
    expect(within.code, within.stderr).toBe(3);
    expect(finished(within).rows).toEqual({ read: 5_000, written: 4_997, rejected: 3 });
    await target.query("TRUNCATE people");
  });

  it("verify after a re-run that loaded previously rejected rows compares them instead of calling them extra", async () => {
    // The dead-letter table still holds people_lenient's three rejects; the target is widened and the pipeline re-run as an upsert.
    await target.query("ALTER TABLE people ALTER COLUMN name TYPE varchar(80)");
    const file = workspace.pipeline("people_lenient", pipelineFile({
      name: "people_lenient", source: { connection: "legacy", table: "people", key: "id" }, target: { connection: "warehouse", table: "people", mode: "upsert" },
      columns: { id: "id", name: "name" }, onError: { maxRejected: "1%" }, batchSize: 1_000,
    }));
    const rerun = await runCli(["run", file, "--json"], { cwd: workspace.dir });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(finished(rerun).rows).toEqual({ read: 5_000, written: 5_000, rejected: 0 });
    const verify = await runCli(["verify", file, "--json", "--report-dir", "reports"], { cwd: workspace.dir });
    expect(verify.code, verify.stdout.slice(0, 2000)).toBe(0);
    const [count, rowHash] = JSON.parse(verify.stdout).stages[0].checks;
    expect(count.message).toBe("public.people: source 5000 rows (3 in the dead-letter table), target 5000 rows");
    expect(rowHash.details).toMatchObject({ compared: 5_000, extra: [], missing: [], changed: [] });
    await target.query("TRUNCATE people");
  });

  it("duplicate keys inside one upsert batch: the last row of each key wins (also across batches)", async () => {
    const expected = () => keyedHash(sourceDb, {
      query: "SELECT `Code`, val, id FROM events e WHERE id = (SELECT max(id) FROM events d WHERE d.`Code` = e.`Code`)", key: ["Code"], columns: ["val", "id"],
    });
    const actual = () => keyedHash(targetDb, { table: "Latest Events", key: ["Code"], columns: ["val", "source_id"] });
    for (const batchSize of [5_000, 400]) {
      await target.query(`TRUNCATE "Latest Events"`);
      const file = workspace.pipeline(`latest_${batchSize}`, pipelineFile({
        name: `latest_${batchSize}`, source: { connection: "legacy", table: "events", key: "id" },
        target: { connection: "warehouse", table: "Latest Events", mode: "upsert", key: ["Code"] },
        columns: { Code: "Code", val: "val", source_id: "id" }, batchSize,
      }));
      const result = await runCli(["run", file, "--json"], { cwd: workspace.dir });
      expect(result.code, result.stderr).toBe(0);
      expect(finished(result).rows.read).toBe(3_000);
      const [want, got] = await Promise.all([expected(), actual()]);
      expect(want.rows).toBe(701);
      expect(diffTableHashes(want, got)).toEqual({ missing: [], extra: [], changed: [] });
      expect(got.hash).toBe(want.hash);
    }
  });
});
