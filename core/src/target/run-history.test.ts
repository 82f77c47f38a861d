import { describe, it, expect } from "vitest";
import { foldRunStatus } from "./run-history.js";

describe("foldRunStatus", () => {
  it("a run is as far along as its least finished stage and as bad as its worst", () => {
    expect(foldRunStatus(["succeeded", "running"])).toBe("running");
    expect(foldRunStatus(["succeeded", "failed", "succeeded_with_rejects"])).toBe("failed");
    expect(foldRunStatus(["succeeded", "interrupted"])).toBe("interrupted");
    expect(foldRunStatus(["succeeded", "succeeded_with_rejects"])).toBe("succeeded_with_rejects");
    expect(foldRunStatus(["succeeded", "succeeded"])).toBe("succeeded");
    expect(foldRunStatus(["rolled_back", "rolled_back"])).toBe("rolled_back");
  });
});
