import type { RetryPolicy } from "../authoring/pipeline.js";
import type { PreEncodedRows, TargetSession } from "../connectors/connector.js";
import { DataBridgeError, dataError, formatKey, isDataBridgeError, messageOf, terminalError, transientError } from "../errors.js";
import { emptyCounts, type EventInput, type RowCounts, type StageStatus } from "../protocol.js";
import { BoundedQueue } from "./bounded-queue.js";
import { asDerivedTable } from "../connectors/keyset.js";
import { Ledger, type RejectedRow } from "./ledger.js";
import { loadStrategy } from "./load-modes.js";
import { IdMapService, legacyKeyText, type IdMapping } from "./id-map.js";
import { compactWrittenKeys, keyRangesApply } from "./written-keys.js";
import { passesRowsThrough, type CompiledMappings, type PreparedStage } from "./prepare.js";
import { decodeCopyLine } from "../connectors/postgres/postgres-copy.js";

export interface StageContext {
  runId: string;
  emit(event: EventInput): void;
  ledger: Ledger;
  compiled: CompiledMappings;
  resume: boolean;
  /** Incremental pipelines: ignore the watermark and read everything again. */
  fullRefresh?: boolean;
  /** Retry semantics: resume only checkpoints left by these runs; anything else starts fresh. */
  resumeRuns?: string[];
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
  parity?: { source: number; target: number };
}

interface TransformedBatch {
  number: number;
  rows: unknown[][];
  /** The source rows `rows` came from, index for index (the same arrays when the mapping passes rows through). */
  sourceRows: unknown[][];
  /** The source key of `rows[i]`, computed when an error needs it (not kept per row). */
  keyAt(i: number): unknown[];
  /** The source row of `rows[i]` as values (decoded from its COPY text when the source encoded it), for reporting it. */
  sourceValuesAt(i: number): unknown[];
  /** Rows the source encoded as COPY text: where each keeps its line. */
  preEncoded?: PreEncodedRows;
  rejects: RejectedRow[];
  /** Indexes (into `rows`) the target rejected while loading. */
  rejectedAtLoad: Set<number>;
  idMappings: IdMapping[];
  firstKey: unknown[];
  lastKey: unknown[];
  read: number;
}

const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 5, initialDelayMs: 500, maxDelayMs: 30_000 };
/** How long a batch waits for a row lock while two batches are in flight, and the error that ends the wait. */
const IN_FLIGHT_LOCK_TIMEOUT = "10s";
const LOCK_NOT_AVAILABLE = "55P03";

/** Full-jitter exponential backoff: a random delay up to initial × 2^attempt, capped. */
export function backoffDelay(attempt: number, policy: Required<RetryPolicy>, random = Math.random): number {
  return Math.round(random() * Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1)));
}

/**
 * Runs one stage (a pipeline for one source): extract → transform → load with a bounded queue
 * between reader and writer, one transaction per batch carrying its ledger row, retries of
 * transient failures from the last committed batch.
 */
export async function runStage(stage: PreparedStage, ctx: StageContext): Promise<StageOutcome> {
  const started = Date.now();
  const { pipeline, tenant, target } = stage;
  const name = pipeline.name;
  const counts = emptyCounts();
  const policy = { ...DEFAULT_RETRY, ...pipeline.retry };
  const strategy = loadStrategy(stage);
  const outcome = (status: StageStatus, error?: DataBridgeError): StageOutcome => ({ pipeline: name, tenant, status, rows: { ...counts }, durationMs: Date.now() - started, error });

  await ctx.ledger.ensure();
  const checkpoint = await ctx.ledger.checkpoint(name, tenant);
  let after: unknown[] | null = null;
  let resumedFrom: string | undefined;
  if (stage.incremental) {
    // The watermark advances with every committed batch, so it is also where an interrupted run resumes.
    after = ctx.fullRefresh ? null : (checkpoint?.watermark as unknown[] | null) ?? null;
    resumedFrom = checkpoint?.runId;
  } else if (ctx.resumeRuns) {
    if (checkpoint && ctx.resumeRuns.includes(checkpoint.runId)) {
      if (checkpoint.complete) {
        ctx.emit({ type: "log", pipeline: name, level: "info", message: `${name}: completed in run ${checkpoint.runId}; nothing to retry` });
        return outcome("skipped");
      }
      after = checkpoint.lastKey;
      resumedFrom = checkpoint.runId;
    }
  } else if (ctx.resume && checkpoint) {
    if (checkpoint.complete) {
      ctx.emit({ type: "log", pipeline: name, level: "info", message: `${name}: the last run completed; nothing to resume` });
      return outcome("skipped");
    }
    after = checkpoint.lastKey;
    resumedFrom = checkpoint.runId;
  }
  if (stage.createDdl) await inTransaction(target, (s) => s.query(stage.createDdl!).then(() => undefined), { lockTable: stage.targetLabel, ignoreExisting: true });
  await ctx.ledger.startRun({ runId: ctx.runId, pipeline: name, tenant, mode: stage.mode, targetTable: stage.targetLabel, startKey: after, resumedFrom, resetWatermark: ctx.fullRefresh });
  if (strategy.begin && (after === null || !(await tableExists(stage, strategy.loadTable)))) {
    if (after !== null) after = null; // the shadow table of an interrupted replace is gone: start over
    await inTransaction(target, (s) => strategy.begin!(s));
  }

  let estimatedRows = stage.estimatedRows;
  if (estimatedRows === null && "table" in stage.from) {
    estimatedRows = Number((await stage.source.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${stage.source.dialect.quoteTable(stage.from.table)}`)).rows[0]?.n ?? 0);
  }
  ctx.emit({
    type: "stage.started", pipeline: name, tenant: tenant || undefined, source: stage.sourceLabel, target: `${target.name}:${stage.targetLabel}`,
    mode: stage.mode, estimatedRows, resumeAfter: after,
  });

  let batchNumber = 0;
  let serialWrites = false;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await pump(stage, ctx, { after, estimatedRows, counts, started, nextBatch: () => ++batchNumber, serialWrites });
      if (result === "cancelled") {
        await ctx.ledger.finishRun({ runId: ctx.runId, pipeline: name, tenant, status: "cancelled", complete: false });
        return outcome("cancelled");
      }
      break;
    } catch (caught) {
      const error = classify(caught, stage);
      if (error.kind !== "transient" || attempt >= policy.attempts) {
        await ctx.ledger.finishRun({ runId: ctx.runId, pipeline: name, tenant, status: "failed", error: error.toLine(), complete: false }).catch(() => {});
        return outcome("failed", error);
      }
      // In-flight batches waited on each other's rows (see pump): from now on, one batch at a time.
      if ((caught as { code?: string })?.code === LOCK_NOT_AVAILABLE) serialWrites = true;
      const delayMs = backoffDelay(attempt, policy);
      ctx.emit({ type: "stage.retrying", pipeline: name, attempt, delayMs, message: error.toLine() });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      after = await retryable(() => ctx.ledger.checkpoint(name, tenant), policy, stage).then((c) => (stage.incremental ? (c?.watermark as unknown[] | null) : c?.lastKey) ?? null);
    }
  }

  const status: StageStatus = counts.rejected > 0 ? "succeeded_with_rejects" : "succeeded";
  try {
    await retryable(() => inTransaction(target, async (session) => {
      await strategy.finish?.(session);
      await ctx.ledger.finishRun({ runId: ctx.runId, pipeline: name, tenant, status, complete: true }, session);
    }), policy, stage);
  } catch (caught) {
    return outcome("failed", classify(caught, stage));
  }
  const result = outcome(status);
  result.parity = await countParity(stage).catch(() => undefined);
  return result;
}

async function pump(
  stage: PreparedStage,
  ctx: StageContext,
  state: { after: unknown[] | null; estimatedRows: number | null; counts: RowCounts; started: number; nextBatch: () => number; serialWrites: boolean },
): Promise<"done" | "cancelled"> {
  const { pipeline, tenant, source, readColumns, pageKey, batchSize, sourceEncoding: encoding } = stage;
  const q = source.dialect.quoteIdentifier;
  const cursorType = stage.incremental && stage.sourceColumns.find((c) => c.name === stage.incremental!.cursor)?.type;
  const where = stage.incremental
    ? { sql: `${q(stage.incremental.cursor)} IS NOT NULL${stage.incremental.lagSeconds ? ` AND ${q(stage.incremental.cursor)} <= ${source.dialect.nowMinusSeconds(stage.incremental.lagSeconds, cursorType)}` : ""}`, params: [] }
    : undefined;
  const targetKeyIndexes = stage.targetKey.map((k) => stage.targetColumns.indexOf(k));
  const keyRanges = keyRangesApply(stage.targetKey, (column) => stage.targetTable?.columns.find((c) => c.name === column)?.nativeType);
  const queue = new BoundedQueue<TransformedBatch>(2);
  const strategy = loadStrategy(stage);
  const onError = pipeline.onError ?? "fail";
  const isolateRejects = onError !== "fail";
  let stopReading = false;
  let cancelled = false;

  const reader = (async () => {
    let after = state.after;
    while (!stopReading) {
      if (ctx.signal?.aborted) { cancelled = true; break; }
      await ctx.gate?.();
      const page = { from: stage.from, key: pageKey, after: after ?? undefined, where, limit: batchSize };
      const encodedPage = encoding && await source.read({ ...page, columns: readColumns.slice(0, encoding.valueColumns), copyText: encoding.copyText });
      // A server answers NULL for a concatenation longer than its max_allowed_packet: such a page is read again as values.
      const encoded = encodedPage !== undefined && encodedPage.rows.every((row) => typeof row[encoding!.valueColumns] === "string");
      if (encodedPage && !encoded) {
        ctx.emit({ type: "log", pipeline: pipeline.name, level: "warn", message: `${pipeline.name}: the source could not encode the page ${after ? `after key ${formatKey(after)}` : "from the start"} as COPY text; reading it as values` });
      }
      const batch = encoded ? encodedPage : await source.read({ ...page, columns: readColumns });
      if (!batch.rows.length) break;
      const number = state.nextBatch();
      await ctx.compiled.beforeBatch(batch.rows);
      const transformed = transformBatch(stage, ctx.compiled, batch.rows, number, onError === "fail", encoded);
      after = transformed.lastKey;
      await queue.push(transformed);
      if (batch.rows.length < batchSize) break;
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
      // crashes before flushing the commit: at worst the last batches are read again on resume. Not
      // waiting for each flush keeps WAL fsyncs off the hot path; the stage's final commit still waits.
      await session.query("SET LOCAL synchronous_commit = off");
      if (concurrent) await session.query(`SET LOCAL lock_timeout = '${IN_FLIGHT_LOCK_TIMEOUT}'`);
      const meta = { runId: ctx.runId, batch: batch.number, preEncoded: batch.preEncoded };
      const loaded = isolateRejects
        ? await loadIsolatingRejects(session, (s, rows) => strategy.load(s, rows, meta), batch, stage)
        : await strategy.load(session, batch.rows, meta).catch((error) => { throw explainLoadError(error, stage, batch); });
      // The batch before must be in first (if it failed, this one rolls back with it).
      await previous;
      // Only rows that loaded keep their new id: a child referencing a rejected parent must be rejected by remap, not orphaned.
      idMappings = mappingsOfLoadedRows(stage, batch.idMappings, batch.rejects);
      await IdMapService.persist(session, idMappings);
      let writtenKeys;
      if (stage.mode === "insert" && targetKeyIndexes.every((i) => i >= 0)) {
        const loadedRows = batch.rejectedAtLoad.size ? batch.rows.filter((_, i) => !batch.rejectedAtLoad.has(i)) : batch.rows;
        const keys = loadedRows.map((row) => targetKeyIndexes.map((i) => row[i]));
        writtenKeys = { targetTable: stage.targetLabel, keyColumns: stage.targetKey, keys: keyRanges ? compactWrittenKeys(keys) : keys };
      }
      checkRejectThreshold(stage, state.counts, batch);
      await ctx.ledger.recordRejects(session, { runId: ctx.runId, pipeline: pipeline.name, tenant, batch: batch.number, rejects: batch.rejects });
      await ctx.ledger.recordBatch(session, {
        runId: ctx.runId, pipeline: pipeline.name, tenant, batch: batch.number, firstKey: batch.firstKey, lastKey: batch.lastKey,
        counts: { read: batch.read, written: loaded, rejected: batch.rejects.length },
        watermark: stage.incremental ? batch.lastKey : undefined, writtenKeys,
      });
      return loaded;
    });
    ctx.compiled.idMap.confirm(idMappings);
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

/** Applies the compiled mappings; a row whose transform fails is rejected (or fails the run with `onError: "fail"`). */
function transformBatch(stage: PreparedStage, compiled: CompiledMappings, rows: unknown[][], number: number, failFast: boolean, encoded: boolean): TransformedBatch {
  const { mappers } = compiled;
  const pageLength = stage.pageKey.length;
  const keyOf = (row: unknown[]) => stage.keyIndexes.map((i) => row[i]);
  const preEncoded = encoded && stage.sourceEncoding ? { textAt: stage.sourceEncoding.valueColumns, leading: 0 } : undefined;
  const batch = (out: unknown[][], sourceRows: unknown[][], rejects: RejectedRow[]): TransformedBatch => ({
    number, rows: out, sourceRows, keyAt: (i) => keyOf(sourceRows[i]), rejects, rejectedAtLoad: new Set(), idMappings: compiled.idMap.takePending(),
    sourceValuesAt: (i) => (preEncoded ? valuesOfEncodedRow(stage, sourceRows[i], preEncoded.textAt) : sourceRows[i]), preEncoded,
    firstKey: rows[0].slice(0, pageLength), lastKey: rows[rows.length - 1].slice(0, pageLength), read: rows.length,
  });
  // Every target column is a source column in read order: the rows pass through as read, with no
  // per-row copy (a million-row copy then allocates, and the GC moves, half as much).
  if (passesRowsThrough(stage)) return batch(rows, rows, []);
  const out: unknown[][] = [];
  const sourceRows: unknown[][] = [];
  const rejects: RejectedRow[] = [];
  for (const row of rows) {
    const values = new Array(mappers.length);
    let j = 0;
    try {
      for (; j < mappers.length; j++) values[j] = mappers[j](row);
    } catch (caught) {
      const rowKey = keyOf(row);
      const column = stage.targetColumns[j];
      const error = isDataBridgeError(caught) ? caught : dataError(messageOf(caught), {}, caught);
      if (failFast) {
        throw error.withContext({ pipeline: stage.pipeline.name, column, batch: number, rowKey, stage: "transform", fix: 'fix the value or the mapping, or set onError: "skip" to reject such rows' });
      }
      rejects.push({ key: rowKey, row: rowObject(stage, row), stage: "transform", column: error.context.column ?? column, code: error.context.code, message: error.message });
      continue;
    }
    out.push(values);
    sourceRows.push(row);
  }
  return batch(out, sourceRows, rejects);
}

/**
 * A source-encoded row as the values the value path would have read, for reporting and replaying it:
 * the columns read as values are taken as they are, the rest decoded from the line and typed back
 * where the text alone would change how they read (numbers, booleans).
 */
function valuesOfEncodedRow(stage: PreparedStage, row: unknown[], textAt: number): unknown[] {
  return decodeCopyLine(row[textAt] as string).map((text, i) => {
    if (i < textAt) return row[i];
    if (text === null) return null;
    switch (stage.sourceColumns.find((c) => c.name === stage.readColumns[i])?.type.kind) {
      case "smallint": case "integer": case "float": return Number(text);
      case "boolean": return text === "t" || text === "true" || text === "1";
      default: return text;
    }
  });
}

/** The new ids created for a batch, minus those of its rejected rows (their legacy key is in the rejected source row). */
export function mappingsOfLoadedRows(stage: PreparedStage, mappings: IdMapping[], rejects: RejectedRow[]): IdMapping[] {
  const idMap = stage.pipeline.idMap;
  if (!idMap || !rejects.length || !mappings.length) return mappings;
  const rejected = new Set(rejects.map((r) => r.row[idMap.key]).filter((v) => v !== null && v !== undefined).map(legacyKeyText));
  return mappings.filter((m) => !(m.entity === idMap.entity && m.tenant === stage.tenant && rejected.has(m.legacyKey)));
}

function rowObject(stage: PreparedStage, row: unknown[]): Record<string, unknown> {
  return Object.fromEntries(stage.readColumns.map((c, i) => [c, row[i]]));
}

/**
 * COPY is all-or-nothing. Load the whole batch under a savepoint (the clean-data fast path);
 * if the database rejects a value, bisect: halves under their own savepoints, down to the bad rows.
 */
async function loadIsolatingRejects(session: TargetSession, load: (s: TargetSession, rows: unknown[][]) => Promise<number>, batch: TransformedBatch, stage: PreparedStage): Promise<number> {
  let savepoint = 0;
  const attempt = async (from: number, to: number): Promise<number> => {
    if (from >= to) return 0;
    const name = `databridge_${++savepoint}`;
    await session.query(`SAVEPOINT ${name}`);
    try {
      const loaded = await load(session, batch.rows.slice(from, to));
      await session.query(`RELEASE SAVEPOINT ${name}`);
      return loaded;
    } catch (caught) {
      await session.query(`ROLLBACK TO SAVEPOINT ${name}`);
      if (stage.target.classifyError(caught) !== "data") throw caught;
      if (to - from === 1) {
        batch.rejectedAtLoad.add(from);
        const error = caught as { code?: string; column?: string; message?: string; where?: string };
        const values = batch.sourceValuesAt(from);
        batch.rejects.push({
          key: batch.keyAt(from), row: rowObject(stage, values), stage: "load",
          column: error.column ?? copyErrorColumn(error.where, stage.targetColumns, batch.preEncoded ? values : batch.rows[from]), code: error.code, message: messageOf(caught),
        });
        return 0;
      }
      const middle = from + Math.ceil((to - from) / 2);
      return (await attempt(from, middle)) + (await attempt(middle, to));
    }
  };
  return attempt(0, batch.rows.length);
}

/**
 * The column a COPY error's context names (`COPY t, line 1, column note: "…"`), matched against the
 * columns loaded; for a NUL byte (rejected before COPY splits the line) the text column holding it.
 */
function copyErrorColumn(where: string | undefined, columns: string[], row: unknown[]): string | undefined {
  const named = where ? columns.filter((c) => where.includes(`, column ${c}: `) || where.endsWith(`, column ${c}`)).sort((a, b) => b.length - a.length)[0] : undefined;
  return named ?? columns.find((_, i) => typeof row[i] === "string" && (row[i] as string).includes("\u0000"));
}

function checkRejectThreshold(stage: PreparedStage, counts: RowCounts, batch: TransformedBatch): void {
  const onError = stage.pipeline.onError ?? "fail";
  if (typeof onError !== "object") return;
  const rejected = counts.rejected + batch.rejects.length;
  const read = counts.read + batch.read;
  const max = onError.maxRejected;
  const limit = typeof max === "number" ? max : (parseFloat(max) / 100) * Math.max(read, stage.estimatedRows ?? 0);
  if (rejected > limit) {
    throw dataError(`${rejected} rows rejected, more than onError.maxRejected (${max}); the batch was rolled back`, {
      pipeline: stage.pipeline.name, batch: batch.number, fix: "see `databridge errors <run>` for the rejected rows",
    });
  }
}

/** The database's reason, with the row the failure is about when the database names it. */
function explainLoadError(error: unknown, stage: PreparedStage, batch: TransformedBatch): unknown {
  if (stage.target.classifyError(error) !== "data") return error;
  const e = error as { message?: string; column?: string; where?: string; code?: string };
  // COPY names the row and the column in its context: `COPY t, line 3, column label: "…"`.
  const where = /COPY [^,]+, line (\d+)(?:, column ([^:]+))?/.exec(e.where ?? "");
  const rowKey = where ? batch.keyAt(Number(where[1]) - 1) : undefined;
  return dataError(messageOf(error), {
    pipeline: stage.pipeline.name, table: stage.targetLabel, column: e.column ?? where?.[2], batch: batch.number, rowKey, code: e.code, stage: "load",
    fix: 'fix the data or the mapping, or set onError: "skip" to reject such rows and load the rest',
  }, error);
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

/** Runs work in one transaction on a dedicated session; a failed session is discarded, never left idle in transaction. */
export async function inTransaction<T>(
  target: PreparedStage["target"],
  work: (session: TargetSession) => Promise<T>,
  options: { lockTable?: string; ignoreExisting?: boolean } = {},
): Promise<T> {
  const session = await target.session();
  try {
    await session.query("BEGIN");
    if (options.lockTable) await session.query("SELECT pg_advisory_xact_lock(hashtext($1))", [options.lockTable]);
    const result = await work(session);
    await session.query("COMMIT");
    await session.release();
    return result;
  } catch (error) {
    const rolledBack = await session.query("ROLLBACK").then(() => true, () => false);
    await session.release(!rolledBack);
    if (options.ignoreExisting && (error as { code?: string })?.code === "42P07") return undefined as T;
    throw error;
  }
}

async function tableExists(stage: PreparedStage, ref: { schema?: string; name: string }): Promise<boolean> {
  const { rows } = await stage.target.query<{ exists: boolean }>("SELECT to_regclass($1) IS NOT NULL AS exists", [stage.target.dialect.quoteTable(ref)]);
  return Boolean(rows[0]?.exists);
}

/** Rows in the source against rows in the target (for this tenant, when consolidating). */
async function countParity(stage: PreparedStage): Promise<{ source: number; target: number }> {
  const sourceSql = "table" in stage.from
    ? `SELECT count(*) AS n FROM ${stage.source.dialect.quoteTable(stage.from.table)}`
    : `SELECT count(*) AS n FROM ${asDerivedTable(stage.from.query)}`;
  const tenantColumn = stage.pipeline.sources ? stage.pipeline.target.tenantColumn ?? "tenant_id" : undefined;
  const targetSql = `SELECT count(*) AS n FROM ${stage.target.dialect.quoteTable(stage.targetRef)}${tenantColumn ? ` WHERE ${stage.target.dialect.quoteIdentifier(tenantColumn)} = $1` : ""}`;
  const [s, t] = await Promise.all([
    stage.source.query<{ n: unknown }>(sourceSql),
    stage.target.query<{ n: unknown }>(targetSql, tenantColumn ? [stage.tenant] : []),
  ]);
  return { source: Number(s.rows[0]?.n ?? 0), target: Number(t.rows[0]?.n ?? 0) };
}

export { formatKey };
