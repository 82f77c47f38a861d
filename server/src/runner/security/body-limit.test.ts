import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { limitBody } from "./body-limit.js";

const app = new Hono().use("*", limitBody(1024)).post("/x", async (c) => c.text(`got ${(await c.req.text()).length}`));

describe("body limit", () => {
  it("accepts a body up to the limit", async () => {
    const res = await app.request("http://localhost/x", { method: "POST", body: "a".repeat(1024) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("got 1024");
  });

  it("answers 413 with the error shape for a declared oversized body", async () => {
    const res = await app.request("http://localhost/x", { method: "POST", body: "a".repeat(1025), headers: { "content-length": "1025" } });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { code: "payload_too_large", message: "request body is larger than 1024 bytes" } });
    expect(res.headers.get("connection")).toBe("close");
  });

  it("answers 413 for a streamed body without Content-Length", async () => {
    const chunks = [new Uint8Array(600), new Uint8Array(600)];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const res = await app.request("http://localhost/x", { method: "POST", body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
  });
});
