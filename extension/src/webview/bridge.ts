/// <reference lib="dom" />
/**
 * Runs inside the panel's webview after the runner's dashboard bundle (global `DataBridgeDashboard`) and
 * mounts it with a `fetch` carried over postMessage to the extension host, which adds the bearer token and
 * streams the response back (so the dashboard's live SSE streams work). The webview itself has
 * `connect-src 'none'` and never holds the token. The dashboard's route is kept in the webview state, so the
 * panel comes back where it was after being hidden, moved or reloaded.
 */
import type { HostToWebview, Route, WebviewToHost } from "../panel/bridge-protocol.js";

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): { route?: Route } | undefined;
  setState(state: { route?: Route }): void;
}
interface DashboardHandle {
  navigate(route: Route): void;
  destroy(): void;
}
interface DashboardModule {
  mount(
    element: HTMLElement,
    host: { baseUrl: string; token: string; fetch?: typeof fetch; openFile?: (file: string) => void; initialRoute?: Route; onNavigate?: (route: Route) => void },
  ): DashboardHandle;
}
declare function acquireVsCodeApi(): VsCodeApi;
declare const DataBridgeDashboard: DashboardModule | undefined;

const vscode = acquireVsCodeApi();
let nextId = 1;

interface Pending {
  resolve(response: Response): void;
  reject(error: Error): void;
  controller?: ReadableStreamDefaultController<Uint8Array>;
  settled: boolean;
}
const pending = new Map<number, Pending>();
const encoder = new TextEncoder();

/** fetch over the bridge: same signature as window.fetch; the body streams in as the host reads it. */
function bridgedFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const request = input instanceof Request ? input : undefined;
  const url = request ? request.url : String(input);
  const method = (init.method ?? request?.method ?? "GET").toUpperCase();
  const headers: Record<string, string> = {};
  new Headers(init.headers ?? request?.headers ?? {}).forEach((value, key) => {
    if (key !== "authorization") headers[key] = value;
  });
  const body = typeof init.body === "string" ? init.body : undefined;
  const id = nextId++;
  const signal = init.signal ?? request?.signal;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException("The operation was aborted.", "AbortError"));
    const entry: Pending = { resolve, reject, settled: false };
    pending.set(id, entry);
    signal?.addEventListener("abort", () => {
      if (!pending.has(id)) return;
      pending.delete(id);
      vscode.postMessage({ type: "fetch.abort", id });
      const abort = new DOMException("The operation was aborted.", "AbortError");
      if (!entry.settled) reject(abort);
      else {
        try {
          entry.controller?.error(abort);
        } catch {
          // already closed
        }
      }
    });
    vscode.postMessage({ type: "fetch", id, method, url: url.replace(/^https?:\/\/[^/]+/, ""), headers, body });
  });
}

window.addEventListener("message", (event: MessageEvent<HostToWebview>) => {
  const message = event.data;
  if (!message || typeof message !== "object") return;
  switch (message.type) {
    case "fetch.head": {
      const entry = pending.get(message.id);
      if (!entry) return;
      const nullBody = [101, 204, 205, 304].includes(message.status);
      const stream = nullBody
        ? null
        : new ReadableStream<Uint8Array>({
            start(controller) {
              entry.controller = controller;
            },
            cancel() {
              pending.delete(message.id);
              vscode.postMessage({ type: "fetch.abort", id: message.id });
            },
          });
      entry.settled = true;
      entry.resolve(new Response(stream, { status: message.status, statusText: message.statusText, headers: message.headers }));
      if (nullBody) pending.delete(message.id);
      break;
    }
    case "fetch.chunk":
      pending.get(message.id)?.controller?.enqueue(encoder.encode(message.text));
      break;
    case "fetch.end": {
      const entry = pending.get(message.id);
      pending.delete(message.id);
      try {
        entry?.controller?.close();
      } catch {
        // cancelled by the reader
      }
      break;
    }
    case "fetch.error": {
      const entry = pending.get(message.id);
      pending.delete(message.id);
      if (!entry) return;
      const error = new TypeError(message.message);
      if (!entry.settled) entry.reject(error);
      else entry.controller?.error(error);
      break;
    }
    case "navigate":
      dashboard?.navigate(message.route);
      break;
    default:
      break;
  }
});

let dashboard: DashboardHandle | undefined;
const root = document.getElementById("databridge-dashboard")!;
// Where the page was when it was hidden (webview state) wins; a fresh panel opens where the host asked.
const initialRoute = (() => {
  const saved = vscode.getState()?.route;
  if (saved) return saved;
  const fromHost = document.querySelector<HTMLMetaElement>('meta[name="databridge-route"]')?.content;
  try {
    return fromHost ? (JSON.parse(fromHost) as Route) : undefined;
  } catch {
    return undefined;
  }
})();

if (typeof DataBridgeDashboard === "undefined" || typeof DataBridgeDashboard.mount !== "function") {
  root.textContent = "The DataBridge dashboard bundle did not load (dist/dashboard/dashboard.js). Rebuild the extension.";
} else {
  dashboard = DataBridgeDashboard.mount(root, {
    // The token is the host's: requests go through the bridge, which sets Authorization itself.
    baseUrl: "",
    token: "held-by-the-extension-host",
    fetch: bridgedFetch as typeof fetch,
    openFile: (file) => vscode.postMessage({ type: "openFile", file }),
    initialRoute: initialRoute ?? { name: "runs" },
    onNavigate: (route) => {
      vscode.setState({ route });
      vscode.postMessage({ type: "route", route });
    },
  });
}
vscode.postMessage({ type: "ready" });
