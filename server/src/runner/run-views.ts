import { isSuccessfulStatus, type RunView, type StageView } from "@databridge/core/runner-protocol";
import type { RunRow, StageRow } from "../state/schema.js";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function stageView(row: StageRow): StageView {
  return {
    pipeline: row.pipeline, tenant: row.tenant || null, status: row.status, source: row.source, target: row.target, mode: row.mode,
    estimatedRows: row.estimatedRows, batches: row.batches,
    rows: { read: row.rowsRead, written: row.rowsWritten, rejected: row.rowsRejected },
    progress: isSuccessfulStatus(row.status) ? 1
      : row.estimatedRows ? Math.min(1, row.rowsRead / Math.max(1, row.estimatedRows)) : row.estimatedRows === 0 ? 1 : null,
    rowsPerSecond: row.rowsPerSecond, etaMs: row.status === "running" ? row.etaMs : null, resumeAfter: row.resumeAfter ?? null,
    startedAt: iso(row.startedAt), finishedAt: iso(row.finishedAt), durationMs: row.durationMs, error: row.error, parity: row.parity ?? null,
  };
}

/** A run with its stages; pipelines that have not started yet show as `pending` stages. */
export function runView(run: RunRow, stages: StageRow[], options: { now?: number; held?: boolean } = {}): RunView {
  const now = options.now ?? Date.now();
  const views = stages.map(stageView);
  for (const name of run.pipelines) {
    if (!views.some((s) => s.pipeline === name)) {
      views.push({
        pipeline: name, tenant: null, status: "pending", source: null, target: null, mode: null, estimatedRows: null, batches: 0,
        rows: { read: 0, written: 0, rejected: 0 }, progress: null, rowsPerSecond: null, etaMs: null, resumeAfter: null,
        startedAt: null, finishedAt: null, durationMs: null, error: null, parity: null,
      });
    }
  }
  const elapsedMs = run.durationMs ?? (run.startedAt ? (run.finishedAt ?? new Date(now)).getTime() - run.startedAt.getTime() : null);
  const etas = views.filter((s) => s.status === "running" && s.etaMs !== null).map((s) => s.etaMs!);
  return {
    id: run.id, status: run.status, pipelines: run.pipelines, resume: run.resume, batchSize: run.batchSize, retryOf: run.retryOf,
    trigger: run.trigger, scheduleId: run.scheduleId, scheduledAt: iso(run.scheduledAt), createdAt: run.createdAt.toISOString(), startedAt: iso(run.startedAt), finishedAt: iso(run.finishedAt),
    durationMs: run.durationMs ?? (run.finishedAt ? elapsedMs : null),
    rows: { read: run.rowsRead, written: run.rowsWritten, rejected: run.rowsRejected },
    rowsPerSecond: elapsedMs && elapsedMs > 0 ? Math.round((run.rowsRead * 1000) / elapsedMs) : null,
    etaMs: etas.length ? Math.max(...etas) : null,
    error: run.error, lastEventId: run.lastEventSeq, heldAtBoundary: Boolean(options.held), stages: views,
  };
}
