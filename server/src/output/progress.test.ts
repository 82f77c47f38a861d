import { describe, it, expect } from "vitest";
import { Writable } from "node:stream";
import type { RunEvent } from "@databridge/core";
import type { CommandIO } from "./io.js";
import { humanRunRenderer, jsonRunRenderer } from "./progress.js";

function capture(isTTY: boolean, columns = 200) {
  let text = "";
  const stream = Object.assign(new Writable({ write: (chunk, _e, done) => { text += chunk; done(); } }), { isTTY, columns });
  return { stream, text: () => text };
}

function io(isTTY: boolean) {
  const stdout = capture(false);
  const stderr = capture(isTTY);
  const value: CommandIO = { stdout: stdout.stream, stderr: stderr.stream, env: {}, cwd: "/" };
  return { io: value, stdout: stdout.text, stderr: stderr.text };
}

const base = { runId: "r1", pipeline: "parts", ts: "2024-01-01T00:00:00.000Z" };
const counts = (read: number, written: number, rejected = 0) => ({ read, written, rejected });

const events: RunEvent[] = [
  { ...base, type: "run.started", pipelines: ["parts"], resume: false },
  { ...base, type: "stage.started", source: "legacy:public.PARTS", target: "warehouse:public.parts", mode: "upsert", estimatedRows: 20_000, resumeAfter: null },
  { ...base, type: "batch.committed", batch: 1, batchRows: counts(5000, 5000), rows: counts(5000, 5000), lastKey: ["5000"], rowsPerSecond: 2500, estimatedRows: 20_000, etaMs: 6000 },
  { ...base, type: "row.rejected", batch: 2, key: ["A-7"], stage: "transform", column: "created_on", message: 'cannot convert "2023-02-29" to date: no such calendar date' },
  { ...base, type: "batch.committed", batch: 2, batchRows: counts(5000, 4999, 1), rows: counts(10_000, 9999, 1), lastKey: ["10000"], rowsPerSecond: 3000, estimatedRows: 20_000, etaMs: 3333 },
  { ...base, type: "stage.retrying", attempt: 1, delayMs: 500, message: "pipeline parts: Connection terminated unexpectedly" },
  { ...base, type: "stage.finished", status: "succeeded_with_rejects", rows: counts(20_000, 19_999, 1), durationMs: 8000, parity: { source: 20_000, target: 19_999 } },
  { ...base, type: "run.finished", status: "succeeded_with_rejects", rows: counts(20_000, 19_999, 1), durationMs: 8100, stages: [] },
];

describe("humanRunRenderer", () => {
  it("on a TTY: a live progress line (bar, rows, rows/s, batch, ETA) rewritten in place and the stage results on stderr; the run's summary alone on stdout", () => {
    const out = io(true);
    const render = humanRunRenderer(out.io);
    for (const event of events) render(event);
    const text = out.stderr();
    expect(out.stdout()).toBe("Run r1 succeeded_with_rejects: read 20,000, written 19,999, rejected 1 in 8.1 s\n");
    expect(text).not.toContain("Run r1");
    expect(text).toContain("▶ parts: legacy:public.PARTS → warehouse:public.parts (upsert)\n");
    expect(text).toContain("  parts [██████░░░░░░░░░░░░░░░░░░] 25% 5,000/20,000 rows · 2,500 rows/s · batch 1 ETA 6.0 s\n");
    // The next batch moves up over the line and redraws it.
    expect(text).toContain("\x1b[1F\x1b[0J  parts [████████████░░░░░░░░░░░░] 50% 10,000/20,000 rows · 3,000 rows/s · batch 2 · 1 rejected ETA 3.3 s\n");
    expect(text).toContain("\x1b[1F\x1b[0J  ↻ parts: retry 1 in 500 ms: pipeline parts: Connection terminated unexpectedly\n");
    expect(text).toContain("⚠ parts: succeeded_with_rejects · read 20,000 · written 19,999 · rejected 1 · 8.0 s · count parity source 20,000 / target 19,999 ✘\n");
    expect(text).not.toContain("rejected row key");
  });

  it("on a TTY, stages loading in parallel each keep a progress line of their own, under the lines printed meanwhile", () => {
    const out = io(true);
    const render = humanRunRenderer(out.io);
    const batch = (pipeline: string, read: number) => ({ ...base, pipeline, type: "batch.committed" as const, batch: 1, batchRows: counts(read, read), rows: counts(read, read), lastKey: [read], rowsPerSecond: 10, estimatedRows: null, etaMs: null });
    render(batch("customers", 100));
    render(batch("products", 7));
    render(batch("customers", 200));
    expect(out.stderr().split("\x1b[").at(-1)).toBe("0J  customers 200 rows · 10 rows/s · batch 1\n  products 7 rows · 10 rows/s · batch 1\n");
    render({ ...base, pipeline: "customers", type: "stage.finished", status: "succeeded", rows: counts(200, 200), durationMs: 20 });
    // Two lines up, the summary, and the one stage still loading.
    expect(out.stderr().split("\x1b[2F").at(-1)).toBe("\x1b[0J✔ customers: succeeded · read 200 · written 200 · rejected 0 · 20 ms\n  products 7 rows · 10 rows/s · batch 1\n");
  });

  it("without a TTY: plain lines, no escape codes; --verbose lists rejected rows", () => {
    const out = io(false);
    const render = humanRunRenderer(out.io, { verbose: true });
    for (const event of events) render(event);
    const text = out.stderr();
    expect(text).not.toContain("\x1b");
    expect(text).not.toContain("\r");
    expect(text).toContain("  [██████░░░░░░░░░░░░░░░░░░] 25% 5,000/20,000 rows · 2,500 rows/s · batch 1 ETA 6.0 s\n");
    expect(text).toContain('  ✗ parts: rejected row key ["A-7"] column created_on: cannot convert "2023-02-29" to date: no such calendar date\n');
  });

  it("marks each stage status and prints the stage error under it", () => {
    const out = io(false);
    const render = humanRunRenderer(out.io);
    render({ ...base, type: "stage.finished", status: "failed", rows: counts(0, 0), durationMs: 12, error: "pipeline parts, table PARTS: source table PARTS does not exist" });
    render({ ...base, pipeline: "orders", tenant: "north", type: "stage.finished", status: "skipped", rows: counts(0, 0), durationMs: 0 });
    render({ ...base, pipeline: "a", type: "stage.finished", status: "succeeded", rows: counts(1, 1), durationMs: 1 });
    expect(out.stderr().split("\n")).toEqual([
      "✘ parts: failed · read 0 · written 0 · rejected 0 · 12 ms",
      "  pipeline parts, table PARTS: source table PARTS does not exist",
      "– orders [north]: skipped · read 0 · written 0 · rejected 0 · 0 ms",
      "✔ a: succeeded · read 1 · written 1 · rejected 0 · 1 ms",
      "",
    ]);
  });

  it("without an estimate: no bar, no total", () => {
    const out = io(false);
    humanRunRenderer(out.io)({ ...base, type: "batch.committed", batch: 3, batchRows: counts(10, 10), rows: counts(30, 30), lastKey: [30], rowsPerSecond: 15, estimatedRows: null, etaMs: null });
    expect(out.stderr()).toBe("  30 rows · 15 rows/s · batch 3\n");
  });
});

describe("jsonRunRenderer", () => {
  it("prints one JSON object per line on stdout, nothing on stderr", () => {
    const out = io(false);
    const render = jsonRunRenderer(out.io);
    for (const event of events) render(event);
    const lines = out.stdout().trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l))).toEqual(events);
    expect(out.stderr()).toBe("");
  });
});
