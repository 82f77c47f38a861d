import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SseMessage } from "@databridge/core/runner-protocol";
import { startRunner, type RunningRunner } from "@databridge/server/runner";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { apiClient, createWorkspace, pipelineSource, readSse, type ApiClient, type RunnerWorkspace } from "./support.js";

const RUNS = 20;
const ROWS = 2_000;
const BATCH = 200;
const names = Array.from({ length: RUNS }, (_, i) => `p${String(i + 1).padStart(2, "0")}`);

/**
 * 20 runs started at once over HTTP against real PostgreSQL (source, target and state store):
 * every run finishes, no event lands in another run's stream, and the state store agrees with
 * the streams and the targets.
 */
describe("load: 20 concurrent runs (PostgreSQL state, source and target)", () => {
  let ready = false;
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: RunnerWorkspace;
  let runner: RunningRunner;
  let api: ApiClient;

  beforeAll(async () => {
    ready = await requireServers("postgres");
    if (!ready) return;
    db = await createPostgresDatabase("dbt_runner_load");
    await db.query(names.map((n, i) => `CREATE TABLE src_${n} (id int PRIMARY KEY, v text NOT NULL);
      INSERT INTO src_${n} SELECT g, '${n}:' || g FROM generate_series(1, ${ROWS + i}) g;
      CREATE TABLE dst_${n} (id int NOT NULL, v text NOT NULL);`).join("\n"));
    workspace = createWorkspace({ legacy: db.url, warehouse: db.url });
    for (const n of names) {
      workspace.pipeline(n, pipelineSource({
        name: n, source: { connection: "legacy", table: `src_${n}`, key: "id" }, target: { connection: "warehouse", table: `public.dst_${n}`, mode: "insert" },
        columns: { id: "id", v: "v" }, batchSize: BATCH,
      }));
    }
    runner = await startRunner({ configPath: workspace.configPath, port: 0, stateUrl: db.url, maxConcurrentRuns: RUNS });
    api = apiClient((p, init) => fetch(`${runner.url}${p}`, init), runner.token);
  });

  afterAll(async () => {
    await runner?.close();
    workspace?.remove();
    await db?.drop();
  });

  it("all finish, streams never mix, state matches streams and targets", async (ctx) => {
    if (!ready) return ctx.skip();
    const everything = new AbortController();
    const globalResponse = await api.raw("/events", { signal: everything.signal });
    const finishedRuns = new Set<string>();
    const globalStream = readSse(globalResponse, (m) => {
      if (m.event === "run.finished") finishedRuns.add(JSON.parse(m.data).runId);
      return finishedRuns.size === RUNS;
    }, { timeoutMs: 170_000 });

    const started = await Promise.all(names.map((n) => api.post("/runs", { pipelines: [n] })));
    expect(started.map((r) => r.status)).toEqual(names.map(() => 202));
    const ids = started.map((r) => r.body.id as string);
    expect(new Set(ids).size).toBe(RUNS);
    const streams = await Promise.all(ids.map(async (id) => (await readSse(await api.raw(`/runs/${id}/events`), (m) => m.event === "run.finished", { timeoutMs: 170_000 })).messages));
    const global = (await globalStream).messages;
    everything.abort();

    const perRun = new Map<string, SseMessage[]>();
    for (const [i, id] of ids.entries()) {
      const messages = streams[i];
      perRun.set(id, messages);
      expect(messages.map((m) => Number(m.id)), id).toEqual(messages.map((_, k) => k + 1));
      for (const m of messages) {
        const event = JSON.parse(m.data);
        expect(event.runId).toBe(id);
        expect(event.pipeline).toBe(names[i]);
        expect(event.type).toBe(m.event);
      }
      expect(messages.filter((m) => m.event === "batch.committed")).toHaveLength(Math.ceil((ROWS + i) / BATCH));
      expect(JSON.parse(messages.at(-1)!.data)).toMatchObject({ type: "run.finished", status: "succeeded", rows: { read: ROWS + i, written: ROWS + i, rejected: 0 } });
    }

    // The all-runs stream has exactly the same events, in each run's order, with growing ids.
    const globalIds = global.map((m) => Number(m.id));
    expect(globalIds).toEqual([...globalIds].sort((a, b) => a - b));
    expect(new Set(globalIds).size).toBe(globalIds.length);
    expect(global).toHaveLength([...perRun.values()].reduce((n, m) => n + m.length, 0));
    for (const id of ids) {
      expect(global.filter((m) => JSON.parse(m.data).runId === id).map((m) => m.data)).toEqual(perRun.get(id)!.map((m) => m.data));
    }

    // The runs did overlap.
    const views = (await api.get(`/runs?limit=${RUNS}`)).body.runs as { id: string; startedAt: string; finishedAt: string; status: string }[];
    const overlap = Math.max(...views.map((a) => views.filter((b) => b.startedAt <= a.startedAt && b.finishedAt >= a.startedAt).length));
    expect(overlap).toBeGreaterThan(1);

    // State store: consistent with the streams and with the targets.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const runs = (await client.query(`SELECT r.id, r.status, r.rows_written::int AS written, r.last_event_seq AS last, (SELECT count(*)::int FROM databridge_runner.run_events e WHERE e.run_id = r.id) AS events,
          (SELECT max(seq) FROM databridge_runner.run_events e WHERE e.run_id = r.id) AS max_seq, (SELECT count(*)::int FROM databridge_runner.run_batches b WHERE b.run_id = r.id) AS batches,
          (SELECT sum(rows_written)::int FROM databridge_runner.run_batches b WHERE b.run_id = r.id) AS batch_rows, (SELECT rows_written::int FROM databridge_runner.run_stages s WHERE s.run_id = r.id) AS stage_rows
        FROM databridge_runner.runs r ORDER BY r.id`)).rows;
      expect(runs).toHaveLength(RUNS);
      for (const row of runs) {
        const i = ids.indexOf(row.id);
        const expectedRows = ROWS + i;
        expect(row).toEqual({
          id: ids[i], status: "succeeded", written: expectedRows, last: perRun.get(row.id)!.length, events: perRun.get(row.id)!.length, max_seq: perRun.get(row.id)!.length,
          batches: Math.ceil(expectedRows / BATCH), batch_rows: expectedRows, stage_rows: expectedRows,
        });
        const target = (await client.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM dst_${names[i]}`)).rows[0];
        expect(target).toEqual({ n: expectedRows, d: expectedRows });
      }
      const stored = (await client.query("SELECT id, run_id, data FROM databridge_runner.run_events ORDER BY id")).rows;
      expect(stored.map((r) => String(r.id))).toEqual(global.map((m) => m.id));
      expect(stored.map((r) => r.data)).toEqual(global.map((m) => m.data));
    } finally {
      await client.end();
    }
  });
});
