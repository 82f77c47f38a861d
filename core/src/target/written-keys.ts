/**
 * The target keys an `insert` batch wrote, as `rollback` needs them. A single integer key usually
 * comes in runs (identity columns): those are kept as inclusive ranges, which delete exactly the
 * same rows — every integer in a range was written by the batch, and a primary key admits no other
 * row with those values — at a fraction of the ledger's size and write cost.
 */
export type WrittenKeys = unknown[][] | { ranges: [string, string][] };

const INTEGER_TYPES = /^(smallint|integer|int|int2|int4|int8|bigint)$/i;

/** True when ranges are sound for this target key: one column, of an integer type. */
export function keyRangesApply(keyColumns: string[], nativeTypeOf: (column: string) => string | undefined): boolean {
  return keyColumns.length === 1 && INTEGER_TYPES.test(nativeTypeOf(keyColumns[0])?.trim() ?? "");
}

/** Ranges when the keys are integers that form fewer runs than half their count; otherwise the keys as they are. */
export function compactWrittenKeys(keys: unknown[][]): WrittenKeys {
  return integerRanges(keys.length, (i) => keys[i][0]) ?? keys;
}

/**
 * The keys rows wrote (the key's columns at `indexes` of each row), compacted like {@link compactWrittenKeys} when
 * `ranges` apply; a single integer key is read straight from the rows, with no key array per row.
 */
export function writtenKeysOfRows(rows: readonly unknown[][], indexes: number[], ranges: boolean): WrittenKeys {
  const compact = ranges && indexes.length === 1 ? integerRanges(rows.length, (i) => rows[i][indexes[0]]) : undefined;
  if (compact) return compact;
  const keys = rows.map((row) => indexes.map((i) => row[i]));
  return ranges ? compactWrittenKeys(keys) : keys;
}

/** The same from the key's values held column by column (`columns[k][i]`: key column k of row i), for `count` rows. */
export function writtenKeysOfColumns(columns: readonly unknown[][], count: number, ranges: boolean): WrittenKeys {
  const compact = ranges && columns.length === 1 ? integerRanges(count, (i) => columns[0][i]) : undefined;
  if (compact) return compact;
  const keys = Array.from({ length: count }, (_, i) => columns.map((column) => column[i]));
  return ranges ? compactWrittenKeys(keys) : keys;
}

function integerRanges(count: number, valueAt: (i: number) => unknown): { ranges: [string, string][] } | undefined {
  if (!count) return undefined;
  // Safe integers stay numbers (a BigInt per key would be a million allocations); anything else integral is a bigint.
  const starts: (number | bigint)[] = [];
  const ends: (number | bigint)[] = [];
  for (let i = 0; i < count; i++) {
    const raw = valueAt(i);
    const value = typeof raw === "number" && Number.isSafeInteger(raw) ? raw : integerOf(raw);
    if (value === undefined) return undefined;
    const end = ends[ends.length - 1];
    const follows = end !== undefined && (typeof end === "number" && typeof value === "number" ? value === end + 1 : BigInt(value) === BigInt(end) + 1n);
    if (follows) ends[ends.length - 1] = value;
    else {
      starts.push(value);
      ends.push(value);
    }
    if (starts.length > count / 2 + 1) return undefined;
  }
  return { ranges: starts.map((start, j) => [start.toString(), ends[j].toString()]) };
}

function integerOf(value: unknown): bigint | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === "bigint") return value;
  if (typeof value === "string" && /^-?\d{1,19}$/.test(value)) return BigInt(value);
  return undefined;
}

export function isKeyRanges(keys: WrittenKeys): keys is { ranges: [string, string][] } {
  return !Array.isArray(keys) && Array.isArray((keys as { ranges?: unknown }).ranges);
}
