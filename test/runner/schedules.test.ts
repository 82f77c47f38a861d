import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent, RunView, ScheduleTickView, ScheduleView } from "@databridge/core/runner-protocol";
import { closeRunnerServices, createApp, createRunnerServices, loopbackHosts, type RunnerServices } from "@databridge/server/runner";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { apiClient, createWorkspace, FakeClock, pipelineSource, waitFor, waitForRun, type ApiClient, type RunnerWorkspace } from "./support.js";

const TOKEN = randomBytes(24).toString("base64url");
const HOST = "127.0.0.1:4712";

/** A copy of `src` (300 rows) into `<name>_copy`, with a schedule and whatever else the test adds. */
const copyPipeline = (name: string, extra: Record<string, unknown>, source = "src") => ({
  name, source: { connection: "legacy", table: source, key: "id" }, target: { connection: "warehouse", table: `public.${name}_copy`, mode: "upsert" },
  columns: { id: "id", label: "label" }, batchSize: 50, ...extra,
});

interface Scenario {
  db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  workspace: RunnerWorkspace;
  clock: FakeClock;
  logs: string[];
  services: RunnerServices;
  api: ApiClient;
  /** Stops the runner (its state stays) and starts it again, as after downtime. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Real runner services (state store, engine, connectors on PostgreSQL) with a fake clock: days of ticks,
 * downtime and SLAs pass in milliseconds, and nothing waits on the wall clock.
 */
async function scenario(name: string, sql: string, pipelines: Record<string, unknown>[], start: string): Promise<Scenario> {
  const db = await createPostgresDatabase(`dbt_sched_${name}`);
  await db.query(`CREATE TABLE src (id int PRIMARY KEY, label text); INSERT INTO src SELECT g, 'row ' || g FROM generate_series(1, 300) g; ${sql}`);
  for (const p of pipelines) await db.query(`CREATE TABLE IF NOT EXISTS ${String(p.name)}_copy (id int PRIMARY KEY, label text NOT NULL)`);
  const workspace = createWorkspace({ legacy: db.url, warehouse: db.url }, "databridge-schedules-");
  for (const p of pipelines) workspace.pipeline(String(p.name), pipelineSource(p));
  const clock = new FakeClock(start);
  const logs: string[] = [];
  const s = { db, workspace, clock, logs } as Scenario;
  s.start = async () => {
    s.services = await createRunnerServices({ configPath: workspace.configPath, stateUrl: db.url, env: { ...process.env, DATABRIDGE_SECRET_KEY: "" }, clock, schedulePollMs: 0, log: (line) => logs.push(line) });
    const app = createApp(s.services, { token: TOKEN, allowedHosts: () => loopbackHosts(4712) });
    s.api = apiClient((path, init) => app.request(`http://${HOST}${path}`, { ...init, headers: { host: HOST, ...(init.headers as Record<string, string>) } }), TOKEN);
  };
  s.stop = () => closeRunnerServices(s.services, 10_000);
  s.close = async () => {
    await s.stop().catch(() => {});
    workspace.remove();
    await db.drop();
  };
  await s.start();
  return s;
}

const schedule = async (s: Scenario, id: string): Promise<ScheduleView> => (await s.api.get(`/schedules/${id}`)).body;
const ticks = async (s: Scenario, id: string): Promise<ScheduleTickView[]> => (await s.api.get(`/schedules/${id}/ticks`)).body.ticks;
/** A pipeline's runs, oldest first. */
const runsOf = async (s: Scenario, pipeline: string): Promise<RunView[]> => (await s.api.get(`/runs?pipeline=${pipeline}&limit=100`)).body.runs.reverse();
const eventsOf = async (s: Scenario, runId: string): Promise<RunEvent[]> => (await s.services.store.runEventsAfter(runId, 0)).map((e) => JSON.parse(e.data));
const copied = async (s: Scenario, table: string) => (await s.db.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM ${table}`)).rows[0];
/** Waits until the scheduler has nothing in hand (ticks handled, runs submitted). */
const settled = (s: Scenario) => s.services.scheduler.idle();
/** Waits until every event recorded so far is committed and what follows a run's end (retry decisions) is done. */
const quiet = async (s: Scenario) => {
  await s.services.recorder.flush();
  await s.services.outcomes.settle();
  await settled(s);
};

describe("schedules from pipeline files, with a fake clock (real runner services, PostgreSQL)", () => {
  let ready = false;
  let current: Scenario | undefined;

  beforeAll(async () => {
    ready = await requireServers("postgres");
  });

  afterEach(async () => {
    await current?.close();
    current = undefined;
  });

  it("arms a file's schedule (listed as from the file), follows edits, refuses API changes but enabled", async (ctx) => {
    if (!ready) return ctx.skip();
    const s = (current = await scenario("files", "", [copyPipeline("nightly", { schedule: { cron: "0 2 * * *", timezone: "UTC" } }), copyPipeline("plain", {})], "2026-06-01T00:00:00Z"));
    const listed = (await s.api.get("/schedules")).body.schedules;
    expect(listed).toEqual([expect.objectContaining({
      id: "file:nightly", name: "nightly", source: "file", file: "pipelines/nightly.etl.ts", cron: "0 2 * * *", timezone: "UTC", pipelines: ["nightly"],
      enabled: true, catchUp: "latest", maxActiveRuns: 1, retry: { runs: 0, backoffMs: 300_000 }, error: null, nextRunAt: "2026-06-01T02:00:00.000Z",
      lastTickAt: "2026-06-01T00:00:00.000Z", lastRun: null,
    })]);

    s.workspace.pipeline("nightly", pipelineSource(copyPipeline("nightly", { schedule: { cron: "30 4 * * *", timezone: "Europe/Berlin", catchUp: "none" } })));
    await s.services.scheduler.sync();
    expect(await schedule(s, "file:nightly")).toMatchObject({ cron: "30 4 * * *", timezone: "Europe/Berlin", catchUp: "none", nextRunAt: "2026-06-01T02:30:00.000Z" });

    s.workspace.pipeline("plain", pipelineSource(copyPipeline("plain", { schedule: "0 25 * * *" })));
    await s.services.scheduler.sync();
    expect(await schedule(s, "file:plain")).toMatchObject({ source: "file", nextRunAt: null, error: 'schedule "0 25 * * *" hour "25" (field 2, at character 3) is not valid: 0–23' });

    expect((await s.api.patch("/schedules/file:nightly", { cron: "@hourly" })).body.error).toEqual({ code: "file_schedule", message: "schedule file:nightly comes from pipelines/nightly.etl.ts: change cron there (only enabled can be changed here)" });
    expect((await s.api.delete("/schedules/file:nightly")).body.error.code).toBe("file_schedule");
    expect((await s.api.patch("/schedules/file:nightly", { enabled: false })).body).toMatchObject({ enabled: false, nextRunAt: null });
    expect((await s.api.patch("/schedules/file:nightly", { enabled: true })).body).toMatchObject({ enabled: true, nextRunAt: "2026-06-01T02:30:00.000Z" });

    s.workspace.pipeline("nightly", pipelineSource(copyPipeline("nightly", {})));
    await s.services.scheduler.sync();
    expect((await s.api.get("/schedules")).body.schedules.map((x: ScheduleView) => x.id)).toEqual(["file:plain"]);
    // An API schedule lives beside file schedules.
    expect((await s.api.post("/schedules", { name: "plain", cron: "0 6 * * *", pipelines: ["plain"], sla: "2h" })).body).toMatchObject({ source: "api", name: "plain", sla: "2h", file: null });
  });

  it("catches up after downtime: one run for the missed window (latest), the last tick kept in the state store; its SLA counts from the tick", async (ctx) => {
    if (!ready) return ctx.skip();
    const s = (current = await scenario("latest", "", [copyPipeline("nightly", { schedule: { cron: "0 2 * * *", timezone: "UTC" }, sla: "30m" })], "2026-06-01T01:00:00Z"));
    await s.stop();
    s.clock.set("2026-06-04T09:30:00Z"); // down for three days and a half: ticks of June 1, 2, 3 and 4 missed
    await s.start();
    const [run] = await waitFor(async () => ((await runsOf(s, "nightly")).length ? runsOf(s, "nightly") : undefined), "the catch-up run");
    expect(run).toMatchObject({ trigger: "schedule", scheduleId: "file:nightly", scheduledAt: "2026-06-04T02:00:00.000Z", pipelines: ["nightly"] });
    expect(await waitForRun(s.api, run.id)).toMatchObject({ status: "succeeded", rows: { written: 300 } });
    await settled(s);
    expect((await ticks(s, "file:nightly")).map((t) => [t.outcome, t.firstTickAt, t.tickAt, t.ticks, t.runId])).toEqual([
      ["started", null, "2026-06-04T02:00:00.000Z", null, run.id],
      ["skipped", "2026-06-01T02:00:00.000Z", "2026-06-03T02:00:00.000Z", 3, null],
    ]);
    // Due 02:00, SLA 30 min: missed long before the runner came back (the run had not even started).
    const missed = (await eventsOf(s, run.id)).filter((e) => e.type === "sla_missed");
    expect(missed).toEqual([expect.objectContaining({ type: "sla_missed", pipeline: "nightly", sla: "30m", since: "2026-06-04T02:00:00.000Z", deadline: "2026-06-04T02:30:00.000Z" })]);
    expect((await eventsOf(s, run.id)).at(-1)?.type).toBe("run.finished");
    expect(await copied(s, "nightly_copy")).toEqual({ n: 300, d: 300 });

    // A restart at the same moment finds nothing due: no tick runs twice.
    await s.stop();
    await s.start();
    await settled(s);
    expect((await runsOf(s, "nightly")).length).toBe(1);
    // The next night runs on time.
    s.clock.set("2026-06-05T02:00:00.003Z");
    const next = await waitFor(async () => (await runsOf(s, "nightly"))[1], "the next night's run");
    expect(next).toMatchObject({ scheduledAt: "2026-06-05T02:00:00.000Z", trigger: "schedule" });
    await waitForRun(s.api, next.id);
    expect((await schedule(s, "file:nightly")).lastRun).toMatchObject({ id: next.id, status: "succeeded" });
  });

  it("catchUp all runs every missed tick one after the other; catchUp none skips them and runs only on time", async (ctx) => {
    if (!ready) return ctx.skip();
    const s = (current = await scenario("all_none", "", [
      copyPipeline("every", { schedule: { cron: "0 * * * *", catchUp: "all" } }),
      copyPipeline("never", { schedule: { cron: "0 * * * *", catchUp: "none" } }),
    ], "2026-06-01T10:30:00Z"));
    await s.stop();
    s.clock.set("2026-06-01T13:20:00Z");
    await s.start();
    const all = await waitFor(async () => {
      const runs = await runsOf(s, "every");
      return runs.length === 3 && runs.every((r) => r.status === "succeeded") ? runs : undefined;
    }, "three catch-up runs of `every`");
    expect(all.map((r) => r.scheduledAt)).toEqual(["2026-06-01T11:00:00.000Z", "2026-06-01T12:00:00.000Z", "2026-06-01T13:00:00.000Z"]);
    for (let i = 1; i < all.length; i++) expect(Date.parse(all[i].startedAt!)).toBeGreaterThanOrEqual(Date.parse(all[i - 1].finishedAt!));
    await settled(s);
    expect(await runsOf(s, "never")).toEqual([]);
    expect((await ticks(s, "file:never")).map((t) => [t.outcome, t.firstTickAt, t.tickAt, t.ticks])).toEqual([["skipped", "2026-06-01T11:00:00.000Z", "2026-06-01T13:00:00.000Z", 3]]);
    expect((await ticks(s, "file:never"))[0].reason).toMatch(/missed while the runner was not running \(catchUp "none"\)/);

    s.clock.set("2026-06-01T14:00:00.010Z");
    const onTime = await waitFor(async () => (await runsOf(s, "never"))[0], "`never` to run on time");
    expect(onTime.scheduledAt).toBe("2026-06-01T14:00:00.000Z");
    await waitFor(async () => (await runsOf(s, "every")).length === 4, "`every` to run on time");
  });

  it("maxActiveRuns: a tick while the previous run is still going is skipped and recorded; a run past its SLA emits sla_missed once", async (ctx) => {
    if (!ready) return ctx.skip();
    const s = (current = await scenario("busy", "", [copyPipeline("busy", { schedule: { cron: "*/10 * * * *", sla: "5m" } })], "2026-06-01T10:05:00Z"));
    // Holding a lock on the target keeps the scheduled run going for as long as the test wants.
    const blocker = new pg.Client({ connectionString: s.db.url });
    await blocker.connect();
    try {
      await blocker.query("BEGIN; LOCK TABLE busy_copy IN ACCESS EXCLUSIVE MODE");
      s.clock.set("2026-06-01T10:10:00Z");
      const first = await waitFor(async () => (await runsOf(s, "busy"))[0], "the 10:10 run");
      await waitFor(async () => (await s.api.get(`/runs/${first.id}`)).body.status === "running", "the run to start");

      s.clock.set("2026-06-01T10:16:00Z");
      const missed = await waitFor(async () => (await eventsOf(s, first.id)).find((e) => e.type === "sla_missed"), "sla_missed");
      expect(missed).toMatchObject({ pipeline: "busy", sla: "5m", since: "2026-06-01T10:10:00.000Z", deadline: "2026-06-01T10:15:00.000Z", status: "running" });

      s.clock.set("2026-06-01T10:20:00Z");
      await waitFor(async () => (await ticks(s, "file:busy")).some((t) => t.outcome === "skipped"), "the 10:20 tick to be skipped");
      expect((await ticks(s, "file:busy"))[0]).toMatchObject({ outcome: "skipped", tickAt: "2026-06-01T10:20:00.000Z", ticks: 1, reason: "1 run of this schedule still going (maxActiveRuns 1)" });
      expect((await runsOf(s, "busy")).length).toBe(1);
      expect(s.logs).toContain("schedule file:busy: skipped tick 2026-06-01T10:20:00.000Z: 1 run of this schedule still going (maxActiveRuns 1)");
    } finally {
      await blocker.query("ROLLBACK").catch(() => {});
      await blocker.end();
    }
    const [first] = await runsOf(s, "busy");
    expect(await waitForRun(s.api, first.id)).toMatchObject({ status: "succeeded" });
    const events = await eventsOf(s, first.id);
    expect(events.filter((e) => e.type === "sla_missed").length).toBe(1);
    expect(events.at(-1)?.type).toBe("run.finished");

    s.clock.set("2026-06-01T10:30:00Z");
    const second = await waitFor(async () => (await runsOf(s, "busy"))[1], "the 10:30 run");
    expect(await waitForRun(s.api, second.id)).toMatchObject({ status: "succeeded", scheduledAt: "2026-06-01T10:30:00.000Z" });
    expect((await eventsOf(s, second.id)).some((e) => e.type === "sla_missed")).toBe(false);
  });

  it("retries a failed scheduled run after its backoff from its checkpoint, and stops when the retries are used up", async (ctx) => {
    if (!ready) return ctx.skip();
    const s = (current = await scenario("retry", `
      CREATE TABLE src_flaky (id int PRIMARY KEY, label text); INSERT INTO src_flaky SELECT g, CASE WHEN g = 120 THEN NULL ELSE 'row ' || g END FROM generate_series(1, 300) g;`, [
      copyPipeline("flaky", { schedule: { cron: "0 3 * * *", retry: { runs: 2, backoff: "5m" } }, target: { connection: "warehouse", table: "public.flaky_copy", mode: "insert" } }, "src_flaky"),
      copyPipeline("broken", { schedule: { cron: "30 3 * * *", retry: { runs: 2, backoff: "1m" } }, target: { connection: "warehouse", table: "public.no_such_table", mode: "insert" } }),
    ], "2026-06-01T02:59:00Z"));

    s.clock.set("2026-06-01T03:00:00Z");
    const failed = await waitFor(async () => {
      const [run] = await runsOf(s, "flaky");
      return run && (await s.api.get(`/runs/${run.id}`)).body.status === "failed" ? run : undefined;
    }, "the 03:00 run of flaky to fail on the NULL label");
    const pending = await waitFor(async () => (await schedule(s, "file:flaky")).pendingRetry, "the retry to be planned");
    expect(pending).toEqual({ runId: failed.id, at: "2026-06-01T03:05:00.000Z", attempt: 1 });
    const committed = (await copied(s, "flaky_copy")).n;
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(120);

    // Fixed before the retry: it continues after the last committed batch.
    await s.db.query("UPDATE src_flaky SET label = 'fixed' WHERE id = 120");
    s.clock.set("2026-06-01T03:04:59Z");
    await settled(s);
    expect((await runsOf(s, "flaky")).length).toBe(1);
    s.clock.set("2026-06-01T03:05:00Z");
    const retry = await waitFor(async () => (await runsOf(s, "flaky"))[1], "the retry");
    const done = await waitForRun(s.api, retry.id);
    expect(done).toMatchObject({ status: "succeeded", trigger: "schedule", scheduleId: "file:flaky", retryOf: failed.id, scheduledAt: "2026-06-01T03:00:00.000Z", resume: true });
    expect(done.stages[0].resumeAfter).toEqual([committed]);
    expect(done.rows.read).toBe(300 - committed);
    expect(await copied(s, "flaky_copy")).toEqual({ n: 300, d: 300 });
    expect((await ticks(s, "file:flaky")).map((t) => [t.outcome, t.runId, t.reason])).toEqual([
      ["retried", retry.id, `retry 1 of 2 of run ${failed.id}`],
      ["started", failed.id, null],
    ]);
    expect((await schedule(s, "file:flaky")).pendingRetry).toBeNull();

    // `broken` fails every time: the tick's run and two retries, then no more.
    s.clock.set("2026-06-01T03:30:00Z");
    for (let runs = 1; runs <= 3; runs++) {
      await waitFor(async () => {
        const all = await runsOf(s, "broken");
        return all.length === runs && all.every((r) => r.status === "failed");
      }, `broken's run ${runs} to fail`);
      await quiet(s);
      const planned = (await schedule(s, "file:broken")).pendingRetry;
      if (runs === 3) expect(planned).toBeNull();
      else {
        expect(planned).toMatchObject({ attempt: runs });
        s.clock.set(planned!.at);
      }
    }
    s.clock.set("2026-06-01T04:00:00Z");
    await quiet(s);
    const broken = await runsOf(s, "broken");
    expect(broken.map((r) => r.status)).toEqual(["failed", "failed", "failed"]);
    expect(broken.map((r) => r.retryOf)).toEqual([null, broken[0].id, broken[1].id]);
    expect((await schedule(s, "file:broken")).pendingRetry).toBeNull();
  });
});
