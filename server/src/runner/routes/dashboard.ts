import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { jsonError } from "../errors.js";

/** server/dist/dashboard: where `build:dashboard` writes the bundle (from src/ or dist/ alike). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL("../../../dist/dashboard", import.meta.url));

const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join("; ");

/**
 * The dashboard page. The token never travels in a URL the server sees: the link `serve` prints
 * carries it in the fragment (`/#token=…`), which browsers do not send; the page moves it to
 * sessionStorage, removes it from the address bar and sends it as `Authorization: Bearer` only.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>DataBridge runner</title>
<link rel="stylesheet" href="/dashboard/dashboard.css">
</head>
<body>
<div id="databridge-dashboard"></div>
<script src="/dashboard/dashboard.js" data-databridge-autoboot></script>
</body>
</html>
`;

const ASSETS: Record<string, string> = { "dashboard.js": "text/javascript; charset=utf-8", "dashboard.css": "text/css; charset=utf-8" };

export function dashboardRoutes(dashboardDir = DEFAULT_DASHBOARD_DIR): Hono {
  return new Hono()
    .get("/", (c) => {
      c.header("Content-Security-Policy", CSP);
      c.header("Cache-Control", "no-store");
      return c.html(DASHBOARD_HTML);
    })
    .get("/favicon.ico", (c) => c.body(null, 204))
    .get("/dashboard/:file", (c) => {
      const file = c.req.param("file");
      const type = ASSETS[file];
      if (!type) return jsonError(c, 404, "not_found", `no dashboard asset ${file}`);
      const full = path.join(dashboardDir, file);
      if (!fs.existsSync(full)) return jsonError(c, 503, "dashboard_not_built", "the dashboard bundle is missing; run `pnpm build` (it runs build:dashboard)");
      c.header("Cache-Control", "no-cache");
      return c.body(fs.readFileSync(full), 200, { "Content-Type": type });
    });
}
