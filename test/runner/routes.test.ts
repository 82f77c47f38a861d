import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRunnerServices, createApp, createRunnerServices, createSecretBox, loadSecretKey, loopbackHosts, type RunnerServices } from "@databridge/server/runner";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { openSqliteFile } from "../support/sqlite-file.js";
import { apiClient, createWorkspace, pipelineSource, readSse, sseFrame, waitFor, waitForRun, type ApiClient, type RunnerWorkspace } from "./support.js";

const PORT = 4711;
const HOST = `127.0.0.1:${PORT}`;
const TOKEN = randomBytes(24).toString("base64url");
const PASSWORD = `Pw-${randomBytes(9).toString("hex")}`;
const URL_PASSWORD = `Url-${randomBytes(9).toString("hex")}`;

/**
 * Route tests: the real app (app.request, no port) over real services — state store, engine,
 * connectors — with PostgreSQL as state database, source and target.
 */
describe("runner API routes (app.request, PostgreSQL state)", () => {
  let ready = false;
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: RunnerWorkspace;
  let services: RunnerServices;
  let api: ApiClient;
  let request: (path: string, init?: RequestInit) => Promise<Response>;
  const logs: string[] = [];

  beforeAll(async () => {
    ready = await requireServers("postgres");
    if (!ready) return;
    db = await createPostgresDatabase("dbt_runner_routes");
    await db.query(`CREATE TABLE src_items (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL);
      INSERT INTO src_items SELECT g, 'item ' || g, g % 7 FROM generate_series(1, 1000) g;
      CREATE TABLE src_notes (id int PRIMARY KEY, body text);
      INSERT INTO src_notes SELECT g, CASE WHEN g IN (17, 42, 133) THEN NULL ELSE 'note ' || g END FROM generate_series(1, 200) g;
      CREATE TABLE items (id int, name text, qty int);
      CREATE TABLE items_b (id int, name text, qty int);
      CREATE TABLE items_c (id int, name text, qty int);
      CREATE TABLE items_copy (id int, name text, qty int);
      CREATE TABLE vault_items (id int, name text);
      CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);`);
    workspace = createWorkspace({ legacy: db.url, warehouse: db.url });
    const copy = (name: string, target: string, batchSize: number, extra: Record<string, unknown> = {}) => workspace.pipeline(name, pipelineSource({
      name, source: { connection: "legacy", table: "src_items", key: "id" }, target: { connection: "warehouse", table: `public.${target}`, mode: "insert" },
      columns: { id: "id", name: "name", qty: "qty" }, batchSize, ...extra,
    }));
    copy("items", "items", 100);
    copy("items_b", "items_b", 50);
    copy("items_c", "items_c", 100);
    workspace.pipeline("items_copy", pipelineSource({
      name: "items_copy", dependsOn: ["items"], source: { connection: "warehouse", table: "public.items", key: "id" },
      target: { connection: "warehouse", table: "public.items_copy", mode: "insert" }, columns: { id: "id", name: "name", qty: "qty" },
    }));
    workspace.pipeline("notes", pipelineSource({
      name: "notes", onError: "skip", source: { connection: "legacy", table: "src_notes", key: "id" },
      target: { connection: "warehouse", table: "public.notes", mode: "insert" }, columns: { id: "id", body: "body" }, batchSize: 50,
    }));
    // Its target connection exists only as a saved connection of the runner.
    workspace.pipeline("vault_copy", pipelineSource({
      name: "vault_copy", source: { connection: "legacy", table: "src_items", key: "id" },
      target: { connection: "vault", table: "public.vault_items", mode: "insert" }, columns: { id: "id", name: "name" }, batchSize: 500,
    }));
    services = await createRunnerServices({ configPath: workspace.configPath, stateUrl: db.url, env: { ...process.env, DATABRIDGE_SECRET_KEY: "" }, maxConcurrentRuns: 1, log: (line) => logs.push(line) });
    const app = createApp(services, { token: TOKEN, allowedHosts: () => loopbackHosts(PORT), maxBodyBytes: 64 * 1024 });
    request = async (path, init = {}) => app.request(`http://${HOST}${path}`, { ...init, headers: { host: HOST, ...(init.headers as Record<string, string>) } });
    api = apiClient((path, init) => request(path, init), TOKEN);
  });

  afterAll(async () => {
    if (services) await closeRunnerServices(services, 5_000);
    workspace?.remove();
    await db?.drop();
  });

  it("guards every API call: Host 403, token 401, Origin 403, body size 413; one error shape", async (ctx) => {
    if (!ready) return ctx.skip();
    const health = (headers: Record<string, string>) => request("/api/v1/health", { headers });
    expect((await health({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const wrongHost = await health({ host: "attacker.example", authorization: `Bearer ${TOKEN}` });
    expect(wrongHost.status).toBe(403);
    expect((await wrongHost.json()).error.code).toBe("forbidden_host");
    const noToken = await health({});
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
    expect((await health({ authorization: "Bearer not-the-token" })).status).toBe(401);
    const crossOrigin = await request("/api/v1/runs", { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, origin: "http://evil.example", "content-type": "application/json" }, body: '{"pipelines":["items"]}' });
    expect(crossOrigin.status).toBe(403);
    expect((await crossOrigin.json()).error.code).toBe("cross_origin");
    const big = await api.post("/connections", { name: "big", url: `postgres://x@h/${"a".repeat(70 * 1024)}` });
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ error: { code: "payload_too_large", message: expect.stringContaining("larger than") } });
    expect((await api.get("/nothing-here")).body.error.code).toBe("not_found");
    const badJson = await api.post("/runs", "{not json");
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.message).toBe("body: not valid JSON");
    expect(wrongHost.headers.get("access-control-allow-origin")).toBeNull();
    expect(noToken.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("reports health with the state store in use", async (ctx) => {
    if (!ready) return ctx.skip();
    const { status, body } = await api.get("/health");
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, state: { kind: "postgres" }, workspace: { ok: true, root: workspace.dir }, runs: { active: 0, queued: 0 } });
  });

  it("lists pipelines with source, target, mode and dependencies; plans and previews", async (ctx) => {
    if (!ready) return ctx.skip();
    const { body, status, text } = await api.get("/pipelines");
    expect(status, text).toBe(200);
    expect(body.pipelines.map((p: { name: string }) => p.name).sort()).toEqual(["items", "items_b", "items_c", "items_copy", "notes", "vault_copy"]);
    expect(body.pipelines.find((p: { name: string }) => p.name === "items_copy")).toMatchObject({
      source: "warehouse:public.items", target: "warehouse:public.items_copy", mode: "insert", dependsOn: ["items"], file: "pipelines/items_copy.etl.ts",
    });
    expect(body.edges).toEqual([{ from: "items", to: "items_copy" }]);
    expect(body.order.indexOf("items")).toBeLessThan(body.order.indexOf("items_copy"));
    const one = await api.get("/pipelines/notes");
    expect(one.body.code).toContain('"name": "notes"');
    expect((await api.get("/pipelines/nope")).status).toBe(404);
    const plan = await api.post("/pipelines/plan", { pipelines: ["items", "items_copy"] });
    expect(plan.status, plan.text).toBe(200);
    expect(plan.body.pipelines.map((p: { pipeline: string }) => p.pipeline)).toEqual(["items", "items_copy"]);
    expect(plan.body.pipelines[0]).toMatchObject({ key: ["id"], target: "warehouse:public.items", problems: [] });
    const preview = await api.get("/pipelines/notes/preview?limit=3");
    expect(preview.body.rows).toHaveLength(3);
    expect(preview.body.rows[0]).toMatchObject({ key: [1], source: { id: 1, body: "note 1" }, target: { id: 1, body: "note 1" } });
    expect((await api.get("/pipelines/notes/preview?limit=abc")).body.error.message).toMatch(/^limit: /);
  });

  it("validates run requests, naming the bad field", async (ctx) => {
    if (!ready) return ctx.skip();
    const cases: [unknown, RegExp][] = [
      [{}, /^pipelines: /],
      [{ pipelines: [] }, /^pipelines: needs at least one/],
      [{ pipelines: ["nope"] }, /^pipelines\[0\]: no pipeline named "nope"/],
      [{ pipelines: ["items", "itmes_b"] }, /^pipelines\[1\]: no pipeline named "itmes_b".*did you mean "items_b"/],
      [{ pipelines: ["items_copy"] }, /^pipelines: pipeline items_copy depends on items, which is not in this run/],
      [{ pipelines: ["items"], batchSize: 0 }, /^batchSize: /],
      [{ pipelines: ["items"], colour: "red" }, /colour/],
    ];
    for (const [body, message] of cases) {
      const res = await api.post("/runs", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message, JSON.stringify(body)).toMatch(message);
    }
    expect((await api.get("/runs/does-not-exist")).status).toBe(404);
    expect((await api.get("/runs?status=bogus")).body.error.message).toMatch(/^status: unknown status "bogus"/);
    expect((await api.get("/runs?limit=0")).body.error.message).toMatch(/^limit: /);
  });

  let itemsRun: string;

  it("runs a pipeline: 202 with an id, SSE frames exactly as stored, Last-Event-ID replays the gap, state matches the target", async (ctx) => {
    if (!ready) return ctx.skip();
    const started = await api.post("/runs", { pipelines: ["items"] });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ id: expect.stringMatching(/^\d{8}T\d{6}-[0-9a-f]{8}$/), status: "queued" });
    expect(started.headers.get("location")).toBe(`/api/v1/runs/${started.body.id}`);
    itemsRun = started.body.id;

    const live = await readSse(await api.raw(`/runs/${itemsRun}/events`), (m) => m.event === "run.finished");
    const types = live.messages.map((m) => m.event);
    expect(types[0]).toBe("run.started");
    expect(types.at(-1)).toBe("run.finished");
    expect(types.filter((t) => t === "batch.committed")).toHaveLength(10);
    expect(live.messages.map((m) => Number(m.id))).toEqual(live.messages.map((_, i) => i + 1));
    for (const message of live.messages) {
      const event = JSON.parse(message.data);
      expect(event.type).toBe(message.event);
      expect(event.runId).toBe(itemsRun);
    }
    expect(JSON.parse(live.messages.at(-1)!.data)).toMatchObject({ status: "succeeded", rows: { read: 1000, written: 1000, rejected: 0 } });

    const stored = await services.store.runEventsAfter(itemsRun, 0);
    const expected = stored.map((e) => sseFrame({ type: e.type, data: e.data, id: e.seq })).join("");
    expect(live.text).toBe(expected);
    expect(live.text.startsWith(`event: run.started\ndata: {"type":"run.started","pipeline":"items","pipelines":["items"],"resume":false,"runId":"${itemsRun}","ts":"`)).toBe(true);

    const replay = await readSse(await api.raw(`/runs/${itemsRun}/events`, { headers: { "last-event-id": "4" } }));
    expect(replay.ended).toBe(true);
    expect(replay.text).toBe(stored.filter((e) => e.seq > 4).map((e) => sseFrame({ type: e.type, data: e.data, id: e.seq })).join(""));
    const atEnd = await readSse(await api.raw(`/runs/${itemsRun}/events`, { headers: { "last-event-id": String(stored.at(-1)!.seq) } }));
    expect(atEnd).toMatchObject({ text: "", ended: true });
    const badId = await api.raw(`/runs/${itemsRun}/events`, { headers: { "last-event-id": "x1" } });
    expect(badId.status).toBe(400);

    const run = await api.get(`/runs/${itemsRun}`);
    expect(run.body).toMatchObject({ id: itemsRun, status: "succeeded", pipelines: ["items"], rows: { read: 1000, written: 1000, rejected: 0 }, lastEventId: stored.length });
    expect(run.body.stages).toEqual([expect.objectContaining({ pipeline: "items", status: "succeeded", batches: 10, progress: 1, estimatedRows: expect.any(Number), parity: { source: 1000, target: 1000, rejected: 0, ok: true } })]);
    expect((await db.query("SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM items")).rows[0]).toEqual({ n: 1000, d: 1000 });
    const batches = await api.get(`/runs/${itemsRun}/batches`);
    expect(batches.body.batches.map((b: { batch: number }) => b.batch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(batches.body.batches.reduce((n: number, b: { rows: { written: number } }) => n + b.rows.written, 0)).toBe(1000);
  });

  it("lists rejected rows with their source data", async (ctx) => {
    if (!ready) return ctx.skip();
    const { body } = await api.post("/runs", { pipelines: ["notes"] });
    const run = await waitForRun(api, body.id);
    expect(run).toMatchObject({ status: "succeeded_with_rejects", rows: { read: 200, written: 197, rejected: 3 } });
    const rejects = await api.get(`/runs/${body.id}/rejects`);
    expect(rejects.body).toMatchObject({ total: 3, source: "ledger" });
    expect(rejects.body.rows.map((r: { key: unknown[] }) => r.key)).toEqual([[17], [42], [133]]);
    expect(rejects.body.rows[0]).toMatchObject({ pipeline: "notes", row: { id: 17, body: null }, stage: "load", column: "body", message: expect.stringContaining("null") });
    const paged = await api.get(`/runs/${body.id}/rejects?limit=1&offset=1`);
    expect(paged.body.rows.map((r: { key: unknown[] }) => r.key)).toEqual([[42]]);
    const errors = await api.get(`/runs/${body.id}/errors`);
    expect(errors.body.rejectedRows).toBe(3);
  });

  it("pauses a queued run (it holds before its first batch), resumes, cancels at a batch boundary, retries without duplicates", async (ctx) => {
    if (!ready) return ctx.skip();
    // The only slot (maxConcurrentRuns: 1) goes to `items_b`, paused as soon as it is accepted.
    const blocker = (await api.post("/runs", { pipelines: ["items_b"] })).body.id;
    expect((await api.post(`/runs/${blocker}/pause`)).status).toBe(202);
    const queued = (await api.post("/runs", { pipelines: ["items_c"] })).body.id;
    expect((await api.get(`/runs/${queued}`)).body.status).toBe("queued");
    expect((await api.post(`/runs/${queued}/pause`)).status).toBe(202);
    expect((await api.get(`/runs/${queued}`)).body.status).toBe("paused");

    await waitFor(async () => (await api.get(`/runs/${blocker}`)).body.heldAtBoundary, "the blocker to hold");
    // Paused before its engine said it started: it stays paused once it has (run.started does not overwrite it).
    expect((await api.get(`/runs/${blocker}`)).body.status).toBe("paused");
    expect((await api.post(`/runs/${blocker}/resume`)).status).toBe(202);
    expect(await waitForRun(api, blocker)).toMatchObject({ status: "succeeded", rows: { written: 1000 } });

    // Now the paused queued run starts and holds before reading anything.
    const held = await waitFor(async () => {
      const view = (await api.get(`/runs/${queued}`)).body;
      // Held at the gate; its stage.started event may still be on its way to the state store.
      return view.heldAtBoundary && view.stages[0]?.status === "running" ? view : undefined;
    }, "the queued run to start held");
    expect(held.status).toBe("paused");
    expect(held.stages[0]).toMatchObject({ pipeline: "items_c", status: "running", batches: 0, rows: { read: 0 } });
    expect((await db.query("SELECT count(*)::int AS n FROM items_c")).rows[0].n).toBe(0);

    expect((await api.post(`/runs/${queued}/cancel`)).status).toBe(202);
    const cancelled = await waitForRun(api, queued);
    // Released only to see the cancel: the one batch it read commits whole, then it stops.
    expect(cancelled).toMatchObject({ status: "cancelled", rows: { read: 100, written: 100 } });
    expect((await db.query("SELECT count(*)::int AS n FROM items_c")).rows[0].n).toBe(100);
    expect((await api.post(`/runs/${queued}/pause`)).body.error.code).toBe("not_running");

    const retry = await api.post(`/runs/${queued}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.body.retryOf).toBe(queued);
    const retried = await waitForRun(api, retry.body.id);
    expect(retried).toMatchObject({ status: "succeeded", resume: true, retryOf: queued, rows: { written: 900 } });
    expect(retried.stages[0].resumeAfter).toEqual([100]);
    expect((await db.query("SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, min(id) AS lo, max(id) AS hi FROM items_c")).rows[0]).toEqual({ n: 1000, d: 1000, lo: 1, hi: 1000 });
    expect((await api.post(`/runs/${retry.body.id}/retry`)).body.error.code).toBe("not_retryable");
  });

  let vaultId: string;

  it("manages connections; validation names the field; a saved connection serves runs", async (ctx) => {
    if (!ready) return ctx.skip();
    const invalid: [unknown, RegExp][] = [
      [{ name: "bad", type: "postgres", host: "127.0.0.1", port: "5432", database: "d" }, /^port: /],
      [{ name: "1bad", type: "postgres", host: "127.0.0.1", database: "d" }, /^name: must start with a letter/],
      [{ name: "bad", type: "db2", host: "127.0.0.1", database: "d" }, /^type: /],
      [{ name: "bad", type: "postgres", database: "d" }, /^host: is required for postgres/],
      [{ name: "bad", type: "postgres", host: "h", database: "d", passwd: "x" }, /passwd/],
      [{ name: "bad", url: "not a url" }, /^url: is not a valid URL/],
      [{ name: "bad", url: "ftp://h/x" }, /^url: unsupported scheme "ftp:"/],
    ];
    for (const [body, message] of invalid) {
      const res = await api.post("/connections", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message, JSON.stringify(body)).toMatch(message);
    }
    const created = await api.post("/connections", { name: "vault", type: "postgres", host: "127.0.0.1", port: 5432, database: db.name, username: "postgres", password: PASSWORD, description: "saved in the runner" });
    expect(created.status).toBe(201);
    vaultId = created.body.id;
    expect(created.body).toMatchObject({ name: "vault", source: "saved", type: "postgres", hasPassword: true, readOnly: false, url: `postgres://postgres@127.0.0.1:5432/${db.name}` });
    expect((await api.post("/connections", { name: "vault", type: "pglite", database: "x" })).status).toBe(409);
    const byUrl = await api.post("/connections", { name: "vault_url", url: `postgresql://postgres:${URL_PASSWORD}@127.0.0.1:5432/${db.name}` });
    expect(byUrl.body).toMatchObject({ type: "postgres", hasPassword: true, host: "127.0.0.1", port: 5432, database: db.name, username: "postgres" });

    const list = (await api.get("/connections")).body.connections;
    expect(list.map((c: { name: string; source: string }) => `${c.name}:${c.source}`)).toEqual(["legacy:workspace", "vault:saved", "vault_url:saved", "warehouse:workspace"]);
    expect((await api.get(`/connections/${vaultId}`)).body.description).toBe("saved in the runner");
    expect((await api.patch(`/connections/${vaultId}`, { description: "renamed" })).body).toMatchObject({ description: "renamed", hasPassword: true });
    expect((await api.patch(`/connections/${vaultId}`, { password: null })).body.hasPassword).toBe(false);
    expect((await api.patch(`/connections/${vaultId}`, { password: PASSWORD })).body.hasPassword).toBe(true);
    expect((await api.patch(`/connections/${vaultId}`, { port: "x" })).body.error.message).toMatch(/^port: /);

    const tested = await api.post(`/connections/${vaultId}/test`);
    expect(tested.body).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/^PostgreSQL \d+/) });
    expect((await api.get(`/connections/${vaultId}`)).body.lastTest).toMatchObject({ ok: true, serverVersion: tested.body.serverVersion });
    expect((await api.post("/connections/workspace:legacy/test")).body.ok).toBe(true);
    const unsaved = await api.post("/connections/test", { type: "postgres", host: "127.0.0.1", port: 1, database: "nowhere", username: "postgres", password: PASSWORD });
    // Refused at once, not after the 5 s deadline.
    expect(unsaved.body).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });

    const catalog = await api.post(`/connections/${vaultId}/discover`);
    expect(catalog.body.tables.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(["src_items", "vault_items"]));
    expect(catalog.body.tables.find((t: { name: string }) => t.name === "src_items").primaryKey).toEqual(["id"]);

    const run = await api.post("/runs", { pipelines: ["vault_copy"] });
    expect(await waitForRun(api, run.body.id)).toMatchObject({ status: "succeeded", rows: { written: 1000 } });
    expect((await db.query("SELECT count(*)::int AS n FROM vault_items")).rows[0].n).toBe(1000);

    expect((await api.delete(`/connections/${byUrl.body.id}`)).status).toBe(204);
    expect((await api.get(`/connections/${byUrl.body.id}`)).status).toBe(404);
    expect((await api.delete("/connections/workspace:legacy")).body.error.code).toBe("read_only");
  });

  it("times out a connection test after 5 s", async (ctx) => {
    if (!ready) return ctx.skip();
    // A server that accepts the TCP connection and never answers the PostgreSQL handshake.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const started = Date.now();
      const res = await api.post("/connections/test", { type: "postgres", host: "127.0.0.1", port: (silent.address() as net.AddressInfo).port, database: "x", username: "postgres", password: PASSWORD });
      const elapsed = Date.now() - started;
      // The deadline, not a hang: whichever 5 s timer fires first (ours or the driver's connect_timeout) says so.
      expect(res.body).toMatchObject({ ok: false, error: expect.stringMatching(/no answer within 5 s|timeout/i) });
      expect(sockets.length).toBeGreaterThan(0);
      expect(elapsed).toBeGreaterThanOrEqual(4_900);
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it("never shows the password: not in responses, not in logs, not in the state database's plaintext", async (ctx) => {
    if (!ready) return ctx.skip();
    expect(api.seen.length).toBeGreaterThan(30);
    for (const text of api.seen) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(URL_PASSWORD);
    }
    expect(logs.length).toBeGreaterThan(10);
    for (const line of logs) {
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toContain(URL_PASSWORD);
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const tables = (await client.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'databridge_runner'")).rows.map((r) => r.table_name);
      expect(tables).toEqual(expect.arrayContaining(["connections", "runs", "run_events", "run_stages", "run_batches", "schedules"]));
      for (const table of tables) {
        const dump = (await client.query(`SELECT coalesce(string_agg(row_to_json(t)::text, E'\\n'), '') AS text FROM databridge_runner."${table}" t`)).rows[0].text as string;
        expect(dump, table).not.toContain(PASSWORD);
        expect(dump, table).not.toContain(URL_PASSWORD);
      }
      const row = (await client.query("SELECT id, password_encrypted FROM databridge_runner.connections WHERE name = 'vault'")).rows[0];
      expect(row.password_encrypted).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
      // It is the password, encrypted with the workspace key (not dropped, not hashed).
      const box = createSecretBox(loadSecretKey(workspace.dir, {}).key);
      expect(box.decrypt(row.password_encrypted, `databridge:connection:${row.id}`)).toBe(PASSWORD);
    } finally {
      await client.end();
    }
  });

  it("keeps cron schedules and runs them on demand", async (ctx) => {
    if (!ready) return ctx.skip();
    expect((await api.post("/schedules", { name: "nightly", cron: "not a cron", pipelines: ["items_b"] })).body.error.message).toMatch(/^cron: /);
    expect((await api.post("/schedules", { name: "nightly", cron: "0 3 * * *", pipelines: ["nope"] })).body.error.message).toMatch(/^pipelines\[0\]: /);
    const created = await api.post("/schedules", { name: "nightly", cron: "0 3 * * *", timezone: "UTC", pipelines: ["items_b"] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "nightly", enabled: true, nextRunAt: expect.stringMatching(/T03:00:00/) });
    expect((await api.patch(`/schedules/${created.body.id}`, { enabled: false })).body).toMatchObject({ enabled: false, nextRunAt: null });
    await db.query("TRUNCATE items_b"); // loaded by an earlier test; an insert pipeline loads only into an empty table again
    const fired = await api.post(`/schedules/${created.body.id}/trigger`);
    expect(fired.status).toBe(202);
    const run = await api.get(`/runs/${fired.body.id}`);
    expect(run.body).toMatchObject({ trigger: "schedule", pipelines: ["items_b"] });
    await api.post(`/runs/${fired.body.id}/cancel`);
    expect((await waitForRun(api, fired.body.id)).status).toBe("cancelled");
    expect((await api.get("/schedules")).body.schedules[0]).toMatchObject({ lastRunId: fired.body.id });
    expect((await api.delete(`/schedules/${created.body.id}`)).status).toBe(204);
  });

  it("pages and filters the run history", async (ctx) => {
    if (!ready) return ctx.skip();
    const all = (await api.get("/runs?limit=100")).body;
    expect(all.total).toBe(all.runs.length);
    expect(all.total).toBeGreaterThanOrEqual(7);
    const created = all.runs.map((r: { createdAt: string }) => r.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    const succeeded = (await api.get("/runs?status=succeeded")).body;
    expect(succeeded.runs.length).toBeGreaterThanOrEqual(4);
    expect(succeeded.runs.every((r: { status: string }) => r.status === "succeeded")).toBe(true);
    const several = (await api.get("/runs?status=cancelled,succeeded_with_rejects")).body;
    expect(new Set(several.runs.map((r: { status: string }) => r.status))).toEqual(new Set(["cancelled", "succeeded_with_rejects"]));
    const items = (await api.get("/runs?pipeline=items")).body;
    expect(items.runs.map((r: { id: string }) => r.id)).toEqual([itemsRun]);
    const page = (await api.get("/runs?limit=2&offset=1")).body;
    expect(page.runs.map((r: { id: string }) => r.id)).toEqual(all.runs.slice(1, 3).map((r: { id: string }) => r.id));
    expect(page.total).toBe(all.total);
    expect(all.runs.find((r: { id: string }) => r.id === itemsRun)).toMatchObject({ rowsPerSecond: expect.any(Number), durationMs: expect.any(Number) });
  });

  it("GET /connectors lists every database as its connector describes itself, SQLite a source kept in a file; a SQLite file is tested where the runner may open it", async (ctx) => {
    if (!ready) return ctx.skip();
    const { connectors } = (await api.get("/connectors")).body as { connectors: { type: string; roles: string[]; storage: string; label: string; urlExample: string }[] };
    expect(connectors.map((c) => c.type)).toEqual(["postgres", "pglite", "mysql", "mssql", "oracle", "sqlite"]);
    expect(connectors.find((c) => c.type === "sqlite")).toMatchObject({ label: "SQLite (file)", roles: ["source"], storage: "file", urlExample: "sqlite:data/legacy.db", integrationTested: true });

    fs.mkdirSync(path.join(workspace.dir, "data"), { recursive: true });
    const shop = openSqliteFile(path.join(workspace.dir, "data", "shop.db"));
    shop.exec("CREATE TABLE parts (id INTEGER PRIMARY KEY, name TEXT)");
    shop.close();
    fs.writeFileSync(path.join(workspace.dir, "data", "notes.db"), "not a database at all ".repeat(50));

    expect((await api.post("/connections/test", { type: "sqlite", database: "data/shop.db" })).body).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/^SQLite 3\.\d+\.\d+$/) });
    expect((await api.post("/connections/test", { url: "sqlite:data/notes.db" })).body).toMatchObject({ ok: false, error: expect.stringMatching(/data\/notes\.db: file is not a database/) });
    // A file that is not there is never created by a test; one outside the workspace is never opened.
    const missing = await api.post("/connections/test", { type: "sqlite", database: "data/missing.db" });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toEqual({ code: "no_database", message: expect.stringMatching(/^connection unsaved: no database at .*data\/missing\.db \(fix: /) });
    expect(fs.existsSync(path.join(workspace.dir, "data", "missing.db"))).toBe(false);
    const outside = await api.post("/connections/test", { url: "sqlite:../elsewhere.db" });
    expect(outside.status).toBe(400);
    expect(outside.body.error).toMatchObject({ code: "embedded_place_refused", message: expect.stringMatching(/elsewhere\.db is outside the workspace/) });
  });

  it("on shutdown, stops in-flight runs at a batch boundary and records them interrupted (retryable)", async (ctx) => {
    if (!ready) return ctx.skip();
    // Earlier tests loaded items_b; an insert pipeline loads again only into an empty table.
    await db.query("TRUNCATE items_b");
    const id = (await api.post("/runs", { pipelines: ["items_b"] })).body.id;
    await api.post(`/runs/${id}/pause`);
    await waitFor(async () => (await api.get(`/runs/${id}`)).body.heldAtBoundary, "the run to hold");
    await services.runs.shutdown(10_000);
    const run = (await api.get(`/runs/${id}`)).body;
    expect(run).toMatchObject({ status: "interrupted", error: expect.stringMatching(/interrupted/) });
    expect(run.rows.written % 50).toBe(0);
    expect((await api.post("/runs", { pipelines: ["items"] })).body.error.code).toBe("shutting_down");
  });
});
