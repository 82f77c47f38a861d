import type { ColumnInfo, TableInfo } from "@databridge/core";
import { type Catalog, isRunStatus, type PipelineSummary, type RunStatus, type RunView, type ScheduleView } from "@databridge/core/runner-protocol";
import { formatDuration, STATUS_LABEL } from "../runs/run-tracker.js";

/** Schemas of a catalog, sorted, the default schema first, each with its tables sorted by name. */
export function schemasOf(catalog: Catalog): { schema: string; tables: TableInfo[] }[] {
  const bySchema = new Map<string, TableInfo[]>();
  for (const table of catalog.tables) {
    const list = bySchema.get(table.schema) ?? [];
    list.push(table);
    bySchema.set(table.schema, list);
  }
  return [...bySchema.entries()]
    .sort(([a], [b]) => (a === catalog.defaultSchema ? -1 : b === catalog.defaultSchema ? 1 : a.localeCompare(b)))
    .map(([schema, tables]) => ({ schema, tables: tables.sort((x, y) => x.name.localeCompare(y.name)) }));
}

export function formatRows(n: number | null | undefined): string {
  if (n === null || n === undefined || n < 0) return "";
  if (n >= 1_000_000) return `~${(n / 1_000_000).toFixed(n >= 10_000_000 ? 0 : 1)}M rows`;
  if (n >= 10_000) return `~${Math.round(n / 1000)}k rows`;
  return `~${n.toLocaleString("en-US")} row${n === 1 ? "" : "s"}`;
}

/** The description of a table item: kind and row estimate. */
export function tableDescription(table: TableInfo): string {
  return [table.kind === "view" ? "view" : "", formatRows(table.estimatedRows)].filter(Boolean).join(" · ");
}

/** The description of a column item: native type, nullability, key. */
export function columnDescription(column: ColumnInfo, table: TableInfo): string {
  const parts = [column.nativeType];
  if (table.primaryKey.includes(column.name)) parts.push("PK");
  const fk = table.foreignKeys.find((f) => f.columns.includes(column.name));
  if (fk) parts.push(`→ ${fk.referencedTable.schema ? `${fk.referencedTable.schema}.` : ""}${fk.referencedTable.name}`);
  if (!column.nullable) parts.push("NOT NULL");
  if (column.generated) parts.push("generated");
  return parts.join(" · ");
}

export interface PipelineItem {
  pipeline: PipelineSummary;
  /** 1-based position in dependency order. */
  position: number;
  lastRun?: { id: string; status: RunStatus; finishedAt: string | null; rowsWritten: number; durationMs: number | null };
  /** The schedules that run it: its file's, and API schedules naming it. */
  schedules: ScheduleView[];
}

/**
 * Pipelines in the runner's dependency order (pipelines the order misses — e.g. in a cycle — last, by name),
 * each with its most recent run.
 */
export function pipelineItems(pipelines: readonly PipelineSummary[], order: readonly string[], runs: readonly RunView[], schedules: readonly ScheduleView[] = []): PipelineItem[] {
  const rank = new Map(order.map((name, i) => [name, i]));
  const sorted = [...pipelines].sort((a, b) => (rank.get(a.name) ?? Infinity) - (rank.get(b.name) ?? Infinity) || a.name.localeCompare(b.name));
  const newestFirst = [...runs].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  return sorted.map((pipeline, i) => {
    const run = newestFirst.find((r) => r.pipelines.includes(pipeline.name));
    const stage = run?.stages.find((s) => s.pipeline === pipeline.name);
    return {
      pipeline,
      position: i + 1,
      schedules: schedules.filter((s) => s.pipelines.includes(pipeline.name)),
      lastRun: run
        ? {
            id: run.id,
            // A stage's own status when it is one a run can have too (not pending/skipped), else the run's.
            status: stage && isRunStatus(stage.status) ? stage.status : run.status,
            finishedAt: stage?.finishedAt ?? run.finishedAt,
            rowsWritten: stage?.rows.written ?? run.rows.written,
            durationMs: stage?.durationMs ?? run.durationMs,
          }
        : undefined,
    };
  });
}

/** A schedule under its pipeline: "0 2 * * * (Europe/Berlin)", "next in 3 h · last: failed", and its details. */
export function scheduleSummary(schedule: ScheduleView, now = Date.now()): { label: string; description: string; tooltip: string[] } {
  const label = `${schedule.cron}${schedule.timezone ? ` (${schedule.timezone})` : ""}`;
  const next = schedule.error ? "not armed" : !schedule.enabled ? "paused" : schedule.nextRunAt ? `next ${until(Date.parse(schedule.nextRunAt), now)}` : "no next run";
  const last = schedule.lastRun ? `last: ${STATUS_LABEL[schedule.lastRun.status] ?? schedule.lastRun.status}` : "";
  const retry = schedule.pendingRetry ? `retry ${schedule.pendingRetry.attempt} of ${schedule.retry.runs} ${until(Date.parse(schedule.pendingRetry.at), now)}` : "";
  const tooltip = [
    `**Schedule ${schedule.name}** — ${schedule.source === "file" ? `from ${schedule.file}` : "created through the runner's API"}`,
    schedule.error ? `Not armed: ${schedule.error}` : `Next run: ${schedule.enabled ? schedule.nextRunAt ?? "none" : "paused"}`,
    schedule.lastRun ? `Last run: ${schedule.lastRun.id}, ${STATUS_LABEL[schedule.lastRun.status] ?? schedule.lastRun.status}` : "Not run yet",
    `Catch-up ${schedule.catchUp} · at most ${schedule.maxActiveRuns} active${schedule.retry.runs ? ` · ${schedule.retry.runs} retries` : ""}${schedule.sla ? ` · SLA ${schedule.sla}` : ""}`,
  ];
  return { label, description: [next, last, retry].filter(Boolean).join(" · "), tooltip };
}

/** "in 5 min", "in 3 h", "in 2 days" (or "now" for a time that has come). */
export function until(then: number, now = Date.now()): string {
  const s = Math.round((then - now) / 1000);
  if (s < 60) return "now";
  const m = Math.round(s / 60);
  if (m < 60) return `in ${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `in ${h} h`;
  return `in ${Math.round(h / 24)} days`;
}

/** "succeeded · 10,000 rows · 3s · 5 min ago" */
export function runDescription(run: Pick<RunView, "status" | "rows" | "durationMs" | "createdAt">, now = Date.now()): string {
  const parts: string[] = [STATUS_LABEL[run.status] ?? run.status];
  parts.push(`${run.rows.written.toLocaleString("en-US")} rows${run.rows.rejected ? ` (${run.rows.rejected.toLocaleString("en-US")} rejected)` : ""}`);
  if (run.durationMs) parts.push(formatDuration(run.durationMs));
  if (run.createdAt) parts.push(ago(Date.parse(run.createdAt), now));
  return parts.join(" · ");
}

export function ago(then: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 60) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

/** The codicon of a run or stage status. */
export function statusIcon(status: string): { id: string; color?: string } {
  switch (status) {
    case "succeeded":
      return { id: "pass", color: "testing.iconPassed" };
    case "succeeded_with_rejects":
      return { id: "warning", color: "list.warningForeground" };
    case "failed":
      return { id: "error", color: "testing.iconFailed" };
    case "running":
      return { id: "sync~spin" };
    case "queued":
    case "pending":
      return { id: "clock" };
    case "paused":
      return { id: "debug-pause" };
    case "cancelled":
      return { id: "circle-slash" };
    case "interrupted":
      return { id: "debug-disconnect", color: "list.warningForeground" };
    default:
      return { id: "circle-outline" };
  }
}
