/**
 * Messages between the panel's webview and the extension host. The webview never talks to the runner itself
 * (its CSP has `connect-src 'none'`, and the runner refuses cross-origin requests anyway) and never sees the
 * token: the dashboard is mounted with a `fetch` that is carried over postMessage, and the extension host
 * makes the request with the bearer token. Responses stream back in chunks, so the dashboard's live event
 * streams (SSE read through fetch) work unchanged.
 */

/** The dashboard's route (see server/src/dashboard/views/view.ts). */
export type Route = { name: "runs" } | { name: "pipelines" } | { name: "schedules" } | { name: "connections" } | { name: "run"; id: string };

export type WebviewToHost =
  | { type: "ready" }
  | { type: "fetch"; id: number; method: string; url: string; headers?: Record<string, string>; body?: string }
  | { type: "fetch.abort"; id: number }
  | { type: "route"; route: Route }
  | { type: "openFile"; file: string };

export type HostToWebview =
  | { type: "fetch.head"; id: number; status: number; statusText: string; headers: Record<string, string> }
  | { type: "fetch.chunk"; id: number; text: string }
  | { type: "fetch.end"; id: number }
  | { type: "fetch.error"; id: number; message: string }
  | { type: "navigate"; route: Route };

export const API_PATH = /^\/api\/v1\//;
export const ALLOWED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export const MAX_BRIDGED_BODY = 1024 * 1024;

/** The path and query of a URL the webview asked for, if it is an API path the bridge may forward. */
export function apiPathOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url, "http://webview.invalid/");
  } catch {
    return undefined;
  }
  if (parsed.origin !== "http://webview.invalid") return undefined;
  const path = parsed.pathname;
  if (!API_PATH.test(path) || /(^|\/)\.\.?(\/|$)/.test(path) || path.includes("%2e") || path.includes("%2E")) return undefined;
  return `${path}${parsed.search}`;
}

/** Validates a route coming back from the webview state (it is only data, but keep it to the known shapes). */
export function routeOf(value: unknown): Route | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const r = value as { name?: unknown; id?: unknown };
  if (r.name === "runs" || r.name === "pipelines" || r.name === "schedules" || r.name === "connections") return { name: r.name };
  if (r.name === "run" && typeof r.id === "string" && r.id.length > 0 && r.id.length < 200) return { name: "run", id: r.id };
  return undefined;
}
