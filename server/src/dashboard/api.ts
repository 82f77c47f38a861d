import { SseParser, type SseMessage } from "../runner/sse-parser.js";

/**
 * What the page hosting the dashboard provides. In a browser tab (served by the runner) it is the
 * runner's own origin and the token from the link; in the VS Code panel the extension passes a
 * `fetch` that forwards requests over postMessage. The bundle assumes nothing else about its host.
 */
export interface DashboardHost {
  /** The runner's base URL, e.g. `http://127.0.0.1:4711`; `""` means the page's own origin. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`, never in a URL. */
  token: string;
  /** The fetch to use (default: the page's). It must stream response bodies for live events. */
  fetch?: typeof fetch;
  /** Opens a pipeline file (the VS Code host opens the editor); hidden when absent. */
  openFile?: (file: string) => void;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export class Api {
  private readonly fetchFn: typeof fetch;

  constructor(private readonly host: DashboardHost) {
    this.fetchFn = host.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  get openFile() {
    return this.host.openFile;
  }

  private url(path: string): string {
    return `${this.host.baseUrl.replace(/\/$/, "")}/api/v1${path}`;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.host.token}`, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await this.fetchFn(this.url(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!response.ok) throw new ApiError(response.status, json?.error?.code ?? "http_error", json?.error?.message ?? `HTTP ${response.status}`);
    return json as T;
  }

  get<T>(path: string) {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body: unknown = {}) {
    return this.request<T>("POST", path, body);
  }

  /**
   * Follows an SSE endpoint with fetch (so the token goes in a header), reconnecting with
   * `Last-Event-ID` after a drop until `stop` says the stream is complete or `close()` is called.
   */
  stream(path: string, onMessage: (message: SseMessage) => void, options: { stop?: (message: SseMessage) => boolean; onState?: (state: "live" | "reconnecting" | "ended") => void } = {}): { close(): void } {
    const controller = new AbortController();
    let lastEventId: string | undefined;
    let delay = 500;
    const loop = async () => {
      while (!controller.signal.aborted) {
        let done = false;
        try {
          const headers: Record<string, string> = { authorization: `Bearer ${this.host.token}`, accept: "text/event-stream" };
          if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
          const response = await this.fetchFn(this.url(path), { headers, signal: controller.signal });
          if (!response.ok || !response.body) throw new ApiError(response.status, "stream_failed", `HTTP ${response.status}`);
          options.onState?.("live");
          delay = 500;
          const parser = new SseParser();
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done: finished } = await reader.read();
            if (finished) break;
            for (const message of parser.push(value)) {
              if (message.id !== undefined) lastEventId = message.id;
              onMessage(message);
              if (options.stop?.(message)) done = true;
            }
          }
        } catch (error) {
          if (controller.signal.aborted) return;
          if (error instanceof ApiError && (error.status === 401 || error.status === 403 || error.status === 404)) {
            options.onState?.("ended");
            return;
          }
        }
        if (done) {
          options.onState?.("ended");
          return;
        }
        if (controller.signal.aborted) return;
        options.onState?.("reconnecting");
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 10_000);
      }
    };
    void loop();
    return { close: () => controller.abort() };
  }
}
