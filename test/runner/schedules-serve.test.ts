import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunView, ScheduleView } from "@databridge/core/runner-protocol";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { apiClient, CLI, createWorkspace, pipelineSource, readSse, seedStateDir, startReceiver, waitFor, waitForRun, type ApiClient, type RunnerWorkspace } from "./support.js";

/** The webhook's path holds its secret, as a Slack webhook URL does. */
const HOOK_SECRET = `T0-B0-${randomBytes(12).toString("hex")}`;

const copy = (name: string, extra: Record<string, unknown> = {}) => pipelineSource({
  name, source: { connection: "legacy", table: "src", key: "id" }, target: { connection: "warehouse", table: `public.${name}_copy`, mode: "upsert" },
  columns: { id: "id", label: "label" }, batchSize: 100, ...extra,
});

/**
 * `databridge serve` as a real process, on the wall clock: a pipeline file with `schedule: "* * * * *"` gets a
 * run with trigger `schedule` within 80 s; schedules follow file edits; a failing run and a run past
 * `sla: "1s"` each POST Slack-compatible JSON naming the pipeline to a local HTTP receiver; the webhook URL's
 * secret shows nowhere.
 */
describe("databridge serve: schedules from pipeline files and webhook alerts, in real time", () => {
  let ready = false;
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: RunnerWorkspace;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let child: ChildProcess | undefined;
  let output = "";
  let api: ApiClient;
  let exited: Promise<unknown>;

  beforeAll(async () => {
    ready = await requireServers("postgres");
    if (!ready) return;
    db = await createPostgresDatabase("dbt_sched_serve");
    await db.query(`CREATE TABLE src (id int PRIMARY KEY, label text NOT NULL); INSERT INTO src SELECT g, 'row ' || g FROM generate_series(1, 500) g;
      CREATE TABLE minute_copy (id int PRIMARY KEY, label text); CREATE TABLE slow_copy (id int PRIMARY KEY, label text); CREATE TABLE later_copy (id int PRIMARY KEY, label text);`);
    workspace = createWorkspace({ legacy: db.url, warehouse: db.url }, "databridge-serve-schedules-");
    fs.writeFileSync(workspace.configPath, `import { defineConfig } from "@databridge/core";
export default defineConfig({
  connections: { legacy: { url: ${JSON.stringify(db.url)} }, warehouse: { url: ${JSON.stringify(db.url)} } },
  alerts: { webhook: {}, on: ["failed", "sla_missed"] },
});
`);
    workspace.pipeline("minute", copy("minute", { schedule: "* * * * *" }));
    workspace.pipeline("slow", copy("slow", { sla: "1s" }));
    workspace.pipeline("broken", copy("broken", { target: { connection: "warehouse", table: "public.no_such_table", mode: "upsert" } }));
    workspace.pipeline("later", copy("later"));
    await seedStateDir(workspace.dir);
    receiver = await startReceiver();
    child = spawn(process.execPath, [CLI, "serve"], {
      cwd: workspace.dir, stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DATABRIDGE_STATE_URL: "", FORCE_COLOR: "", DATABRIDGE_ALERT_WEBHOOK_URL: `${receiver.url}/services/${HOOK_SECRET}` },
    });
    child.stdout!.setEncoding("utf8").on("data", (c: string) => (output += c));
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (output += c));
    exited = new Promise((resolve) => child!.on("exit", resolve));
    const runnerJson = path.join(workspace.dir, ".databridge", "runner.json");
    const info = await waitFor(() => {
      if (!fs.existsSync(runnerJson)) return undefined;
      const parsed = JSON.parse(fs.readFileSync(runnerJson, "utf8"));
      return parsed.url ? parsed : undefined;
    }, `serve to start (output so far: ${output})`);
    api = apiClient((p, init) => fetch(`${info.url}${p}`, init), info.token);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    await receiver?.close();
    workspace?.remove();
    await db?.drop();
  });

  it("runs a `* * * * *` pipeline file with trigger schedule within 80 s; alerts a failing run and a run past its SLA", async (ctx) => {
    if (!ready) return ctx.skip();
    const started = Date.now();
    const listed: ScheduleView[] = (await api.get("/schedules")).body.schedules;
    expect(listed).toEqual([expect.objectContaining({ id: "file:minute", source: "file", file: "pipelines/minute.etl.ts", cron: "* * * * *", pipelines: ["minute"], error: null })]);
    expect(Date.parse(listed[0].nextRunAt!) - Date.now()).toBeLessThanOrEqual(60_000);

    // While the minute turns: a run that fails, and one held past its 1 s SLA by a lock on its target.
    const broken = (await api.post("/runs", { pipelines: ["broken"] })).body.id;
    expect((await waitForRun(api, broken)).status).toBe("failed");
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    let slow: string;
    try {
      await blocker.query("BEGIN; LOCK TABLE slow_copy IN ACCESS EXCLUSIVE MODE");
      slow = (await api.post("/runs", { pipelines: ["slow"] })).body.id;
      const stream = await readSse(await api.raw(`/runs/${slow}/events`), (m) => m.event === "sla_missed", { timeoutMs: 30_000 });
      const frame = stream.messages.find((m) => m.event === "sla_missed")!;
      expect(JSON.parse(frame.data)).toMatchObject({ runId: slow, pipeline: "slow", sla: "1s", status: "running" });
    } finally {
      await blocker.query("ROLLBACK").catch(() => {});
      await blocker.end();
    }
    expect((await waitForRun(api, slow)).status).toBe("succeeded");

    const bodies = await waitFor(() => (receiver.bodies.length >= 2 ? (receiver.bodies as Record<string, any>[]) : undefined), "two webhook alerts");
    const failedAlert = bodies.find((b) => b.trigger === "failed")!;
    expect(failedAlert.text).toMatch(/^DataBridge: pipeline broken failed \(run /);
    expect(failedAlert).toMatchObject({ pipeline: "broken", runId: broken, status: "failed", rows: { read: 0, written: 0, rejected: 0 }, durationMs: expect.any(Number) });
    expect(failedAlert.dashboardUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/#/runs/${broken}$`));
    expect(failedAlert.blocks[0]).toEqual({ type: "section", text: { type: "mrkdwn", text: failedAlert.text } });
    const slaAlert = bodies.find((b) => b.trigger === "sla_missed")!;
    expect(slaAlert.text).toMatch(/^DataBridge: pipeline slow missed its SLA of 1s \(run .*\): still running at /);
    expect(slaAlert).toMatchObject({ pipeline: "slow", runId: slow!, status: "running", sla: { sla: "1s" } });
    // `on` leaves succeeded runs out.
    expect(bodies.some((b) => b.runId === slow! && b.trigger !== "sla_missed")).toBe(false);
    expect((await api.get("/alerts")).body.deliveries).toEqual(expect.arrayContaining([
      expect.objectContaining({ trigger: "failed", channel: "webhook", runId: broken, pipeline: "broken", ok: true, attempts: 1, error: null }),
      expect.objectContaining({ trigger: "sla_missed", channel: "webhook", runId: slow!, ok: true }),
    ]));

    const run = await waitFor(async () => (await api.get("/runs?pipeline=minute")).body.runs[0] as RunView | undefined, "a scheduled run of `minute`", 80_000 - (Date.now() - started));
    expect(run).toMatchObject({ trigger: "schedule", scheduleId: "file:minute", pipelines: ["minute"] });
    expect(Date.now() - started).toBeLessThan(80_000);
    expect(new Date(run.scheduledAt!).getUTCSeconds()).toBe(0);
    expect(await waitForRun(api, run.id)).toMatchObject({ status: "succeeded", rows: { written: 500 } });
    expect((await api.get("/schedules/file:minute")).body.lastRun).toMatchObject({ id: run.id });
  });

  it("re-reads schedules when pipeline files change", async (ctx) => {
    if (!ready) return ctx.skip();
    workspace.pipeline("later", copy("later", { schedule: { cron: "0 4 * * *", timezone: "Asia/Tokyo" } }));
    const added = await waitFor(async () => {
      const answer = await api.get<ScheduleView>("/schedules/file:later");
      return answer.status === 200 ? answer.body : undefined;
    }, "the new schedule", 20_000);
    expect(added).toMatchObject({ source: "file", cron: "0 4 * * *", timezone: "Asia/Tokyo", nextRunAt: expect.stringMatching(/T19:00:00\.000Z$/) });
    workspace.pipeline("later", copy("later", { schedule: { cron: "0 4 * * *", timezone: "Asia/Tokyo", sla: "every now and then" } }));
    await waitFor(async () => (await api.get("/schedules/file:later")).body.error, "the invalid SLA to show", 20_000);
    fs.rmSync(path.join(workspace.dir, "pipelines", "later.etl.ts"));
    await waitFor(async () => (await api.get("/schedules/file:later")).status === 404, "the schedule to go with its file", 20_000);
  });

  it("never shows the webhook URL's secret: not in output, API answers or the state files", async (ctx) => {
    if (!ready) return ctx.skip();
    for (const p of ["/schedules", "/alerts", "/runs?limit=50", "/health"]) await api.get(p);
    expect(api.seen.join("\n")).not.toContain(HOOK_SECRET);
    expect(output).not.toContain(HOOK_SECRET);
    const stateDir = path.join(workspace.dir, ".databridge");
    for (const file of fs.readdirSync(stateDir, { recursive: true }).map(String)) {
      const full = path.join(stateDir, file);
      if (fs.statSync(full).isFile()) expect(fs.readFileSync(full).includes(HOOK_SECRET), full).toBe(false);
    }
  });
});
