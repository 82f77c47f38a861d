import { loadColumns, type ReadRequest } from "../connectors/connector.js";
import { andWhere, sqlText } from "../connectors/keyset.js";
import type { RowCounts } from "../runner-protocol/events.js";
import { releaseCopyChunks } from "../connectors/postgres/postgres-copy.js";
import { BoundedQueue } from "./bounded-queue.js";
import { withPartition } from "./partitions.js";
import { checkRejectThreshold, explainLoadError, loadIsolatingRejects } from "./batch-load.js";
import { IdMapService } from "../target/id-map.js";
import type { PreparedStage } from "./prepare.js";
import type { StageContext } from "./run-stage.js";
import { beginBatch } from "../target/statements.js";
import { inTransaction } from "../target/transaction.js";
import { mappingsOfLoadedRows, type TransformedBatch } from "./transform-batch.js";
import { batchReader } from "./read-batch.js";
import { keyRangesApply, writtenKeysOfRows } from "../target/written-keys.js";

/** How long a batch waits for a row lock while two batches are in flight, and the error that ends the wait. */
const IN_FLIGHT_LOCK_TIMEOUT = "10s";

/** Where the pump starts and what it has done: shared with the stage so a retry continues from the truth. */
export interface PumpState {
  /** Read rows whose page key is after this one (null: from the start of the range). */
  after: unknown[] | null;
  /** Incremental: re-read every row whose cursor is at least this value (the watermark's own tie group). */
  since?: unknown;
  estimatedRows: number | null;
  counts: RowCounts;
  started: number;
  nextBatch: () => number;
  serialWrites: boolean;
  /** The page key of the last batch this process saw commit (what the checkpoint must still hold at the end). */
  lastCommittedKey: unknown[] | null;
}

/**
 * The pipeline's own `source.where`, as a predicate of a read: the source's SQL as the author wrote it,
 * closed on a line of its own (a trailing `-- comment` cannot swallow the parenthesis). Rows it leaves out
 * are not part of the source at all: not read, counted, verified, or kept by `deletes: "propagate"`.
 */
export function rowFilter(stage: Pick<PreparedStage, "sourceSpec">): ReadRequest["where"] {
  const where = stage.sourceSpec.where;
  return where === undefined ? undefined : { sql: `${sqlText(where)}\n`, params: [] };
}

/**
 * The source rows a stage reads, as a predicate in the source's SQL: the pipeline's filter, and for
 * incremental pipelines the rows past the tie group's start and not newer than the lag. One place, so
 * reads and the parity count agree on it.
 */
export function sourceFilter(stage: PreparedStage, since: unknown): ReadRequest["where"] {
  if (!stage.incremental) return withPartition(rowFilter(stage), stage);
  const q = (name: string) => sqlText(stage.source.dialect.quoteIdentifier(name));
  const cursor = q(stage.incremental.cursor);
  const parts = [`${cursor} IS NOT NULL`];
  const params: unknown[] = [];
  if (since !== undefined && since !== null) {
    params.push(since);
    parts.push(`${cursor} >= {1}`);
  }
  if (stage.incremental.lagSeconds) {
    const cursorType = stage.sourceColumns.find((c) => c.name === stage.incremental!.cursor)?.type;
    parts.push(`${cursor} <= ${sqlText(stage.source.dialect.nowMinusSeconds(stage.incremental.lagSeconds, cursorType))}`);
  }
  return andWhere(rowFilter(stage), { sql: parts.join(" AND "), params });
}

/**
 * Extract → transform → load for one stage: a reader filling a bounded queue, a writer committing one
 * transaction per batch (its rows and its ledger rows together), two batches in flight where the target
 * has a pool.
 */
export async function pump(stage: PreparedStage, ctx: StageContext, state: PumpState): Promise<"done" | "cancelled"> {
  const { pipeline, tenant, source, readColumns, pageKey, batchSize, sourceEncoding: encoding } = stage;
  const where = sourceFilter(stage, state.since);
  const targetKeyIndexesOf = (batch: TransformedBatch) => {
    const columns = loadColumns(stage.targetColumns, batch.preEncoded?.columns ? batch.preEncoded : undefined);
    return stage.targetKey.map((k) => columns.indexOf(k));
  };
  const keyRanges = keyRangesApply(stage.targetKey, (column) => stage.targetTable?.columns.find((c) => c.name === column)?.nativeType);
  /** Where a batch's rows hold the target keys an `insert` records for rollback. */
  const writtenKeyIndexes = (batch: TransformedBatch) => {
    const indexes = targetKeyIndexesOf(batch);
    return stage.mode === "insert" && indexes.every((i) => i >= 0) ? indexes : undefined;
  };
  const queue = new BoundedQueue<TransformedBatch>(2);
  const { strategy, onError } = stage;
  const isolateRejects = onError !== "fail";
  let stopReading = false;
  let cancelled = false;
  const nextBatch = batchReader(stage, ctx, { where, nextNumber: state.nextBatch, writtenKeyIndexes, keyRanges });

  const reader = (async () => {
    let after = state.after;
    while (!stopReading) {
      if (ctx.signal?.aborted) { cancelled = true; break; }
      await ctx.gate?.();
      const next = await nextBatch(after);
      if (!next) break;
      after = next.batch.lastKey;
      await queue.push(next.batch);
      if (next.last) break;
    }
    queue.close();
  })().catch((error) => queue.close(error));

  // Two batches in flight on their own sessions where the target has a pool: the next batch's COPY
  // overlaps this one's ledger rows and commit, and PostgreSQL works on both. Commits stay in batch
  // order — a batch records its ledger rows and commits only once the batch before it committed — so
  // the checkpoint never passes a batch that is not in. Two in-flight batches wanting the same target
  // row would wait on each other (one inside PostgreSQL, one here); lock_timeout turns that into a
  // transient error, and the retry writes one batch at a time.
  const concurrent = stage.target.capabilities.concurrentSessions && !state.serialWrites;
  const inFlightLimit = concurrent ? 2 : 1;

  const writeBatch = async (batch: TransformedBatch, previous: Promise<void>): Promise<void> => {
    let idMappings = batch.idMappings;
    const written = await inTransaction(stage.target, async (session) => {
      // A batch's rows and its checkpoint commit together, so they cannot disagree even if the server
      // crashes before flushing the commit: at worst the last batches are read again. Not waiting for
      // each flush keeps WAL fsyncs off the hot path; the stage's final commit waits for all of them, and
      // checks first that the checkpoint still covers every batch (see finishStage).
      await beginBatch(session, { lockTimeout: concurrent ? IN_FLIGHT_LOCK_TIMEOUT : undefined });
      const meta = { runId: ctx.runId, batch: batch.number, preEncoded: batch.preEncoded };
      const loaded = isolateRejects
        ? await loadIsolatingRejects(session, (s, rows) => strategy.load(s, rows, meta), batch, stage)
        : await strategy.load(session, batch.encoded ?? batch.rows, meta).catch((error) => { throw explainLoadError(error, stage, batch); });
      // The batch before must be in first (if it failed, this one rolls back with it).
      await previous;
      // Only rows that loaded keep their new id: a child referencing a rejected parent must be rejected by remap, not orphaned.
      idMappings = mappingsOfLoadedRows(stage, batch.idMappings, batch.rejects);
      await IdMapService.persist(session, idMappings);
      const loadedRows = batch.rejectedAtLoad.size ? batch.rows.filter((_, i) => !batch.rejectedAtLoad.has(i)) : batch.rows;
      const writtenKeyColumns = writtenKeyIndexes(batch);
      const keys = batch.writtenKeys ?? (writtenKeyColumns && writtenKeysOfRows(loadedRows, writtenKeyColumns, keyRanges));
      const writtenKeys = keys && { targetTable: stage.targetLabel, keyColumns: stage.targetKey, keys };
      checkRejectThreshold(stage, state.counts, batch);
      await ctx.ledger.recordRejects(session, { runId: ctx.runId, pipeline: pipeline.name, tenant, partition: stage.partition?.id, batch: batch.number, rejects: batch.rejects });
      await ctx.ledger.recordBatch(session, {
        runId: ctx.runId, pipeline: pipeline.name, tenant, partition: stage.partition?.id, batch: batch.number, firstKey: batch.firstKey, lastKey: batch.lastKey,
        counts: { read: batch.read, written: loaded, rejected: batch.rejects.length },
        watermark: stage.incremental ? batch.lastKey : undefined, writtenKeys,
      });
      return loaded;
    });
    // Committed: nothing reads the batch's COPY data again.
    if (batch.encoded) releaseCopyChunks(batch.encoded);
    // Acknowledged, not yet durable (asynchronous commit): the id map keeps these ids only until a retry
    // says otherwise, and the stage's end checks the checkpoint against `lastCommittedKey`.
    ctx.compiled.idMap.confirm(idMappings);
    state.lastCommittedKey = batch.lastKey;
    const batchRows = { read: batch.read, written, rejected: batch.rejects.length };
    state.counts.read += batchRows.read;
    state.counts.written += batchRows.written;
    state.counts.rejected += batchRows.rejected;
    for (const reject of batch.rejects) {
      ctx.emit({ type: "row.rejected", pipeline: pipeline.name, tenant: tenant || undefined, batch: batch.number, key: reject.key, stage: reject.stage, column: reject.column, code: reject.code, message: reject.message });
    }
    const elapsed = Math.max(1, Date.now() - state.started);
    const rowsPerSecond = Math.round((state.counts.read * 1000) / elapsed);
    const remaining = state.estimatedRows === null ? null : Math.max(0, state.estimatedRows - state.counts.read);
    ctx.emit({
      type: "batch.committed", pipeline: pipeline.name, tenant: tenant || undefined, batch: batch.number, batchRows, rows: { ...state.counts },
      lastKey: batch.lastKey, rowsPerSecond, estimatedRows: state.estimatedRows,
      etaMs: remaining === null || rowsPerSecond === 0 ? null : Math.round((remaining / rowsPerSecond) * 1000),
    });
  };

  const inFlight: Promise<void>[] = [];
  let previous: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      if (inFlight.length >= inFlightLimit) await inFlight.shift();
      // Cancelling stops between batches: what is in flight still commits, in order.
      if (ctx.signal?.aborted) { cancelled = true; break; }
      const next = await queue.take();
      if (next.done) break;
      const current = writeBatch(next.value, previous);
      current.catch(() => {}); // observed through inFlight, in order
      inFlight.push(current);
      previous = current;
    }
    while (inFlight.length) await inFlight.shift();
  } catch (error) {
    stopReading = true;
    queue.close();
    await Promise.allSettled(inFlight);
    await reader;
    throw error;
  }
  stopReading = true;
  queue.close();
  await reader;
  return cancelled ? "cancelled" : "done";
}
