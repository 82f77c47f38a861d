import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AlertDeliveryView } from "@databridge/core/runner-protocol";
import { closeRunnerServices, createApp, createRunnerServices, loopbackHosts, type RunnerServices } from "@databridge/server/runner";
import { runCli } from "../support/cli.js";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { apiClient, createWorkspace, pipelineSource, startReceiver, waitFor, waitForRun, type ApiClient, type RunnerWorkspace } from "./support.js";

const TOKEN = randomBytes(24).toString("base64url");
const HOST = "127.0.0.1:4713";
const SMTP_PASSWORD = `Smtp-${randomBytes(9).toString("hex")}`;
const HOOK_SECRET = `hook-${randomBytes(12).toString("hex")}`;

interface Mail {
  from: string;
  to: string[];
  user: string | undefined;
  raw: string;
}

/** A local SMTP server (no TLS) that takes `alerts` / SMTP_PASSWORD and keeps every message. */
async function startSmtp(): Promise<{ port: number; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS"], allowInsecureAuth: true, authMethods: ["PLAIN", "LOGIN"], logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === "alerts" && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
      else callback(new Error("Invalid username or password"));
    },
    onData(stream, session, callback) {
      let raw = "";
      stream.setEncoding("utf8").on("data", (chunk: string) => (raw += chunk)).on("end", () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), user: session.user as string | undefined, raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as { port: number };
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The text of a message as read: folded headers unfolded, quoted-printable soft line breaks and escapes undone. */
const readable = (raw: string) => raw.replace(/\r?\n[ \t]+/g, " ").replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
/** The deliveries of some runs (the state database is shared by the tests of this file). */
const deliveriesOf = async (api: ApiClient, runIds: string[], query = ""): Promise<AlertDeliveryView[]> =>
  ((await api.get(`/alerts${query}`)).body.deliveries as AlertDeliveryView[]).filter((d) => d.runId && runIds.includes(d.runId));

/**
 * Alerts through real channels: e-mail through a local SMTP server (smtp-server) with the password from
 * the environment, webhook delivery retried with backoff, failures recorded and logged without failing the
 * run or showing a secret, `databridge run` alerting as the runner does, and configuration errors named.
 */
describe("alerts: e-mail, webhook retries, failures that never fail a run", () => {
  let ready = false;
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let workspace: RunnerWorkspace | undefined;
  let services: RunnerServices | undefined;
  let api: ApiClient;
  const logs: string[] = [];

  /** A workspace whose config has `alerts` (TypeScript source), with `copy` (succeeds) and `broken` (fails). */
  const open = async (alerts: string, env: Record<string, string>) => {
    workspace = createWorkspace({}, "databridge-alerts-");
    fs.writeFileSync(workspace.configPath, `import { defineConfig } from "@databridge/core";
export default defineConfig({
  connections: { legacy: { url: ${JSON.stringify(db.url)} }, warehouse: { url: ${JSON.stringify(db.url)} } },
  alerts: ${alerts},
});
`);
    const copy = (name: string, target: string) => pipelineSource({
      name, source: { connection: "legacy", table: "src", key: "id" }, target: { connection: "warehouse", table: target, mode: "upsert" }, columns: { id: "id", label: "label" },
    });
    workspace.pipeline("copy", copy("copy", "public.copy_target"));
    workspace.pipeline("broken", copy("broken", "public.no_such_table"));
    services = await createRunnerServices({
      configPath: workspace.configPath, stateUrl: db.url, env: { ...process.env, DATABRIDGE_SECRET_KEY: "", ...env }, schedulePollMs: 0,
      alertDelivery: { initialDelayMs: 20, maxDelayMs: 100, attempts: 4 }, log: (line) => logs.push(line),
    });
    services.alerts.setDashboardBase("http://127.0.0.1:4713");
    const app = createApp(services, { token: TOKEN, allowedHosts: () => loopbackHosts(4713) });
    api = apiClient((path, init) => app.request(`http://${HOST}${path}`, { ...init, headers: { host: HOST, ...(init.headers as Record<string, string>) } }), TOKEN);
  };
  /** Runs a pipeline and waits until its alerts went out. */
  const run = async (pipeline: string) => {
    const id = (await api.post("/runs", { pipelines: [pipeline] })).body.id as string;
    const view = await waitForRun(api, id);
    await services!.recorder.flush();
    await services!.outcomes.settle();
    return view;
  };

  beforeAll(async () => {
    ready = await requireServers("postgres");
    if (!ready) return;
    db = await createPostgresDatabase("dbt_alerts");
    await db.query("CREATE TABLE src (id int PRIMARY KEY, label text NOT NULL); INSERT INTO src SELECT g, 'row ' || g FROM generate_series(1, 250) g; CREATE TABLE copy_target (id int PRIMARY KEY, label text)");
    smtp = await startSmtp();
  });

  afterEach(async () => {
    if (services) await closeRunnerServices(services, 5_000);
    services = undefined;
    workspace?.remove();
    workspace = undefined;
  });

  afterAll(async () => {
    await smtp?.close();
    await db?.drop();
  });

  it("e-mails through SMTP with the password from the environment: subject, counts, duration and the dashboard link", async (ctx) => {
    if (!ready) return ctx.skip();
    await open(`{ email: { smtp: "smtp://alerts@127.0.0.1:${smtp.port}", from: "databridge@example.com", to: ["ops@example.com", "dba@example.com"] }, on: ["succeeded", "failed"] }`,
      { DATABRIDGE_ALERT_SMTP_PASSWORD: SMTP_PASSWORD });
    const succeeded = await run("copy");
    const failed = await run("broken");
    await waitFor(() => smtp.mails.length >= 2, "two mails");
    const [first, second] = smtp.mails.map((m) => ({ ...m, text: readable(m.raw) }));
    expect(first).toMatchObject({ from: "databridge@example.com", to: ["ops@example.com", "dba@example.com"], user: "alerts" });
    expect(first.text).toContain(`Subject: [DataBridge] pipeline copy succeeded (run ${succeeded.id})`);
    expect(first.text).toMatch(/250 rows read, 250 written, 0 rejected in \d+(ms|s)/);
    expect(first.text).toContain(`Dashboard: http://127.0.0.1:4713/#/runs/${succeeded.id}`);
    expect(second.text).toContain(`Subject: [DataBridge] pipeline broken failed (run ${failed.id})`);
    expect(second.text).toMatch(/Error: .*no_such_table/);
    const deliveries = await deliveriesOf(api, [succeeded.id, failed.id]);
    expect(deliveries.map((d) => [d.trigger, d.channel, d.runId, d.ok, d.attempts])).toEqual([["failed", "email", failed.id, true, 1], ["succeeded", "email", succeeded.id, true, 1]]);
    expect(smtp.mails.map((m) => m.raw).join("\n")).not.toContain(SMTP_PASSWORD);
  });

  it("retries a webhook that answers 503 with backoff until it takes the alert", async (ctx) => {
    if (!ready) return ctx.skip();
    const receiver = await startReceiver((i) => (i < 2 ? 503 : 200));
    try {
      await open(`{ webhook: {}, on: ["succeeded"] }`, { DATABRIDGE_ALERT_WEBHOOK_URL: `${receiver.url}/hooks/${HOOK_SECRET}` });
      const view = await run("copy");
      expect(receiver.requests).toBe(3);
      expect(receiver.bodies).toEqual([expect.objectContaining({ trigger: "succeeded", pipeline: "copy", runId: view.id, text: expect.stringMatching(/^DataBridge: pipeline copy succeeded/) })]);
      expect(await deliveriesOf(api, [view.id])).toEqual([expect.objectContaining({ channel: "webhook", ok: true, attempts: 3, error: null })]);
    } finally {
      await receiver.close();
    }
  });

  it("a failing alert is logged and listed, never fails the run, and shows no secret", async (ctx) => {
    if (!ready) return ctx.skip();
    const receiver = await startReceiver(() => 500);
    try {
      await open(`{ webhook: {}, email: { smtp: "smtp://alerts@127.0.0.1:${smtp.port}", from: "databridge@example.com", to: "ops@example.com" }, on: ["succeeded"] }`, {
        DATABRIDGE_ALERT_WEBHOOK_URL: `${receiver.url}/hooks/${HOOK_SECRET}`, DATABRIDGE_ALERT_SMTP_PASSWORD: `wrong-${SMTP_PASSWORD}`,
      });
      const mailsBefore = smtp.mails.length;
      const view = await run("copy");
      expect(view).toMatchObject({ status: "succeeded", rows: { read: 250 } });
      expect(receiver.requests).toBe(4);
      expect(smtp.mails.length).toBe(mailsBefore);
      const failed = await deliveriesOf(api, [view.id], "?failed=true");
      expect(failed.map((d) => [d.channel, d.ok, d.attempts]).sort()).toEqual([["email", false, 1], ["webhook", false, 4]]);
      expect(failed.find((d) => d.channel === "webhook")!.error).toBe("webhook at 127.0.0.1:" + new URL(receiver.url).port + " answered 500 Internal Server Error");
      expect(failed.find((d) => d.channel === "email")!.error).toMatch(/^SMTP server 127\.0\.0\.1:\d+: Invalid login: 535 .*\(fix: check the SMTP user and DATABRIDGE_ALERT_SMTP_PASSWORD\)$/);
      expect(logs.filter((l) => l.includes("alert for pipeline copy")).length).toBe(2);
      expect(logs.join("\n")).toMatch(/error: succeeded alert for pipeline copy \(run .*\) not delivered by webhook after 4 attempts: webhook at 127\.0\.0\.1:\d+ answered 500/);
      const everything = [logs.join("\n"), api.seen.join("\n"), JSON.stringify((await db.query("SELECT * FROM databridge_runner.alert_deliveries")).rows)].join("\n");
      expect(everything).not.toContain(SMTP_PASSWORD);
      expect(everything).not.toContain(HOOK_SECRET);
    } finally {
      await receiver.close();
    }
  });

  it("names what is missing: a webhook without its URL, an unknown trigger", async (ctx) => {
    if (!ready) return ctx.skip();
    await expect(open(`{ webhook: {} }`, { DATABRIDGE_ALERT_WEBHOOK_URL: "" })).rejects.toThrow(
      /^alerts\.webhook has no URL$/);
    const error = await open(`{ webhook: {} }`, { DATABRIDGE_ALERT_WEBHOOK_URL: "" }).catch((e) => e);
    expect(error.toLine()).toBe("alerts.webhook has no URL (fix: set DATABRIDGE_ALERT_WEBHOOK_URL (a webhook URL is a secret: keep it out of databridge.config.ts))");
    const unknown = await open(`{ webhook: {}, on: ["failed", "finished"] }`, { DATABRIDGE_ALERT_WEBHOOK_URL: "http://127.0.0.1:9/x" }).catch((e) => e);
    expect(unknown.toLine()).toBe('databridge.config.ts: alerts.on: "finished" is not something that alerts; use failed, sla_missed, succeeded_with_rejects, succeeded, cancelled, interrupted');
  });

  it("databridge run alerts as the runner does; an alert it cannot deliver is a warning, not a failure", async (ctx) => {
    if (!ready) return ctx.skip();
    const receiver = await startReceiver();
    workspace = createWorkspace({}, "databridge-alerts-cli-");
    fs.writeFileSync(workspace.configPath, `import { defineConfig } from "@databridge/core";
export default defineConfig({
  connections: { legacy: { url: ${JSON.stringify(db.url)} }, warehouse: { url: ${JSON.stringify(db.url)} } },
  alerts: { webhook: {}, on: ["succeeded", "failed"] },
});
`);
    workspace.pipeline("copy", pipelineSource({
      name: "copy", source: { connection: "legacy", table: "src", key: "id" }, target: { connection: "warehouse", table: "public.copy_target", mode: "upsert" }, columns: { id: "id", label: "label" },
    }));
    try {
      const ok = await runCli(["run", "copy"], { cwd: workspace.dir, env: { DATABRIDGE_ALERT_WEBHOOK_URL: `${receiver.url}/hooks/${HOOK_SECRET}` } });
      expect(ok.code).toBe(0);
      expect(receiver.bodies).toEqual([expect.objectContaining({ trigger: "succeeded", pipeline: "copy", status: "succeeded", dashboardUrl: null })]);

      const closed = await startReceiver(() => 404);
      await closed.close();
      const undelivered = await runCli(["run", "copy"], { cwd: workspace.dir, env: { DATABRIDGE_ALERT_WEBHOOK_URL: `${closed.url}/hooks/${HOOK_SECRET}` } });
      expect(undelivered.code).toBe(0);
      expect(undelivered.stderr).toMatch(/warning: succeeded alert not delivered by webhook after 3 attempts: webhook at 127\.0\.0\.1:\d+ could not be reached: ECONNREFUSED/);
      expect(undelivered.stdout + undelivered.stderr).not.toContain(HOOK_SECRET);

      const missing = await runCli(["run", "copy"], { cwd: workspace.dir, env: { DATABRIDGE_ALERT_WEBHOOK_URL: "" } });
      expect(missing.code).toBe(2);
      expect(missing.stderr.trim()).toBe("error: alerts.webhook has no URL (fix: set DATABRIDGE_ALERT_WEBHOOK_URL (a webhook URL is a secret: keep it out of databridge.config.ts))");
    } finally {
      await receiver.close();
    }
  });
});
