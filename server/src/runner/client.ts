import { configError, type RunEvent, type RunFinishedEvent, terminalError } from "@databridge/core";
import { readRunnerFile } from "./discovery.js";
import { SseParser } from "./sse-parser.js";

/** A runner to talk to: its URL and bearer token. */
export interface RunnerTarget {
  url: string;
  token: string;
}

const normalize = (url: string) => url.replace(/\/+$/, "");

/**
 * Where `--runner [url]` points: the given URL (or, without one, the workspace's running runner
 * from `.databridge/runner.json`), with the token from `DATABRIDGE_RUNNER_TOKEN` or that file.
 */
export function resolveRunnerTarget(options: { url?: string; workspaceRoot: string; env?: NodeJS.ProcessEnv }): RunnerTarget {
  const env = options.env ?? process.env;
  const file = readRunnerFile(options.workspaceRoot);
  const url = options.url ? normalize(options.url) : file?.url ? normalize(file.url) : undefined;
  if (!url) throw configError("no runner is recorded for this workspace (.databridge/runner.json)", { fix: "start one with `databridge serve`, or pass --runner <url>" });
  try {
    new URL(url);
  } catch {
    throw configError(`--runner: ${JSON.stringify(url)} is not a URL`, { fix: "e.g. --runner http://127.0.0.1:4711" });
  }
  const token = env.DATABRIDGE_RUNNER_TOKEN?.trim() || (file?.url && normalize(file.url) === url ? file.token : undefined);
  if (!token) throw configError(`no token for the runner at ${url}`, { fix: "set DATABRIDGE_RUNNER_TOKEN, or run from the workspace whose runner it is" });
  return { url, token };
}

export class RunnerRequestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** A small client of the runner API (the CLI's `run --runner` uses it; so can scripts). */
export class RunnerClient {
  constructor(private readonly target: RunnerTarget, private readonly fetchFn: typeof fetch = (input, init) => fetch(input, init)) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchFn(`${this.target.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${this.target.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw terminalError(`cannot reach the runner at ${this.target.url}: ${(error as Error).message}`, { fix: "is `databridge serve` running?" });
    }
    const text = await response.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!response.ok) throw new RunnerRequestError(response.status, json?.error?.code ?? "http_error", json?.error?.message ?? `HTTP ${response.status}`);
    return json as T;
  }

  submit(body: { pipelines: string[]; resume?: boolean; batchSize?: number; fullRefresh?: boolean }): Promise<{ id: string; status: string }> {
    return this.request("POST", "/runs", body);
  }

  cancel(id: string): Promise<unknown> {
    return this.request("POST", `/runs/${encodeURIComponent(id)}/cancel`);
  }

  /**
   * Follows a run's events until `run.finished`, reconnecting with `Last-Event-ID` when the
   * stream drops (each event is delivered once). Resolves with the final event.
   */
  async follow(runId: string, onEvent: (event: RunEvent) => void, options: { maxReconnects?: number } = {}): Promise<RunFinishedEvent> {
    let lastId: string | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${this.target.token}`, accept: "text/event-stream" };
        if (lastId) headers["last-event-id"] = lastId;
        const response = await this.fetchFn(`${this.target.url}/api/v1/runs/${encodeURIComponent(runId)}/events`, { headers });
        if (!response.ok || !response.body) {
          const text = await response.text();
          const message = (text && JSON.parse(text)?.error?.message) || `HTTP ${response.status}`;
          throw new RunnerRequestError(response.status, "stream_failed", message);
        }
        const parser = new SseParser();
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.push(value)) {
            if (message.id) lastId = message.id;
            const event = JSON.parse(message.data) as RunEvent;
            onEvent(event);
            if (event.type === "run.finished") {
              await reader.cancel().catch(() => {});
              return event;
            }
          }
        }
      } catch (error) {
        if (error instanceof RunnerRequestError || attempt >= (options.maxReconnects ?? 5)) throw error;
      }
      if (attempt >= (options.maxReconnects ?? 5)) throw terminalError(`the runner's event stream for run ${runId} ended before the run finished`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** attempt)));
    }
  }
}

/**
 * Submits pipelines to a runner and follows the run to its end, passing each event on (the
 * CLI renders them like a local run). A cancel (Ctrl+C) cancels the run on the runner.
 */
export async function runOnRunner(options: {
  target: RunnerTarget;
  pipelines: string[];
  resume?: boolean;
  batchSize?: number;
  fullRefresh?: boolean;
  signal?: AbortSignal;
  onEvent: (event: RunEvent) => void;
}): Promise<RunFinishedEvent> {
  const client = new RunnerClient(options.target);
  let submitted: { id: string };
  try {
    submitted = await client.submit({ pipelines: options.pipelines, resume: options.resume, batchSize: options.batchSize, fullRefresh: options.fullRefresh });
  } catch (error) {
    if (error instanceof RunnerRequestError && error.status === 400) throw configError(`runner: ${error.message}`);
    if (error instanceof RunnerRequestError) throw terminalError(`runner (${error.status} ${error.code}): ${error.message}`);
    throw error;
  }
  const cancel = () => void client.cancel(submitted.id).catch(() => {});
  options.signal?.addEventListener("abort", cancel, { once: true });
  try {
    return await client.follow(submitted.id, options.onEvent);
  } finally {
    options.signal?.removeEventListener("abort", cancel);
  }
}
