import { isCopyTextLine, type ReadRequest, type RowBatch } from "../connectors/connector.js";
import { configError, formatKey } from "../errors.js";
import type { PreparedStage } from "./prepare.js";
import type { StageContext } from "./run-stage.js";
import { StreamedBatch } from "./streamed-batch.js";
import { encodeAhead, transformBatch, type TransformedBatch } from "./transform-batch.js";
import { writtenKeysOfRows } from "../target/written-keys.js";

export interface BatchReaderOptions {
  where: ReadRequest["where"];
  nextNumber(): number;
  /** Where a batch's rows hold the target keys an `insert` records for rollback; undefined: none recorded. */
  writtenKeyIndexes(batch: TransformedBatch): number[] | undefined;
  keyRanges: boolean;
}

export type NextBatch = (after: unknown[] | null) => Promise<{ batch: TransformedBatch; last: boolean } | undefined>;

/**
 * How a stage reads its batches: each call reads the page after `after` and returns it transformed, or undefined
 * at the end. A batch the target takes whole (`onError: "fail"`) is turned into COPY data as it is read — as a
 * stream of row groups where the source can (see {@link StreamedBatch}), else from the whole page (`encodeAhead`) —
 * so what waits in the queue is bytes and keys, not rows. Rows the source encodes (`sourceEncoding`) are read with
 * their line; a page the source could not encode is read again as values.
 */
export function batchReader(stage: PreparedStage, ctx: StageContext, options: BatchReaderOptions): NextBatch {
  const { pipeline, source, readColumns, pageKey, batchSize, sourceEncoding: encoding, strategy } = stage;
  const failFast = stage.onError === "fail";
  const ordinals = strategy.ordinalLeads ?? false;
  const streams = failFast && source.readGroups !== undefined && !ctx.compiled.hasBatchWork;

  // One row past the page: if it carries the page's last key, the key is not unique, and paging past that
  // key (`WHERE key > last`) would silently skip the rest of its rows. Stop instead.
  const refuseRepeatedKey = (last: unknown[], next: unknown[]) => {
    if (!pageKey.every((_, i) => sameValue(last[i], next[i]))) return;
    throw configError(`source key ${pageKey.join(", ")} is not unique: several rows have ${formatKey(last.slice(0, pageKey.length))}, and paging by it would skip rows`, {
      pipeline: pipeline.name, table: stage.sourceLabel, column: pageKey.join(", "),
      fix: "set source.key to the primary key or to NOT NULL columns with a unique index",
    });
  };

  const readPage = async (request: ReadRequest): Promise<RowBatch> => {
    const page = await source.read({ ...request, limit: batchSize + 1 });
    if (page.rows.length <= batchSize) return page;
    refuseRepeatedKey(page.rows[batchSize - 1], page.rows[batchSize]);
    page.rows.length = batchSize;
    return page;
  };

  const readStreamed = async (request: ReadRequest, encoded: boolean): Promise<{ batch: TransformedBatch | undefined; unencodable: boolean; number: number }> => {
    const streamed = new StreamedBatch(stage, ctx.compiled, {
      encoded, batchSize, ordinals, keyRanges: options.keyRanges, writtenKeyIndexes: options.writtenKeyIndexes, nextNumber: options.nextNumber,
    });
    await source.readGroups!({ ...request, limit: batchSize + 1 }, (rows) => streamed.add(rows));
    if (streamed.unencodable) return { batch: undefined, unencodable: true, number: streamed.number };
    if (streamed.lookahead && streamed.lastKey) refuseRepeatedKey(streamed.lastKey, streamed.lookahead);
    return { batch: streamed.finish(), unencodable: false, number: streamed.number };
  };

  // Its own function, apart from the loop that calls it: a page is let go of on return.
  return async (after) => {
    const page = { from: stage.from, key: pageKey, after: after ?? undefined, where: options.where, limit: batchSize };
    const encodedRequest = encoding && { ...page, columns: readColumns.slice(0, encoding.valueColumns), copyText: encoding.copyText };
    const valuesRequest = { ...page, columns: readColumns };
    let number = 0;
    if (streams) {
      const streamed = await readStreamed(encodedRequest || valuesRequest, Boolean(encodedRequest));
      if (!streamed.unencodable) return streamed.batch && { batch: streamed.batch, last: streamed.batch.read < batchSize };
      number = streamed.number;
    }
    const encodedPage = encodedRequest && !streams ? await readPage(encodedRequest) : undefined;
    // A server answers NULL for a concatenation longer than its max_allowed_packet: such a page is read again as values.
    const encoded = encodedPage !== undefined && encodedPage.rows.every((row) => isCopyTextLine(row[encoding!.valueColumns]));
    if (encodedRequest && !encoded) {
      ctx.emit({ type: "log", pipeline: pipeline.name, level: "warn", message: `${pipeline.name}: the source could not encode the page ${after ? `after key ${formatKey(after)}` : "from the start"} as COPY text; reading it as values` });
    }
    const { rows } = encoded ? encodedPage : await readPage(valuesRequest);
    if (!rows.length) return undefined;
    number ||= options.nextNumber();
    await ctx.compiled.beforeBatch(rows);
    const transformed = transformBatch(stage, ctx.compiled, rows, number, failFast, encoded);
    await transformed.complete?.();
    if (failFast) {
      const indexes = options.writtenKeyIndexes(transformed);
      transformed.writtenKeys = indexes && writtenKeysOfRows(transformed.rows, indexes, options.keyRanges);
      encodeAhead(transformed, stage, ordinals);
    }
    return { batch: transformed, last: rows.length < batchSize };
  };
}

/** Key equality as the reader sees values: numbers, text, bigints, dates as text; bytes by content. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}
