import type { Target } from "../connectors/connector.js";
import { hasLedgerTable } from "./statements.js";
import { configError } from "../errors.js";

/** One run as the targets' ledgers (`databridge.runs`) know it: its stages folded together. */
export interface RunRecord {
  runId: string;
  /** Pipelines the run loaded, `name[tenant]` for a tenant of a consolidating pipeline. */
  pipelines: string[];
  status: string;
  /** ISO timestamps (UTC); `finishedAt` is null while any stage runs. */
  startedAt: string;
  finishedAt: string | null;
  rows: { read: number; written: number; rejected: number; deleted: number };
  /** The first stage error, when one failed. */
  error: string | null;
  /** The target connections whose ledgers hold the run. */
  targets: string[];
}

export interface RunFilter {
  /** Only runs that loaded this pipeline. */
  pipeline?: string;
  /** Only runs with this (folded) status. */
  status?: string;
  /** At most this many, newest first. */
  limit?: number;
}

/** A run id argument that means the newest run in the ledgers. */
export const LAST_RUN = "last";

/**
 * A run's status from its stages' statuses: the first that any stage has in this order. A run still running
 * anywhere is running; one failed stage fails the run; a run is rolled back once all its stages are.
 */
const STATUS_PRECEDENCE = ["running", "failed", "interrupted", "cancelled", "succeeded_with_rejects", "succeeded", "rolled_back"] as const;

/** The statuses a run has in the ledger (what `databridge runs --status` filters by). */
export const LEDGER_RUN_STATUSES: readonly string[] = STATUS_PRECEDENCE;

export function foldRunStatus(statuses: readonly string[]): string {
  return STATUS_PRECEDENCE.find((status) => statuses.includes(status)) ?? statuses[0] ?? "unknown";
}

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

interface LedgerRunRow {
  run_id: string;
  pipelines: string[];
  statuses: string[];
  started_at: string;
  finished_at: string | null;
  rows_read: string;
  rows_written: string;
  rows_rejected: string;
  rows_deleted: string;
  error: string | null;
}

const hasRunsTable = (target: Target) => hasLedgerTable(target, "runs");

/**
 * The runs recorded in the ledgers of these targets, newest first. A run that wrote to several targets is
 * one record; its status is folded from every stage (see {@link foldRunStatus}).
 */
export async function listRuns(targets: readonly Target[], filter: RunFilter = {}): Promise<RunRecord[]> {
  const byId = new Map<string, RunRecord & { statuses: string[] }>();
  for (const target of targets) {
    if (!(await hasRunsTable(target))) continue;
    // Folded per run in the target; the pipeline filter keeps a run whole (all its pipelines are listed).
    const { rows } = await target.query<LedgerRunRow>(
      `SELECT run_id,
              array_agg(CASE WHEN tenant = '' THEN pipeline ELSE pipeline || '[' || tenant || ']' END ORDER BY started_at, pipeline, tenant) AS pipelines,
              array_agg(status) AS statuses,
              ${iso("min(started_at)")} AS started_at,
              CASE WHEN bool_or(finished_at IS NULL) THEN NULL ELSE ${iso("max(finished_at)")} END AS finished_at,
              sum(rows_read)::text AS rows_read, sum(rows_written)::text AS rows_written,
              sum(rows_rejected)::text AS rows_rejected, sum(rows_deleted)::text AS rows_deleted,
              (array_agg(error ORDER BY started_at) FILTER (WHERE error IS NOT NULL))[1] AS error
         FROM databridge.runs
        GROUP BY run_id
       HAVING $1::text IS NULL OR bool_or(pipeline = $1::text)`,
      [filter.pipeline ?? null],
    );
    for (const row of rows) {
      // The key ranges of a stage (`parallelism` on a queue run) are one stage to whoever lists runs.
      row.pipelines = [...new Set(row.pipelines)];
      const known = byId.get(row.run_id);
      if (!known) {
        byId.set(row.run_id, {
          runId: row.run_id, pipelines: row.pipelines, status: "", statuses: row.statuses, startedAt: row.started_at, finishedAt: row.finished_at,
          rows: { read: Number(row.rows_read), written: Number(row.rows_written), rejected: Number(row.rows_rejected), deleted: Number(row.rows_deleted) },
          error: row.error, targets: [target.name],
        });
        continue;
      }
      known.pipelines.push(...row.pipelines);
      known.statuses.push(...row.statuses);
      if (row.started_at < known.startedAt) known.startedAt = row.started_at;
      known.finishedAt = known.finishedAt === null || row.finished_at === null ? null : row.finished_at > known.finishedAt ? row.finished_at : known.finishedAt;
      known.rows.read += Number(row.rows_read);
      known.rows.written += Number(row.rows_written);
      known.rows.rejected += Number(row.rows_rejected);
      known.rows.deleted += Number(row.rows_deleted);
      known.error ??= row.error;
      known.targets.push(target.name);
    }
  }
  const runs = [...byId.values()]
    .map(({ statuses, ...run }): RunRecord => ({ ...run, status: foldRunStatus(statuses) }))
    .filter((run) => filter.status === undefined || run.status === filter.status)
    // ISO text sorts as time; the run id (time-prefixed) breaks ties.
    .sort((a, b) => (a.startedAt === b.startedAt ? b.runId.localeCompare(a.runId) : b.startedAt.localeCompare(a.startedAt)));
  return filter.limit === undefined ? runs : runs.slice(0, filter.limit);
}

const ledgerLabel = (targets: readonly Target[]) =>
  targets.length ? targets.map((t) => t.name).join(", ") : "any target (the workspace's pipelines name none)";

/**
 * The run a command-line argument names: `last` is the newest run in these ledgers, anything else must be a
 * run id one of them holds. Anything else is a config error (exit 2) saying where it looked.
 */
export async function resolveRunId(runId: string, targets: readonly Target[]): Promise<string> {
  if (runId === LAST_RUN) {
    const [newest] = await listRuns(targets, { limit: 1 });
    if (!newest) throw configError(`no runs yet in the ledger of ${ledgerLabel(targets)}`, { fix: "`databridge run` records one" });
    return newest.runId;
  }
  for (const target of targets) {
    if (!(await hasRunsTable(target))) continue;
    const { rows } = await target.query("SELECT 1 FROM databridge.runs WHERE run_id = $1 LIMIT 1", [runId]);
    if (rows.length) return runId;
  }
  throw configError(`no run ${runId} in the ledger of ${ledgerLabel(targets)}; \`databridge runs\` lists them`);
}
