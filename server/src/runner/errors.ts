import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { isDataBridgeError, messageOf } from "@databridge/core";
import type { ErrorBody } from "@databridge/core/runner-protocol";


/** An error with its HTTP status and stable code (Hono's HTTPException, so middleware can throw it too). */
export class ApiError extends HTTPException {
  constructor(status: ContentfulStatusCode, readonly code: string, message: string) {
    super(status, { message });
  }
}

export const badRequest = (message: string, code = "invalid_request") => new ApiError(400, code, message);
export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);
export const conflict = (message: string, code = "conflict") => new ApiError(409, code, message);

/** The one line naming the bad field of a failed schema check, e.g. `port: expected a number (got "abc")`. */
export function describeZodError(error: z.ZodError, where = "body"): string {
  const issue = error.issues[0];
  const field = issue.path.length ? issue.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".").replace(/\.\[/g, "[") : where;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? "s" : ""})` : "";
  return `${field}: ${issue.message}${more}`;
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

export const jsonError = (c: Context, status: ContentfulStatusCode, code: string, message: string) => c.json(errorBody(code, message), status);

/** The app's single `onError`: maps every thrown value to the error shape, never leaking a secret or a stack. */
export function toErrorResponse(error: unknown, c: Context, log: (line: string) => void): Response {
  if (error instanceof ApiError) return jsonError(c, error.status as ContentfulStatusCode, error.code, error.message);
  if (error instanceof z.ZodError) return jsonError(c, 400, "invalid_request", describeZodError(error));
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const code = status === 413 ? "payload_too_large" : status === 401 ? "unauthorized" : status === 403 ? "forbidden" : status === 400 ? "invalid_request" : "http_error";
    const message = status === 413 ? "request body is too large" : error.message || `HTTP ${status}`;
    return jsonError(c, status, code, message);
  }
  if (isDataBridgeError(error) && error.kind === "config") return jsonError(c, 400, "config_error", error.toLine());
  if (isDataBridgeError(error)) return jsonError(c, 502, `${error.kind}_error`, error.toLine());
  log(`error: ${c.req.method} ${new URL(c.req.url).pathname}: ${messageOf(error)}`);
  return jsonError(c, 500, "internal_error", messageOf(error));
}
