/**
 * The runner's HTTP API (`/api/v1`, JSON): what each endpoint takes and answers. The runner's routes produce
 * these shapes (checked with `satisfies`), and every client reads them, so a field changes in one place.
 * Type-only imports: nothing here exists at run time.
 */
import type { Catalog, ConnectorDescription } from "../connectors/connector.js";
import type { Problem } from "../engine/analysis.js";
import type { PlanReport } from "../engine/plan.js";
import type { PreviewResult } from "../engine/preview.js";
import type { ReplayResult } from "../engine/rejects.js";
import type { RollbackStage } from "../target/rollback.js";
import type { VerifyReport } from "../verify/verify.js";
import type { Parity, RowCounts } from "./events.js";
import type { RunStatus, StageStatus } from "./statuses.js";

export type { Catalog, PlanReport, PreviewResult, Problem, ReplayResult, RollbackStage, VerifyReport };

/** Every API error: `code` is stable (for programs), `message` one line for people. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** `GET /health`. */
export interface HealthView {
  ok: boolean;
  version: string;
  pid: number;
  uptimeMs: number;
  workspace: { ok: boolean; root: string; error?: string };
  state: { kind: string; location: string };
  runs: { active: number; queued: number };
}

/** A pipeline as `GET /pipelines` lists it; `file` is relative to the workspace root. */
export interface PipelineSummary {
  name: string;
  description: string | null;
  file: string;
  /** `connection:table` (or `connection:(query)`). */
  source: string;
  sourceConnection: string;
  sourceTable: string | null;
  tenants: string[];
  /** `connection:table`. */
  target: string;
  targetConnection: string;
  targetTable: string;
  mode: string;
  dependsOn: string[];
  batchSize: number | null;
}

/** `GET /pipelines`. */
export interface PipelineList {
  pipelines: PipelineSummary[];
  /** Names in dependency order. */
  order: string[];
  edges: { from: string; to: string }[];
  problems: Problem[];
}

/** `GET /pipelines/:name`: the summary and the file's source code. */
export interface PipelineDetail extends PipelineSummary {
  code: string;
}

/** `POST /pipelines/plan`. */
export interface PlanRequest {
  /** Default: every pipeline of the workspace. */
  pipelines?: string[];
}

/** `POST /runs`. Dependencies of a pipeline must be in the same run. */
export interface StartRunRequest {
  pipelines: string[];
  resume?: boolean;
  fullRefresh?: boolean;
  batchSize?: number;
}

/** `POST /runs` and `POST /runs/:id/retry` answer `202` with the new run. */
export interface RunCreated {
  id: string;
  status: RunStatus;
  /** Set by `retry`: the run it continues. */
  retryOf?: string;
}

/** `POST /runs/:id/pause` · `/resume` · `/cancel` answer `202`; the run changes at its next batch boundary. */
export interface RunControlAnswer {
  id: string;
  status?: RunStatus;
  cancelling?: boolean;
}

export interface StageView {
  pipeline: string;
  tenant: string | null;
  status: StageStatus;
  source: string | null;
  target: string | null;
  mode: string | null;
  estimatedRows: number | null;
  batches: number;
  rows: RowCounts;
  /** Rows read over estimated rows (0…1), when the estimate is known. */
  progress: number | null;
  rowsPerSecond: number | null;
  etaMs: number | null;
  resumeAfter: unknown[] | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
  /** Count parity: rows in the source (as read) against rows in the target's table. */
  parity: Parity | null;
}

/** `GET /runs/:id`, and each item of `GET /runs`. */
export interface RunView {
  id: string;
  status: RunStatus;
  pipelines: string[];
  resume: boolean;
  batchSize: number | null;
  retryOf: string | null;
  trigger: string;
  scheduleId: string | null;
  /** The schedule tick this run is for (scheduled runs and their retries). */
  scheduledAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  rows: RowCounts;
  /** Rows read per second over the run so far (or overall, once finished). */
  rowsPerSecond: number | null;
  /** The longest remaining estimate of a running stage. */
  etaMs: number | null;
  error: string | null;
  /** Highest event sequence number of the run (the SSE id of its last event). */
  lastEventId: number;
  /** Paused and actually waiting at a batch boundary (false while the batch in flight still commits). */
  heldAtBoundary: boolean;
  stages: StageView[];
}

/** `GET /runs?status=a,b&pipeline=&limit=&offset=`. */
export interface RunListQuery {
  status?: RunStatus[];
  pipeline?: string;
  limit?: number;
  offset?: number;
}

/** `GET /runs`: newest first. */
export interface RunList {
  runs: RunView[];
  total: number;
  limit: number;
  offset: number;
}

/** One committed batch (`GET /runs/:id/batches`). */
export interface BatchView {
  pipeline: string;
  tenant: string | null;
  batch: number;
  rows: RowCounts;
  rowsPerSecond: number | null;
  lastKey: unknown[] | null;
  committedAt: string;
}

export interface BatchList {
  batches: BatchView[];
}

/** `GET /runs/:id/errors`: the run's error, stage errors, retries and warnings. */
export interface RunErrors {
  error: string | null;
  errors: { kind: "stage" | "retry" | "warn" | "error"; pipeline: string; tenant: string | null; message: string; at: string | null }[];
  rejectedRows: number;
}

/** A rejected row with its source data. */
export interface RejectedRowView {
  pipeline: string;
  tenant: string | null;
  batch: number;
  key: unknown[];
  /** The source row (column → value), from the target's ledger; null when only the event is known. */
  row: Record<string, unknown> | null;
  /** Where the row failed: `transform` or `load`. */
  stage: string;
  column: string | null;
  code: string | null;
  message: string;
  at: string | null;
}

/** `GET /runs/:id/rejects?pipeline=&limit=&offset=`. */
export interface RejectsPage {
  rows: RejectedRowView[];
  total: number;
  /** `ledger`: read from the targets' dead-letter tables; `events`: only what the run's events say (a target could not be read). */
  source: "ledger" | "events";
  warning?: string;
}

/** `POST /runs/:id/replay`: the run's rejected rows re-processed with the pipelines as they are now (the CLI's `replay`). */
export interface ReplayAnswer {
  runId: string;
  /** One entry per pipeline and tenant that had rejected rows (empty: the run has none). */
  results: ReplayResult[];
  replayed: number;
  loaded: number;
  stillRejected: number;
}

/** `POST /runs/:id/rollback`: what the run wrote removed and each checkpoint put back (the CLI's `rollback`). */
export interface RollbackAnswer {
  runId: string;
  stages: RollbackStage[];
  /** Rows deleted and rows restored from before-images, over every stage. */
  deleted: number;
  restored: number;
}

/** `POST /verify`: reconcile pipelines (default: every pipeline, or those of `runId`) as `databridge verify` does. */
export interface VerifyRequest {
  pipelines?: string[];
  /** Verify the pipelines of this run. */
  runId?: string;
  /** Compare a sample of about this many rows per table instead of every row. */
  sample?: number;
}

/** What `POST /verify` answers: the report, and where its files were written. */
export interface VerifyAnswer {
  /** Names the report: `GET /verify/:id/report.html` serves its HTML. */
  id: string;
  ok: boolean;
  report: VerifyReport;
  /** The files on the runner's machine (JSON, HTML, JUnit XML), as `databridge verify` writes them. */
  files: { json: string; html: string; junit: string };
  /** The API path of the HTML report (below the runner's URL; needs the bearer token like every call). */
  htmlPath: string;
}

/** A connection as the API shows it: never a password, never a URL with one. */
export interface ConnectionView {
  /** A saved connection's id, or `workspace:<name>` for one of databridge.config.ts. */
  id: string;
  name: string;
  source: "saved" | "workspace";
  type: string;
  host: string | null;
  port: number | null;
  database: string | null;
  username: string | null;
  /** Type, host and database (no password). */
  url: string;
  hasPassword: boolean;
  description: string | null;
  readOnly: boolean;
  /** A saved connection with the name of a workspace connection replaces it for runs. */
  overridesWorkspace?: boolean;
  createdAt?: string;
  updatedAt?: string;
  lastTest: { ok: boolean; serverVersion: string | null; error: string | null; at: string } | null;
}

/** `GET /connectors`: every database the runner's workspace can connect to, as each connector describes itself. */
export interface ConnectorList {
  connectors: ConnectorDescription[];
}

export interface ConnectionList {
  connections: ConnectionView[];
}

/** `POST /connections` (and `/connections/test`, where `name` may be left out): fields, or a URL. */
export type ConnectionInput =
  | { name: string; type: string; host?: string; port?: number; database: string; username?: string; password?: string; description?: string }
  | { name: string; url: string; description?: string };

/** `PATCH /connections/:id`: any field; `null` clears it (`password: null` removes the password). */
export interface ConnectionPatch {
  name?: string;
  type?: string;
  host?: string | null;
  port?: number | null;
  database?: string;
  username?: string | null;
  password?: string | null;
  url?: string;
  description?: string | null;
}

/** `POST /connections/test` · `/connections/:id/test` (5 s deadline). */
export interface ConnectionTestResult {
  ok: boolean;
  serverVersion?: string;
  error?: string;
  durationMs: number;
}

/** How a schedule treats missed ticks (see `ScheduleSpec.catchUp` of a pipeline file). */
export type ScheduleCatchUp = "none" | "latest" | "all";

/** A schedule: created through the API, or read from a pipeline file's `schedule` (`source: "file"`). */
export interface ScheduleView {
  /** `file:<pipeline>` for a pipeline file's schedule. */
  id: string;
  name: string;
  source: "api" | "file";
  /** The pipeline file it comes from (relative to the workspace), for `source: "file"`. */
  file: string | null;
  cron: string;
  timezone: string | null;
  /** A 6-field cron with seconds. */
  seconds: boolean;
  /** The pipelines a tick runs (a file schedule's pipeline runs with what it depends on). */
  pipelines: string[];
  enabled: boolean;
  catchUp: ScheduleCatchUp;
  maxActiveRuns: number;
  retry: { runs: number; backoffMs: number };
  /** Measured from the tick: a run still going (or not started) past it emits `sla_missed`. */
  sla: string | null;
  /** Why the schedule is not armed (an invalid cron or time zone in its file). */
  error: string | null;
  nextRunAt: string | null;
  lastRunId: string | null;
  lastRunAt: string | null;
  /** The last run this schedule started and how it went. */
  lastRun: { id: string; status: RunStatus; finishedAt: string | null } | null;
  /** The last tick the runner handled (ran, skipped or caught up). */
  lastTickAt: string | null;
  /** A failed run waiting to be retried. */
  pendingRetry: { runId: string; at: string; attempt: number } | null;
  createdAt: string;
  updatedAt: string;
}

export interface ScheduleList {
  schedules: ScheduleView[];
}

/** `POST /schedules`. */
export interface ScheduleInput {
  name: string;
  cron: string;
  timezone?: string;
  seconds?: boolean;
  pipelines: string[];
  enabled?: boolean;
  catchUp?: ScheduleCatchUp;
  maxActiveRuns?: number;
  retry?: { runs: number; backoff?: string };
  sla?: string | null;
}

/**
 * `PATCH /schedules/:id`: any field; `timezone: null` goes back to the runner's zone. A pipeline file's
 * schedule takes only `enabled` (the rest is its file's).
 */
export type SchedulePatch = Partial<Omit<ScheduleInput, "timezone">> & { timezone?: string | null };

/** What became of one tick (or a window of missed ticks) of a schedule. */
export interface ScheduleTickView {
  id: number;
  scheduleId: string;
  /** The tick's time; for a window, its last tick. */
  tickAt: string;
  /** A window of ticks: its first tick and how many (null when too many to count). */
  firstTickAt: string | null;
  ticks: number | null;
  /** `started` a run, `skipped` (see `reason`), `retried` a failed run, or `failed` to start one. */
  outcome: "started" | "skipped" | "retried" | "failed";
  runId: string | null;
  reason: string | null;
  at: string;
}

/** `GET /schedules/:id/ticks?limit=`: newest first. */
export interface ScheduleTickList {
  ticks: ScheduleTickView[];
}

/** One alert sent (or not) through one channel. */
export interface AlertDeliveryView {
  id: number;
  /** What alerted: a run status or `sla_missed`. */
  trigger: string;
  channel: "webhook" | "email";
  runId: string | null;
  pipeline: string;
  ok: boolean;
  attempts: number;
  /** Why delivery failed (never the webhook URL or a password). */
  error: string | null;
  at: string;
}

/** `GET /alerts?failed=true&limit=`: newest first. */
export interface AlertDeliveryList {
  deliveries: AlertDeliveryView[];
}

/** `POST /schedules/:id/trigger`: the run it started. */
export interface ScheduleTriggered {
  id: string;
}
