import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { bearerToken, tokensEqual } from "./bearer-token.js";

const TOKEN = "s3cr3t-token-0123456789abcdef";
const app = new Hono().use("*", bearerToken({ token: TOKEN })).get("/x", (c) => c.text("ok"));
const get = (authorization?: string) => app.request("http://localhost/x", { headers: authorization ? { authorization } : {} });

describe("bearer token", () => {
  it("accepts the right token", async () => {
    const res = await get(`Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect((await get(`bearer   ${TOKEN}`)).status).toBe(200);
  });

  it("answers 401 with WWW-Authenticate when the header is missing", async () => {
    const res = await get();
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="databridge"');
    expect(await res.json()).toEqual({ error: { code: "unauthorized", message: expect.stringContaining("Authorization: Bearer") } });
  });

  it.each([
    ["a wrong token", "Bearer wrong-token-0123456789abcdef"],
    ["a prefix of the token", `Bearer ${TOKEN.slice(0, -1)}`],
    ["the token plus a character", `Bearer ${TOKEN}x`],
    ["another scheme", `Basic ${TOKEN}`],
    ["the token without a scheme", TOKEN],
  ])("refuses %s with 401", async (_what, header) => {
    const res = await get(header);
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe("unauthorized");
  });

  it("compares in constant time over equal-length digests", () => {
    expect(tokensEqual(TOKEN, TOKEN)).toBe(true);
    expect(tokensEqual("short", TOKEN)).toBe(false);
    expect(tokensEqual("", TOKEN)).toBe(false);
  });

  it("refuses to run with a weak token", () => {
    expect(() => bearerToken({ token: "short" })).toThrow(/at least 16/);
  });
});
