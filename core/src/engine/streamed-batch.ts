import { isCopyTextLine } from "../connectors/connector.js";
import { CopyChunkWriter } from "../connectors/postgres/postgres-copy.js";
import type { IdMapping } from "../target/id-map.js";
import { writtenKeysOfColumns } from "../target/written-keys.js";
import type { CompiledMappings } from "./compile-mappings.js";
import type { PreparedStage } from "./prepare.js";
import { readSourceRowByKey, transformBatch, type TransformedBatch } from "./transform-batch.js";

export interface StreamedBatchOptions {
  /** The rows carry the source's COPY line (`stage.sourceEncoding`). */
  encoded: boolean;
  batchSize: number;
  /** Each row is written behind its ordinal in the batch (the load strategy stages rows). */
  ordinals: boolean;
  /** Where a transformed group's rows hold the target key an `insert` records for rollback; undefined: none recorded. */
  writtenKeyIndexes(group: TransformedBatch): number[] | undefined;
  keyRanges: boolean;
  /** The batch's number, taken when its first row arrives. */
  nextNumber(): number;
}

/**
 * A batch read as a stream (`Source.readGroups`), for a load that takes a batch whole (`onError: "fail"`) and
 * transforms without per-batch lookups: each group of rows is transformed exactly as a whole page would be
 * (`transformBatch`, failing on the first bad row) and written out as COPY data at once; only the keys are kept.
 * The rows' objects die young — collecting a page of them before any work began was most of a large copy's
 * garbage-collection work. The row past `batchSize` (read to see whether the page's last key repeats) is kept
 * apart as `lookahead`.
 */
export class StreamedBatch {
  /** A row arrived without its COPY line (the source could not encode it): the page is to be read again as values. */
  unencodable = false;
  lookahead: unknown[] | undefined;
  number = 0;
  private readonly writer = new CopyChunkWriter();
  private readonly keyColumns: unknown[][];
  private writtenKeyColumns: unknown[][] | undefined;
  private count = 0;
  private first: TransformedBatch | undefined;
  private last: TransformedBatch | undefined;
  private readonly idMappings: IdMapping[] = [];

  constructor(private readonly stage: PreparedStage, private readonly compiled: CompiledMappings, private readonly options: StreamedBatchOptions) {
    this.keyColumns = stage.keyIndexes.map(() => []);
  }

  /** The page key of the batch's last row, once it has one. */
  get lastKey(): unknown[] | undefined {
    return this.last?.lastKey;
  }

  add(rows: unknown[][]): void {
    if (this.unencodable) return;
    const { stage, options } = this;
    const room = options.batchSize - this.count;
    if (rows.length > room) {
      this.lookahead = rows[room];
      rows = rows.slice(0, room);
    }
    if (!rows.length) return;
    const textAt = stage.sourceEncoding?.valueColumns ?? 0;
    if (options.encoded && !rows.every((row) => isCopyTextLine(row[textAt]))) {
      this.unencodable = true;
      return;
    }
    this.number ||= options.nextNumber();
    const group = transformBatch(stage, this.compiled, rows, this.number, true, options.encoded);
    this.first ??= group;
    this.last = group;
    this.idMappings.push(...group.idMappings);
    this.writer.writeRows(group.rows, group.preEncoded, options.ordinals ? this.count : undefined);
    this.count += group.rows.length;
    for (const [k, index] of stage.keyIndexes.entries()) {
      const column = this.keyColumns[k];
      for (const row of group.sourceRows) column.push(row[index]);
    }
    const written = options.writtenKeyIndexes(group);
    if (written) {
      this.writtenKeyColumns ??= written.map(() => []);
      for (const [k, index] of written.entries()) {
        const column = this.writtenKeyColumns[k];
        for (const row of group.rows) column.push(row[index]);
      }
    }
  }

  /** The batch, loaded as its COPY data; undefined when no row arrived. */
  finish(): TransformedBatch | undefined {
    const { first, last, stage } = this;
    if (!first || !last) return undefined;
    const keyColumns = this.keyColumns;
    const keyAt = (i: number) => keyColumns.map((column) => column[i]);
    return {
      number: this.number,
      rows: [],
      sourceRows: [],
      keyAt,
      sourceValuesAt: async (i) => (await readSourceRowByKey(stage, keyAt(i))) ?? [],
      preEncoded: first.preEncoded,
      encoded: { chunks: this.writer.end(), count: this.count, format: first.preEncoded?.format ?? "text" },
      writtenKeys: this.writtenKeyColumns && writtenKeysOfColumns(this.writtenKeyColumns, this.count, this.options.keyRanges),
      rejects: [],
      rejectedAtLoad: new Set(),
      idMappings: this.idMappings,
      firstKey: first.firstKey,
      lastKey: last.lastKey,
      read: this.count,
    };
  }
}
