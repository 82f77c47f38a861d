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
  if (!keys.length) return keys;
  const ranges: [bigint, bigint][] = [];
  for (const key of keys) {
    const value = integerOf(key[0]);
    if (value === undefined) return keys;
    const last = ranges[ranges.length - 1];
    if (last && value === last[1] + 1n) last[1] = value;
    else ranges.push([value, value]);
    if (ranges.length > keys.length / 2 + 1) return keys;
  }
  return { ranges: ranges.map(([from, to]) => [from.toString(), to.toString()]) };
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
