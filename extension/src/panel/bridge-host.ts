import { ALLOWED_METHODS, apiPathOf, type HostToWebview, MAX_BRIDGED_BODY, type WebviewToHost } from "./bridge-protocol.js";
import type { RunnerClient } from "../runner/runner-client.js";
import { openEventStream, type EventStream } from "../runner/sse.js";

export interface BridgeHostOptions {
  client: RunnerClient;
  /** The runner's base URL and token now (they change when the runner restarts). */
  endpoint: () => { url: string; token: string } | undefined;
  post: (message: HostToWebview) => void;
  log?: (line: string) => void;
}

/**
 * The extension-host half of the panel bridge: performs the webview's API requests and event streams against
 * the runner with the bearer token, and refuses anything outside `/api/v1/`.
 */
export class BridgeHost {
  private readonly streams = new Map<number, EventStream>();

  constructor(private readonly options: BridgeHostOptions) {}

  /** Handles one message from the webview; answers through `post`. Unknown messages are ignored. */
  async handle(message: WebviewToHost): Promise<void> {
    switch (message.type) {
      case "fetch":
        return this.fetch(message);
      case "sse.open":
        return this.open(message);
      case "sse.close":
        this.streams.get(message.id)?.close();
        this.streams.delete(message.id);
        return;
      default:
        return;
    }
  }

  /** Closes every stream (the webview went away: hidden, reloaded or disposed). */
  closeAll(): void {
    for (const stream of this.streams.values()) stream.close();
    this.streams.clear();
  }

  get openStreams(): number {
    return this.streams.size;
  }

  private async fetch(message: Extract<WebviewToHost, { type: "fetch" }>): Promise<void> {
    const path = apiPathOf(message.url);
    const method = String(message.method ?? "GET").toUpperCase();
    if (!path) return this.options.post({ type: "fetch.error", id: message.id, message: `the panel may only call the runner's /api/v1/ API (asked for ${String(message.url).slice(0, 100)})` });
    if (!(ALLOWED_METHODS as readonly string[]).includes(method)) return this.options.post({ type: "fetch.error", id: message.id, message: `method ${method.slice(0, 10)} is not allowed` });
    if (message.body !== undefined && message.body.length > MAX_BRIDGED_BODY) {
      return this.options.post({ type: "fetch.error", id: message.id, message: `request body is larger than ${MAX_BRIDGED_BODY} bytes` });
    }
    try {
      const response = await this.options.client.raw(method, path, message.body, message.headers ?? {});
      this.options.post({ type: "fetch.result", id: message.id, ...response });
    } catch (error) {
      this.options.post({ type: "fetch.error", id: message.id, message: (error as Error).message });
    }
  }

  private open(message: Extract<WebviewToHost, { type: "sse.open" }>): void {
    const path = apiPathOf(message.url);
    const endpoint = this.options.endpoint();
    if (!path || !endpoint) {
      this.options.post({ type: "sse.error", id: message.id, message: path ? "the runner is not running" : "only /api/v1/ event streams can be opened", closed: true });
      return;
    }
    this.streams.get(message.id)?.close();
    const runStream = /^\/api\/v1\/runs\/[^/]+\/events/.test(path);
    const stream = openEventStream({
      url: `${endpoint.url}${path}`,
      token: () => this.options.endpoint()?.token,
      lastEventId: message.lastEventId,
      onMessage: (m) => this.options.post({ type: "sse.message", id: message.id, event: m.event, data: m.data, lastEventId: m.id }),
      onState: (state, detail) => {
        if (state === "open") this.options.post({ type: "sse.open", id: message.id });
        else if (state === "reconnecting") this.options.post({ type: "sse.error", id: message.id, message: "reconnecting", closed: false });
        else if (state === "closed" && detail) this.options.post({ type: "sse.error", id: message.id, message: detail, closed: true });
      },
      // A run's stream ends with its run.finished; reconnecting after that would only replay nothing forever.
      closeOn: runStream ? (m) => m.event === "run.finished" : undefined,
    });
    this.streams.set(message.id, stream);
    void stream.done.then(() => {
      if (this.streams.get(message.id) === stream) this.streams.delete(message.id);
    });
  }
}
