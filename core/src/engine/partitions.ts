import { effectiveSources, type Pipeline } from "../authoring/pipeline.js";
import type { PortableKind, ReadRequest } from "../connectors/connector.js";
import { andWhere, buildKeyBounds, sqlText } from "../connectors/keyset.js";
import { configError } from "../errors.js";
import type { PreparedStage } from "./prepare.js";

/**
 * One key range of a stage split for `parallelism: N` (a queue run): rows whose first key column is at
 * least `from` and below `to` (an open end where absent, so rows added beyond the bounds seen when the run
 * was planned still belong to the first or the last range). Each range is a stage of its own in the ledger
 * (`id`, e.g. `"2/4"`), with its own checkpoint.
 */
export interface KeyRangePartition {
  id: string;
  column: string;
  from?: string;
  to?: string;
}

const INTEGER_KINDS: PortableKind[] = ["smallint", "integer", "bigint"];
const DATE_KINDS: PortableKind[] = ["date", "timestamp", "timestamptz"];

/**
 * Why `parallelism` cannot split this pipeline's key range, or undefined when it can (or is not asked to).
 * Only one-source pipelines are split (with several `sources`, `parallelism` is how many tenants load at
 * once); a split needs a mode whose batches commute: `replace` swaps one shadow table, and deletes or
 * incremental watermarks are decided over the whole key range.
 */
export function partitioningProblem(pipeline: Pick<Pipeline, "parallelism" | "sources" | "target" | "deletes" | "incremental">): string | undefined {
  if ((pipeline.parallelism ?? 1) <= 1 || pipeline.sources?.length) return undefined;
  const mode = pipeline.target.mode ?? "insert";
  if (mode === "replace") return `parallelism: ${pipeline.parallelism} splits the key range, but mode "replace" swaps in one whole table; use mode "upsert" (or "insert" into an empty table), or drop parallelism`;
  if (pipeline.deletes === "propagate") return `parallelism: ${pipeline.parallelism} splits the key range, but deletes: "propagate" needs the whole key range in one stage; drop one of them`;
  if (pipeline.incremental) return `parallelism: ${pipeline.parallelism} splits the key range, but an incremental pipeline reads after one watermark; drop parallelism (incremental runs are small)`;
  return undefined;
}

/** How many key ranges a queue run splits this pipeline into (1: not split). */
export function partitionCount(pipeline: Pipeline): number {
  if (effectiveSources(pipeline).length !== 1) return 1;
  return Math.max(1, pipeline.parallelism ?? 1);
}

/** The predicate of a partition's range, in the source's SQL (`{n}` parameters). */
export function partitionFilter(stage: Pick<PreparedStage, "source" | "partition">): ReadRequest["where"] {
  const partition = stage.partition;
  if (!partition) return undefined;
  const column = sqlText(stage.source.dialect.quoteIdentifier(partition.column));
  const parts: string[] = [];
  const params: unknown[] = [];
  if (partition.from !== undefined) {
    params.push(partition.from);
    parts.push(`${column} >= {${params.length}}`);
  }
  if (partition.to !== undefined) {
    params.push(partition.to);
    parts.push(`${column} < {${params.length}}`);
  }
  return parts.length ? { sql: parts.join(" AND "), params } : undefined;
}

/**
 * Splits a stage's source into `count` key ranges by the minimum and maximum of its first key column
 * (an integer or a date/time), read from the source under the pipeline's own filter.
 */
export async function planPartitions(stage: PreparedStage, count: number, filter?: ReadRequest["where"]): Promise<KeyRangePartition[]> {
  const column = stage.key[0];
  const kind = stage.sourceColumns.find((c) => c.name === column)?.type.kind ?? "unknown";
  const context = { pipeline: stage.pipeline.name, table: stage.sourceLabel, column };
  if (!INTEGER_KINDS.includes(kind) && !DATE_KINDS.includes(kind)) {
    throw configError(`parallelism: ${count} splits the source by its first key column, but ${column} is ${kind}, not an integer or a date`, {
      ...context, fix: "set source.key to an integer or date column with a unique key first, or drop parallelism",
    });
  }
  // Bounds are only where one range ends and the next begins: a bigint read back inexactly moves a bound, never loses a row.
  const { sql, params } = buildKeyBounds(stage.source.dialect, { from: stage.from, where: filter, column });
  const { rows } = await stage.source.query<{ lo: unknown; hi: unknown }>(sql, params);
  const lo = rows[0]?.lo;
  const hi = rows[0]?.hi;
  // An empty source: one open range takes whatever appears; the others cover nothing.
  if (lo === null || lo === undefined || hi === null || hi === undefined) return splitAt(Array.from({ length: count - 1 }, () => "0"), column).map((p, i) => (i ? { ...p, from: "0", to: "0" } : { id: p.id, column }));
  const bounds = INTEGER_KINDS.includes(kind) ? integerBounds(String(lo).split(".")[0], String(hi).split(".")[0], count) : dateBounds(lo, hi, count, kind === "date");
  return splitAt(bounds, column);
}

/** `count - 1` inner bounds → `count` ranges, the outer ones open-ended. */
export function splitAt(bounds: string[], column: string): KeyRangePartition[] {
  const count = bounds.length + 1;
  return Array.from({ length: count }, (_, i) => ({
    id: `${i + 1}/${count}`, column,
    ...(i > 0 ? { from: bounds[i - 1] } : {}),
    ...(i < count - 1 ? { to: bounds[i] } : {}),
  }));
}

/** Inner bounds splitting the integers lo..hi into `count` ranges of (nearly) equal width, exact for bigints. */
export function integerBounds(lo: string, hi: string, count: number): string[] {
  const low = BigInt(lo);
  const span = BigInt(hi) - low + 1n;
  return Array.from({ length: count - 1 }, (_, i) => (low + (span * BigInt(i + 1)) / BigInt(count)).toString());
}

/** Inner bounds for dates and times, as naive `YYYY-MM-DD[ HH:MM:SS.mmm]` text the source compares as its own type. */
export function dateBounds(lo: unknown, hi: unknown, count: number, dateOnly: boolean): string[] {
  const ms = (value: unknown) => (value instanceof Date ? value.getTime() : Date.parse(`${String(value).trim().replace(" ", "T").replace(/(Z|[+-]\d\d:?\d\d)$/, "")}Z`));
  const low = ms(lo);
  const high = ms(hi);
  if (!Number.isFinite(low) || !Number.isFinite(high)) throw configError(`cannot split the key range ${String(lo)} … ${String(hi)} into dates`, {});
  return Array.from({ length: count - 1 }, (_, i) => {
    const iso = new Date(low + Math.floor(((high - low + 1) * (i + 1)) / count)).toISOString();
    return dateOnly ? iso.slice(0, 10) : iso.slice(0, 23).replace("T", " ");
  });
}

/** The partition's range and the pipeline's own filter, as one predicate. */
export const withPartition = (where: ReadRequest["where"], stage: Pick<PreparedStage, "source" | "partition">) => andWhere(where, partitionFilter(stage));
