import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { isTerminalRunStatus, SseParser, type SseMessage } from "@databridge/core/runner-protocol";
import { type Clock, MIGRATIONS_FOLDER, openStateDatabase } from "@databridge/server/runner";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(REPO_ROOT, "server/bin/databridge.mjs");

export interface RunnerWorkspace {
  dir: string;
  configPath: string;
  /** Writes `pipelines/<name>.etl.ts`. */
  pipeline(name: string, source: string): string;
  remove(): void;
}

/** A throwaway workspace: config with the given connection URLs, pipelines written by the test. */
export function createWorkspace(connections: Record<string, string>, prefix = "databridge-runner-"): RunnerWorkspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(dir, "pipelines"));
  const configPath = path.join(dir, "databridge.config.ts");
  fs.writeFileSync(configPath, `import { defineConfig } from "@databridge/core";\nexport default defineConfig({\n  connections: ${JSON.stringify(
    Object.fromEntries(Object.entries(connections).map(([name, url]) => [name, { url }])), null, 2)},\n});\n`);
  return {
    dir,
    configPath,
    pipeline(name, source) {
      const file = path.join(dir, "pipelines", `${name}.etl.ts`);
      fs.writeFileSync(file, source);
      return file;
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** A pipeline file from a JSON-able definition. */
export function pipelineSource(definition: Record<string, unknown>): string {
  return `import { pipeline } from "@databridge/core";\nexport default pipeline(${JSON.stringify(definition, null, 2)});\n`;
}

/** Polls a condition until it yields a value (never a fixed sleep): throws naming what it waited for. */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The exact SSE frame the runner sends for a stored event. */
export const sseFrame = (event: { type: string; data: string; id: number | string }) => `event: ${event.type}\ndata: ${event.data}\nid: ${event.id}\n\n`;

/** Reads an SSE response body until `until` matches a message (or the stream ends); returns the raw text too. */
export async function readSse(response: Response, until: (message: SseMessage) => boolean = () => false, options: { timeoutMs?: number } = {}): Promise<{ text: string; messages: SseMessage[]; ended: boolean }> {
  if (!response.body) throw new Error("no body");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const messages: SseMessage[] = [];
  let text = "";
  let ended = false;
  const timer = setTimeout(() => void reader.cancel(new Error("readSse timed out")), options.timeoutMs ?? 60_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      const chunk = decoder.decode(value, { stream: true });
      text += chunk;
      const parsed = parser.push(chunk);
      messages.push(...parsed);
      if (parsed.some(until)) break;
    }
  } finally {
    clearTimeout(timer);
    if (!ended) await reader.cancel().catch(() => {});
  }
  return { text, messages, ended };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** A JSON client over any fetch (app.request for route tests, global fetch for real HTTP); records every response text. */
export function apiClient(fetchLike: (path: string, init: RequestInit) => Promise<Response>, token: string) {
  const seen: string[] = [];
  const call = async <T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> => {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers } };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    const response = await fetchLike(`/api/v1${path}`, init);
    const text = await response.text();
    seen.push(text);
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed as T, text, headers: response.headers };
  };
  return {
    seen,
    get: <T = any>(path: string, headers?: Record<string, string>) => call<T>("GET", path, undefined, headers),
    post: <T = any>(path: string, body: unknown = {}, headers?: Record<string, string>) => call<T>("POST", path, body, headers),
    patch: <T = any>(path: string, body: unknown) => call<T>("PATCH", path, body),
    delete: <T = any>(path: string) => call<T>("DELETE", path),
    /** A raw request (streams), not recorded. */
    raw: (path: string, init: RequestInit = {}) => fetchLike(`/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } }),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

export interface ServeProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `databridge serve` as a real child process in a workspace, with the default (PGlite) state store. */
export function serveProcess(cwd: string, args: string[] = []): ServeProcess {
  const child = spawn(process.execPath, [CLI, "serve", ...args], { cwd, env: { ...process.env, DATABRIDGE_STATE_URL: "", FORCE_COLOR: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits until serve printed its URLs; a serve that exits instead fails at once, with its output. */
export async function serveReady(serve: ServeProcess, timeoutMs = 90_000): Promise<void> {
  const gone = () => serve.child.exitCode !== null || serve.child.signalCode !== null;
  await waitFor(() => serve.stdout().includes("Dashboard:") || gone(), "databridge serve to print its URLs", timeoutMs);
  if (!serve.stdout().includes("Dashboard:")) {
    throw new Error(`databridge serve exited (${serve.child.exitCode ?? serve.child.signalCode}) before it was ready:\n${serve.stderr()}${serve.stdout()}`);
  }
}

export const TERMINAL = ["succeeded", "succeeded_with_rejects", "failed", "cancelled", "interrupted"];

/** Waits until a run reaches a terminal status; returns its view. */
export function waitForRun(api: ApiClient, id: string, timeoutMs = 90_000) {
  return waitFor(async () => {
    const run = await api.get(`/runs/${id}`);
    return isTerminalRunStatus(run.body?.status) ? run.body : undefined;
  }, `run ${id} to finish`, timeoutMs);
}

/**
 * Gives a workspace an empty, migrated default state store (`.databridge/state`). A new embedded
 * database costs an initdb (seconds; far more on a busy machine), so it is made once per set of
 * migrations, by the runner's own `openStateDatabase`, and copied: the suites still run on the real
 * embedded PGlite state store, just without paying for initdb each time.
 */
export async function seedStateDir(workspaceDir: string): Promise<void> {
  const hash = createHash("sha256");
  for (const file of fs.readdirSync(MIGRATIONS_FOLDER, { recursive: true }).map(String).sort()) {
    const full = path.join(MIGRATIONS_FOLDER, file);
    if (fs.statSync(full).isFile()) hash.update(file).update(fs.readFileSync(full));
  }
  hash.update(fs.readFileSync(path.join(REPO_ROOT, "server/node_modules/@electric-sql/pglite/package.json")));
  const template = path.join(os.tmpdir(), `databridge-state-template-${hash.digest("hex").slice(0, 16)}`);
  if (!fs.existsSync(path.join(template, "PG_VERSION"))) {
    const building = `${template}.${process.pid}.${randomBytes(4).toString("hex")}`;
    const state = await openStateDatabase({ workspaceRoot: workspaceDir, url: `pglite:${building}` });
    await state.close();
    try {
      fs.renameSync(building, template);
    } catch {
      fs.rmSync(building, { recursive: true, force: true }); // another suite made it first
    }
  }
  fs.cpSync(template, path.join(workspaceDir, ".databridge", "state"), { recursive: true });
}

/**
 * A clock the test moves (`set`, `advance`) for the runner's scheduler and SLA monitor: timers whose time
 * has come fire in time order, each on its own turn of the event loop, as real timers would.
 */
export class FakeClock implements Clock {
  private current: number;
  private readonly timers = new Set<{ at: number; fn: () => void }>();
  private firing?: NodeJS.Immediate;

  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  setTimer(at: Date, fn: () => void): () => void {
    const timer = { at: at.getTime(), fn };
    this.timers.add(timer);
    this.fireDue();
    return () => this.timers.delete(timer);
  }

  set(to: Date | string): void {
    this.current = new Date(to).getTime();
    this.fireDue();
  }

  advance(ms: number): void {
    this.set(new Date(this.current + ms));
  }

  /** Timers not fired yet, soonest first (what the runner waits for). */
  pending(): Date[] {
    return [...this.timers].map((t) => new Date(t.at)).sort((a, b) => a.getTime() - b.getTime());
  }

  private fireDue(): void {
    this.firing ??= setImmediate(() => {
      this.firing = undefined;
      const due = [...this.timers].filter((t) => t.at <= this.current).sort((a, b) => a.at - b.at);
      const next = due[0];
      if (!next) return;
      this.timers.delete(next);
      next.fn();
      this.fireDue();
    });
  }
}

/** A local HTTP server that records the JSON bodies POSTed to it; `respond` chooses each answer's status. */
export async function startReceiver(respond: (index: number) => number = () => 200): Promise<{ url: string; bodies: unknown[]; requests: number; close(): Promise<void> }> {
  const { createServer } = await import("node:http");
  const state = { bodies: [] as unknown[], requests: 0 };
  const server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8").on("data", (chunk: string) => (text += chunk)).on("end", () => {
      const index = state.requests++;
      const status = respond(index);
      if (status < 300) state.bodies.push(JSON.parse(text));
      res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    bodies: state.bodies,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
