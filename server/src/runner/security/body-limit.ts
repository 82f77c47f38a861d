import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { jsonError } from "../errors.js";

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Request bodies larger than `maxBytes` get 413 and a closed connection (declared or streamed; hono's bodyLimit counts either). */
export function limitBody(maxBytes = DEFAULT_MAX_BODY_BYTES): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      // The rest of the body is not read: the connection cannot be reused.
      c.header("Connection", "close");
      return jsonError(c, 413, "payload_too_large", `request body is larger than ${maxBytes} bytes`);
    },
  });
}
