/**
 * The events a run emits. One module, shared by the engine, the CLI's `--json` output, the runner's
 * SSE stream, the dashboard and the VS Code extension: an event's `type` is its CLI line type and its SSE
 * event name. Plain data: importing it loads nothing else (the dashboard bundle imports it).
 */
import type { RunStatus, StageStatus } from "./statuses.js";

export type { RunStatus, StageStatus } from "./statuses.js";

export interface RowCounts {
  read: number;
  written: number;
  rejected: number;
  /** Target rows removed because their source row is gone (`deletes: "propagate"`). */
  deleted?: number;
}

/**
 * Count parity of a stage: source rows in the range the run read, rows in the target (for its tenant), and
 * rows still in the dead-letter table. `ok` is the verdict where source keys map one-to-one onto target
 * rows (the target may hold more, never fewer than source − rejected); absent where counts cannot be
 * compared (several source rows per target row, `update`), so the numbers are for information.
 */
export interface Parity {
  source: number;
  target: number;
  rejected?: number;
  ok?: boolean;
}

/** Whether a parity is good: its verdict, or plain equality for one without. */
export const parityHolds = (parity: Parity): boolean => parity.ok ?? parity.source === parity.target;

interface EventBase {
  runId: string;
  /** The pipeline the event is about; for run-level events, the run's pipelines joined with ",". */
  pipeline: string;
  /** ISO timestamp. */
  ts: string;
}

export interface RunStartedEvent extends EventBase {
  type: "run.started";
  pipelines: string[];
  resume: boolean;
}

export interface StageStartedEvent extends EventBase {
  type: "stage.started";
  source: string;
  target: string;
  mode: string;
  tenant?: string;
  estimatedRows: number | null;
  /** Where the stage starts: null from the beginning, else the key it resumes after. */
  resumeAfter: unknown[] | null;
}

export interface BatchCommittedEvent extends EventBase {
  type: "batch.committed";
  tenant?: string;
  batch: number;
  /** Rows in this batch. */
  batchRows: RowCounts;
  /** Cumulative for the stage. */
  rows: RowCounts;
  lastKey: unknown[];
  rowsPerSecond: number;
  estimatedRows: number | null;
  etaMs: number | null;
}

export interface RowRejectedEvent extends EventBase {
  type: "row.rejected";
  tenant?: string;
  batch: number;
  key: unknown[];
  stage: "transform" | "load";
  column?: string;
  code?: string;
  message: string;
}

export interface StageRetryEvent extends EventBase {
  type: "stage.retrying";
  attempt: number;
  delayMs: number;
  message: string;
}

export interface StageFinishedEvent extends EventBase {
  type: "stage.finished";
  tenant?: string;
  status: StageStatus;
  rows: RowCounts;
  durationMs: number;
  error?: string;
  /** Count parity: rows in the source (as read) against rows in the target's table. */
  parity?: Parity;
}

export interface RunFinishedEvent extends EventBase {
  type: "run.finished";
  status: RunStatus;
  rows: RowCounts;
  durationMs: number;
  stages: { pipeline: string; status: StageStatus; rows: RowCounts; error?: string }[];
  error?: string;
}

/**
 * A run still going — or not started yet — when its SLA ran out. `pipeline` is the pipeline whose SLA it
 * missed. The clock starts at the schedule's tick for scheduled runs (so a run held up behind another, or
 * caught up after the runner was down, counts from when it was due), else when the run was requested.
 */
export interface SlaMissedEvent extends EventBase {
  type: "sla_missed";
  /** The SLA as written, e.g. `"30m"`. */
  sla: string;
  /** When the clock started (ISO). */
  since: string;
  /** `since` + the SLA (ISO). */
  deadline: string;
  /** The run's status at the deadline (`queued`: not started yet). */
  status: RunStatus;
}

export interface LogEvent extends EventBase {
  type: "log";
  level: "info" | "warn" | "error";
  message: string;
}

export type RunEvent =
  | RunStartedEvent
  | StageStartedEvent
  | BatchCommittedEvent
  | RowRejectedEvent
  | StageRetryEvent
  | StageFinishedEvent
  | RunFinishedEvent
  | SlaMissedEvent
  | LogEvent;

export type RunEventType = RunEvent["type"];

export const RUN_EVENT_TYPES: readonly RunEventType[] = [
  "run.started", "stage.started", "batch.committed", "row.rejected", "stage.retrying", "stage.finished", "run.finished", "sla_missed", "log",
];

export type EventListener = (event: RunEvent) => void;

/** Distributive Omit, so each event variant keeps its own fields. */
export type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, "ts" | "runId"> : never) : never;

export const emptyCounts = (): RowCounts => ({ read: 0, written: 0, rejected: 0 });

export function isRunEvent(value: unknown): value is RunEvent {
  const event = value as RunEvent | undefined;
  return typeof event === "object" && event !== null && RUN_EVENT_TYPES.includes(event.type) && typeof event.runId === "string";
}

/**
 * The run event an SSE message of the runner carries (its `event:` name and `data:`), or undefined for
 * anything else: another event name, data that is not JSON, or JSON that is not a run event.
 */
export function parseRunEvent(eventName: string, data: string): RunEvent | undefined {
  if (!(RUN_EVENT_TYPES as readonly string[]).includes(eventName)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const event = { type: eventName, ...value };
  return isRunEvent(event) && event.type === eventName ? event : undefined;
}
