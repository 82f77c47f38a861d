import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { jsonError } from "../errors.js";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/** Constant-time comparison: both sides hashed to equal length first, so neither length nor content leaks. */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Requires `Authorization: Bearer <token>` (401 otherwise). */
export function bearerToken(options: { token: string }): MiddlewareHandler {
  if (options.token.length < 16) throw new Error("the runner token must be at least 16 characters");
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
    if (!match || !tokensEqual(match[1], options.token)) {
      c.header("WWW-Authenticate", 'Bearer realm="databridge"');
      return jsonError(c, 401, "unauthorized", match ? "the bearer token is wrong" : "send Authorization: Bearer <token> (the token is in .databridge/runner.json)");
    }
    await next();
  };
}
