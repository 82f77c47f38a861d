import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { diffTableHashes, loadWorkspace, openConnections, resolvePipelines, runPipelines, type Connector, type RunEvent, type TableHash } from "@databridge/core";
import { createMariadbDatabase, requireServers } from "../support/servers.js";
import { createScratchPostgres, postgresVersion, type ScratchPostgres } from "../support/scratch-postgres.js";
import {
  collect, createWorkspace, finished, insertMariadb, keyedHash, mariadbConnection, openConnector, pipelineFile,
  sessionsOf, spawnCli, waitFor, waitForLine, type Workspace,
} from "../integrity/harness.js";

/**
 * Losing a server mid-run, against a PostgreSQL server of this suite's own (so restarting it never
 * disturbs suites running in parallel): PostgreSQL restarted during a COPY, the source's MariaDB connection killed
 * mid-read, a target backend terminated mid-COPY in a long-lived process. Each run completes after
 * retrying from its last committed batch; nothing is lost or doubled; no session is leaked or left
 * idle in transaction.
 */
const servers = await requireServers("mariadb", "postgres");

const ROWS = 16_000;
const COLUMNS = ["name", "payload", "amount"];
const RETRY = { attempts: 40, initialDelayMs: 100, maxDelayMs: 1_000 };
const PG_VERSION = postgresVersion();
if (!PG_VERSION && process.env.CI === "true") throw new Error("pg_createcluster is not available: the restart suite cannot run (CI=true)");
let scratch: ScratchPostgres | undefined;

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: scratch!.url(), connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Whatever happened, the scratch server is up again (so its sessions can be checked and it can be dropped cleanly). */
async function ensurePostgresUp() {
  if (await postgresAnswers()) return;
  try {
    scratch!.start();
  } catch {
    // Already starting: wait for it below.
  }
  await waitFor("PostgreSQL to accept connections again", postgresAnswers, 120_000, 200);
}

describe.skipIf(!servers || !PG_VERSION)("lost connections: server restart, killed source connection, terminated target backend", () => {
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: { name: string; url: string; query: (sql: string) => Promise<unknown> };
  let workspace: Workspace;
  let sourceDb: Connector;
  let sourceHash: TableHash;
  let targetPool: pg.Pool | undefined;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    source = await createMariadbDatabase("dbt_conn_src");
    const admin = new pg.Client({ connectionString: scratch.url() });
    await admin.connect();
    await admin.query("CREATE DATABASE dbt_conn_tgt");
    await admin.end();
    targetPool = new pg.Pool({ connectionString: scratch.url("dbt_conn_tgt"), max: 2 });
    // Idle clients of this pool see the restart: without a listener they would throw.
    targetPool.on("error", () => {});
    target = { name: "dbt_conn_tgt", url: scratch.url("dbt_conn_tgt"), query: (sql) => targetPool!.query(sql) };
    await source.query("CREATE TABLE wide (id INT NOT NULL PRIMARY KEY, name VARCHAR(60) NOT NULL, payload TEXT NOT NULL, amount DECIMAL(12,2))");
    const rows = Array.from({ length: ROWS }, (_, i) => [i + 1, `Zoë Łukasz ${i + 1}`, `${"abcdefghij–ü".repeat(16)} ${i}`, ((i * 13) % 100_000 / 100).toFixed(2)]);
    await insertMariadb(source.query, "wide", ["id", ...COLUMNS], rows, 1_000);
    // The same rows through a view whose ids 5001–5600 each take 2 ms to read: the page holding them is
    // in flight for over a second, long enough to be found and killed (MariaDB short-circuits the OR).
    await source.query("CREATE VIEW slow_wide AS SELECT id, name, payload, amount FROM wide WHERE id <= 5000 OR id > 5600 OR SLEEP(0.002) = 0");
    for (const table of ["restart_copy", "killed_read", "terminated_copy"]) {
      await target.query(`CREATE TABLE ${table} (id integer NOT NULL, name varchar(60) NOT NULL, payload text NOT NULL, amount numeric(12,2))`);
    }
    // Batch 4's COPY into restart_copy is paced (2 ms a row) so the restart lands while it is in flight,
    // however fast the machine is: between batches the pool would simply reconnect, with nothing to retry.
    await target.query(`CREATE FUNCTION pace_batch_4() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.id BETWEEN 3001 AND 4000 THEN PERFORM pg_sleep(0.002); END IF; RETURN NEW; END $$`);
    await target.query("CREATE TRIGGER pace_batch_4 BEFORE INSERT ON restart_copy FOR EACH ROW EXECUTE FUNCTION pace_batch_4()");
    await target.query("CREATE TABLE narrow_fail (id integer NOT NULL, name varchar(14) NOT NULL)");
    await target.query("CREATE TABLE narrow_skip (id integer NOT NULL, name varchar(14) NOT NULL)");
    // A PostgreSQL source on the same scratch server, its slow rows paced by a CASE (evaluated row by row, lazily).
    const pgAdmin = new pg.Client({ connectionString: scratch.url() });
    await pgAdmin.connect();
    await pgAdmin.query("CREATE DATABASE dbt_conn_pgsrc");
    await pgAdmin.end();
    const pgSource = new pg.Client({ connectionString: scratch.url("dbt_conn_pgsrc") });
    await pgSource.connect();
    await pgSource.query("CREATE TABLE wide (id integer PRIMARY KEY, name varchar(60) NOT NULL, payload text NOT NULL, amount numeric(12,2))");
    for (let from = 0; from < ROWS; from += 2_000) {
      const chunk = rows.slice(from, from + 2_000);
      await pgSource.query(`INSERT INTO wide VALUES ${chunk.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`).join(", ")}`, chunk.flat());
    }
    await pgSource.query("CREATE VIEW slow_wide AS SELECT id, name, payload, amount FROM wide WHERE CASE WHEN id BETWEEN 5001 AND 5600 THEN pg_sleep(0.002) IS NOT NULL ELSE true END");
    await pgSource.end();
    await target.query("CREATE TABLE killed_pg_read (id integer PRIMARY KEY, name varchar(60) NOT NULL, payload text NOT NULL, amount numeric(12,2))");
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url, pgsource: scratch.url("dbt_conn_pgsrc") });
    workspace.pipeline("killed_pg_read", pipelineFile({
      name: "killed_pg_read", source: { connection: "pgsource", query: "SELECT id, name, payload, amount FROM slow_wide", key: "id" },
      target: { connection: "warehouse", table: "killed_pg_read", mode: "insert" },
      columns: { id: "id", name: "name", payload: "payload", amount: "amount" }, batchSize: 1_000, retry: RETRY,
    }));
    // Names of ids 1000–1003 are too long for varchar(14): COPY fails (fail) or is bisected down to those rows (skip).
    for (const onError of ["fail", "skip"]) {
      workspace.pipeline(`narrow_${onError}`, pipelineFile({
        name: `narrow_${onError}`, source: { connection: "legacy", query: "SELECT id, name FROM wide WHERE id <= 1003", key: "id" },
        target: { connection: "warehouse", table: `narrow_${onError}`, mode: "insert" },
        columns: { id: "id", name: "name" }, batchSize: 64, onError,
      }));
    }
    for (const table of ["restart_copy", "killed_read", "terminated_copy"]) {
      workspace.pipeline(table, pipelineFile({
        name: table, source: { connection: "legacy", table: table === "killed_read" ? "slow_wide" : "wide", key: "id" }, target: { connection: "warehouse", table, mode: "insert" },
        columns: { id: "id", name: "name", payload: "payload", amount: "amount" }, batchSize: 1_000, retry: RETRY,
      }));
    }
    sourceDb = await openConnector("legacy", source.url);
    sourceHash = await keyedHash(sourceDb, { table: "wide", key: ["id"], columns: COLUMNS });
  }, 660_000);

  afterAll(async () => {
    try {
      if (scratch) await ensurePostgresUp().catch(() => {});
      await sourceDb?.close();
      await targetPool?.end();
      workspace?.remove();
      await source?.drop();
    } finally {
      scratch?.drop();
    }
  }, 180_000);

  async function expectExactCopy(table: string) {
    const counts = await targetPool!.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM ${table}`);
    expect(counts.rows[0]).toEqual({ n: ROWS, d: ROWS });
    const targetDb = await openConnector("warehouse", target.url);
    try {
      const got = await keyedHash(targetDb, { table, key: ["id"], columns: COLUMNS });
      expect(diffTableHashes(sourceHash, got, 5)).toEqual({ missing: [], extra: [], changed: [] });
      expect(got.hash).toBe(sourceHash.hash);
    } finally {
      await targetDb.close();
    }
  }

  it("PostgreSQL restarted during a COPY: the run retries from the last committed batch and completes", async () => {
    const child = spawnCli(["run", "restart_copy", "--json"], { cwd: workspace.dir });
    const result = collect(child, true);
    await waitForLine(child, (line) => line.includes('"batch.committed"') && line.includes('"batch":2,'));
    // Restart exactly while a COPY of this run is in flight.
    const monitor = new pg.Client({ connectionString: scratch!.url() });
    await monitor.connect();
    await waitFor("a COPY in flight", async () => {
      const { rows } = await monitor.query(
        "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE 'COPY%' AND now() - query_start > interval '300 milliseconds'",
        [target.name]);
      return rows.length > 0;
    }, 60_000, 5);
    await monitor.end().catch(() => {});
    scratch!.restart();
    await waitFor("PostgreSQL to answer after the restart", postgresAnswers, 60_000, 100);

    const done = await result;
    expect(done.code, `${done.stderr}\n${done.stdout.slice(-3000)}`).toBe(0);
    const retrying = done.events.filter((e) => e.type === "stage.retrying");
    expect(retrying.length).toBeGreaterThan(0);
    expect(finished(done).rows).toEqual({ read: ROWS, written: ROWS, rejected: 0 });
    await expectExactCopy("restart_copy");
    await waitFor("the CLI's sessions to end", async () => (await sessionsOf(target.name, scratch!.url())).databridge === 0);
  });

  it("the source's MariaDB connection killed mid-read: the run retries and completes", async () => {
    const child = spawnCli(["run", "killed_read", "--json"], { cwd: workspace.dir });
    const result = collect(child, true);
    await waitForLine(child, (line) => line.includes('"batch.committed"') && line.includes('"batch":3,'));
    const admin = await mariadbConnection(source.url);
    let killedId: number | undefined;
    try {
      killedId = await waitFor("a read of the CLI in flight", async () => {
        const [rows] = await admin.query(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND COMMAND = 'Query' AND INFO LIKE 'SELECT%slow_wide%' AND INFO NOT LIKE '%count(*)%' AND ID <> CONNECTION_ID()", [source.name]);
        return (rows as { ID: number }[])[0]?.ID;
      }, 60_000, 2);
      await admin.query(`KILL CONNECTION ${Number(killedId)}`);
    } finally {
      await admin.end();
    }
    const done = await result;
    expect(done.code, done.stderr).toBe(0);
    const retrying = done.events.filter((e) => e.type === "stage.retrying") as Extract<RunEvent, { type: "stage.retrying" }>[];
    expect(retrying.length).toBeGreaterThan(0);
    expect(retrying[0].message).toMatch(/connection|killed|lost|closed/i);
    expect(finished(done).rows).toEqual({ read: ROWS, written: ROWS, rejected: 0 });
    await expectExactCopy("killed_read");
    // The source is back to its baseline: only our own sessions, none of the CLI's.
    const check = await mariadbConnection(source.url);
    try {
      await waitFor("the CLI's MariaDB sessions to end", async () => {
        const [rows] = await check.query("SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", [source.name]);
        return Number((rows as { n: number }[])[0].n) <= 2; // the suite's own pool
      });
    } finally {
      await check.end();
    }
  });

  it("a PostgreSQL source's backend terminated mid-read (rows streamed in groups): the run retries and completes", async () => {
    const child = spawnCli(["run", "killed_pg_read", "--json"], { cwd: workspace.dir });
    const result = collect(child, true);
    await waitForLine(child, (line) => line.includes('"batch.committed"') && line.includes('"batch":3,'));
    const monitor = new pg.Client({ connectionString: scratch!.url() });
    await monitor.connect();
    try {
      const pid = await waitFor("a read of the CLI in flight", async () => {
        const { rows } = await monitor.query(
          "SELECT pid FROM pg_stat_activity WHERE datname = 'dbt_conn_pgsrc' AND state = 'active' AND query LIKE '%slow_wide%' AND query NOT LIKE '%count(%' AND pid <> pg_backend_pid()");
        return rows[0]?.pid as number | undefined;
      }, 60_000, 2);
      await monitor.query("SELECT pg_terminate_backend($1)", [pid]);
    } finally {
      await monitor.end().catch(() => {});
    }
    const done = await result;
    expect(done.code, done.stderr).toBe(0);
    const retrying = done.events.filter((e) => e.type === "stage.retrying") as Extract<RunEvent, { type: "stage.retrying" }>[];
    expect(retrying.length).toBeGreaterThan(0);
    expect(finished(done).rows).toEqual({ read: ROWS, written: ROWS, rejected: 0 });
    await expectExactCopy("killed_pg_read");
    await waitFor("the CLI's source sessions to end", async () => (await sessionsOf("dbt_conn_pgsrc", scratch!.url())).databridge === 0);
  });

  it("a target backend terminated mid-COPY in a long-lived process: completes, and the pool holds no broken or idle-in-transaction session", async () => {
    const baseline = await sessionsOf(target.name, scratch!.url());
    const loaded = await loadWorkspace({ from: workspace.dir });
    const connections = openConnections(loaded, { ...process.env, DATABRIDGE_CONN_LEGACY: undefined, DATABRIDGE_CONN_WAREHOUSE: undefined });
    const events: RunEvent[] = [];
    let terminated = 0;
    try {
      const pipelines = await resolvePipelines(loaded, ["terminated_copy"]);
      const admin = new pg.Client({ connectionString: scratch!.url() });
      await admin.connect();
      let armed = false;
      const run = runPipelines(loaded, pipelines, {
        connections,
        onEvent: (event) => {
          events.push(event);
          if (event.type === "batch.committed" && event.batch === 4) armed = true;
        },
      });
      await waitFor("batch 4 to commit", async () => armed, 60_000, 10);
      await waitFor("a COPY in flight to terminate", async () => {
        const { rows } = await admin.query(
          "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE 'COPY%'", [target.name]);
        terminated += rows.filter((r) => r.ok).length;
        return terminated > 0;
      }, 60_000, 2);
      await admin.end();
      const result = await run;
      expect(result.status, result.error?.toLine()).toBe("succeeded");
      expect(events.some((e) => e.type === "stage.retrying")).toBe(true);
      expect(result.rows).toEqual({ read: ROWS, written: ROWS, rejected: 0 });
      await expectExactCopy("terminated_copy");

      // Failed COPYs (a data error failing the run; a batch bisected down to its bad rows) leave no session in a transaction either.
      const failing = await runPipelines(loaded, await resolvePipelines(loaded, ["narrow_fail"]), { connections });
      expect(failing.status).toBe("failed");
      expect(failing.error?.toLine()).toMatch(/narrow_fail.*value too long/);
      const skipping = await runPipelines(loaded, await resolvePipelines(loaded, ["narrow_skip"]), { connections });
      expect(skipping.status).toBe("succeeded_with_rejects");
      expect(skipping.rows).toEqual({ read: 1_003, written: 999, rejected: 4 });

      // The connections are still open (as in the runner): every pooled session is idle, none in a transaction, none beyond the pool.
      const during = await sessionsOf(target.name, scratch!.url());
      const ours = during.states.filter((s) => s.startsWith("databridge:"));
      expect(ours.length).toBeGreaterThan(0);
      expect(ours.length).toBeLessThanOrEqual(4);
      expect(ours.every((s) => s === "databridge:idle"), ours.join(", ")).toBe(true);
      expect(during.idleInTransaction).toBe(0);
    } finally {
      await connections.closeAll();
    }
    await waitFor("sessions back to the baseline", async () => (await sessionsOf(target.name, scratch!.url())).total === baseline.total);
  });
});
