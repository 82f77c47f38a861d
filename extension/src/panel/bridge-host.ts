import { ALLOWED_METHODS, apiPathOf, type HostToWebview, MAX_BRIDGED_BODY, type WebviewToHost } from "./bridge-protocol.js";

export interface BridgeHostOptions {
  /** The runner's base URL and token now (they change when the runner restarts). */
  endpoint: () => { url: string; token: string } | undefined;
  post: (message: HostToWebview) => void;
  /** Opens a pipeline file named by the dashboard (relative to the workspace). */
  openFile?: (file: string) => void;
  onRoute?: (route: Extract<WebviewToHost, { type: "route" }>["route"]) => void;
}

/** Request headers the dashboard may set; everything else (Authorization above all) is the host's. */
const FORWARDED_REQUEST_HEADERS = /^(accept|content-type|last-event-id)$/i;
const FORWARDED_RESPONSE_HEADERS = /^(content-type|location|cache-control|www-authenticate)$/i;

/**
 * The extension-host half of the panel bridge: performs the dashboard's API requests against the runner with
 * the bearer token and streams each response back in chunks. Refuses anything outside `/api/v1/`.
 */
export class BridgeHost {
  private readonly inFlight = new Map<number, AbortController>();

  constructor(private readonly options: BridgeHostOptions) {}

  /** Handles one message from the webview; answers through `post`. Unknown messages are ignored. */
  async handle(message: WebviewToHost): Promise<void> {
    if (typeof message !== "object" || message === null) return;
    switch (message.type) {
      case "fetch":
        return this.fetch(message);
      case "fetch.abort":
        this.inFlight.get(message.id)?.abort();
        this.inFlight.delete(message.id);
        return;
      case "openFile":
        if (typeof message.file === "string") this.options.openFile?.(message.file);
        return;
      case "route":
        this.options.onRoute?.(message.route);
        return;
      default:
        return;
    }
  }

  /** Aborts every request in flight (the webview went away: hidden, reloaded or disposed). */
  abortAll(): void {
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
  }

  get pending(): number {
    return this.inFlight.size;
  }

  private async fetch(message: Extract<WebviewToHost, { type: "fetch" }>): Promise<void> {
    const { id } = message;
    const fail = (text: string) => this.options.post({ type: "fetch.error", id, message: text });
    const path = apiPathOf(String(message.url));
    const method = String(message.method ?? "GET").toUpperCase();
    if (!path) return fail(`the panel may only call the runner's /api/v1/ API (asked for ${String(message.url).slice(0, 100)})`);
    if (!(ALLOWED_METHODS as readonly string[]).includes(method)) return fail(`method ${method.slice(0, 10)} is not allowed`);
    if (typeof message.body === "string" && message.body.length > MAX_BRIDGED_BODY) return fail(`request body is larger than ${MAX_BRIDGED_BODY} bytes`);
    const endpoint = this.options.endpoint();
    if (!endpoint) return fail("the DataBridge runner is not running");
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(message.headers ?? {})) {
      if (FORWARDED_REQUEST_HEADERS.test(key) && typeof value === "string") headers[key.toLowerCase()] = value;
    }
    headers.authorization = `Bearer ${endpoint.token}`;
    const controller = new AbortController();
    this.inFlight.set(id, controller);
    try {
      const response = await fetch(`${endpoint.url}${path}`, {
        method,
        headers,
        body: method === "GET" || message.body === undefined ? undefined : message.body,
        signal: controller.signal,
      });
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, key) => {
        if (FORWARDED_RESPONSE_HEADERS.test(key)) responseHeaders[key] = value;
      });
      this.options.post({ type: "fetch.head", id, status: response.status, statusText: response.statusText, headers: responseHeaders });
      if (response.body) {
        const decoder = new TextDecoder();
        const reader = response.body.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const text = decoder.decode(value, { stream: true });
          if (text) this.options.post({ type: "fetch.chunk", id, text });
        }
        const rest = decoder.decode();
        if (rest) this.options.post({ type: "fetch.chunk", id, text: rest });
      }
      this.options.post({ type: "fetch.end", id });
    } catch (error) {
      if (controller.signal.aborted) return;
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      fail(`cannot reach the runner at ${endpoint.url}${cause ? ` (${cause})` : ""}: ${(error as Error).message}`);
    } finally {
      if (this.inFlight.get(id) === controller) this.inFlight.delete(id);
    }
  }
}
