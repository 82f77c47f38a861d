/**
 * Messages between the panel's webview and the extension host. The webview never talks to the runner itself
 * (its CSP has `connect-src 'none'` and it never sees the token): its `fetch` and `EventSource` for `/api/v1/…`
 * are carried over postMessage, and the extension host makes the requests with the bearer token.
 */

export const API_PATH = /^\/api\/v1\//;

export type WebviewToHost =
  | { type: "ready"; route?: string }
  | { type: "fetch"; id: number; method: string; url: string; headers?: Record<string, string>; body?: string }
  | { type: "sse.open"; id: number; url: string; lastEventId?: string }
  | { type: "sse.close"; id: number }
  | { type: "route"; route: string }
  | { type: "command"; command: "openLog" | "retryRun" | "addConnection"; args?: unknown[] };

export type HostToWebview =
  | { type: "fetch.result"; id: number; status: number; statusText: string; headers: Record<string, string>; body: string }
  | { type: "fetch.error"; id: number; message: string }
  | { type: "sse.open"; id: number }
  | { type: "sse.message"; id: number; event: string; data: string; lastEventId: string }
  | { type: "sse.error"; id: number; message: string; closed: boolean }
  | { type: "navigate"; route: string }
  | { type: "runner"; state: "running" | "starting" | "stopped" | "failed"; detail?: string };

/** The path and query of a URL the webview asked for, if it is an API path the bridge may forward. */
export function apiPathOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url, "http://webview.invalid/");
  } catch {
    return undefined;
  }
  const path = parsed.pathname;
  if (!API_PATH.test(path) || path.includes("..")) return undefined;
  return `${path}${parsed.search}`;
}

export const ALLOWED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export const MAX_BRIDGED_BODY = 1024 * 1024;
