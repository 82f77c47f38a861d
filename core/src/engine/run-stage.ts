import type { RetryPolicy } from "../authoring/pipeline.js";
import { DataBridgeError, dataError, formatKey, isDataBridgeError, messageOf, terminalError, transientError } from "../errors.js";
import { emptyCounts, type EventInput, type Parity, type RowCounts, type StageStatus } from "../runner-protocol/events.js";
import type { Ledger } from "../target/ledger.js";
import { countParity, countSourceRows } from "./parity.js";
import type { CompiledMappings } from "./compile-mappings.js";
import type { PreparedStage } from "./prepare.js";
import { propagateDeletes } from "../target/propagate-deletes.js";
import { pump, type PumpState } from "./pump.js";
import { acquireRunLock } from "../target/run-lock.js";
import { incrementalStart, startPoint, type StartOptions } from "./start-point.js";
import { beginDurable, isLockTimeout } from "../target/statements.js";
import { inTransaction, tableExists } from "../target/transaction.js";

export interface StageContext extends StartOptions {
  runId: string;
  emit(event: EventInput): void;
  ledger: Ledger;
  compiled: CompiledMappings;
  signal?: AbortSignal;
  /** Called between batches; resolves when the run may go on (pause support). */
  gate?: () => Promise<void>;
}

export interface StageOutcome {
  pipeline: string;
  tenant: string;
  status: StageStatus;
  rows: RowCounts;
  durationMs: number;
  error?: DataBridgeError;
  parity?: Parity;
}

const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 5, initialDelayMs: 500, maxDelayMs: 30_000 };

/** Full-jitter exponential backoff: a random delay up to initial × 2^attempt, capped. */
export function backoffDelay(attempt: number, policy: Required<RetryPolicy>, random = Math.random): number {
  return Math.round(random() * Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1)));
}

/** Raised by the final step when the target no longer holds every batch this process saw commit. */
class CheckpointBehind extends Error {}

/**
 * Runs one stage (a pipeline for one source) while holding the pipeline's run lock: extract → transform
 * → load, retries of transient failures from the last committed batch, and a final step that only calls
 * the stage complete when the checkpoint covers everything read.
 */
export async function runStage(stage: PreparedStage, ctx: StageContext): Promise<StageOutcome> {
  const started = Date.now();
  const counts = emptyCounts();
  const outcome = (status: StageStatus, error?: DataBridgeError, parity?: Parity): StageOutcome =>
    ({ pipeline: stage.pipeline.name, tenant: stage.tenant, status, rows: { ...counts }, durationMs: Date.now() - started, error, parity });

  await ctx.ledger.ensure();
  const lock = await acquireRunLock(stage.target, ctx.ledger, { pipeline: stage.pipeline.name, tenant: stage.tenant, partition: stage.partition?.id, runId: ctx.runId });
  try {
    const start = await startPoint(stage, ctx.ledger, ctx);
    if (start.kind === "skip") {
      ctx.emit({ type: "log", pipeline: stage.pipeline.name, level: "info", message: start.message });
      return outcome("skipped");
    }
    return await loadStage(stage, ctx, { counts, started, lock, start, outcome });
  } finally {
    await lock.release();
  }
}

async function loadStage(
  stage: PreparedStage,
  ctx: StageContext,
  run: {
    counts: RowCounts; started: number; lock: Awaited<ReturnType<typeof acquireRunLock>>;
    start: Extract<Awaited<ReturnType<typeof startPoint>>, { kind: "read" }>;
    outcome: (status: StageStatus, error?: DataBridgeError, parity?: Parity) => StageOutcome;
  },
): Promise<StageOutcome> {
  const { pipeline, tenant, target } = stage;
  const name = pipeline.name;
  const policy = { ...DEFAULT_RETRY, ...pipeline.retry };
  const { strategy } = stage;
  const partition = stage.partition?.id;
  let { after } = run.start;
  if (stage.createDdl) await inTransaction(target, (s) => s.query(stage.createDdl!).then(() => undefined), { lockTable: stage.targetLabel, ignoreExisting: true });
  // The same run again (a queue job redelivered after its worker died): its batches so far stay counted and numbered.
  const sameRun = run.start.resumedFrom === ctx.runId ? await ctx.ledger.runTotals(ctx.runId, name, tenant, partition) : undefined;
  if (sameRun) Object.assign(run.counts, sameRun.counts);
  await ctx.ledger.startRun({ runId: ctx.runId, pipeline: name, tenant, partition, mode: stage.mode, targetTable: stage.targetLabel, startKey: after, resumedFrom: run.start.resumedFrom, resetWatermark: ctx.fullRefresh });
  if (strategy.begin && (after === null || !(await tableExists(target, strategy.loadTable)))) {
    after = null; // the shadow table of an interrupted replace is gone: start over
    await inTransaction(target, (s) => strategy.begin!(s));
  }

  let estimatedRows = stage.estimatedRows;
  if (estimatedRows === null && "table" in stage.from) estimatedRows = await countSourceRows(stage);
  ctx.emit({
    type: "stage.started", pipeline: name, tenant: tenant || undefined, source: stage.sourceLabel, target: `${target.name}:${stage.targetLabel}`,
    mode: stage.mode, estimatedRows, resumeAfter: after,
  });

  let batchNumber = sameRun?.batches ?? 0;
  const state: PumpState = {
    after, since: run.start.since, estimatedRows, counts: run.counts, started: run.started, nextBatch: () => ++batchNumber, serialWrites: false,
    lastCommittedKey: after,
  };
  let deleted = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      if ((await pump(stage, ctx, state)) === "cancelled") {
        await ctx.ledger.finishRun({ runId: ctx.runId, pipeline: name, tenant, partition, status: "cancelled", complete: false });
        return run.outcome("cancelled");
      }
      deleted += await propagateDeletes(stage, ctx.runId);
      await finishStage(stage, ctx, state, deleted);
      break;
    } catch (caught) {
      const error = caught instanceof CheckpointBehind ? transientError(caught.message, { pipeline: name }) : classify(caught, stage);
      if (error.kind !== "transient" || attempt >= policy.attempts) {
        await ctx.ledger.finishRun({ runId: ctx.runId, pipeline: name, tenant, partition, status: "failed", error: error.toLine(), complete: false }).catch(() => {});
        return run.outcome("failed", error);
      }
      // In-flight batches waited on each other's rows (see pump): from now on, one batch at a time.
      if (isLockTimeout(caught)) state.serialWrites = true;
      const delayMs = backoffDelay(attempt, policy);
      ctx.emit({ type: "stage.retrying", pipeline: name, attempt, delayMs, message: error.toLine() });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await continueFromCheckpoint(stage, ctx, state, run.lock, policy);
    }
  }

  const status: StageStatus = run.counts.rejected > 0 ? "succeeded_with_rejects" : "succeeded";
  if (deleted) run.counts.deleted = deleted;
  const parity = await countParity(stage, ctx.ledger, state.lastCommittedKey).catch(() => undefined);
  if (parity?.ok === false) {
    const error = terminalError(
      `count parity failed: the source has ${parity.source.toLocaleString("en-US")} rows in the range read, the target ${parity.target.toLocaleString("en-US")}` +
      `${parity.rejected ? ` (${parity.rejected.toLocaleString("en-US")} rejected)` : ""}: ${(parity.source - (parity.rejected ?? 0) - parity.target).toLocaleString("en-US")} rows are missing`,
      { pipeline: name, table: stage.targetLabel, fix: `\`databridge verify ${name}\` names the missing keys; rows added to the source behind the reader are picked up by running again` },
    );
    await ctx.ledger.finishRun({ runId: ctx.runId, pipeline: name, tenant, partition, status: "failed", error: error.toLine(), complete: false }).catch(() => {});
    return run.outcome("failed", error, parity);
  }
  return run.outcome(status, undefined, parity);
}

/**
 * The stage's last transaction, and the only synchronous commit: it flushes every batch committed before
 * it. It first checks that the checkpoint still stands where this process last saw a batch commit — after
 * a crash of the target that lost asynchronously committed batches, it does not, and the stage goes back
 * to loading from the checkpoint instead of declaring a copy complete that is not.
 */
async function finishStage(stage: PreparedStage, ctx: StageContext, state: PumpState, deleted: number): Promise<void> {
  const { strategy } = stage;
  const status: StageStatus = state.counts.rejected > 0 ? "succeeded_with_rejects" : "succeeded";
  await inTransaction(stage.target, async (session) => {
    await beginDurable(session);
    const scope = { runId: ctx.runId, pipeline: stage.pipeline.name, tenant: stage.tenant, partition: stage.partition?.id };
    const { covered, owner } = await ctx.ledger.checkpointCovers(session, { ...scope, lastKey: state.lastCommittedKey });
    if (owner && owner !== ctx.runId) throw terminalError(`run ${owner} took over this pipeline's checkpoint; this run stops without finishing`, { pipeline: stage.pipeline.name });
    if (!covered) {
      throw new CheckpointBehind(`the target lost batches it had acknowledged (last seen ${state.lastCommittedKey ? `after key ${formatKey(state.lastCommittedKey)}` : "at the start"}); loading them again from the checkpoint`);
    }
    await strategy.finish?.(session);
    await ctx.ledger.finishRun({ ...scope, status, complete: true, deleted }, session);
  });
}

/**
 * After a transient failure: everything this process believed committed may not be — the ledger is the
 * truth. The run lock is taken again if its session died, the read restarts at the checkpoint, the counts
 * are the ledger's, and id mappings are no longer trusted as stored.
 */
async function continueFromCheckpoint(stage: PreparedStage, ctx: StageContext, state: PumpState, lock: Awaited<ReturnType<typeof acquireRunLock>>, policy: Required<RetryPolicy>) {
  const name = stage.pipeline.name;
  await retryable(() => lock.reassert(), policy, stage);
  const checkpoint = await retryable(() => ctx.ledger.checkpoint(name, stage.tenant, stage.partition?.id), policy, stage);
  if (stage.incremental) {
    Object.assign(state, { since: undefined }, incrementalStart(stage, checkpoint));
  } else {
    state.after = checkpoint?.lastKey ?? null;
  }
  state.lastCommittedKey = checkpoint?.lastKey ?? null;
  const totals = await retryable(() => ctx.ledger.runTotals(ctx.runId, name, stage.tenant, stage.partition?.id), policy, stage);
  if (totals) Object.assign(state.counts, totals.counts);
  ctx.compiled.idMap.forgetUnflushed();
}

function classify(caught: unknown, stage: PreparedStage): DataBridgeError {
  if (isDataBridgeError(caught)) return caught.withContext({ pipeline: stage.pipeline.name });
  const fromTarget = stage.target.classifyError(caught);
  const fromSource = stage.source.classifyError(caught);
  const kind = fromTarget === "transient" || fromSource === "transient" ? "transient" : fromTarget;
  const context = { pipeline: stage.pipeline.name, code: (caught as { code?: string })?.code };
  const message = messageOf(caught);
  return kind === "transient" ? transientError(message, context, caught) : kind === "data" ? dataError(message, context, caught) : terminalError(message, context, caught);
}

async function retryable<T>(work: () => Promise<T>, policy: Required<RetryPolicy>, stage: PreparedStage): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      // The connectors' own classification (e.g. 57P03 "the database system is starting up" while a server restarts).
      if (classify(error, stage).kind !== "transient" || attempt >= policy.attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, policy)));
    }
  }
}

export { inTransaction } from "../target/transaction.js";
