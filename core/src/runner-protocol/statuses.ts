/**
 * The statuses of runs and stages, defined once. Every client (CLI, dashboard, VS Code) and the runner
 * read these lists and helpers instead of spelling statuses out.
 */

export const RUN_STATUSES = ["queued", "running", "paused", "succeeded", "succeeded_with_rejects", "failed", "cancelled", "interrupted"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * `pending`: in the run, not started yet (the runner's view only). `interrupted`: the runner's process stopped
 * while the stage ran (the runner records it; the engine never reports it).
 */
export const STAGE_STATUSES = ["pending", "running", "succeeded", "succeeded_with_rejects", "failed", "cancelled", "skipped", "interrupted"] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

/** A run in one of these statuses has ended: its `run.finished` event is recorded and nothing about it changes. */
export const TERMINAL_RUN_STATUSES = ["succeeded", "succeeded_with_rejects", "failed", "cancelled", "interrupted"] as const satisfies readonly RunStatus[];
/** Not ended yet: waiting for a slot, executing, or held at a batch boundary. */
export const ACTIVE_RUN_STATUSES = ["queued", "running", "paused"] as const satisfies readonly RunStatus[];
/** A retry (a new run resuming from the checkpoints) is offered for these. */
export const RETRYABLE_RUN_STATUSES = ["failed", "interrupted", "cancelled"] as const satisfies readonly RunStatus[];
/** Runs that ended with every row accounted for (some rejected into the dead-letter table, with `succeeded_with_rejects`). */
export const SUCCESSFUL_RUN_STATUSES = ["succeeded", "succeeded_with_rejects"] as const satisfies readonly RunStatus[];

const has = (list: readonly string[], status: string | null | undefined) => status !== null && status !== undefined && list.includes(status);

export const isRunStatus = (value: unknown): value is RunStatus => typeof value === "string" && has(RUN_STATUSES, value);
export const isTerminalRunStatus = (status: string | null | undefined): boolean => has(TERMINAL_RUN_STATUSES, status);
export const isActiveRunStatus = (status: string | null | undefined): boolean => has(ACTIVE_RUN_STATUSES, status);
export const isRetryableRunStatus = (status: string | null | undefined): boolean => has(RETRYABLE_RUN_STATUSES, status);
/** True for a succeeded stage or run (with or without rejected rows). */
export const isSuccessfulStatus = (status: string | null | undefined): boolean => has(SUCCESSFUL_RUN_STATUSES, status);

/** What a client may ask of a run in this status (the runner answers 409 otherwise). */
export function runActions(status: string): { pause: boolean; resume: boolean; cancel: boolean; retry: boolean } {
  return {
    pause: status === "queued" || status === "running",
    resume: status === "paused",
    cancel: isActiveRunStatus(status),
    retry: isRetryableRunStatus(status),
  };
}
