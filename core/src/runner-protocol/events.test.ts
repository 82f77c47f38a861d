import { describe, expect, it } from "vitest";
import { parseRunEvent } from "./events.js";

const ts = "2026-01-01T00:00:00.000Z";

describe("parseRunEvent", () => {
  it("accepts the runner's typed SSE messages and nothing else", () => {
    const event = { type: "batch.committed", runId: "r1", pipeline: "parts", ts, batch: 1 };
    expect(parseRunEvent("batch.committed", JSON.stringify(event))).toEqual(event);
    // The event name is the type when the data leaves it out.
    expect(parseRunEvent("log", JSON.stringify({ runId: "r1", pipeline: "p", ts, level: "info", message: "m" }))).toMatchObject({ type: "log", runId: "r1" });
    expect(parseRunEvent("ping", "{}")).toBeUndefined();
    expect(parseRunEvent("message", JSON.stringify(event))).toBeUndefined();
    expect(parseRunEvent("log", "not json")).toBeUndefined();
    expect(parseRunEvent("log", "null")).toBeUndefined();
    expect(parseRunEvent("log", JSON.stringify({ message: "no run id" }))).toBeUndefined();
    // A name and a type that disagree are not trusted.
    expect(parseRunEvent("run.finished", JSON.stringify(event))).toBeUndefined();
  });
});
