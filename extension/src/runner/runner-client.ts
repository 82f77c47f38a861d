import type { RunStatus, RowCounts } from "../../../core/src/protocol.js";
import type { Catalog } from "../../../core/src/connectors/connector.js";
import { errorMessageOf, openEventStream, type EventStream, type EventStreamOptions } from "./sse.js";

/** An HTTP error from the runner, with its `{ error: { code, message } }`. */
export class RunnerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "RunnerError";
  }
}

export interface ConnectionView {
  id: string;
  name: string;
  source: "saved" | "workspace";
  type: string;
  host: string | null;
  port: number | null;
  database: string | null;
  username: string | null;
  url: string;
  hasPassword: boolean;
  readOnly: boolean;
  overridesWorkspace?: boolean;
  lastTest: { ok: boolean; serverVersion: string | null; error: string | null; at: string } | null;
}

export interface TestResult {
  ok: boolean;
  serverVersion?: string;
  error?: string;
  durationMs?: number;
}

/** `GET /pipelines` item. `file` is relative to the workspace root. */
export interface PipelineView {
  name: string;
  description?: string | null;
  file: string;
  source: string;
  target: string;
  mode: string;
  dependsOn: string[];
  [key: string]: unknown;
}

export interface PipelineList {
  pipelines: PipelineView[];
  /** Names in dependency order. */
  order: string[];
  edges: { from: string; to: string }[];
  problems: unknown[];
}

export interface StageView {
  pipeline: string;
  tenant?: string;
  status: string;
  rowsRead?: number;
  rowsWritten?: number;
  rowsRejected?: number;
  rows?: RowCounts;
  [key: string]: unknown;
}

export interface RunView {
  id: string;
  status: RunStatus;
  pipelines: string[];
  createdAt?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  durationMs?: number | null;
  rows?: RowCounts;
  rowsRead?: number;
  rowsWritten?: number;
  rowsRejected?: number;
  error?: string | null;
  stages?: StageView[];
  [key: string]: unknown;
}

/** The list inside a runner answer, whether it is the array itself or `{ items | data | <key>: [...] }`. */
export function listOf<T>(value: unknown, key: string): T[] {
  if (Array.isArray(value)) return value as T[];
  if (typeof value === "object" && value !== null) {
    const v = value as Record<string, unknown>;
    for (const k of [key, "items", "data", "results"]) if (Array.isArray(v[k])) return v[k] as T[];
  }
  throw new Error(`unexpected runner answer: expected a list of ${key}`);
}

/** Rows written by a run, whatever shape the runner reports it in. */
export function rowsOf(run: Pick<RunView, "rows" | "rowsRead" | "rowsWritten" | "rowsRejected">): RowCounts {
  if (run.rows) return run.rows;
  return { read: run.rowsRead ?? 0, written: run.rowsWritten ?? 0, rejected: run.rowsRejected ?? 0 };
}

export const TERMINAL_STATUSES: readonly RunStatus[] = ["succeeded", "succeeded_with_rejects", "failed", "cancelled", "interrupted"];
export const isTerminal = (status: string) => (TERMINAL_STATUSES as readonly string[]).includes(status);

/**
 * The runner's HTTP API (JSON under /api/v1, `Authorization: Bearer <token>` on every call). The endpoint is
 * read on every call, so a restarted runner (new port, new token) is picked up without a new client.
 */
export class RunnerClient {
  constructor(
    private readonly endpoint: () => { url: string; token: string } | undefined,
    private readonly timeoutMs = 30_000,
  ) {}

  get baseUrl(): string | undefined {
    return this.endpoint()?.url;
  }

  async request<T>(method: string, path: string, body?: unknown, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
    const endpoint = this.endpoint();
    if (!endpoint) throw new RunnerError(0, "not_running", "the DataBridge runner is not running (see the DataBridge output)");
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    let response: Response;
    try {
      response = await fetch(`${endpoint.url}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${endpoint.token}`,
          Accept: "application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      if ((error as Error).name === "TimeoutError") throw new RunnerError(0, "timeout", `${method} ${path}: the runner did not answer within ${Math.round((options.timeoutMs ?? this.timeoutMs) / 1000)} s`);
      throw new RunnerError(0, "unreachable", `${method} ${path}: cannot reach the runner at ${endpoint.url}${cause ? ` (${cause})` : ""}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let code = `http_${response.status}`;
      try {
        const parsed = JSON.parse(text) as { error?: { code?: string } };
        if (typeof parsed.error?.code === "string") code = parsed.error.code;
      } catch {
        // not JSON
      }
      throw new RunnerError(response.status, code, errorMessageOf(text, response.status));
    }
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RunnerError(response.status, "bad_json", `${method} ${path}: the runner answered with something that is not JSON`);
    }
  }

  health(): Promise<unknown> {
    return this.request("GET", "/api/v1/health", undefined, { timeoutMs: 5_000 });
  }

  async connections(): Promise<ConnectionView[]> {
    return listOf<ConnectionView>(await this.request("GET", "/api/v1/connections"), "connections");
  }

  createConnection(body: Record<string, unknown>): Promise<ConnectionView> {
    return this.request("POST", "/api/v1/connections", body);
  }

  updateConnection(id: string, body: Record<string, unknown>): Promise<ConnectionView> {
    return this.request("PATCH", `/api/v1/connections/${encodeURIComponent(id)}`, body);
  }

  deleteConnection(id: string): Promise<void> {
    return this.request("DELETE", `/api/v1/connections/${encodeURIComponent(id)}`);
  }

  testUnsavedConnection(body: Record<string, unknown>): Promise<TestResult> {
    return this.request("POST", "/api/v1/connections/test", body, { timeoutMs: 15_000 });
  }

  testConnection(id: string): Promise<TestResult> {
    return this.request("POST", `/api/v1/connections/${encodeURIComponent(id)}/test`, {}, { timeoutMs: 15_000 });
  }

  async discover(id: string): Promise<Catalog> {
    const answer = await this.request<Catalog | { catalog: Catalog }>("POST", `/api/v1/connections/${encodeURIComponent(id)}/discover`, {}, { timeoutMs: 90_000 });
    return "catalog" in answer ? answer.catalog : answer;
  }

  async pipelines(): Promise<PipelineList> {
    const answer = await this.request<Partial<PipelineList>>("GET", "/api/v1/pipelines");
    const pipelines = listOf<PipelineView>(answer, "pipelines");
    return { pipelines, order: answer.order ?? pipelines.map((p) => p.name), edges: answer.edges ?? [], problems: answer.problems ?? [] };
  }

  plan(pipelines: string[]): Promise<unknown> {
    return this.request("POST", "/api/v1/pipelines/plan", { pipelines }, { timeoutMs: 120_000 });
  }

  preview(pipeline: string, limit = 20): Promise<unknown> {
    return this.request("GET", `/api/v1/pipelines/${encodeURIComponent(pipeline)}/preview?limit=${limit}`, undefined, { timeoutMs: 120_000 });
  }

  startRun(pipelines: string[]): Promise<{ id: string }> {
    return this.request("POST", "/api/v1/runs", { pipelines });
  }

  run(id: string): Promise<RunView> {
    return this.request("GET", `/api/v1/runs/${encodeURIComponent(id)}`);
  }

  async runs(options: { limit?: number; pipeline?: string } = {}): Promise<RunView[]> {
    const query = new URLSearchParams({ limit: String(options.limit ?? 50) });
    if (options.pipeline) query.set("pipeline", options.pipeline);
    return listOf<RunView>(await this.request("GET", `/api/v1/runs?${query}`), "runs");
  }

  cancelRun(id: string): Promise<unknown> {
    return this.request("POST", `/api/v1/runs/${encodeURIComponent(id)}/cancel`, {});
  }

  /** SSE of every run's events (`GET /api/v1/events`), resuming with Last-Event-ID. */
  events(options: Omit<EventStreamOptions, "url" | "token">): EventStream {
    const endpoint = this.endpoint();
    if (!endpoint) throw new RunnerError(0, "not_running", "the DataBridge runner is not running");
    return openEventStream({ ...options, url: `${endpoint.url}/api/v1/events`, token: () => this.endpoint()?.token });
  }

  runEvents(runId: string, options: Omit<EventStreamOptions, "url" | "token">): EventStream {
    const endpoint = this.endpoint();
    if (!endpoint) throw new RunnerError(0, "not_running", "the DataBridge runner is not running");
    return openEventStream({ ...options, url: `${endpoint.url}/api/v1/runs/${encodeURIComponent(runId)}/events`, token: () => this.endpoint()?.token });
  }
}
