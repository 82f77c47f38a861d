import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRunnerFile, runnerFilePath } from "@databridge/core/runner-protocol/discovery";
import { RunnerAlreadyRunning, startRunner, type RunningRunner } from "@databridge/server/runner";
import { SseParser, type SseMessage } from "@databridge/core/runner-protocol";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { apiClient, createWorkspace, pipelineSource, readSse, seedStateDir, sseFrame, waitForRun, type ApiClient, type RunnerWorkspace } from "./support.js";

/** A raw HTTP request (so Host and Origin are exactly what we send), body as text. */
function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk) => (text += chunk)).on("end", () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * Real HTTP against a started runner (port 0) with the default state store (embedded PGlite under
 * .databridge/state): security over a real socket, SSE reconnection with Last-Event-ID, restart.
 */
describe("runner over real HTTP (default PGlite state)", () => {
  let ready = false;
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: RunnerWorkspace;
  let runner: RunningRunner | undefined;
  let api: ApiClient;
  const logs: string[] = [];
  let runId: string;

  const start = async () => {
    runner = await startRunner({ configPath: workspace.configPath, port: 0, log: (line) => logs.push(line), env: { ...process.env, DATABRIDGE_STATE_URL: "" } });
    api = apiClient((p, init) => fetch(`${runner!.url}${p}`, init), runner.token);
    return runner;
  };

  beforeAll(async () => {
    ready = await requireServers("postgres");
    if (!ready) return;
    db = await createPostgresDatabase("dbt_runner_http");
    await db.query(`CREATE TABLE src (id int PRIMARY KEY, label text NOT NULL);
      INSERT INTO src SELECT g, 'row ' || g FROM generate_series(1, 3000) g;
      CREATE TABLE dst (id int PRIMARY KEY, label text);`);
    workspace = createWorkspace({ legacy: db.url, warehouse: db.url });
    workspace.pipeline("copy", pipelineSource({
      name: "copy", source: { connection: "legacy", table: "src", key: "id" }, target: { connection: "warehouse", table: "public.dst", mode: "upsert" },
      columns: { id: "id", label: "label" }, batchSize: 100,
    }));
    await seedStateDir(workspace.dir);
    await start();
  });

  afterAll(async () => {
    await runner?.close();
    workspace?.remove();
    await db?.drop();
  });

  it("binds loopback, writes runner.json with mode 0600, keeps its state under .databridge/state", async (ctx) => {
    if (!ready) return ctx.skip();
    expect(runner!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(runner!.server.address()).toMatchObject({ address: "127.0.0.1" });
    const file = runnerFilePath(workspace.dir);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(readRunnerFile(workspace.dir)).toEqual(expect.objectContaining({ url: runner!.url, token: runner!.token, pid: process.pid }));
    expect(fs.existsSync(path.join(workspace.dir, ".databridge", "state", "PG_VERSION"))).toBe(true);
    expect((await api.get("/health")).body.state).toEqual({ kind: "pglite", location: path.join(workspace.dir, ".databridge", "state") });
    await expect(startRunner({ configPath: workspace.configPath, port: 0 })).rejects.toBeInstanceOf(RunnerAlreadyRunning);
    const remote = await startRunner({ configPath: workspace.configPath, host: "0.0.0.0" }).catch((error) => error);
    expect(remote.toLine()).toMatch(/binding to 0\.0\.0\.0 would expose the runner beyond this machine.*--allow-remote/);
  });

  it("refuses a foreign Host (403), a missing token (401), a cross-site Origin (403), an oversized body (413) on the socket", async (ctx) => {
    if (!ready) return ctx.skip();
    const url = `${runner!.url}/api/v1/health`;
    const auth = { authorization: `Bearer ${runner!.token}` };
    expect((await rawRequest(url, { headers: auth })).status).toBe(200);
    const rebound = await rawRequest(url, { headers: { ...auth, host: "attacker.example" } });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.text)).toEqual({ error: { code: "forbidden_host", message: expect.any(String) } });
    expect((await rawRequest(url, { headers: { ...auth, host: `attacker.example:${runner!.port}` } })).status).toBe(403);
    const anonymous = await rawRequest(url, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["www-authenticate"]).toBe('Bearer realm="databridge"');
    expect((await rawRequest(`${runner!.url}/api/v1/events`, {})).status).toBe(401);
    const evil = await rawRequest(`${runner!.url}/api/v1/runs`, { method: "POST", headers: { ...auth, origin: "http://evil.example", "content-type": "application/json" }, body: '{"pipelines":["copy"]}' });
    expect(evil.status).toBe(403);
    expect((await rawRequest(url, { headers: { ...auth, "sec-fetch-site": "cross-site" } })).status).toBe(403);
    const huge = await rawRequest(`${runner!.url}/api/v1/connections`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ name: "x", url: `postgres://h/${"x".repeat(2 * 1024 * 1024)}` }) });
    expect(huge.status).toBe(413);
    expect(huge.headers.connection).toBe("close");
    expect(JSON.parse(huge.text).error.code).toBe("payload_too_large");
    for (const response of [rebound, anonymous, evil, huge]) expect(response.headers["access-control-allow-origin"]).toBeUndefined();
    // Nothing was started by the refused POST.
    expect((await api.get("/runs")).body.total).toBe(0);
  });

  it("serves the dashboard page without the token, under a strict CSP", async (ctx) => {
    if (!ready) return ctx.skip();
    const page = await rawRequest(`${runner!.url}/`, { headers: { "sec-fetch-site": "none", "sec-fetch-mode": "navigate" } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<script src="/dashboard/dashboard.js" data-databridge-autoboot></script>');
    expect(page.text).not.toContain(runner!.token);
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(runner!.dashboardUrl).toBe(`${runner!.url}/#token=${runner!.token}`);
    expect((await rawRequest(`${runner!.url}/`, { headers: { host: "evil.example" } })).status).toBe(403);
  });

  it("streams a run; a dropped stream resumes with Last-Event-ID without gaps or repeats", async (ctx) => {
    if (!ready) return ctx.skip();
    runId = (await api.post("/runs", { pipelines: ["copy"] })).body.id;
    // First connection: read until the first committed batch, then drop the socket.
    const first = await readSse(await api.raw(`/runs/${runId}/events`), (m) => m.event === "batch.committed");
    expect(first.ended).toBe(false);
    const lastSeen = first.messages.at(-1)!;
    expect(lastSeen.event).toBe("batch.committed");
    // Second connection picks up after the last id it saw.
    const second = await readSse(await api.raw(`/runs/${runId}/events`, { headers: { "last-event-id": lastSeen.id! } }), (m) => m.event === "run.finished");
    const all = [...first.messages, ...second.messages];
    expect(all.map((m) => Number(m.id))).toEqual(all.map((_, i) => i + 1));
    expect(all.filter((m) => m.event === "batch.committed")).toHaveLength(30);
    expect(all.at(-1)!.event).toBe("run.finished");
    const stored = await runner!.services.store.runEventsAfter(runId, 0);
    expect(first.text + second.text).toBe(stored.map((e) => sseFrame({ type: e.type, data: e.data, id: e.seq })).join(""));
    expect((await waitForRun(api, runId)).status).toBe("succeeded");
    expect((await db.query("SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM dst")).rows[0]).toEqual({ n: 3000, d: 3000 });
  });

  it("streams every run's events on /events, resuming from Last-Event-ID", async (ctx) => {
    if (!ready) return ctx.skip();
    const controller = new AbortController();
    const response = await api.raw("/events", { signal: controller.signal });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    const seen: SseMessage[] = [];
    const { body } = await api.post("/runs", { pipelines: ["copy"], batchSize: 1000 });
    for (let done = false; !done; ) {
      const { value } = await reader.read();
      for (const message of parser.push(value!)) {
        seen.push(message);
        done ||= message.event === "run.finished" && JSON.parse(message.data).runId === body.id;
      }
    }
    controller.abort();
    expect(seen.every((m) => JSON.parse(m.data).runId === body.id)).toBe(true);
    expect(seen.map((m) => m.event)).toEqual(["run.started", "stage.started", "batch.committed", "batch.committed", "batch.committed", "stage.finished", "run.finished"]);
    const ids = seen.map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // Replay from the middle of that stream: exactly the rest.
    const replay = await readSse(await api.raw("/events", { headers: { "last-event-id": String(ids[2]) } }), (m) => m.id === String(ids.at(-1)));
    expect(replay.messages.map((m) => Number(m.id))).toEqual(ids.slice(3));
  });

  it("keeps history across a restart; the old token stops working", async (ctx) => {
    if (!ready) return ctx.skip();
    const before = (await api.get("/runs")).body;
    const oldToken = runner!.token;
    await runner!.close();
    expect(fs.existsSync(runnerFilePath(workspace.dir))).toBe(false);
    await start();
    expect(runner!.token).not.toBe(oldToken);
    expect((await rawRequest(`${runner!.url}/api/v1/runs`, { headers: { authorization: `Bearer ${oldToken}` } })).status).toBe(401);
    const after = (await api.get("/runs")).body;
    expect(after.total).toBe(before.total);
    expect(after.runs.map((r: { id: string; status: string }) => `${r.id}:${r.status}`)).toEqual(before.runs.map((r: { id: string; status: string }) => `${r.id}:${r.status}`));
    const replay = await readSse(await api.raw(`/runs/${runId}/events`));
    expect(replay.ended).toBe(true);
    const stored = await runner!.services.store.runEventsAfter(runId, 0);
    expect(replay.text).toBe(stored.map((e) => sseFrame({ type: e.type, data: e.data, id: e.seq })).join(""));
    expect(stored.at(-1)!.type).toBe("run.finished");
  });
});
