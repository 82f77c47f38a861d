import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunnerApiError, RunnerClient, type RunEvent, type SseMessage } from "@databridge/core/runner-protocol";
import { startRunner, type RunningRunner } from "@databridge/server/runner";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, pipelineSource, seedStateDir, waitFor, type RunnerWorkspace } from "./support.js";

const ROWS = 1_000;
const BAD = [250, 750];

/**
 * The protocol's one client (`@databridge/core/runner-protocol`, used by the CLI, the dashboard and VS Code)
 * against a real runner over real HTTP: every endpoint it has, its errors, and its event stream resuming after
 * a drop. Events it delivers are compared with the events the runner stored, read from its state database.
 */
describe("RunnerClient against a real runner", () => {
  let ready = false;
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: RunnerWorkspace;
  let runner: RunningRunner;
  let client: RunnerClient;

  /** The run's events as the runner committed them (state database), parsed. */
  const storedEvents = async (runId: string) => (await runner.services.store.runEventsAfter(runId, 0, 10_000)).map((row) => JSON.parse(row.data) as RunEvent);

  beforeAll(async () => {
    ready = await requireServers("postgres");
    if (!ready) return;
    db = await createPostgresDatabase("dbt_runner_client");
    await db.query(`CREATE TABLE src (id int PRIMARY KEY, amount numeric(10,2));
      INSERT INTO src SELECT g, CASE WHEN g IN (${BAD.join(", ")}) THEN NULL ELSE g / 10.0 END FROM generate_series(1, ${ROWS}) g;
      CREATE TABLE dst (id int PRIMARY KEY, amount numeric(10,2) NOT NULL);
      CREATE TABLE dst2 (id int PRIMARY KEY);`);
    workspace = createWorkspace({ legacy: db.url, warehouse: db.url });
    workspace.pipeline("copy", pipelineSource({
      name: "copy", description: "amounts", onError: "skip", source: { connection: "legacy", table: "src", key: "id" },
      target: { connection: "warehouse", table: "public.dst", mode: "upsert", key: ["id"] }, columns: { id: "id", amount: "amount" }, batchSize: 100,
    }));
    workspace.pipeline("ids", pipelineSource({
      name: "ids", dependsOn: ["copy"], source: { connection: "warehouse", table: "public.dst", key: "id" },
      target: { connection: "warehouse", table: "public.dst2", mode: "upsert", key: ["id"] }, columns: { id: "id" }, batchSize: 500,
    }));
    await seedStateDir(workspace.dir);
    // One run at a time, so a second run waits `queued` deterministically.
    runner = await startRunner({ configPath: workspace.configPath, port: 0, maxConcurrentRuns: 1, env: { ...process.env, DATABRIDGE_STATE_URL: "" } });
    client = new RunnerClient({ url: runner.url, token: runner.token });
  });

  afterAll(async () => {
    await runner?.close();
    workspace?.remove();
    await db?.drop();
  });

  it("reads health and pipelines, plans and previews", async (ctx) => {
    if (!ready) return ctx.skip();
    expect(await client.health()).toMatchObject({ ok: true, pid: process.pid, workspace: { ok: true, root: workspace.dir }, runs: { active: 0, queued: 0 } });
    const list = await client.pipelines();
    expect(list.order).toEqual(["copy", "ids"]);
    expect(list.edges).toEqual([{ from: "copy", to: "ids" }]);
    expect(list.pipelines.find((p) => p.name === "copy")).toMatchObject({ description: "amounts", file: "pipelines/copy.etl.ts", source: "legacy:src", target: "warehouse:public.dst", mode: "upsert" });
    expect((await client.pipeline("copy")).code).toContain('"onError": "skip"');
    const plan = await client.plan(["copy"]);
    expect(plan.pipelines.map((p) => [p.pipeline, p.estimatedRows !== undefined])).toEqual([["copy", true]]);
    const preview = await client.preview("copy", 3);
    expect(preview.rows.map((r) => r.key)).toEqual([[1], [2], [3]]);
    expect(preview.rows[0]!.target).toEqual({ id: 1, amount: "0.10" });
  });

  it("starts a run and follows it to run.finished: the events it delivers are the runner's stored events, in order, once", async (ctx) => {
    if (!ready) return ctx.skip();
    const created = await client.startRun({ pipelines: ["copy"] });
    expect(created).toEqual({ id: expect.any(String), status: "queued" });
    const followed: RunEvent[] = [];
    const finished = await client.followRun(created.id, (event) => followed.push(event));
    expect(finished).toMatchObject({ type: "run.finished", status: "succeeded_with_rejects", rows: { read: ROWS, written: ROWS - BAD.length, rejected: BAD.length } });
    expect(followed).toEqual(await storedEvents(created.id));
    expect(followed.filter((e) => e.type === "batch.committed")).toHaveLength(ROWS / 100);

    const run = await client.run(created.id);
    expect(run).toMatchObject({ id: created.id, status: "succeeded_with_rejects", pipelines: ["copy"], lastEventId: followed.length, rows: { written: ROWS - BAD.length } });
    expect(run.stages).toEqual([expect.objectContaining({ pipeline: "copy", status: "succeeded_with_rejects", progress: 1, batches: ROWS / 100 })]);
    expect((await client.batches(created.id)).batches.map((b) => b.batch)).toEqual(Array.from({ length: ROWS / 100 }, (_, i) => i + 1));
    const rejects = await client.rejects(created.id, { limit: 1 });
    expect(rejects).toMatchObject({ total: BAD.length, source: "ledger" });
    expect(rejects.rows).toEqual([expect.objectContaining({ pipeline: "copy", key: [BAD[0]], column: "amount", row: { id: BAD[0], amount: null } })]);
    expect(await client.runErrors(created.id)).toMatchObject({ error: null, rejectedRows: BAD.length });
    const history = await client.runs({ status: ["succeeded_with_rejects"], pipeline: "copy", limit: 5 });
    expect(history.runs.map((r) => r.id)).toEqual([created.id]);
    expect(history).toMatchObject({ total: 1, limit: 5, offset: 0 });
  });

  it("resumes a dropped event stream with Last-Event-ID: the runner replays the gap, nothing twice", async (ctx) => {
    if (!ready) return ctx.skip();
    // A fetch whose first event stream breaks after 1500 bytes (inside a frame), like a dropped connection.
    const requests: (string | null)[] = [];
    const dropping: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith("/events")) return response;
      requests.push(new Headers(init?.headers).get("last-event-id"));
      if (requests.length > 1 || !response.body) return response;
      let left = 1500;
      const reader = response.body.getReader();
      const broken = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { value, done } = await reader.read();
          if (!done) controller.enqueue(value.subarray(0, left));
          left -= done ? 0 : value.byteLength;
          if (done || left <= 0) {
            await reader.cancel();
            controller.error(new TypeError("terminated"));
          }
        },
      });
      return new Response(broken, { status: response.status, headers: response.headers });
    };
    const flaky = new RunnerClient({ url: runner.url, token: runner.token }, { fetch: dropping });
    const { id } = await flaky.startRun({ pipelines: ["copy"], fullRefresh: true });
    const ids: string[] = [];
    const followed: RunEvent[] = [];
    const stream = flaky.runEvents(id, {
      reconnectDelayMs: 10,
      onMessage: (message: SseMessage) => {
        ids.push(message.id);
        followed.push(JSON.parse(message.data) as RunEvent);
      },
    });
    expect(await stream.done).toEqual({ reason: "completed" });
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests[0]).toBeNull();
    expect(Number(requests[1])).toBeGreaterThan(0);
    expect(ids).toEqual(followed.map((_, i) => String(i + 1)));
    expect(followed).toEqual(await storedEvents(id));
    // A late reader starting after an id gets exactly the rest.
    const rest: string[] = [];
    await client.runEvents(id, { lastEventId: "5", onMessage: (m) => rest.push(m.id) }).done;
    expect(rest).toEqual(ids.slice(5));
  });

  it("pauses a queued run, cancels it, retries it, and resumes the run holding the slot", async (ctx) => {
    if (!ready) return ctx.skip();
    const blocker = await client.startRun({ pipelines: ["copy"], fullRefresh: true });
    expect(await client.pauseRun(blocker.id)).toEqual({ id: blocker.id, status: "paused" });
    const waiting = await client.startRun({ pipelines: ["copy", "ids"] });
    await waitFor(async () => (await client.run(waiting.id)).status === "queued", "the second run to wait for the slot");
    await client.pauseRun(waiting.id);
    expect((await client.run(waiting.id)).status).toBe("paused");
    expect(await client.cancelRun(waiting.id)).toEqual({ id: waiting.id, cancelling: true });
    expect((await client.run(waiting.id)).status).toBe("cancelled");
    const retried = await client.retryRun(waiting.id);
    expect(retried).toEqual({ id: expect.any(String), status: "queued", retryOf: waiting.id });
    await waitFor(async () => (await client.run(blocker.id)).heldAtBoundary || undefined, "the blocker to hold at a batch boundary");
    expect(await client.resumeRun(blocker.id)).toEqual({ id: blocker.id, status: "running" });
    expect((await client.followRun(blocker.id, () => {})).status).toBe("succeeded_with_rejects");
    const done = await client.followRun(retried.id, () => {});
    expect(done).toMatchObject({ status: "succeeded_with_rejects", stages: [expect.objectContaining({ pipeline: "copy" }), expect.objectContaining({ pipeline: "ids", status: "succeeded" })] });
    expect((await db.query("SELECT count(*)::int AS n FROM dst2")).rows[0].n).toBe(ROWS - BAD.length);
  });

  it("manages connections and schedules", async (ctx) => {
    if (!ready) return ctx.skip();
    const url = new URL(db.url);
    const body = { name: "reporting", type: "postgres", host: url.hostname, port: Number(url.port || 5432), database: db.name, username: decodeURIComponent(url.username) || "postgres", password: "unused-with-trust" };
    expect(await client.testUnsavedConnection(body)).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/^PostgreSQL/) });
    const saved = await client.createConnection(body);
    expect(saved).toMatchObject({ name: "reporting", source: "saved", hasPassword: true, readOnly: false });
    expect(JSON.stringify(saved)).not.toContain("unused-with-trust");
    expect(await client.connection(saved.id)).toEqual(saved);
    expect((await client.updateConnection(saved.id, { password: null, description: "reports" })).hasPassword).toBe(false);
    expect((await client.testConnection(saved.id)).ok).toBe(true);
    expect((await client.discover(saved.id)).tables.map((t) => t.name).sort()).toEqual(["dst", "dst2", "src"]);
    expect((await client.connections()).connections.map((c) => `${c.name}:${c.source}`)).toEqual(["legacy:workspace", "reporting:saved", "warehouse:workspace"]);
    expect(await client.deleteConnection(saved.id)).toBeUndefined();

    const schedule = await client.createSchedule({ name: "nightly", cron: "0 3 * * *", timezone: "UTC", pipelines: ["copy"], enabled: false });
    expect(schedule).toMatchObject({ name: "nightly", enabled: false, nextRunAt: null });
    expect((await client.updateSchedule(schedule.id, { enabled: true })).nextRunAt).toMatch(/T03:00:00/);
    expect((await client.schedules()).schedules.map((s) => s.id)).toEqual([schedule.id]);
    const triggered = await client.triggerSchedule(schedule.id);
    expect((await client.followRun(triggered.id, () => {})).status).toBe("succeeded_with_rejects");
    expect((await client.schedule(schedule.id)).lastRunId).toBe(triggered.id);
    await client.deleteSchedule(schedule.id);
    expect((await client.schedules()).schedules).toEqual([]);
  });

  it("maps every failure to one RunnerApiError with status, code and message", async (ctx) => {
    if (!ready) return ctx.skip();
    const failure = (promise: Promise<unknown>) => promise.then(() => { throw new Error("expected a failure"); }, (error: unknown) => error as RunnerApiError);
    const missing = await failure(client.run("no-such-run"));
    expect(missing).toBeInstanceOf(RunnerApiError);
    expect(missing).toMatchObject({ status: 404, code: "not_found", message: "run no-such-run not found" });
    expect(await failure(client.startRun({ pipelines: ["ids"] }))).toMatchObject({ status: 400, message: expect.stringContaining("copy") });
    expect(await failure(client.createSchedule({ name: "x", cron: "not a cron", pipelines: ["copy"] }))).toMatchObject({ status: 400, code: expect.any(String) });
    const { runs } = await client.runs({ status: ["succeeded_with_rejects"], limit: 1 });
    expect(await failure(client.retryRun(runs[0]!.id))).toMatchObject({ status: 409, code: "not_retryable" });
    expect(await failure(new RunnerClient({ url: runner.url, token: "wrong" }).health())).toMatchObject({ status: 401, code: "unauthorized" });
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await failure(new RunnerClient({ url: `http://127.0.0.1:${port}`, token: "x" }).pipelines());
    expect(unreachable).toMatchObject({ status: 0, code: "unreachable", message: `cannot reach the runner at http://127.0.0.1:${port} (GET /api/v1/pipelines): fetch failed (ECONNREFUSED)` });
    expect(await failure(new RunnerClient(() => undefined).health())).toMatchObject({ status: 0, code: "not_running" });
    const stream = await client.runEvents("no-such-run", { onMessage: () => {} }).done;
    expect(stream).toEqual({ reason: "http-error", status: 404, code: "not_found", message: "run no-such-run not found" });
    expect(await failure(client.followRun("no-such-run", () => {}))).toMatchObject({ status: 404, code: "not_found" });
  });
});
