import { configError } from "../errors.js";
import { holdsRows } from "../target/statements.js";
import type { Checkpoint, Ledger } from "../target/ledger.js";
import type { PreparedStage } from "./prepare.js";

/** Where a stage starts reading, or why it has nothing to do. */
export type StartPoint =
  | { kind: "skip"; message: string }
  | { kind: "read"; after: unknown[] | null; since?: unknown; resumedFrom?: string };

export interface StartOptions {
  /** Continue after the last committed batch. */
  resume: boolean;
  /** Retry semantics: resume only checkpoints left by these runs; anything else starts fresh. */
  resumeRuns?: string[];
  /** Incremental pipelines: ignore the watermark and read everything again. */
  fullRefresh?: boolean;
  /** The run starting (its own partitions' checkpoints are not an earlier load). */
  runId?: string;
}

/**
 * The resume policy, decided in one place from the checkpoint the ledger holds:
 * - incremental: from the watermark's cursor value, re-reading its whole tie group (a row committed late
 *   with that very cursor value sorts before the watermark's key and would otherwise be skipped forever);
 * - `--resume` / a retry: after the last committed batch of the run being continued;
 * - otherwise from the start — except an `insert` over rows an earlier run loaded, which would load them
 *   again: that is refused before anything is touched, naming the run and what to do instead.
 */
export async function startPoint(stage: PreparedStage, ledger: Ledger, options: StartOptions): Promise<StartPoint> {
  const name = stage.pipeline.name;
  const partition = stage.partition?.id ?? "";
  const checkpoint = await ledger.checkpoint(name, stage.tenant, partition);
  if (stage.incremental) {
    return { kind: "read", ...(options.fullRefresh ? { after: null } : incrementalStart(stage, checkpoint)), resumedFrom: checkpoint?.runId };
  }
  const continuing = options.resumeRuns ? (checkpoint && options.resumeRuns.includes(checkpoint.runId) ? checkpoint : undefined) : options.resume ? checkpoint : undefined;
  if (continuing) {
    if (continuing.complete) {
      return { kind: "skip", message: options.resumeRuns ? `${name}: completed in run ${continuing.runId}; nothing to retry` : `${name}: the last run completed; nothing to resume` };
    }
    return { kind: "read", after: continuing.lastKey, resumedFrom: continuing.runId };
  }
  // Another partitioning (or none) of an earlier run covers this range too.
  const earlier = checkpoint?.lastKey ? checkpoint : await ledger.otherPartitionCheckpoint(name, stage.tenant, partition, options.runId);
  if (stage.mode === "insert" && earlier && earlier.lastKey !== null && (await targetHoldsRows(stage))) {
    throw await insertAgainError(stage, ledger, earlier);
  }
  return { kind: "read", after: null };
}

/**
 * Where an incremental read continues from a checkpoint. Modes that write idempotently re-read the
 * watermark's whole tie group (from its cursor value); an append-only `insert` continues strictly after
 * the watermark, since re-reading would load those rows twice (`plan` warns what that mode cannot see).
 */
export function incrementalStart(stage: PreparedStage, checkpoint: Pick<Checkpoint, "watermark"> | undefined): { after: unknown[] | null; since?: unknown } {
  const watermark = Array.isArray(checkpoint?.watermark) && checkpoint.watermark.length ? (checkpoint.watermark as unknown[]) : null;
  if (stage.mode === "insert") return { after: watermark };
  return { after: null, since: watermark?.[0] };
}

/** Does the target table (the stage's tenant's part of it) hold any row? An empty one cannot be loaded twice. */
const targetHoldsRows = (stage: PreparedStage) =>
  holdsRows(stage.target, stage.targetRef, stage.tenantColumn ? { column: stage.tenantColumn, value: stage.tenant } : undefined);

async function insertAgainError(stage: PreparedStage, ledger: Ledger, checkpoint: Checkpoint) {
  const run = await ledger.runSummary(checkpoint.runId, stage.pipeline.name, stage.tenant);
  const rows = run ? `${run.rowsWritten.toLocaleString("en-US")} rows` : "rows";
  const context = { pipeline: stage.pipeline.name, table: stage.targetLabel };
  if (checkpoint.complete) {
    return configError(
      `run ${checkpoint.runId} already loaded ${rows} into ${stage.targetLabel}${run?.finishedAt ? ` (finished ${run.finishedAt})` : ""}; this insert pipeline would load them again, so nothing was written`,
      { ...context, fix: `\`databridge rollback ${checkpoint.runId}\` to undo that run first, or use mode: "upsert" to sync changes, or mode: "replace" to reload the table` },
    );
  }
  return configError(
    `run ${checkpoint.runId} stopped part way (${run?.status ?? "unfinished"}) after loading ${rows} into ${stage.targetLabel}; starting over would load them again, so nothing was written`,
    { ...context, fix: `\`databridge run --resume\` to continue it, or \`databridge rollback ${checkpoint.runId}\` to start over` },
  );
}
