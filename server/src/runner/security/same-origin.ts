import type { MiddlewareHandler } from "hono";
import { jsonError } from "../errors.js";

/**
 * Refuses cross-site requests (403): an `Origin` other than the runner's own, or a browser's
 * `Sec-Fetch-Site` other than `same-origin`/`none`. Non-browser clients send neither and pass.
 * A top-level navigation to the dashboard page itself is allowed (it carries no data and no token).
 */
export function sameOrigin(options: { allowedHosts: () => readonly string[] }): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header("origin");
    const site = c.req.header("sec-fetch-site")?.toLowerCase();
    const navigation = c.req.method === "GET" && new URL(c.req.url).pathname === "/" && c.req.header("sec-fetch-mode") === "navigate";
    if (!navigation) {
      if (origin !== undefined) {
        const allowed = options.allowedHosts().map((h) => `http://${h.toLowerCase()}`);
        if (!allowed.includes(origin.trim().toLowerCase())) return jsonError(c, 403, "cross_origin", `requests from origin ${origin.slice(0, 100)} are not allowed`);
      }
      if (site !== undefined && site !== "same-origin" && site !== "none") {
        return jsonError(c, 403, "cross_site", `cross-site requests are not allowed (Sec-Fetch-Site: ${site.slice(0, 40)})`);
      }
    }
    await next();
  };
}
