import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { hostAllowlist, loopbackHosts } from "./host-allowlist.js";

const app = new Hono().use("*", hostAllowlist({ allowedHosts: () => loopbackHosts(4711) })).get("/x", (c) => c.text("ok"));
const get = (host: string | undefined) => app.request("http://localhost:4711/x", { headers: host === undefined ? {} : { host } });

describe("host allow-list", () => {
  it.each(["localhost:4711", "127.0.0.1:4711", "[::1]:4711", "LOCALHOST:4711"])("lets %s through", async (host) => {
    const res = await get(host);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok");
  });

  it.each(["attacker.example", "attacker.example:4711", "localhost:4712", "localhost", "127.0.0.1", "127.0.0.2:4711", "0.0.0.0:4711", ""])("refuses Host %j with 403 and the error shape", async (host) => {
    const res = await get(host);
    expect(res.status).toBe(403);
    const body = await res.json();
    expect(body).toEqual({ error: { code: "forbidden_host", message: expect.stringContaining("is not allowed") } });
  });

  it("checks the URL's host when no Host header is sent", async () => {
    expect((await app.request("http://attacker.example:4711/x")).status).toBe(403);
    expect((await app.request("http://127.0.0.1:4711/x")).status).toBe(200);
  });

  it("includes bare names only on port 80", () => {
    expect(loopbackHosts(80)).toContain("localhost");
    expect(loopbackHosts(8080)).not.toContain("localhost");
  });
});
