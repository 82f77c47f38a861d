import { Hono } from "hono";
import type { RunnerServices, SecurityOptions } from "./context.js";
import { jsonError, toErrorResponse } from "./errors.js";
import { bearerToken } from "./security/bearer-token.js";
import { limitBody } from "./security/body-limit.js";
import { hostAllowlist } from "./security/host-allowlist.js";
import { sameOrigin } from "./security/same-origin.js";
import { alertRoutes } from "./routes/alerts.js";
import { connectionRoutes } from "./routes/connections.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { healthRoutes } from "./routes/health.js";
import { pipelineRoutes } from "./routes/pipelines.js";
import { eventRoutes, runRoutes } from "./routes/runs.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { verifyRoutes } from "./routes/verify.js";

export const API_PREFIX = "/api/v1";

/**
 * The runner's HTTP app. Every request: Host allow-list (403) → same-origin check (403); API
 * requests also: bearer token (401) → body size limit (413). No CORS headers at all: browsers
 * only reach the API from the runner's own page.
 */
export function createApp(services: RunnerServices, security: SecurityOptions, options: { dashboardDir?: string } = {}): Hono {
  const app = new Hono();
  app.onError((error, c) => toErrorResponse(error, c, services.log));
  app.notFound((c) => jsonError(c, 404, "not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));

  app.use("*", async (c, next) => {
    const started = Date.now();
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("X-Frame-Options", "DENY");
    if (c.req.path.startsWith(API_PREFIX)) c.header("Cache-Control", "no-store");
    // Method, path and status only: never a query string, a header or a body.
    services.log(`${c.req.method} ${c.req.path} ${c.res.status} ${Date.now() - started}ms`);
  });
  app.use("*", hostAllowlist({ allowedHosts: security.allowedHosts }));
  app.use("*", sameOrigin({ allowedHosts: security.allowedHosts }));
  app.use(`${API_PREFIX}/*`, bearerToken({ token: security.token }));
  app.use(`${API_PREFIX}/*`, limitBody(security.maxBodyBytes));

  const api = new Hono();
  api.route("/", healthRoutes(services));
  api.route("/", connectionRoutes(services));
  api.route("/", pipelineRoutes(services));
  api.route("/", runRoutes(services));
  api.route("/", eventRoutes(services));
  api.route("/", scheduleRoutes(services));
  api.route("/", alertRoutes(services));
  api.route("/", verifyRoutes(services));
  app.route(API_PREFIX, api);
  app.route("/", dashboardRoutes(options.dashboardDir));
  return app;
}
