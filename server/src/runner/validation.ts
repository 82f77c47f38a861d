import type { Context } from "hono";
import { z } from "zod";
import { ApiError, badRequest, describeZodError } from "./errors.js";

/** Parses and validates a JSON body; a bad one is a 400 naming the field. */
export async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header("content-type") ?? "";
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() !== "") {
    if (!/\bjson\b/i.test(type)) throw new ApiError(415, "unsupported_media_type", "body: send JSON with Content-Type: application/json");
    try {
      value = JSON.parse(text);
    } catch {
      throw badRequest("body: not valid JSON");
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(describeZodError(result.error));
  return result.data;
}

/** Validates query parameters (strings) against a schema using coercion where needed. */
export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) throw badRequest(describeZodError(result.error, "query"));
  return result.data;
}

export const pipelineName = z.string().min(1, "must not be empty").max(200);
export const pagingQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};
