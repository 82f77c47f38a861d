import { describe, expect, it } from "vitest";
import { formatErrorLine, redactSecrets } from "@databridge/core";
import { parseQueueUrl } from "./queue-url.js";

describe("--queue URL", () => {
  it("names the queue without user or password, and registers the password as a secret", () => {
    const queue = parseQueueUrl("redis://worker:s3cr%40t-pw@redis.internal:6380/5");
    expect(queue.label).toBe("redis://redis.internal:6380/5");
    expect(queue.connection).toEqual({ url: "redis://worker:s3cr%40t-pw@redis.internal:6380/5", maxRetriesPerRequest: null });
    expect(redactSecrets("connect failed: s3cr@t-pw")).not.toContain("s3cr@t-pw");
    expect(formatErrorLine("auth s3cr@t-pw refused", {})).not.toContain("s3cr@t-pw");
  });

  it("refuses what is not a Redis URL with the form to use", () => {
    expect(() => parseQueueUrl("127.0.0.1:6379")).toThrow(/redis:\/\/ or rediss:\/\/ URL|not a URL/);
    expect(() => parseQueueUrl("postgres://h/db")).toThrow(/needs a redis:\/\/ or rediss:\/\/ URL \(got postgres:\/\/…\)/);
    expect(() => parseQueueUrl("redis://h:6379/five")).toThrow(/database must be a number/);
  });
});
