import type { RowCounts, RunEvent, RunFinishedEvent, RunStatus } from "@databridge/core/runner-protocol";

export interface ActiveRun {
  runId: string;
  pipelines: string[];
  /** The pipeline whose stage is running now. */
  current?: string;
  /** Cumulative rows of the running stage. */
  rows: RowCounts;
  estimatedRows: number | null;
  rowsPerSecond: number;
  etaMs: number | null;
  stagesDone: number;
  rejected: number;
  startedAt: number;
}

/**
 * Follows every run from the runner's event stream: which runs are active, how far the running stage is,
 * and what finished. Feeds the status bar, the Runs view and the notifications.
 */
export class RunTracker {
  private readonly active = new Map<string, ActiveRun>();
  private readonly finishedListeners = new Set<(event: RunFinishedEvent) => void>();
  private readonly changeListeners = new Set<() => void>();

  get runs(): ActiveRun[] {
    return [...this.active.values()].sort((a, b) => a.startedAt - b.startedAt);
  }

  get(runId: string): ActiveRun | undefined {
    return this.active.get(runId);
  }

  onFinished(listener: (event: RunFinishedEvent) => void): () => void {
    this.finishedListeners.add(listener);
    return () => this.finishedListeners.delete(listener);
  }

  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Marks a run as active before its first event (e.g. right after POST /runs). */
  expect(runId: string, pipelines: string[]): void {
    if (this.active.has(runId)) return;
    this.active.set(runId, newRun(runId, pipelines));
    this.changed();
  }

  /** Forgets everything (the runner restarted; its stream replays what is still going). */
  reset(): void {
    this.active.clear();
    this.changed();
  }

  apply(event: RunEvent): void {
    let run = this.active.get(event.runId);
    switch (event.type) {
      case "run.started":
        run = newRun(event.runId, event.pipelines, Date.parse(event.ts) || Date.now());
        this.active.set(event.runId, run);
        break;
      case "stage.started":
        run ??= this.adopt(event.runId, event.pipeline);
        run.current = event.pipeline;
        run.rows = { read: 0, written: 0, rejected: 0 };
        run.estimatedRows = event.estimatedRows;
        run.rowsPerSecond = 0;
        run.etaMs = null;
        break;
      case "batch.committed":
        run ??= this.adopt(event.runId, event.pipeline);
        run.current = event.pipeline;
        run.rows = event.rows;
        run.estimatedRows = event.estimatedRows ?? run.estimatedRows;
        run.rowsPerSecond = event.rowsPerSecond;
        run.etaMs = event.etaMs;
        break;
      case "row.rejected":
        run ??= this.adopt(event.runId, event.pipeline);
        run.rejected++;
        break;
      case "stage.finished":
        run ??= this.adopt(event.runId, event.pipeline);
        run.stagesDone++;
        run.rows = event.rows;
        break;
      case "run.finished":
        this.active.delete(event.runId);
        this.changed();
        for (const listener of this.finishedListeners) listener(event);
        return;
      default:
        return;
    }
    this.changed();
  }

  private adopt(runId: string, pipeline: string): ActiveRun {
    const run = newRun(runId, pipeline.split(","));
    this.active.set(runId, run);
    return run;
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }
}

const newRun = (runId: string, pipelines: string[], startedAt = Date.now()): ActiveRun => ({
  runId, pipelines, rows: { read: 0, written: 0, rejected: 0 }, estimatedRows: null, rowsPerSecond: 0, etaMs: null, stagesDone: 0, rejected: 0, startedAt,
});

const compact = (n: number) => (n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 10_000 ? `${Math.round(n / 1000)}k` : n.toLocaleString("en-US"));

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** The status bar's progress text for the active runs, e.g. "parts 45% · 12k rows/s · ETA 1m 05s". */
export function progressText(runs: readonly ActiveRun[]): string | undefined {
  const run = runs[0];
  if (!run) return undefined;
  const name = run.current ?? run.pipelines[0] ?? run.runId;
  const parts = [name];
  if (run.estimatedRows && run.estimatedRows > 0) parts[0] += ` ${Math.min(100, Math.floor((run.rows.read / run.estimatedRows) * 100))}%`;
  else parts[0] += ` ${compact(run.rows.written)} rows`;
  if (run.rowsPerSecond > 0) parts.push(`${compact(Math.round(run.rowsPerSecond))} rows/s`);
  if (run.etaMs !== null && run.etaMs > 0) parts.push(`ETA ${formatDuration(run.etaMs)}`);
  if (run.pipelines.length > 1) parts.push(`stage ${Math.min(run.stagesDone + 1, run.pipelines.length)}/${run.pipelines.length}`);
  const more = runs.length > 1 ? ` (+${runs.length - 1} more)` : "";
  return parts.join(" · ") + more;
}

export const STATUS_LABEL: Record<RunStatus, string> = {
  queued: "queued",
  running: "running",
  paused: "paused",
  succeeded: "succeeded",
  succeeded_with_rejects: "succeeded with rejected rows",
  failed: "failed",
  cancelled: "cancelled",
  interrupted: "interrupted",
};

/** The notification after a run, one line: what ran, how it ended, rows written and rejected. */
export function finishedMessage(event: Pick<RunFinishedEvent, "pipeline" | "status" | "rows" | "durationMs" | "error">): string {
  const what = `Run of ${event.pipeline.split(",").join(", ")}`;
  const rows = `${event.rows.written.toLocaleString("en-US")} rows written${event.rows.rejected ? `, ${event.rows.rejected.toLocaleString("en-US")} rejected` : ""}`;
  const status = STATUS_LABEL[event.status] ?? event.status;
  return `${what} ${status}: ${rows} in ${formatDuration(event.durationMs)}${event.error ? ` — ${event.error}` : ""}`;
}
