import { describe, expect, it } from "vitest";
import type { RunView, StageView } from "@databridge/core/runner-protocol";
import { offersRun, replayMessage, rollbackConfirmation, rollbackMessage, runContextValue, runIdFromArg } from "./run-actions.js";

const stage = (over: Partial<StageView>): StageView => ({
  pipeline: "customers", tenant: null, status: "succeeded", source: "legacy:customers", target: "warehouse:public.customers", mode: "insert", estimatedRows: null, batches: 1,
  rows: { read: 0, written: 0, rejected: 0 }, progress: null, rowsPerSecond: null, etaMs: null, resumeAfter: null, startedAt: null, finishedAt: null, durationMs: null, error: null, parity: null,
  ...over,
});
const run = (over: Partial<RunView>): RunView => ({
  id: "r1", status: "succeeded", pipelines: ["customers"], resume: false, batchSize: null, retryOf: null, trigger: "api", scheduleId: null, scheduledAt: null,
  createdAt: "2026-12-01T10:00:00Z", startedAt: null, finishedAt: null, durationMs: null, rows: { read: 0, written: 0, rejected: 0 }, rowsPerSecond: null, etaMs: null,
  error: null, lastEventId: 0, heldAtBoundary: false, stages: [], ...over,
});

describe("run actions", () => {
  it("takes the run from an id or a Runs view item, and nothing else", () => {
    expect(runIdFromArg("abc")).toBe("abc");
    expect(runIdFromArg(run({ id: "xyz" }))).toBe("xyz");
    expect(runIdFromArg({ id: "not-a-run" })).toBeUndefined();
    expect(runIdFromArg(undefined)).toBeUndefined();
  });

  it("flags each Runs view item with the actions its status allows", () => {
    expect(runContextValue(run({ status: "running" })).split(" ")).toEqual(["run", "run.active", "run.pausable"]);
    expect(runContextValue(run({ status: "paused" })).split(" ")).toEqual(["run", "run.active", "run.resumable"]);
    expect(runContextValue(run({ status: "succeeded_with_rejects", rows: { read: 10, written: 7, rejected: 3 } })).split(" ")).toEqual(["run", "run.ended", "run.rejects", "run.rollback"]);
    expect(runContextValue(run({ status: "failed", rows: { read: 0, written: 0, rejected: 0 } })).split(" ")).toEqual(["run", "run.ended", "run.retryable"]);
    expect(offersRun("verify", run({ status: "queued" }))).toBe(false);
    expect(offersRun("verify", run({ status: "failed" }))).toBe(true);
  });

  it("asks before a rollback naming the run and what it removes where", () => {
    const confirm = rollbackConfirmation(run({
      id: "2026-run-7", rows: { read: 2500, written: 2500, rejected: 0 },
      stages: [stage({ rows: { read: 2500, written: 2500, rejected: 0 } }), stage({ pipeline: "orders", target: "warehouse:public.orders", mode: "upsert", rows: { read: 0, written: 0, rejected: 0 } })],
    }));
    expect(confirm.message).toBe("Roll back run 2026-run-7 (customers, succeeded)?");
    expect(confirm.detail).toContain("This removes what the run wrote: 2,500 rows inserted into warehouse:public.customers by customers.");
    expect(confirm.detail).toContain("It cannot be undone.");
    expect(confirm.button).toBe("Roll Back");
  });

  it("reports rollback and replay in one line", () => {
    expect(rollbackMessage({ runId: "r1", deleted: 2500, restored: 0, stages: [{ pipeline: "customers", tenant: "", mode: "insert", targetTable: "public.customers", deleted: 2500, restored: 0 }] }))
      .toBe("run r1 rolled back: 2,500 rows removed (public.customers); checkpoints restored");
    expect(replayMessage({ runId: "r1", replayed: 3, loaded: 2, stillRejected: 1, results: [] })).toBe("run r1: 3 rejected rows replayed, 2 loaded, 1 still rejected");
    expect(replayMessage({ runId: "r1", replayed: 0, loaded: 0, stillRejected: 0, results: [] })).toBe("run r1 has no rejected rows to replay");
  });
});
