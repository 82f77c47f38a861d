import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** JSON that survives database values: bigints as decimal text, bytes as `\x…` hex. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
    const raw = this[key];
    if (typeof raw === "bigint") return raw.toString();
    if (raw instanceof Uint8Array) return `\\x${Buffer.from(raw).toString("hex")}`;
    return v;
  });
}

export function sendJson(c: Context, value: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(toJson(value), status, { "Content-Type": "application/json; charset=utf-8" });
}
