import { SseParser, type SseMessage } from "./sse-parser.js";

export type EventStreamState = "connecting" | "open" | "reconnecting" | "closed";

/** Why a stream ended. */
export interface EventStreamEnd {
  /**
   * `closed`: by `close()` (or the server closed it and reconnecting is off); `completed`: `closeOn` matched;
   * `http-error`: the runner refused the request (401, 404…: retrying the same request would not help);
   * `failed`: too many connection attempts in a row failed, or the message handler threw.
   */
  reason: "closed" | "completed" | "http-error" | "failed";
  status?: number;
  code?: string;
  message?: string;
}

export interface EventStreamOptions {
  onMessage(message: SseMessage): void;
  onState?(state: EventStreamState, detail?: string): void;
  /** Resume after this event id (sent as `Last-Event-ID`). */
  lastEventId?: string;
  /** End the stream (reason `completed`) after a message this returns true for, e.g. a run's `run.finished`. */
  closeOn?(message: SseMessage): boolean;
  /** Reconnect when the connection drops (default true). */
  reconnect?: boolean;
  /** First reconnect delay (default 500 ms, or the server's `retry:`), doubled while nothing arrives, up to `maxReconnectDelayMs` (10 s). */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Give up (reason `failed`) after this many connection attempts in a row that did not open (default: never). */
  maxConsecutiveFailures?: number;
}

export interface EventStream {
  /** The id to resume after; "" before the first event. */
  readonly lastEventId: string;
  readonly state: EventStreamState;
  close(): void;
  /** Resolves (never rejects) when the stream has ended. */
  readonly done: Promise<EventStreamEnd>;
}

/** Opens one connection: `GET` the stream with `Last-Event-ID` when it is not "". Throws when the server cannot be reached. */
export type EventStreamRequest = (init: { lastEventId: string; signal: AbortSignal }) => Promise<Response>;

/** The `{ error: { code, message } }` of a runner answer, else the HTTP status and the body's first line. */
export function errorOfResponse(status: number, body: string): { code: string; message: string } {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (parsed.error && typeof parsed.error.message === "string") {
      return { code: typeof parsed.error.code === "string" ? parsed.error.code : `http_${status}`, message: parsed.error.message };
    }
  } catch {
    // not JSON: the text itself says what went wrong
  }
  const text = body.trim().split("\n")[0]?.slice(0, 200);
  return { code: `http_${status}`, message: text ? `HTTP ${status}: ${text}` : `HTTP ${status}` };
}

/** Statuses a later attempt may get past (the server is busy or restarting); any other refusal ends the stream. */
const retryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Follows a Server-Sent Events endpoint over `fetch` (the token stays in a header; no `EventSource`), reconnecting
 * with `Last-Event-ID` when the connection drops, so each event is delivered once and none is missed (the runner
 * replays everything after that id). Works in browsers and in Node 20.
 */
export function openEventStream(request: EventStreamRequest, options: EventStreamOptions): EventStream {
  const controller = new AbortController();
  let lastEventId = options.lastEventId ?? "";
  let state: EventStreamState = "connecting";
  let ended: EventStreamEnd | undefined;
  let resolveDone: (end: EventStreamEnd) => void = () => {};
  const done = new Promise<EventStreamEnd>((resolve) => (resolveDone = resolve));
  let wake: (() => void) | undefined;

  const setState = (next: EventStreamState, detail?: string) => {
    state = next;
    options.onState?.(next, detail);
  };
  const finish = (end: EventStreamEnd) => {
    if (ended) return;
    ended = end;
    controller.abort();
    wake?.();
    setState("closed", end.message);
    resolveDone(end);
  };
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const follow = async () => {
    let failures = 0;
    let quietReconnects = 0;
    let serverRetryMs: number | undefined;
    for (let attempt = 0; !ended; attempt++) {
      if (attempt > 0) {
        if (options.reconnect === false) return finish({ reason: "closed", message: "the runner closed the event stream" });
        setState("reconnecting");
        const base = serverRetryMs ?? options.reconnectDelayMs ?? 500;
        await pause(Math.min(base * 2 ** quietReconnects, Math.max(base, options.maxReconnectDelayMs ?? 10_000)));
        quietReconnects++;
        if (ended) return;
      } else {
        setState("connecting");
      }
      const failed = (message: string) => {
        failures++;
        if (options.maxConsecutiveFailures !== undefined && failures >= options.maxConsecutiveFailures) finish({ reason: "failed", message });
      };
      let response: Response;
      try {
        response = await request({ lastEventId, signal: controller.signal });
      } catch (error) {
        if (!ended) failed(error instanceof Error ? error.message : String(error));
        continue;
      }
      const contentType = response.headers.get("content-type") ?? "";
      if (!response.ok || !contentType.startsWith("text/event-stream") || !response.body) {
        const body = await response.text().catch(() => "");
        const problem = response.ok ? { code: "not_an_event_stream", message: `the runner answered with ${contentType || "no content type"}, not an event stream` } : errorOfResponse(response.status, body);
        if (!response.ok && retryableStatus(response.status)) failed(problem.message);
        else finish({ reason: "http-error", status: response.status, ...problem });
        continue;
      }
      failures = 0;
      setState("open");
      const parser = new SseParser(lastEventId);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done: drained } = await reader.read();
          if (drained) break;
          for (const message of parser.push(value)) {
            lastEventId = message.id;
            quietReconnects = 0;
            try {
              options.onMessage(message);
            } catch (error) {
              finish({ reason: "failed", message: `the event handler failed on event ${message.id || message.event}: ${error instanceof Error ? error.message : String(error)}` });
            }
            if (!ended && options.closeOn?.(message)) finish({ reason: "completed" });
            if (ended) break;
          }
          if (ended) break;
        }
      } catch {
        // The connection dropped (or close() aborted it): reconnect below unless the stream has ended.
      } finally {
        void reader.cancel().catch(() => {});
      }
      // An `id:` on a message without data still moves the resume point (once the stream has ended, messages
      // parsed after the last one delivered do not).
      if (!ended) lastEventId = parser.lastEventId;
      serverRetryMs = parser.retryMs ?? serverRetryMs;
    }
  };
  void follow();

  return {
    get lastEventId() {
      return lastEventId;
    },
    get state() {
      return state;
    },
    close: () => finish({ reason: "closed" }),
    done,
  };
}
