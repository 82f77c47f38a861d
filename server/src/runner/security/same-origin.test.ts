import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { loopbackHosts } from "./host-allowlist.js";
import { sameOrigin } from "./same-origin.js";

const app = new Hono().use("*", sameOrigin({ allowedHosts: () => loopbackHosts(4711) })).get("/", (c) => c.text("page")).all("/api/x", (c) => c.text("ok"));
const call = (headers: Record<string, string>, path = "/api/x", method = "POST") => app.request(`http://127.0.0.1:4711${path}`, { method, headers });

describe("same-origin check", () => {
  it("lets non-browser clients (no Origin, no Sec-Fetch-Site) through", async () => {
    expect((await call({})).status).toBe(200);
  });

  it.each(["http://127.0.0.1:4711", "http://localhost:4711", "http://[::1]:4711"])("accepts the runner's own origin %s", async (origin) => {
    expect((await call({ origin, "sec-fetch-site": "same-origin" })).status).toBe(200);
  });

  it.each(["http://evil.example", "http://127.0.0.1:3000", "https://127.0.0.1:4711", "null", "http://localhost:4711.evil.example"])("refuses Origin %s with 403", async (origin) => {
    const res = await call({ origin });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: "cross_origin", message: expect.stringContaining(origin) } });
  });

  it.each(["cross-site", "same-site"])("refuses Sec-Fetch-Site: %s with 403 even without Origin", async (site) => {
    const res = await call({ "sec-fetch-site": site }, "/api/x", "GET");
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe("cross_site");
  });

  it("allows a top-level navigation to the dashboard page, but nothing else cross-site", async () => {
    expect((await call({ "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" }, "/", "GET")).status).toBe(200);
    expect((await call({ "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" }, "/api/x", "GET")).status).toBe(403);
    expect((await call({ "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors" }, "/", "GET")).status).toBe(403);
  });
});
