import { describe, expect, it } from "vitest";
import type { EventInput } from "../runner-protocol/events.js";
import { StageProgress } from "./distributed-run.js";
import type { WorkUnit } from "./work-unit.js";

const unit = (id: string): WorkUnit => ({ runId: "r", pipeline: "orders", source: 0, tenant: "", partition: { id, column: "id" } });
const committed = (read: number): EventInput => ({
  type: "batch.committed", pipeline: "orders", batch: 1, batchRows: { read: 10, written: 10, rejected: 0 }, rows: { read, written: read, rejected: 0 },
  lastKey: [read], rowsPerSecond: 1, estimatedRows: null, etaMs: null,
});

describe("StageProgress: key ranges of one stage folded into its events", () => {
  it("one stage.started, batch.committed rows summed over the ranges, one stage.finished", () => {
    const events: EventInput[] = [];
    const units = [unit("1/2"), unit("2/2")];
    const progress = new StageProgress(units, 100, (e) => events.push(e));
    const started: EventInput = { type: "stage.started", pipeline: "orders", source: "s", target: "t", mode: "insert", estimatedRows: 50, resumeAfter: [7] };
    progress.observe(units[0], started);
    progress.observe(units[1], started);
    progress.observe(units[0], committed(10));
    progress.observe(units[1], committed(10));
    progress.observe(units[0], committed(20));
    const outcomes = progress.finish([
      { pipeline: "orders", tenant: "", partition: "1/2", status: "succeeded", rows: { read: 20, written: 20, rejected: 0 }, durationMs: 5 },
      { pipeline: "orders", tenant: "", partition: "2/2", status: "succeeded_with_rejects", rows: { read: 10, written: 9, rejected: 1 }, durationMs: 7 },
    ]);
    expect(events.map((e) => e.type)).toEqual(["stage.started", "batch.committed", "batch.committed", "batch.committed", "stage.finished"]);
    expect(events[0]).toMatchObject({ estimatedRows: 100, resumeAfter: null });
    expect(events.filter((e) => e.type === "batch.committed").map((e) => [e.batch, e.rows.read])).toEqual([[1, 10], [2, 20], [3, 30]]);
    expect(outcomes).toEqual([expect.objectContaining({ status: "succeeded_with_rejects", rows: { read: 30, written: 29, rejected: 1 }, durationMs: 7 })]);
  });

  it("a failed range fails the stage, naming the range", () => {
    const units = [unit("1/2"), unit("2/2")];
    const events: EventInput[] = [];
    const [outcome] = new StageProgress(units, null, (e) => events.push(e)).finish([
      { pipeline: "orders", tenant: "", partition: "1/2", status: "succeeded", rows: { read: 1, written: 1, rejected: 0 }, durationMs: 1 },
      { pipeline: "orders", tenant: "", partition: "2/2", status: "failed", rows: { read: 0, written: 0, rejected: 0 }, durationMs: 1, error: "pipeline orders: boom", errorKind: "terminal" },
    ]);
    expect(outcome.status).toBe("failed");
    expect(outcome.error?.toLine()).toBe("key range 2/2: pipeline orders: boom");
  });

  it("a stage that is one unit passes its events through as they are", () => {
    const units: WorkUnit[] = [{ runId: "r", pipeline: "orders", source: 0, tenant: "" }];
    const events: EventInput[] = [];
    new StageProgress(units, 5, (e) => events.push(e)).observe(units[0], committed(10));
    expect(events).toEqual([committed(10)]);
  });
});
