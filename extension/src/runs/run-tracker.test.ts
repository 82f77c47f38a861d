import { describe, expect, it } from "vitest";
import type { RunEvent } from "@databridge/core/runner-protocol";
import { finishedMessage, progressText, RunTracker } from "./run-tracker.js";

const ts = "2026-01-01T00:00:00.000Z";
const counts = (read: number, written: number, rejected = 0) => ({ read, written, rejected });

describe("RunTracker", () => {
  it("follows a run from start to finish and reports it once", () => {
    const tracker = new RunTracker();
    const finished: string[] = [];
    tracker.onFinished((e) => finished.push(`${e.runId}:${e.status}:${e.rows.written}`));
    const events: RunEvent[] = [
      { type: "run.started", runId: "r1", pipeline: "parts,stock", ts, pipelines: ["parts", "stock"], resume: false },
      { type: "stage.started", runId: "r1", pipeline: "parts", ts, source: "legacy:PARTS", target: "warehouse:parts", mode: "upsert", estimatedRows: 1000, resumeAfter: null },
      {
        type: "batch.committed", runId: "r1", pipeline: "parts", ts, batch: 1, batchRows: counts(450, 450), rows: counts(450, 450), lastKey: [450],
        rowsPerSecond: 15_000, estimatedRows: 1000, etaMs: 65_000,
      },
    ];
    for (const e of events) tracker.apply(e);
    expect(progressText(tracker.runs)).toBe("parts 45% · 15k rows/s · ETA 1m 05s · stage 1/2");
    tracker.apply({ type: "stage.finished", runId: "r1", pipeline: "parts", ts, status: "succeeded", rows: counts(1000, 1000), durationMs: 100 });
    tracker.apply({ type: "stage.started", runId: "r1", pipeline: "stock", ts, source: "a", target: "b", mode: "append", estimatedRows: null, resumeAfter: null });
    expect(progressText(tracker.runs)).toBe("stock 0 rows · stage 2/2");
    tracker.apply({
      type: "run.finished", runId: "r1", pipeline: "parts,stock", ts, status: "succeeded", rows: counts(1500, 1500), durationMs: 2000, stages: [],
    });
    expect(tracker.runs).toEqual([]);
    expect(progressText(tracker.runs)).toBeUndefined();
    expect(finished).toEqual(["r1:succeeded:1500"]);
  });

  it("adopts a run it only sees the middle of (a stream resumed after the extension started)", () => {
    const tracker = new RunTracker();
    tracker.apply({
      type: "batch.committed", runId: "r9", pipeline: "parts", ts, batch: 7, batchRows: counts(10, 10), rows: counts(70_000, 69_990, 10), lastKey: [1],
      rowsPerSecond: 0, estimatedRows: null, etaMs: null,
    });
    expect(progressText(tracker.runs)).toBe("parts 70k rows");
  });
});

describe("finishedMessage", () => {
  it("names the pipelines, the outcome and the row counts", () => {
    expect(finishedMessage({ pipeline: "parts", status: "succeeded_with_rejects", rows: counts(1200, 1190, 10), durationMs: 75_000 })).toBe(
      "Run of parts succeeded with rejected rows: 1,190 rows written, 10 rejected in 1m 15s",
    );
    expect(finishedMessage({ pipeline: "a,b", status: "failed", rows: counts(0, 0), durationMs: 900, error: "pipeline a, table X: no such table" })).toBe(
      "Run of a, b failed: 0 rows written in 1s — pipeline a, table X: no such table",
    );
  });
});
