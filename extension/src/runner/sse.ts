import http from "node:http";
import https from "node:https";

/** One Server-Sent Events message (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export interface SseMessage {
  /** The `event:` field; "message" when absent. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last event ID in effect after this message ("" when none was ever set). */
  id: string;
}

/**
 * Incremental SSE parser: feed it decoded text in chunks of any size (frames may be split anywhere, even inside
 * a CRLF pair); it returns the complete messages. Follows the spec's rules: comments (`:`) are ignored, a field
 * without a colon has an empty value, one leading space after the colon is dropped, `id` containing NUL is
 * ignored, `retry` must be all digits, and a message with no data lines is not dispatched.
 */
export class SseParser {
  private buffer = "";
  private pendingCR = false;
  private data: string[] = [];
  private eventType = "";
  private hasData = false;
  /** The `id:` seen in the message being read; it becomes `lastEventId` only once the message is complete. */
  private idBuffer = "";
  lastEventId = "";
  /** The reconnection delay the server asked for with `retry:`, if any. */
  retryMs: number | undefined;

  constructor(lastEventId = "") {
    this.lastEventId = lastEventId;
    this.idBuffer = lastEventId;
  }

  push(chunk: string): SseMessage[] {
    const messages: SseMessage[] = [];
    let text = chunk;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (text.startsWith("\n")) text = text.slice(1);
    }
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (ch === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
      const message = this.line(line);
      if (message) messages.push(message);
    }
    this.buffer = this.buffer.slice(start);
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.eventType = value;
        break;
      case "data":
        this.data.push(value);
        this.hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) this.idBuffer = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const hasData = this.hasData;
    this.lastEventId = this.idBuffer;
    const message: SseMessage = { event: this.eventType || "message", data: this.data.join("\n"), id: this.lastEventId };
    this.data = [];
    this.hasData = false;
    this.eventType = "";
    return hasData ? message : undefined;
  }
}

export type SseState = "connecting" | "open" | "reconnecting" | "closed";

export interface EventStreamOptions {
  /** Full URL of the stream, e.g. http://127.0.0.1:4317/api/v1/runs/<id>/events. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`; read it fresh on every (re)connect. */
  token?: () => string | undefined;
  /** Resume after this event ID (sent as `Last-Event-ID`). */
  lastEventId?: string;
  onMessage(message: SseMessage): void;
  onState?(state: SseState, detail?: string): void;
  /** Reconnect after a dropped connection (default true) with this delay unless the server sent `retry:`. */
  reconnect?: boolean;
  reconnectDelayMs?: number;
  /** Give up after this many consecutive failed connects (default: never). */
  maxConsecutiveFailures?: number;
  /** Stop when a message of this event name arrives (e.g. "run.finished"): the stream is complete. */
  closeOn?: (message: SseMessage) => boolean;
}

export interface EventStream {
  readonly lastEventId: string;
  close(): void;
  /** Resolves when the stream is closed (by close(), closeOn, an HTTP error, or too many failures). */
  readonly done: Promise<{ reason: "closed" | "completed" | "http-error" | "failed"; status?: number; message?: string }>;
}

/**
 * Subscribes to an SSE endpoint over node:http(s) with the bearer token, reconnecting with `Last-Event-ID`
 * when the connection drops so no event is missed. HTTP errors (401, 404…) end the stream: they will not heal
 * by retrying with the same request.
 */
export function openEventStream(options: EventStreamOptions): EventStream {
  const parserState = { lastEventId: options.lastEventId ?? "" };
  let closed = false;
  let request: http.ClientRequest | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  let resolveDone!: (value: Awaited<EventStream["done"]>) => void;
  const done = new Promise<Awaited<EventStream["done"]>>((resolve) => (resolveDone = resolve));

  const finish = (value: Awaited<EventStream["done"]>) => {
    if (closed) return;
    closed = true;
    if (timer) clearTimeout(timer);
    request?.destroy();
    options.onState?.("closed", value.message);
    resolveDone(value);
  };

  const connect = () => {
    if (closed) return;
    options.onState?.(failures === 0 && !parserState.lastEventId ? "connecting" : "reconnecting");
    const url = new URL(options.url);
    const headers: Record<string, string> = { Accept: "text/event-stream", "Cache-Control": "no-cache" };
    const token = options.token?.();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (parserState.lastEventId) headers["Last-Event-ID"] = parserState.lastEventId;
    const parser = new SseParser(parserState.lastEventId);
    const transport = url.protocol === "https:" ? https : http;
    const req = transport.request(url, { method: "GET", headers });
    request = req;
    req.on("response", (res) => {
      if (res.statusCode !== 200 || !String(res.headers["content-type"] ?? "").startsWith("text/event-stream")) {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk.slice(0, 2000)));
        res.on("end", () => finish({ reason: "http-error", status: res.statusCode, message: errorMessageOf(body, res.statusCode) }));
        res.on("error", () => finish({ reason: "http-error", status: res.statusCode }));
        return;
      }
      failures = 0;
      options.onState?.("open");
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        for (const message of parser.push(chunk)) {
          parserState.lastEventId = message.id;
          if (closed) return;
          options.onMessage(message);
          if (options.closeOn?.(message)) {
            finish({ reason: "completed" });
            return;
          }
        }
      });
      const dropped = () => {
        if (closed || request !== req) return;
        parserState.lastEventId = parser.lastEventId || parserState.lastEventId;
        schedule(parser.retryMs);
      };
      res.on("end", dropped);
      res.on("close", dropped);
      res.on("error", dropped);
    });
    req.on("error", (error) => {
      if (closed || request !== req) return;
      failures++;
      if (options.maxConsecutiveFailures !== undefined && failures >= options.maxConsecutiveFailures) {
        finish({ reason: "failed", message: error.message });
        return;
      }
      schedule();
    });
    req.end();
  };

  const schedule = (retryMs?: number) => {
    request = undefined;
    if (closed) return;
    if (options.reconnect === false) {
      finish({ reason: "closed", message: "connection closed by the server" });
      return;
    }
    options.onState?.("reconnecting");
    timer = setTimeout(connect, retryMs ?? options.reconnectDelayMs ?? 1000);
  };

  connect();
  return {
    get lastEventId() {
      return parserState.lastEventId;
    },
    close: () => finish({ reason: "closed" }),
    done,
  };
}

/** The `{ "error": { "message" } }` of a runner error body, else the status. */
export function errorMessageOf(body: string, status: number | undefined): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; code?: unknown } | string; message?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
    if (parsed.error && typeof parsed.error.message === "string") return parsed.error.message;
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON
  }
  const text = body.trim().split("\n")[0]?.slice(0, 200);
  return text ? `HTTP ${status}: ${text}` : `HTTP ${status}`;
}
