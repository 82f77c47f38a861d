import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffTableHashes, type RunEvent } from "@databridge/core";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { createScratchPostgres, postgresVersion, type ScratchPostgres } from "../support/scratch-postgres.js";
import { createWorkspace, keyedHash, openConnector, pipelineFile, runCli, type TestWorkspace } from "../support/cli.js";

/**
 * #8 acceptance 1: the target PostgreSQL stopped with `-m immediate` right after the last batch — before
 * the stage's final transaction — of a `replace` run and of an `idMap` upsert run, three times each.
 * Batches commit asynchronously: their COMMIT is acknowledged before its WAL is written out, which the WAL
 * writer does a moment later. A plugin connector wraps the real PostgreSQL target, stops (SIGSTOP) the WAL
 * writer at the first batch — so acknowledged batches stay in WAL buffers, as they do for a few milliseconds
 * on any server — and right after the last batch's COMMIT returns, stops the server with `-m immediate` and
 * starts it again, before the engine goes on. The crash thus always loses acknowledged batches, and the
 * engine may not even see an error (its next session is a fresh connection); a run that exits 0 must have
 * noticed and loaded them again.
 */
const ready = (await requireServers("postgres")) && postgresVersion() !== undefined;

const ROWS = 6_000;
const BATCH = 500;

const CONFIG = (source: string, target: string) => `import fs from "node:fs";
import { execFileSync } from "node:child_process";
import { defineConfig, definePlugin, postgres } from "@databridge/core";
let batches = 0;
let walWriter = 0;
const crashAfterLastBatch = definePlugin({
  name: "crash-after-last-batch",
  connectors: [{
    schemes: ["crashpg"], type: "postgres",
    async create(options) {
      const url = new URL(options.url.href.replace(/^crashpg:/, "postgres:"));
      const real = await postgres.postgresConnectorFactory.create({ ...options, url });
      const session = real.session.bind(real);
      real.session = async () => {
        const opened = await session();
        const query = opened.query.bind(opened);
        let batch = 0;
        opened.query = async (sql, params) => {
          const marker = process.env.CRASH_MARKER;
          if (sql === "SET LOCAL synchronous_commit = off" && marker) {
            batch = ++batches;
            // From the first batch on, nothing writes asynchronously committed WAL out of its buffers.
            if (batch === 1) {
              const { rows } = await query("SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'");
              walWriter = rows[0].pid;
              process.kill(walWriter, "SIGSTOP");
            }
          }
          const result = await query(sql, params);
          if (sql === "COMMIT" && marker && batch === Number(process.env.CRASH_AFTER_BATCH) && !fs.existsSync(marker)) {
            fs.writeFileSync(marker, "stopped");
            // A stopped process ignores the immediate shutdown's SIGQUIT (the postmaster would wait 5 s, then kill it).
            process.kill(walWriter, "SIGKILL");
            execFileSync("pg_ctlcluster", JSON.parse(process.env.CRASH_STOP));
            execFileSync("pg_ctlcluster", JSON.parse(process.env.CRASH_START));
            // Let the pool notice its dead idle connections, so the engine's next session is a fresh one and
            // nothing tells it the server was away: only the checkpoint can.
            await new Promise((resolve) => setTimeout(resolve, 300));
            for (let i = 0; i < 8; i++) await real.query("SELECT 1").catch(() => {});
          }
          return result;
        };
        return opened;
      };
      return real;
    },
  }],
});
export default defineConfig({
  plugins: [crashAfterLastBatch],
  connections: { legacy: { url: ${JSON.stringify(source)} }, warehouse: { url: ${JSON.stringify(target.replace(/^postgres:/, "crashpg:"))} } },
});
`;

describe.skipIf(!ready)("the target crashes right after the last batch (#8 acceptance 1)", () => {
  let cluster: ScratchPostgres;
  let source: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let target: pg.Pool;
  let workspace: TestWorkspace;

  beforeAll(async () => {
    // Room for every batch in WAL buffers, and no background writer flushing WAL to write out data pages.
    cluster = await createScratchPostgres({ wal_buffers: "64MB", bgwriter_lru_maxpages: "0" });
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query("CREATE DATABASE warehouse");
    await admin.end();
    target = new pg.Pool({ connectionString: cluster.url("warehouse"), max: 2 });
    target.on("error", () => {});
    await target.query("CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, price numeric(12,2))");
    await target.query("CREATE TABLE mapped (id uuid PRIMARY KEY, legacy_id integer NOT NULL, name text NOT NULL, price numeric(12,2))");

    source = await createPostgresDatabase("dbt_crash_src");
    await source.query("CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, price numeric(12,2))");
    await source.query(`INSERT INTO items SELECT g, 'Teil ' || g || ' – Größe ' || (g % 7), CASE WHEN g % 13 = 0 THEN NULL ELSE g * 1.25 END FROM generate_series(1, ${ROWS}) g`);

    workspace = createWorkspace({});
    fs.writeFileSync(path.join(workspace.dir, "databridge.config.ts"), CONFIG(source.url, cluster.url("warehouse")));
    const retry = { attempts: 10, initialDelayMs: 1000, maxDelayMs: 4000 };
    workspace.pipeline("items", pipelineFile({
      name: "items", source: { connection: "legacy", table: "items", key: "id" },
      target: { connection: "warehouse", table: "public.items", mode: "replace" },
      columns: { id: "id", name: "name", price: "price" }, batchSize: BATCH, retry,
    }));
    workspace.pipeline("mapped", pipelineFile({
      name: "mapped", source: { connection: "legacy", table: "items", key: "id" },
      target: { connection: "warehouse", table: "public.mapped", mode: "upsert" },
      idMap: { entity: "item", key: "id" },
      columns: { legacy_id: "id", name: "name", price: "price" }, batchSize: BATCH, retry,
    }));
  }, 300_000);

  afterAll(async () => {
    await target?.end();
    cluster?.drop();
    workspace?.remove();
    await source?.drop();
  });

  const crashingRun = async (pipeline: string, round: number) => {
    const marker = path.join(workspace.dir, `crash-${pipeline}-${round}`);
    const env = { CRASH_MARKER: marker, CRASH_AFTER_BATCH: String(ROWS / BATCH), CRASH_STOP: JSON.stringify(cluster.ctlArgs("stop", "-m", "immediate")), CRASH_START: JSON.stringify(cluster.ctlArgs("start")) };
    const result = await runCli(["run", pipeline, "--json"], { cwd: workspace.dir, env });
    expect(fs.existsSync(marker), `the plugin stopped the server after the last batch; ${result.stderr}`).toBe(true);
    return result;
  };
  const finishedOf = (events: RunEvent[]) => events.find((e) => e.type === "run.finished") as Extract<RunEvent, { type: "run.finished" }> | undefined;
  const sourceHash = async (columns: string[], key = "id") => {
    const connector = await openConnector("legacy", source.url);
    try {
      return await keyedHash(connector, { table: "items", key: [key], columns });
    } finally {
      await connector.close();
    }
  };
  const targetHash = async (table: string, key: string, columns: string[]) => {
    const connector = await openConnector("warehouse", cluster.url("warehouse"));
    try {
      return await keyedHash(connector, { table: `public.${table}`, key: [key], columns });
    } finally {
      await connector.close();
    }
  };
  /**
   * Exit 0 means an exact copy; anything else must be finished exactly by `--resume`. Returns whether the run
   * found acknowledged batches gone at its final step ("lost batches") and loaded them again.
   */
  const settle = async (pipeline: string, result: Awaited<ReturnType<typeof runCli>>) => {
    const lostAt = result.events.findIndex((e) => e.type === "stage.retrying" && e.message.includes("lost batches"));
    const reloaded = lostAt >= 0 && result.events.slice(lostAt).some((e) => e.type === "batch.committed");
    if (result.code !== 0) {
      const resumed = await runCli(["run", pipeline, "--resume", "--json"], { cwd: workspace.dir });
      expect(resumed.code, resumed.stderr).toBe(0);
    } else {
      expect(finishedOf(result.events)?.status).toBe("succeeded");
    }
    return reloaded;
  };

  it("replace: a run that exits 0 left an exact copy (three crashes)", async () => {
    let reloads = 0;
    for (let round = 1; round <= 3; round++) {
      await target.query("INSERT INTO items VALUES (-1, 'stale row, replaced away', 0) ON CONFLICT DO NOTHING");
      const result = await crashingRun("items", round);
      if (await settle("items", result)) reloads++;
      const [want, got] = await Promise.all([sourceHash(["name", "price"]), targetHash("items", "id", ["name", "price"])]);
      expect(diffTableHashes(want, got, 5)).toEqual({ missing: [], extra: [], changed: [] });
      expect(got.rows).toBe(ROWS);
    }
    // The crash has to have cost batches at least once, or this test proves nothing about them.
    expect(reloads).toBeGreaterThan(0);
  });

  it("idMap upsert: exact after each crash, and every legacy key has exactly one row after a further run", async () => {
    let reloads = 0;
    for (let round = 1; round <= 3; round++) {
      if (round > 1) await source.query(`UPDATE items SET name = name || ' r${round}' WHERE id % 50 = ${round}`);
      const result = await crashingRun("mapped", round);
      if (await settle("mapped", result)) reloads++;
      const [want, got] = await Promise.all([sourceHash(["name", "price"]), targetHash("mapped", "legacy_id", ["name", "price"])]);
      expect(diffTableHashes(want, got, 5)).toEqual({ missing: [], extra: [], changed: [] });
    }
    const again = await runCli(["run", "mapped", "--json"], { cwd: workspace.dir });
    expect(again.code, again.stderr).toBe(0);
    const { rows } = await target.query("SELECT count(*)::int AS n, count(DISTINCT legacy_id)::int AS keys FROM mapped");
    expect(rows[0]).toEqual({ n: ROWS, keys: ROWS });
    const ids = await target.query("SELECT count(*)::int AS n FROM mapped m JOIN databridge.id_map i ON i.new_id = m.id AND i.legacy_key = m.legacy_id::text");
    expect(ids.rows[0].n).toBe(ROWS);
    expect(reloads).toBeGreaterThan(0);
  });
});
