import { describe, expect, it } from "vitest";
import {
  ACTIVE_RUN_STATUSES, isActiveRunStatus, isRetryableRunStatus, isRunStatus, isSuccessfulStatus, isTerminalRunStatus, RETRYABLE_RUN_STATUSES, RUN_STATUSES,
  runActions, STAGE_STATUSES, TERMINAL_RUN_STATUSES,
} from "./statuses.js";

describe("run statuses", () => {
  it("split every run status into exactly one of active and terminal", () => {
    expect([...ACTIVE_RUN_STATUSES, ...TERMINAL_RUN_STATUSES].sort()).toEqual([...RUN_STATUSES].sort());
    for (const status of RUN_STATUSES) expect(isActiveRunStatus(status), status).toBe(!isTerminalRunStatus(status));
    expect(TERMINAL_RUN_STATUSES).toContain("cancelled");
    expect(TERMINAL_RUN_STATUSES).toContain("interrupted");
  });

  it("offer retry for ended runs that did not succeed, and only the controls a status allows", () => {
    expect(RUN_STATUSES.filter(isRetryableRunStatus)).toEqual(RUN_STATUSES.filter((s) => isTerminalRunStatus(s) && !isSuccessfulStatus(s)));
    expect(RETRYABLE_RUN_STATUSES.every(isTerminalRunStatus)).toBe(true);
    expect(Object.fromEntries(RUN_STATUSES.map((s) => [s, Object.entries(runActions(s)).filter(([, ok]) => ok).map(([a]) => a).join(",")]))).toEqual({
      queued: "pause,cancel", running: "pause,cancel", paused: "resume,cancel",
      succeeded: "", succeeded_with_rejects: "", failed: "retry", cancelled: "retry", interrupted: "retry",
    });
  });

  it("recognise only known statuses", () => {
    expect(isRunStatus("succeeded_with_rejects")).toBe(true);
    expect(isRunStatus("pending")).toBe(false);
    expect(isTerminalRunStatus(undefined)).toBe(false);
    expect(isTerminalRunStatus("done")).toBe(false);
    expect(STAGE_STATUSES).toEqual(expect.arrayContaining(["pending", "skipped", "interrupted", ...TERMINAL_RUN_STATUSES.filter((s) => s !== "interrupted")]));
  });
});
