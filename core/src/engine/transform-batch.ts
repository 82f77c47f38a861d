import { type CopyTextLine, copyLineText, type EncodedRows, type PreEncodedRows } from "../connectors/connector.js";
import { encodeCopyChunks } from "../connectors/postgres/postgres-copy.js";
import { copyLineFields } from "../target/statements.js";
import { sqlText } from "../connectors/keyset.js";
import { dataError, isDataBridgeError, messageOf } from "../errors.js";
import { legacyKeyText, type IdMapping } from "../target/id-map.js";
import type { RejectedRow } from "../target/ledger.js";
import type { WrittenKeys } from "../target/written-keys.js";
import { type CompiledMappings } from "./compile-mappings.js";
import { type PreparedStage } from "./prepare.js";

/** One batch on its way from the reader to the writer. */
export interface TransformedBatch {
  number: number;
  rows: unknown[][];
  /** The source rows `rows` came from, index for index (the same arrays when the mapping passes rows through). */
  sourceRows: unknown[][];
  /** The source key of `rows[i]`, computed when an error needs it (not kept per row). */
  keyAt(i: number): unknown[];
  /**
   * The source row of `rows[i]` as values (decoded from its COPY text when the source encoded it, read again
   * by its key when the source computed transforms into that text), for reporting and replaying it.
   */
  sourceValuesAt(i: number): unknown[] | Promise<unknown[]>;
  /** Finishes what the batch reports asynchronously (the source rows of rows rejected by a transform, read again): before it is loaded. */
  complete?(): Promise<void>;
  /** `rows[i]`'s values in load order, when they are not `rows[i]` itself (a source-computed line: for naming the column COPY refused). */
  loadValuesAt?(i: number): Promise<unknown[]>;
  /** Rows the source encoded as COPY text: where each keeps its line. */
  preEncoded?: PreEncodedRows;
  /** The batch written out as COPY data ahead of its load (see {@link encodeAhead}): `rows` is then empty. */
  encoded?: EncodedRows;
  /** The target keys an `insert` batch writes, when known before it loads (a batch encoded ahead has no rows left to take them from). */
  writtenKeys?: WrittenKeys;
  rejects: RejectedRow[];
  /** Indexes (into `rows`) the target rejected while loading. */
  rejectedAtLoad: Set<number>;
  idMappings: IdMapping[];
  firstKey: unknown[];
  lastKey: unknown[];
  read: number;
}

/** Applies the compiled mappings; a row whose transform fails is rejected (or fails the run with `onError: "fail"`). */
export function transformBatch(stage: PreparedStage, compiled: CompiledMappings, rows: unknown[][], number: number, failFast: boolean, encoded: boolean): TransformedBatch {
  const { mappers } = compiled;
  const pageLength = stage.pageKey.length;
  const keyOf = (row: unknown[]) => stage.keyIndexes.map((i) => row[i]);
  const preEncoded = encoded && stage.sourceEncoding ? { textAt: stage.sourceEncoding.valueColumns, leading: 0, format: stage.sourceEncoding.format } : undefined;
  const batch = (out: unknown[][], sourceRows: unknown[][], rejects: RejectedRow[]): TransformedBatch => ({
    number, rows: out, sourceRows, keyAt: (i) => keyOf(sourceRows[i]), rejects, rejectedAtLoad: new Set(), idMappings: compiled.idMap.takePending(),
    sourceValuesAt: (i) => (preEncoded ? valuesOfEncodedRow(stage, sourceRows[i], preEncoded.textAt) : sourceRows[i]), preEncoded,
    firstKey: rows[0].slice(0, pageLength), lastKey: rows[rows.length - 1].slice(0, pageLength), read: rows.length,
  });
  // Every target column is a source column in read order: the rows pass through as read, with no
  // per-row copy (a million-row copy then allocates, and the GC moves, half as much).
  if (stage.passesThrough) return batch(rows, rows, []);
  const computed = encoded ? stage.sourceEncoding?.computed : undefined;
  if (computed) return computedBatch(stage, compiled, rows, computed, { number, failFast, batch });
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
 * Rows whose transforms the source computed (see planTransformPushdown): each holds the values of the
 * columns Node computes, then the source's COPY text line; a row whose Node transform fails is rejected.
 */
function computedBatch(
  stage: PreparedStage,
  compiled: CompiledMappings,
  rows: unknown[][],
  computed: NonNullable<NonNullable<PreparedStage["sourceEncoding"]>["computed"]>,
  at: { number: number; failFast: boolean; batch: (out: unknown[][], sourceRows: unknown[][], rejects: RejectedRow[]) => TransformedBatch },
): TransformedBatch {
  const mappers = computed.nodeColumns.map((i) => compiled.mappers[i]);
  const textAt = stage.sourceEncoding!.valueColumns;
  const width = mappers.length;
  let out = rows;
  let sourceRows = rows;
  const rejects: RejectedRow[] = [];
  const rejectedRows: unknown[][] = [];
  // Each row becomes its Node values and its line; the source row is kept only where a row is rejected
  // (then `out` and `sourceRows` part ways).
  const result: unknown[][] = new Array(rows.length);
  let kept = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const values = new Array(width + 1);
    let j = 0;
    try {
      for (; j < width; j++) values[j] = mappers[j](row);
    } catch (caught) {
      const rowKey = stage.keyIndexes.map((i) => row[i]);
      const column = computed.columns[j];
      const error = isDataBridgeError(caught) ? caught : dataError(messageOf(caught), {}, caught);
      if (at.failFast) {
        throw error.withContext({ pipeline: stage.pipeline.name, column, batch: at.number, rowKey, stage: "transform", fix: 'fix the value or the mapping, or set onError: "skip" to reject such rows' });
      }
      rejects.push({ key: rowKey, row: rowObject(stage, valuesOfComputedRow(row, textAt)), stage: "transform", column: error.context.column ?? column, code: error.context.code, message: error.message });
      rejectedRows.push(row);
      if (sourceRows === rows) sourceRows = rows.slice(0, r);
      continue;
    }
    values[width] = row[textAt];
    result[kept++] = values;
    if (sourceRows !== rows) sourceRows.push(row);
  }
  result.length = kept;
  out = result;
  const batch = at.batch(out, sourceRows, rejects);
  batch.preEncoded = { textAt: width, leading: width, columns: computed.columns, format: stage.sourceEncoding!.format };
  // The line holds target values, not the source's: a rejected row (rare) is read again as values by its key.
  batch.sourceValuesAt = (i) => readSourceRow(stage, sourceRows[i]);
  if (rejectedRows.length) {
    batch.complete = async () => {
      for (const [i, row] of rejectedRows.entries()) rejects[i].row = rowObject(stage, await readSourceRow(stage, row));
    };
  }
  batch.loadValuesAt = async (i) => {
    const values = await readSourceRow(stage, sourceRows[i]);
    const byTarget = new Map(stage.targetColumns.map((column, j) => [column, j]));
    return computed.columns.map((column) => {
      try {
        return compiled.mappers[byTarget.get(column)!](values);
      } catch {
        return undefined;
      }
    });
  };
  return batch;
}

/** A source row read again as values by its key (the whole row the value path reads), for reporting and replaying it. */
async function readSourceRow(stage: PreparedStage, row: unknown[]): Promise<unknown[]> {
  return (await readSourceRowByKey(stage, stage.keyIndexes.map((i) => row[i]))) ?? valuesOfComputedRow(row, stage.sourceEncoding!.valueColumns);
}

export async function readSourceRowByKey(stage: PreparedStage, key: unknown[]): Promise<unknown[] | undefined> {
  const q = (name: string) => sqlText(stage.source.dialect.quoteIdentifier(name));
  const where = { sql: stage.key.map((k, i) => `${q(k)} = {${i + 1}}`).join(" AND "), params: key };
  const { rows } = await stage.source.read({ from: stage.from, columns: stage.readColumns, key: stage.pageKey, where, limit: 1 });
  return rows[0];
}

/** The values a computed row was read with, when it cannot be read again (its line holds target values: those read columns are left out). */
function valuesOfComputedRow(row: unknown[], textAt: number): unknown[] {
  return row.slice(0, textAt);
}

/**
 * A source-encoded row as the values the value path would have read, for reporting and replaying it:
 * the columns read as values are taken as they are, the rest decoded from the line and typed back
 * where the text alone would change how they read (numbers, booleans).
 */
function valuesOfEncodedRow(stage: PreparedStage, row: unknown[], textAt: number): unknown[] {
  return copyLineFields(copyLineText(row[textAt] as CopyTextLine), stage.sourceEncoding?.format).map((text, i) => {
    if (i < textAt) return row[i];
    if (text === null) return null;
    switch (stage.sourceColumns.find((c) => c.name === stage.readColumns[i])?.type.kind) {
      case "smallint": case "integer": case "float": return Number(text);
      case "boolean": return text === "t" || text === "true" || text === "1";
      default: return text;
    }
  });
}

/**
 * Writes a batch that loads whole or not at all (`onError: "fail"`) out as COPY data as soon as it is transformed,
 * keeping only its keys (one array per key column: numbers stay unboxed). Its rows' objects then die young instead of
 * surviving collections while the batch waits in the queue and in flight — most of a large copy's GC work. A load
 * error still names the row's key (COPY's line number). `ordinals`: the load strategy stages rows behind their index.
 */
export function encodeAhead(batch: TransformedBatch, stage: PreparedStage, ordinals: boolean): void {
  batch.encoded = {
    chunks: [...encodeCopyChunks(batch.rows, batch.preEncoded, undefined, ordinals ? 0 : undefined)],
    count: batch.rows.length,
    format: batch.preEncoded?.format ?? "text",
  };
  // Taken in a function of its own: a closure here must not share a scope with the rows it lets go of.
  const keyColumns = columnsOf(batch.sourceRows, stage.keyIndexes);
  batch.keyAt = (i) => keyColumns.map((column) => column[i]);
  batch.sourceValuesAt = async (i) => (await readSourceRowByKey(stage, batch.keyAt(i))) ?? [];
  batch.loadValuesAt = undefined;
  batch.rows = [];
  batch.sourceRows = [];
}

function columnsOf(rows: readonly unknown[][], indexes: number[]): unknown[][] {
  return indexes.map((index) => {
    const column = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) column[i] = rows[i][index];
    return column;
  });
}

/** The new ids created for a batch, minus those of its rejected rows (their legacy key is in the rejected source row). */
export function mappingsOfLoadedRows(stage: PreparedStage, mappings: IdMapping[], rejects: RejectedRow[]): IdMapping[] {
  const idMap = stage.pipeline.idMap;
  if (!idMap || !rejects.length || !mappings.length) return mappings;
  const rejected = new Set(rejects.map((r) => r.row[idMap.key]).filter((v) => v !== null && v !== undefined).map(legacyKeyText));
  return mappings.filter((m) => !(m.entity === idMap.entity && m.tenant === stage.tenant && rejected.has(m.legacyKey)));
}

export function rowObject(stage: PreparedStage, row: unknown[]): Record<string, unknown> {
  return Object.fromEntries(stage.readColumns.map((c, i) => [c, row[i]]));
}
