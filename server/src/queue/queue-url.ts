import { configError, registerSecret } from "@databridge/core";

/** Where the queue is: what BullMQ connects with, and how it is named in messages (never with its password). */
export interface QueueConnection {
  connection: { url: string; maxRetriesPerRequest: null };
  /** `redis://host:port/db` without user or password. */
  label: string;
}

/**
 * `redis://[user:password@]host[:port][/db]` (or `rediss://`) → a BullMQ connection. The password is
 * registered as a secret first, so no error or log line can show it.
 */
export function parseQueueUrl(text: string): QueueConnection {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw configError(`--queue needs a Redis URL such as redis://127.0.0.1:6379/5 (got something that is not a URL)`, { fix: "redis://host:6379[/db]" });
  }
  if (url.password) registerSecret(decodeURIComponent(url.password));
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw configError(`--queue needs a redis:// or rediss:// URL (got ${url.protocol}//…)`, { fix: "redis://host:6379[/db]" });
  }
  const db = url.pathname.replace(/^\//, "");
  if (db && !/^\d+$/.test(db)) throw configError(`--queue: the Redis database must be a number (got /${db})`, { fix: "redis://host:6379/5" });
  const label = `${url.protocol}//${url.hostname}${url.port ? `:${url.port}` : ""}${db ? `/${db}` : ""}`;
  // Workers block on Redis for jobs: BullMQ needs commands retried for as long as the connection takes to come back.
  return { connection: { url: url.toString(), maxRetriesPerRequest: null }, label };
}
