import type { TransformSpec, ColumnMapping } from "./pipeline.js";
import type { ConvertOptions, ConvertType } from "../transforms/convert.js";
import type { RemapOptions } from "../transforms/remap.js";

const spec = (transform: string, ...args: unknown[]): TransformSpec => Object.freeze({ transform, args: Object.freeze(args) });

/** Joins columns (or nested transforms) with a separator; NULL parts are skipped, all NULL gives NULL. */
export const concat = (parts: ColumnMapping[], separator = "") => spec("concat", parts, separator);

/** The `index`-th part (0-based; negative counts from the end) of a column split by `separator`; NULL when missing. */
export const split = (column: string, separator: string, index: number) => spec("split", column, separator, index);

/** Maps a column's value through a table; without a default, an unmatched value rejects the row. */
export function lookup(column: string, table: Record<string, unknown>, ...defaultValue: [unknown?]): TransformSpec {
  return spec("lookup", column, table, ...defaultValue);
}

/** A mathjs expression over source columns, evaluated with exact decimals (`quantity * unit_price`). */
export const expr = (expression: string) => spec("expr", expression);

/** `then` when the mathjs condition holds, else `otherwise`; branches are literals or transforms. */
export const when = (condition: string, then: unknown, otherwise: unknown = null) => spec("when", condition, then, otherwise);

/** Converts a column to a type; a value that cannot be converted rejects the row with column and value. */
export const convert = (column: ColumnMapping, type: ConvertType, options?: ConvertOptions) =>
  options === undefined ? spec("convert", column, type) : spec("convert", column, type, options);

/** The column's value, or `fallback` when it is NULL. */
export const defaultTo = (column: ColumnMapping, fallback: unknown) => spec("defaultTo", column, fallback);

/** The same value for every row. */
export const constant = (value: unknown) => spec("constant", value);

/** The first non-NULL of several columns or transforms. */
export const coalesce = (parts: ColumnMapping[]) => spec("coalesce", parts);

export const trim = (column: ColumnMapping) => spec("trim", column);
export const upper = (column: ColumnMapping) => spec("upper", column);
export const lower = (column: ColumnMapping) => spec("lower", column);

/** Rewrites a legacy foreign key to the new id its entity got through `idMap`; unmapped → the row is rejected (or NULL with `onMissing: "null"`). */
export const remap = (column: string, entity: string, options?: RemapOptions) =>
  options === undefined ? spec("remap", column, entity) : spec("remap", column, entity, options);

/** A transform contributed by a plugin. */
export const transform = (name: string, ...args: unknown[]) => spec(name, ...args);
