import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresDatabase, requireServers } from "@databridge/test/support/servers";
import { connectionUrl, runnerConnectionBody } from "../connections/connection-spec.js";
import { RunnerApiError, RunnerClient } from "@databridge/core/runner-protocol";
import { readRunnerFile, type RunnerFile } from "@databridge/core/runner-protocol/discovery";
import { apiPathOf, type HostToWebview, routeOf } from "./bridge-protocol.js";
import { BridgeHost } from "./bridge-host.js";

describe("apiPathOf / routeOf", () => {
  it("forwards only the runner's /api/v1/ paths, never another origin or a path escaping it", () => {
    expect(apiPathOf("/api/v1/runs?limit=5")).toBe("/api/v1/runs?limit=5");
    expect(apiPathOf("/api/v1/runs/abc/events")).toBe("/api/v1/runs/abc/events");
    expect(apiPathOf("http://evil.example/api/v1/runs")).toBeUndefined();
    expect(apiPathOf("//evil.example/api/v1/runs")).toBeUndefined();
    expect(apiPathOf("/api/v1/../../etc/passwd")).toBeUndefined();
    expect(apiPathOf("/api/v1/%2e%2e/x")).toBeUndefined();
    expect(apiPathOf("/")).toBeUndefined();
  });

  it("accepts only known route shapes from the webview", () => {
    expect(routeOf({ name: "run", id: "r1" })).toEqual({ name: "run", id: "r1" });
    expect(routeOf({ name: "pipelines", extra: 1 })).toEqual({ name: "pipelines" });
    expect(routeOf({ name: "schedules" })).toEqual({ name: "schedules" });
    expect(routeOf({ name: "run" })).toBeUndefined();
    expect(routeOf("runs")).toBeUndefined();
  });
});

// The real runner (`databridge serve` from the built CLI) in a workspace with a real PostgreSQL source and target.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const ok = await requireServers("postgres");

describe.runIf(ok)("RunnerClient and BridgeHost against the real runner", () => {
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let root: string;
  let child: ChildProcess;
  let runner: RunnerFile;
  let client: RunnerClient;
  const ROWS = 1200;

  beforeAll(async () => {
    db = await createPostgresDatabase("dbx_bridge");
    await db.query("CREATE TABLE src (id int PRIMARY KEY, name text NOT NULL)");
    await db.query(`INSERT INTO src SELECT g, 'name ' || g FROM generate_series(1, ${ROWS}) g`);
    await db.query("CREATE TABLE dst (id int PRIMARY KEY, name text NOT NULL)");
    root = fs.mkdtempSync(path.join(os.tmpdir(), "dbx-bridge-"));
    fs.mkdirSync(path.join(root, "pipelines"));
    fs.writeFileSync(path.join(root, "databridge.config.ts"), `export default { connections: { db: { url: ${JSON.stringify(db.url)} } } };\n`);
    fs.writeFileSync(
      path.join(root, "pipelines", "copy.etl.ts"),
      `import { pipeline } from "@databridge/core";\nexport default pipeline({ name: "copy", source: { connection: "db", table: "src", key: "id" }, target: { connection: "db", table: "public.dst", mode: "upsert", key: ["id"] }, columns: { id: "id", name: "name" }, batchSize: 100 });\n`,
    );
    child = spawn(process.execPath, [path.join(repo, "server", "bin", "databridge.mjs"), "serve"], { cwd: root, stdio: "ignore" });
    const deadline = Date.now() + 90_000;
    for (;;) {
      const info = (() => {
        try {
          return readRunnerFile(root);
        } catch {
          return undefined;
        }
      })();
      if (info && !info.starting && info.pid === child.pid) {
        runner = info;
        break;
      }
      if (Date.now() > deadline || child.exitCode !== null) throw new Error("databridge serve did not write runner.json");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    client = new RunnerClient(() => runner);
    for (let healthy = false; !healthy; ) {
      healthy = await client.health().then(() => true, () => false);
      if (!healthy && Date.now() > deadline) throw new Error("the runner does not answer /api/v1/health");
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await db?.drop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("tests, saves, updates and discovers a connection the way the extension sends it, never echoing the password", async () => {
    const spec = { name: "reporting", type: "postgres" as const, host: "127.0.0.1", port: 5432, database: db.name, username: "postgres" };
    const password = "not-needed-with-trust-auth";
    const tested = await client.testUnsavedConnection(runnerConnectionBody(spec, password));
    expect(tested).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/PostgreSQL/) });
    const saved = await client.createConnection(runnerConnectionBody(spec, password));
    expect(saved).toMatchObject({ name: "reporting", source: "saved", hasPassword: true });
    expect(JSON.stringify(saved)).not.toContain(password);
    const { name: _name, ...patch } = runnerConnectionBody({ ...spec, database: db.name }, undefined);
    const updated = await client.updateConnection(saved.id, { ...patch, password: null });
    expect(updated.hasPassword).toBe(false);
    const { connections: list } = await client.connections();
    expect(list.map((c) => `${c.name}:${c.source}`).sort()).toEqual(["db:workspace", "reporting:saved"]);
    const catalog = await client.discover(saved.id);
    expect(catalog.tables.map((t) => t.name).sort()).toEqual(["dst", "src"]);
    expect(connectionUrl(spec, password)).toContain(password); // the URL for the language server carries it; the runner never returns it
    const missing = await client.run("no-such-run").catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(RunnerApiError);
    expect(missing).toMatchObject({ status: 404, code: "not_found" });
  });

  it("carries the dashboard's requests and its live event stream over the bridge, with the token added by the host", async () => {
    const messages: HostToWebview[] = [];
    const bridge = new BridgeHost({ endpoint: () => runner, post: (m) => messages.push(m) });
    const answers = (id: number) => messages.filter((m) => "id" in m && m.id === id);
    const bodyOf = (id: number) => answers(id).filter((m) => m.type === "fetch.chunk").map((m) => (m as { text: string }).text).join("");

    // A plain request: head, body, end.
    await bridge.handle({ type: "fetch", id: 1, method: "GET", url: "/api/v1/pipelines", headers: { accept: "application/json", authorization: "Bearer forged" } });
    expect(answers(1)[0]).toMatchObject({ type: "fetch.head", status: 200 });
    expect(answers(1).at(-1)).toEqual({ type: "fetch.end", id: 1 });
    expect(JSON.parse(bodyOf(1)).pipelines.map((p: { name: string }) => p.name)).toEqual(["copy"]);

    // Start a run through the bridge, then follow its SSE stream through the bridge to run.finished.
    await bridge.handle({ type: "fetch", id: 2, method: "POST", url: "/api/v1/runs", headers: { "content-type": "application/json" }, body: JSON.stringify({ pipelines: ["copy"] }) });
    expect(answers(2)[0]).toMatchObject({ type: "fetch.head", status: 202 });
    const runId = JSON.parse(bodyOf(2)).id as string;
    await bridge.handle({ type: "fetch", id: 3, method: "GET", url: `/api/v1/runs/${runId}/events`, headers: { accept: "text/event-stream" } });
    expect(answers(3)[0]).toMatchObject({ type: "fetch.head", status: 200, headers: { "content-type": expect.stringContaining("text/event-stream") } });
    const stream = bodyOf(3);
    expect(stream).toMatch(/event: run\.started/);
    expect(stream.match(/event: batch\.committed/g)?.length).toBe(ROWS / 100);
    expect(stream).toMatch(/event: run\.finished\ndata: \{[^\n]*"status":"succeeded"/);
    expect(answers(3).at(-1)).toEqual({ type: "fetch.end", id: 3 });
    expect((await db.query("SELECT count(*)::int AS n FROM dst")).rows[0].n).toBe(ROWS);

    // Refused without reaching the runner: other paths, other methods.
    await bridge.handle({ type: "fetch", id: 4, method: "GET", url: "http://evil.example/api/v1/runs" });
    await bridge.handle({ type: "fetch", id: 5, method: "TRACE", url: "/api/v1/runs" });
    expect(answers(4)).toEqual([{ type: "fetch.error", id: 4, message: expect.stringMatching(/only call the runner's \/api\/v1\/ API/) }]);
    expect(answers(5)).toEqual([{ type: "fetch.error", id: 5, message: "method TRACE is not allowed" }]);
  }, 60_000);

  it("aborts a live stream when the webview goes away", async () => {
    const messages: HostToWebview[] = [];
    const bridge = new BridgeHost({ endpoint: () => runner, post: (m) => messages.push(m) });
    const pending = bridge.handle({ type: "fetch", id: 9, method: "GET", url: "/api/v1/events", headers: { accept: "text/event-stream" } });
    await expect.poll(() => messages.some((m) => m.type === "fetch.head")).toBe(true);
    expect(bridge.pending).toBe(1);
    bridge.abortAll();
    await pending;
    expect(bridge.pending).toBe(0);
    expect(messages.some((m) => m.type === "fetch.error" || m.type === "fetch.end")).toBe(false);
  });
});
