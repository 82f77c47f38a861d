import type {
  BatchList, Catalog, ConnectionInput, ConnectionList, ConnectorList, ConnectionPatch, ConnectionTestResult, ConnectionView, HealthView, PipelineDetail,
  PipelineList, PlanReport, PreviewResult, RejectsPage, ReplayAnswer, RollbackAnswer, RunControlAnswer, RunCreated, RunErrors, RunList, RunListQuery,
  RunView, ScheduleInput, ScheduleList, SchedulePatch, ScheduleTickList, ScheduleTriggered, ScheduleView, StartRunRequest, AlertDeliveryList,
  VerifyAnswer, VerifyRequest,
} from "./api.js";
import { parseRunEvent, type RunEvent, type RunFinishedEvent } from "./events.js";
import { errorOfResponse, openEventStream, type EventStream, type EventStreamOptions } from "./event-stream.js";

/** Where a runner answers: its base URL (e.g. `http://127.0.0.1:4711`; `""` = the page's own origin) and bearer token. */
export interface RunnerEndpoint {
  url: string;
  token: string;
}

/**
 * Every failed call to the runner: `status` is the HTTP status (0 when there was no answer), `code` the API's
 * stable error code (`not_found`, `invalid_request`, …, or `unreachable`, `timeout`, `not_running`,
 * `bad_response` when the failure is on the way), `message` one line naming what failed.
 */
export class RunnerApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RunnerApiError";
  }
}

export interface RunnerClientOptions {
  /** The fetch to use (default: the global one). The dashboard in VS Code passes one that forwards over postMessage. */
  fetch?: typeof fetch;
  /** Deadline of a call without its own (default 30 s); streams have none. */
  timeoutMs?: number;
}

export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

type StreamOptions = Omit<EventStreamOptions, "closeOn"> & { closeOn?: EventStreamOptions["closeOn"] };

const trimUrl = (url: string) => url.trim().replace(/\/+$/, "");
const id = (value: string) => encodeURIComponent(value);
const shown = (endpoint: RunnerEndpoint) => trimUrl(endpoint.url) || "this page's origin";
/** A fetch that got no answer, with the reason underneath when there is one (Node's fetch says "fetch failed", its cause ECONNREFUSED). */
function unreachable(where: string, error: unknown): RunnerApiError {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const reason = typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new RunnerApiError(0, "unreachable", `cannot reach the runner at ${where}: ${reason ? `${message} (${reason})` : message}`, { cause: error });
}

/**
 * The one client of the runner API (`/api/v1`, `Authorization: Bearer <token>` on every call), used by the CLI's
 * `run --runner`, the dashboard and the VS Code extension. The endpoint may be a function: it is read on every
 * call, so a restarted runner (new port, new token) is picked up without a new client.
 *
 * @example
 * const client = new RunnerClient({ url: "http://127.0.0.1:4711", token });
 * const { id } = await client.startRun({ pipelines: ["customers"] });
 * const finished = await client.followRun(id, (event) => render(event));
 */
export class RunnerClient {
  private readonly endpointOf: () => RunnerEndpoint | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(endpoint: RunnerEndpoint | (() => RunnerEndpoint | undefined), options: RunnerClientOptions = {}) {
    this.endpointOf = typeof endpoint === "function" ? endpoint : () => endpoint;
    // Called through a wrapper: a browser's fetch throws "Illegal invocation" when called as a method of another object.
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  get endpoint(): RunnerEndpoint | undefined {
    return this.endpointOf();
  }

  private requireEndpoint(): RunnerEndpoint {
    const endpoint = this.endpointOf();
    if (!endpoint) throw new RunnerApiError(0, "not_running", "the DataBridge runner is not running (start it with `databridge serve`)");
    return endpoint;
  }

  /** Any API call: `path` is below `/api/v1` (e.g. `/runs`). Resolves with the parsed JSON (undefined for an empty answer). */
  async request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const { response, text, where } = await this.send(method, path, body, options, "application/json");
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new RunnerApiError(response.status, "bad_response", `the runner at ${where} answered with something that is not JSON`, { cause: error });
    }
  }

  /** A call answered with text (an HTML report): the body as it came. */
  async requestText(method: string, path: string, options: RequestOptions = {}): Promise<string> {
    return (await this.send(method, path, undefined, options, "text/html, text/plain")).text;
  }

  /** One call: the answer's text once its status is OK; every failure as a RunnerApiError. */
  private async send(method: string, path: string, body: unknown, options: RequestOptions, accept: string): Promise<{ response: Response; text: string; where: string }> {
    const endpoint = this.requireEndpoint();
    const where = `${shown(endpoint)} (${method} /api/v1${path})`;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    // A controller and a timer rather than AbortSignal.timeout/any, which older browsers lack.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const abort = () => controller.abort();
    options.signal?.addEventListener("abort", abort, { once: true });
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(`${trimUrl(endpoint.url)}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${endpoint.token}`,
          accept,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
      text = await response.text();
    } catch (error) {
      if (timedOut) throw new RunnerApiError(0, "timeout", `the runner at ${where} did not answer within ${Math.round(timeoutMs / 1000)} s`, { cause: error });
      if (options.signal?.aborted) throw new RunnerApiError(0, "aborted", `${where}: cancelled`, { cause: error });
      throw unreachable(where, error);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", abort);
    }
    if (!response.ok) {
      const { code, message } = errorOfResponse(response.status, text);
      throw new RunnerApiError(response.status, code, message);
    }
    return { response, text, where };
  }

  health(options?: RequestOptions): Promise<HealthView> {
    return this.request("GET", "/health", undefined, { timeoutMs: 5_000, ...options });
  }

  // Pipelines

  pipelines(): Promise<PipelineList> {
    return this.request("GET", "/pipelines");
  }

  pipeline(name: string): Promise<PipelineDetail> {
    return this.request("GET", `/pipelines/${id(name)}`);
  }

  /** Resolves pipelines (default: all) against the live schemas. */
  plan(pipelines?: string[]): Promise<PlanReport> {
    return this.request("POST", "/pipelines/plan", pipelines ? { pipelines } : {}, { timeoutMs: 120_000 });
  }

  preview(name: string, limit = 10): Promise<PreviewResult> {
    return this.request("GET", `/pipelines/${id(name)}/preview?limit=${limit}`, undefined, { timeoutMs: 120_000 });
  }

  // Runs

  startRun(body: StartRunRequest): Promise<RunCreated> {
    return this.request("POST", "/runs", body);
  }

  runs(query: RunListQuery = {}): Promise<RunList> {
    const params = new URLSearchParams();
    if (query.status?.length) params.set("status", query.status.join(","));
    if (query.pipeline) params.set("pipeline", query.pipeline);
    if (query.limit !== undefined) params.set("limit", String(query.limit));
    if (query.offset !== undefined) params.set("offset", String(query.offset));
    const search = params.toString();
    return this.request("GET", `/runs${search ? `?${search}` : ""}`);
  }

  run(runId: string): Promise<RunView> {
    return this.request("GET", `/runs/${id(runId)}`);
  }

  batches(runId: string, query: { pipeline?: string; limit?: number } = {}): Promise<BatchList> {
    const params = new URLSearchParams();
    if (query.pipeline) params.set("pipeline", query.pipeline);
    if (query.limit !== undefined) params.set("limit", String(query.limit));
    const search = params.toString();
    return this.request("GET", `/runs/${id(runId)}/batches${search ? `?${search}` : ""}`);
  }

  runErrors(runId: string): Promise<RunErrors> {
    return this.request("GET", `/runs/${id(runId)}/errors`);
  }

  rejects(runId: string, query: { pipeline?: string; limit?: number; offset?: number } = {}): Promise<RejectsPage> {
    const params = new URLSearchParams();
    if (query.pipeline) params.set("pipeline", query.pipeline);
    if (query.limit !== undefined) params.set("limit", String(query.limit));
    if (query.offset !== undefined) params.set("offset", String(query.offset));
    const search = params.toString();
    return this.request("GET", `/runs/${id(runId)}/rejects${search ? `?${search}` : ""}`);
  }

  /** Holds the run at its next batch boundary (a queued run starts held). */
  pauseRun(runId: string): Promise<RunControlAnswer> {
    return this.request("POST", `/runs/${id(runId)}/pause`, {});
  }

  resumeRun(runId: string): Promise<RunControlAnswer> {
    return this.request("POST", `/runs/${id(runId)}/resume`, {});
  }

  /** Stops the run after the batch in flight (nothing half-written); a queued run never starts. */
  cancelRun(runId: string): Promise<RunControlAnswer> {
    return this.request("POST", `/runs/${id(runId)}/cancel`, {});
  }

  /** A new run of a failed, interrupted or cancelled run's pipelines, continuing from their checkpoints. */
  retryRun(runId: string): Promise<RunCreated> {
    return this.request("POST", `/runs/${id(runId)}/retry`, {});
  }

  /**
   * Re-processes the run's rejected rows with the pipelines as they are now (as `databridge replay`): rows that
   * load leave the dead-letter table, rows that still fail keep their entry with the new reason.
   */
  replayRejects(runId: string): Promise<ReplayAnswer> {
    return this.request("POST", `/runs/${id(runId)}/replay`, {}, { timeoutMs: 300_000 });
  }

  /** Removes what the run wrote and puts each pipeline's checkpoint back where the run found it (as `databridge rollback`). */
  rollbackRun(runId: string): Promise<RollbackAnswer> {
    return this.request("POST", `/runs/${id(runId)}/rollback`, {}, { timeoutMs: 300_000 });
  }

  // Verify

  /** Reconciles source and target (as `databridge verify`): counts, keyed row hashes, orphans; writes the reports. */
  verify(body: VerifyRequest = {}): Promise<VerifyAnswer> {
    return this.request("POST", "/verify", body, { timeoutMs: 600_000 });
  }

  /** The HTML report of a `verify` (its `id`). */
  verifyReportHtml(reportId: string): Promise<string> {
    return this.requestText("GET", `/verify/${id(reportId)}/report.html`);
  }

  // Connections

  /** The databases the runner can connect to, as their connectors describe themselves (forms are built from these). */
  connectors(): Promise<ConnectorList> {
    return this.request("GET", "/connectors");
  }

  connections(): Promise<ConnectionList> {
    return this.request("GET", "/connections");
  }

  connection(connectionId: string): Promise<ConnectionView> {
    return this.request("GET", `/connections/${id(connectionId)}`);
  }

  createConnection(body: ConnectionInput): Promise<ConnectionView> {
    return this.request("POST", "/connections", body);
  }

  updateConnection(connectionId: string, patch: ConnectionPatch): Promise<ConnectionView> {
    return this.request("PATCH", `/connections/${id(connectionId)}`, patch);
  }

  deleteConnection(connectionId: string): Promise<void> {
    return this.request("DELETE", `/connections/${id(connectionId)}`);
  }

  /** Tests a connection before it is saved (`name` may be left out). */
  testUnsavedConnection(body: ConnectionInput | Omit<Extract<ConnectionInput, { url: string }>, "name">): Promise<ConnectionTestResult> {
    return this.request("POST", "/connections/test", body, { timeoutMs: 15_000 });
  }

  /** Tests a connection; with `changes`, as they would make it (a saved connection's edit, tested before it is saved). */
  testConnection(connectionId: string, changes: ConnectionPatch = {}): Promise<ConnectionTestResult> {
    return this.request("POST", `/connections/${id(connectionId)}/test`, changes, { timeoutMs: 15_000 });
  }

  /** The connection's catalog: tables, columns, keys. */
  discover(connectionId: string): Promise<Catalog> {
    return this.request("POST", `/connections/${id(connectionId)}/discover`, {}, { timeoutMs: 90_000 });
  }

  // Schedules

  schedules(): Promise<ScheduleList> {
    return this.request("GET", "/schedules");
  }

  schedule(scheduleId: string): Promise<ScheduleView> {
    return this.request("GET", `/schedules/${id(scheduleId)}`);
  }

  createSchedule(body: ScheduleInput): Promise<ScheduleView> {
    return this.request("POST", "/schedules", body);
  }

  updateSchedule(scheduleId: string, patch: SchedulePatch): Promise<ScheduleView> {
    return this.request("PATCH", `/schedules/${id(scheduleId)}`, patch);
  }

  deleteSchedule(scheduleId: string): Promise<void> {
    return this.request("DELETE", `/schedules/${id(scheduleId)}`);
  }

  triggerSchedule(scheduleId: string): Promise<ScheduleTriggered> {
    return this.request("POST", `/schedules/${id(scheduleId)}/trigger`, {});
  }

  /** What became of a schedule's recent ticks (started, skipped, retried), newest first. */
  scheduleTicks(scheduleId: string, query: { limit?: number } = {}): Promise<ScheduleTickList> {
    return this.request("GET", `/schedules/${id(scheduleId)}/ticks${queryString({ limit: query.limit })}`);
  }

  // Alerts

  /** Recent alert deliveries, newest first (`failed: true`: only those that could not be delivered). */
  alerts(query: { failed?: boolean; limit?: number } = {}): Promise<AlertDeliveryList> {
    return this.request("GET", `/alerts${queryString({ failed: query.failed ? "true" : undefined, limit: query.limit })}`);
  }

  // Events (Server-Sent Events)

  /** Every run's events from now on (or after `lastEventId`, a global event id). */
  events(options: StreamOptions): EventStream {
    return openEventStream(this.streamRequest("/events"), options);
  }

  /** One run's events from its first (or after `lastEventId`, its event sequence number); completes after `run.finished`. */
  runEvents(runId: string, options: StreamOptions): EventStream {
    return openEventStream(this.streamRequest(`/runs/${id(runId)}/events`), { closeOn: (message) => message.event === "run.finished", ...options });
  }

  /**
   * Follows a run to its end, passing each event on once (a dropped stream resumes with `Last-Event-ID`).
   * Resolves with `run.finished`; rejects with a RunnerApiError when the runner refuses the stream or cannot be
   * reached `maxConsecutiveFailures` times in a row (default 5). An abort signal stops following (not the run).
   */
  followRun(runId: string, onEvent: (event: RunEvent) => void, options: { signal?: AbortSignal; maxConsecutiveFailures?: number; reconnectDelayMs?: number } = {}): Promise<RunFinishedEvent> {
    let finished: RunFinishedEvent | undefined;
    const stream = this.runEvents(runId, {
      maxConsecutiveFailures: options.maxConsecutiveFailures ?? 5,
      reconnectDelayMs: options.reconnectDelayMs,
      onMessage: (message) => {
        const event = parseRunEvent(message.event, message.data);
        if (!event) return;
        if (event.type === "run.finished") finished = event;
        onEvent(event);
      },
    });
    const stop = () => stream.close();
    options.signal?.addEventListener("abort", stop, { once: true });
    return stream.done.then((end) => {
      options.signal?.removeEventListener("abort", stop);
      if (finished) return finished;
      if (end.reason === "closed") throw new RunnerApiError(0, "aborted", `stopped following run ${runId}`);
      throw new RunnerApiError(end.status ?? 0, end.code ?? "stream_failed", `the event stream of run ${runId} ended before the run finished: ${end.message ?? end.reason}`);
    });
  }

  private streamRequest(path: string) {
    return ({ lastEventId, signal }: { lastEventId: string; signal: AbortSignal }): Promise<Response> => {
      const endpoint = this.requireEndpoint();
      const headers: Record<string, string> = { authorization: `Bearer ${endpoint.token}`, accept: "text/event-stream" };
      if (lastEventId) headers["last-event-id"] = lastEventId;
      return this.fetchFn(`${trimUrl(endpoint.url)}/api/v1${path}`, { headers, signal }).catch((error: unknown) => {
        throw unreachable(`${shown(endpoint)} (GET /api/v1${path})`, error);
      });
    };
  }
}

/** `?a=1&b=2` of the parameters that are set, or "". */
function queryString(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}
