import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffTableHashes, type Connector } from "@databridge/core";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, finished, insertMariadb, keyedHash, openConnector, pipelineFile, runCli, type Workspace } from "./harness.js";

/**
 * Acceptance 3: incremental sync on `updated_at` (MariaDB → PostgreSQL, upsert). Cursor values are
 * shared by 100 rows each, so every batch boundary falls inside a tie; 1,000 updates and 500 inserts
 * → the next run writes exactly 1,500 rows, the one after writes 0; a row added later at the
 * watermark's own cursor value is not lost; `--full-refresh` reads everything again; `lag` holds back
 * recent rows.
 */
const servers = await requireServers("mariadb", "postgres");

const ROWS = 20_000;
const BATCH = 700; // not a divisor of the 100-row tie groups
const T1 = "2025-06-01 12:00:00.000";

const stamp = (i: number) => {
  const d = new Date(Date.UTC(2024, 0, 1) + Math.floor(i / 100) * 3_600_000);
  return d.toISOString().replace("T", " ").replace("Z", "");
};

describe.skipIf(!servers)("incremental sync with a watermark (acceptance 3)", () => {
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: Workspace;
  let sourceDb: Connector;
  let targetDb: Connector;

  beforeAll(async () => {
    source = await createMariadbDatabase("dbt_incr_src");
    target = await createPostgresDatabase("dbt_incr_tgt");
    await source.query("CREATE TABLE contacts (id INT NOT NULL PRIMARY KEY, name VARCHAR(80) NOT NULL, email VARCHAR(120), updated_at DATETIME(3) NOT NULL, KEY by_cursor (updated_at, id))");
    // Ids are shuffled against the cursor so key order and cursor order differ.
    const rows = Array.from({ length: ROWS }, (_, i) => {
      const id = ((i * 7_919) % ROWS) + 1;
      return [id, `Zoë Ørsted ${id}`, id % 9 === 0 ? null : `c${id}@example.org`, stamp(i)];
    });
    await insertMariadb(source.query, "contacts", ["id", "name", "email", "updated_at"], rows);
    await target.query("CREATE TABLE contacts (id integer PRIMARY KEY, name varchar(80) NOT NULL, email varchar(120), updated_at timestamp(3) NOT NULL)");
    await target.query("CREATE TABLE contacts_lagged (id integer PRIMARY KEY, name varchar(80) NOT NULL, email varchar(120), updated_at timestamp(3) NOT NULL)");
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
    const definition = (name: string, table: string, incremental: Record<string, string>) => pipelineFile({
      name, source: { connection: "legacy", table: "contacts", key: "id" }, target: { connection: "warehouse", table, mode: "upsert" },
      columns: { id: "id", name: "name", email: "email", updated_at: "updated_at" }, incremental, batchSize: BATCH,
    });
    workspace.pipeline("contacts", definition("contacts", "contacts", { cursor: "updated_at" }));
    workspace.pipeline("contacts_lagged", definition("contacts_lagged", "contacts_lagged", { cursor: "updated_at", lag: "1h" }));
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

  const run = async (...flags: string[]) => {
    const result = await runCli(["run", "contacts", "--json", ...flags], { cwd: workspace.dir });
    expect(result.code, result.stderr).toBe(0);
    return finished(result);
  };
  const expectInSync = async () => {
    const columns = ["name", "email", "updated_at"];
    const [want, got] = await Promise.all([
      keyedHash(sourceDb, { table: "contacts", key: ["id"], columns }),
      keyedHash(targetDb, { table: "contacts", key: ["id"], columns }),
    ]);
    expect(diffTableHashes(want, got, 5)).toEqual({ missing: [], extra: [], changed: [] });
    expect(got.hash).toBe(want.hash);
  };
  const tieGroup = async () => {
    const cursor = (await watermark())[0];
    const rows = (await source.query("SELECT count(*) AS n FROM contacts WHERE updated_at = ?", [cursor])) as { n: number }[];
    return Number(rows[0].n);
  };
  const watermark = async () => (await target.query("SELECT watermark FROM databridge.checkpoints WHERE pipeline = 'contacts'")).rows[0]?.watermark;

  it("the first run reads everything, across ties at every batch boundary", async () => {
    const done = await run();
    expect(done.rows).toEqual({ read: ROWS, written: ROWS, rejected: 0 });
    await expectInSync();
    const last = (await source.query("SELECT DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') AS t, id FROM contacts ORDER BY updated_at DESC, id DESC LIMIT 1")) as { t: string; id: number }[];
    expect(await watermark()).toEqual([last[0].t.slice(0, 23), last[0].id]);
  });

  it("after 1,000 updates and 500 inserts the next run writes exactly 1,500 rows; the one after writes 0", async () => {
    // All 1,500 changes share one cursor value: a 1,500-row tie spanning three batches.
    await source.query(`UPDATE contacts SET name = CONCAT(name, ' (geändert)'), updated_at = ? WHERE id % 20 = 3`, [T1]);
    const updated = (await source.query("SELECT count(*) AS n FROM contacts WHERE updated_at = ?", [T1])) as { n: number }[];
    expect(Number(updated[0].n)).toBe(1_000);
    const inserts = Array.from({ length: 500 }, (_, i) => [ROWS + 1 + i, `Neu ${i} – Łódź`, null, T1]);
    await insertMariadb(source.query, "contacts", ["id", "name", "email", "updated_at"], inserts);

    // Each run also re-reads the rows at the watermark's own cursor value (its tie group): they write nothing.
    const tie = await tieGroup();
    const second = await run();
    expect(second.rows).toEqual({ read: 1_500 + tie, written: 1_500, rejected: 0 });
    await expectInSync();
    expect(await watermark()).toEqual([T1, ROWS + 500]);

    const third = await run();
    expect(third.rows).toEqual({ read: 1_500, written: 0, rejected: 0 });
    await expectInSync();
  });

  it("a row added later at the watermark's cursor value (a tie, higher key) is not lost", async () => {
    await source.query("INSERT INTO contacts (id, name, email, updated_at) VALUES (?, ?, ?, ?)", [ROWS + 501, "Spät – gleicher Zeitstempel", null, T1]);
    const done = await run();
    expect(done.rows).toEqual({ read: 1_501, written: 1, rejected: 0 });
    await expectInSync();
    expect((await run()).rows).toEqual({ read: 1_501, written: 0, rejected: 0 });
  });

  it("a row committed late with the watermark's cursor value and a LOWER key than the watermark's is not lost", async () => {
    // (T1, id 7) sorts before the watermark (T1, ROWS + 501): paging strictly after the watermark would skip it forever.
    expect(await watermark()).toEqual([T1, ROWS + 501]);
    await source.query("UPDATE contacts SET name = 'spät geändert, kleiner Schlüssel', updated_at = ? WHERE id = 7", [T1]);
    const done = await run();
    expect(done.rows.written).toBe(1);
    await expectInSync();
  });

  it("--full-refresh reads every row again (and writes nothing that is unchanged)", async () => {
    const done = await run("--full-refresh");
    expect(done.rows).toEqual({ read: ROWS + 501, written: 0, rejected: 0 });
    await expectInSync();
    expect(await watermark()).toEqual([T1, ROWS + 501]);
    expect((await run()).rows).toEqual({ read: 1_502, written: 0, rejected: 0 });
  });

  it("lag holds back rows changed within the lag window", async () => {
    await source.query("UPDATE contacts SET updated_at = NOW(3) - INTERVAL 5 MINUTE WHERE id IN (10, 20, 30)");
    const result = await runCli(["run", "contacts_lagged", "--json"], { cwd: workspace.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(finished(result).rows).toEqual({ read: ROWS + 501 - 3, written: ROWS + 501 - 3, rejected: 0 });
    const held = await target.query("SELECT id FROM contacts_lagged WHERE id IN (10, 20, 30)");
    expect(held.rows).toEqual([]);
  });
});
