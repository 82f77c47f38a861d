import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "@databridge/core";
import { requireServers } from "../support/servers.js";
import { createMigrationFixture, type MigrationFixture } from "../support/migration-fixture.js";
import { collect, waitFor } from "../support/cli.js";
import { flushRedisDb, redisAvailable, REDIS_TEST_URL } from "../support/redis.js";
import { keyedHash, lastEvent, pipelineSource, protocolProblems, runCli, spawnCli, waitForLine } from "../integration/harness.js";

const ROWS = 200_000;
const BATCH = 5_000;
const QUEUE = REDIS_TEST_URL(5);

/** A worker in a folder of its own: a copy of the workspace, as on another machine with the same checkout. */
function startWorker(workspaceDir: string, name: string): { child: ChildProcess; dir: string; lines: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `databridge-worker-${name}-`));
  fs.cpSync(workspaceDir, dir, { recursive: true });
  const child = spawnCli(["worker", "--queue", QUEUE], { cwd: dir });
  const lines: string[] = [];
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => lines.push(...chunk.split("\n").filter(Boolean)));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => lines.push(...chunk.split("\n").filter(Boolean)));
  return { child, dir, lines };
}

async function stopWorker(worker: { child: ChildProcess; dir: string }) {
  if (worker.child.exitCode === null && worker.child.signalCode === null) {
    const exited = new Promise((resolve) => worker.child.once("exit", resolve));
    worker.child.kill("SIGTERM");
    await exited;
  }
  fs.rmSync(worker.dir, { recursive: true, force: true });
}

const ready = (worker: { child: ChildProcess }) => waitForLine(worker.child, (line) => line.startsWith("DataBridge worker for"));

describe("run --queue over two workers in separate folders (MariaDB → PostgreSQL)", () => {
  let available = false;
  let fixture: MigrationFixture;

  beforeAll(async () => {
    available = (await requireServers("mariadb", "postgres")) && (await redisAvailable());
    if (!available) return;
    await flushRedisDb(5);
    fixture = await createMigrationFixture("bq_queue");
    const { source, target, workspace } = fixture;
    await source.query(`CREATE TABLE orders (id INT NOT NULL PRIMARY KEY, customer VARCHAR(60) NOT NULL, note TEXT NULL, total DECIMAL(10,2) NOT NULL, placed DATETIME NOT NULL)`);
    await source.query(`INSERT INTO orders
      SELECT seq, CONCAT(ELT(1 + seq % 4, 'Zoë', 'Müller', '東京', 'O''Brien'), ' ', seq),
             CASE WHEN seq % 10 = 0 THEN NULL WHEN seq % 10 = 1 THEN '' ELSE CONCAT('note\\t', seq, '\\n\\\\') END,
             (seq % 100000) / 100, TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq SECOND
        FROM seq_1_to_${ROWS}`);
    // No primary key on purpose: a batch loaded twice would be stored twice, not refused.
    await target.query(`CREATE TABLE orders (id integer NOT NULL, customer varchar(60) NOT NULL, note text, total numeric(10,2) NOT NULL, placed timestamp NOT NULL)`);
    workspace.pipeline("orders", pipelineSource({
      name: "orders",
      source: { connection: "legacy", table: "orders" },
      target: { connection: "warehouse", table: "public.orders", mode: "insert" },
      columns: { id: "id", customer: "customer", note: "note", total: "total", placed: "placed" },
      parallelism: 4,
    }));
    // Parent and child with a foreign key between their target tables, loaded by different workers.
    await source.query(`CREATE TABLE schools (id INT NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL)`);
    await source.query(`CREATE TABLE pupils (id INT NOT NULL PRIMARY KEY, school_id INT NOT NULL, name VARCHAR(40) NOT NULL)`);
    await source.query(`INSERT INTO schools SELECT seq, CONCAT('school ', seq) FROM seq_1_to_300`);
    await source.query(`INSERT INTO pupils SELECT seq, 1 + seq % 300, CONCAT('pupil ', seq) FROM seq_1_to_20000`);
    await target.query(`CREATE TABLE schools (id integer PRIMARY KEY, name text NOT NULL)`);
    await target.query(`CREATE TABLE pupils (id integer PRIMARY KEY, school_id integer NOT NULL REFERENCES schools (id), name text NOT NULL)`);
    workspace.pipeline("pupils", pipelineSource({
      name: "pupils", source: { connection: "legacy", table: "pupils" }, target: { connection: "warehouse", table: "public.pupils", mode: "upsert" },
      columns: { id: "id", school_id: "school_id", name: "name" }, parallelism: 2,
    }));
    workspace.pipeline("schools", pipelineSource({
      name: "schools", source: { connection: "legacy", table: "schools" }, target: { connection: "warehouse", table: "public.schools", mode: "upsert" },
      columns: { id: "id", name: "name" }, parallelism: 3,
    }));
  });

  afterAll(async () => {
    await fixture?.close();
    if (available) await flushRedisDb(5);
  });

  it("kill -9 of one worker after a quarter of the rows: the run still succeeds, exit 0, an exact copy without duplicates", async (ctx) => {
    if (!available) return ctx.skip();
    const { target, workspace, sourceConnector, targetConnector } = fixture;
    const victim = startWorker(workspace.dir, "a");
    const survivor = startWorker(workspace.dir, "b");
    try {
      await Promise.all([ready(victim), ready(survivor)]);
      const submitter = spawnCli(["run", "orders", "--queue", QUEUE, "--json", "--batch-size", String(BATCH)], { cwd: workspace.dir });
      const result = collect(submitter, true);
      // A quarter of the rows in (all ranges together), and the victim in the middle of a key range of its own.
      await waitForLine(submitter, (line) => line.includes('"type":"batch.committed"') && (JSON.parse(line) as Extract<RunEvent, { type: "batch.committed" }>).rows.read >= ROWS / 4);
      const { rows: [held] } = await target.query("SELECT partition_id, batches FROM databridge.runs WHERE pipeline = 'orders' AND pid = $1 AND status = 'running'", [victim.child.pid]);
      expect(held?.batches, "the victim holds a key range part way").toBeGreaterThan(0);
      const exited = new Promise((resolve) => victim.child.once("exit", (code, signal) => resolve({ code, signal })));
      victim.child.kill("SIGKILL");
      expect(await exited).toEqual({ code: null, signal: "SIGKILL" });

      const run = await result;
      expect(run.code, run.stderr).toBe(0);
      expect(protocolProblems(run.events)).toEqual([]);
      expect(lastEvent(run.events, "run.finished")).toMatchObject({ status: "succeeded", rows: { read: ROWS, written: ROWS, rejected: 0 } });
      // One stage to whoever watches the run, whatever the number of key ranges.
      expect(run.events.filter((e) => e.type === "stage.started")).toHaveLength(1);
      expect(run.events.filter((e) => e.type === "stage.finished")).toHaveLength(1);

      const { rows: [copy] } = await target.query("SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, min(id) AS min, max(id) AS max FROM orders");
      expect(copy).toEqual({ n: ROWS, d: ROWS, min: 1, max: ROWS });
      const columns = ["id", "customer", "note", "total", "placed"];
      const [expected, actual] = await Promise.all([
        keyedHash(sourceConnector, { table: "orders", columns, batchSize: 20_000 }),
        keyedHash(targetConnector, { table: "public.orders", key: ["id"], columns, batchSize: 20_000 }),
      ]);
      expect(actual.rows).toBe(ROWS);
      expect(actual.hash).toBe(expected.hash);

      // Four key ranges, each with its own checkpoint, all complete; the one the victim held was finished by the survivor,
      // continuing its batches (read once each, numbered on) rather than starting the range again.
      const { rows: checkpoints } = await target.query("SELECT partition_id, complete FROM databridge.checkpoints WHERE pipeline = 'orders' ORDER BY partition_id");
      expect(checkpoints).toEqual(["1/4", "2/4", "3/4", "4/4"].map((id) => ({ partition_id: id, complete: true })));
      const { rows: [taken] } = await target.query(
        `SELECT r.pid, r.status, r.rows_read::int AS read, r.batches, (SELECT count(*)::int FROM databridge.batches b WHERE b.run_id = r.run_id AND b.pipeline = r.pipeline AND b.partition_id = r.partition_id) AS batch_rows
           FROM databridge.runs r WHERE r.pipeline = 'orders' AND r.partition_id = $1`, [held.partition_id]);
      expect(taken.pid).toBe(survivor.child.pid);
      expect(taken.status).toBe("succeeded");
      expect(taken.read).toBe(ROWS / 4);
      expect(taken.batches).toBe(ROWS / 4 / BATCH);
      expect(taken.batch_rows).toBe(ROWS / 4 / BATCH);
      expect(survivor.lines.some((l) => l.includes(`key range ${held.partition_id} succeeded`))).toBe(true);

      // Undoing the run undoes every range, and puts every range's checkpoint back (there was none).
      const runId = lastEvent(run.events, "run.finished").runId;
      const undo = await runCli(["rollback", runId], { cwd: workspace.dir });
      expect(undo.code, undo.stderr).toBe(0);
      const { rows: [left] } = await target.query("SELECT (SELECT count(*)::int FROM orders) AS rows, (SELECT count(*)::int FROM databridge.checkpoints WHERE pipeline = 'orders') AS checkpoints");
      expect(left).toEqual({ rows: 0, checkpoints: 0 });
    } finally {
      await stopWorker(victim);
      await stopWorker(survivor);
    }
  }, 90_000);

  it("foreign-key order across workers: every key range of the parent finishes before the child's start", async (ctx) => {
    if (!available) return ctx.skip();
    const { target, workspace } = fixture;
    const workers = [startWorker(workspace.dir, "c"), startWorker(workspace.dir, "d")];
    try {
      await Promise.all(workers.map(ready));
      const run = await runCli(["run", "pupils", "schools", "--queue", QUEUE, "--json", "--batch-size", "1000"], { cwd: workspace.dir });
      expect(run.code, run.stderr).toBe(0);
      const order = run.events.filter((e) => e.type === "stage.started" || e.type === "stage.finished").map((e) => `${e.type} ${e.pipeline}`);
      expect(order).toEqual(["stage.started schools", "stage.finished schools", "stage.started pupils", "stage.finished pupils"]);
      const { rows: [counts] } = await target.query("SELECT (SELECT count(*)::int FROM schools) AS schools, (SELECT count(*)::int FROM pupils) AS pupils");
      expect(counts).toEqual({ schools: 300, pupils: 20_000 });
      // The units really were spread: both workers loaded some.
      await waitFor("both workers to log a finished unit", () => workers.every((w) => w.lines.some((l) => / succeeded, /.test(l))));
    } finally {
      await Promise.all(workers.map(stopWorker));
    }
  }, 90_000);

  it("parallelism the key range cannot be split for is a config error, before anything is queued", async (ctx) => {
    if (!available) return ctx.skip();
    const { workspace } = fixture;
    const file = workspace.pipeline("orders_replace", pipelineSource({
      name: "orders_replace", source: { connection: "legacy", table: "orders" }, target: { connection: "warehouse", table: "public.orders", mode: "replace" },
      columns: { id: "id" }, parallelism: 4,
    }));
    try {
      const run = await runCli(["run", "orders_replace", "--queue", QUEUE], { cwd: workspace.dir });
      expect(run.code).toBe(2);
      expect(run.stdout + run.stderr).toContain('pipeline orders_replace: parallelism: 4 splits the key range, but mode "replace" swaps in one whole table');
      // `check` (and so the editor) says the same, with the file's position.
      const check = await runCli(["check", "orders_replace", "--json"], { cwd: workspace.dir });
      expect(check.code).not.toBe(0);
      expect((JSON.parse(check.stdout) as { problems: unknown[] }).problems).toEqual(expect.arrayContaining([expect.objectContaining({
        pipeline: "orders_replace", severity: "error", code: "parallelism-split", message: expect.stringContaining('mode "replace" swaps in one whole table'),
      })]));
    } finally {
      fs.rmSync(file);
    }
  }, 60_000);
});
