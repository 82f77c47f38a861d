import type { MiddlewareHandler } from "hono";
import { jsonError } from "../errors.js";

/** The Host values a runner bound to `port` on loopback answers to. */
export function loopbackHosts(port: number): string[] {
  const names = ["localhost", "127.0.0.1", "[::1]"];
  return [...names.map((n) => `${n}:${port}`), ...(port === 80 ? names : [])];
}

/**
 * Refuses requests whose Host header is not one of ours (403): a web page that re-binds its own
 * DNS name to 127.0.0.1 still sends its own name as Host, so DNS rebinding cannot reach the API.
 */
export function hostAllowlist(options: { allowedHosts: () => readonly string[] }): MiddlewareHandler {
  return async (c, next) => {
    const host = (c.req.header("host") ?? new URL(c.req.url).host).trim().toLowerCase();
    const allowed = options.allowedHosts().map((h) => h.toLowerCase());
    if (!host || !allowed.includes(host)) {
      return jsonError(c, 403, "forbidden_host", `Host "${host.slice(0, 100)}" is not allowed; use ${allowed[0] ?? "the runner's loopback address"}`);
    }
    await next();
  };
}
