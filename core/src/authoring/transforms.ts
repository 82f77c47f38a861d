import type { TransformSpec, ColumnMapping, MappingColumns } from "./pipeline.js";
import type { ConvertOptions, ConvertType, RemapOptions } from "./transform-options.js";

// Type parameters only name the source columns read (see `TransformSpec<Columns>`); the values are the same.
const spec = <C extends string = string>(transform: string, ...args: unknown[]): TransformSpec<C> => Object.freeze({ transform, args: Object.freeze(args) });

/** Joins columns (or nested transforms) with a separator; NULL parts are skipped, all NULL gives NULL. */
export const concat = <const P extends readonly ColumnMapping[]>(parts: P, separator = "") => spec<MappingColumns<P[number]>>("concat", parts, separator);

/** The `index`-th part (0-based; negative counts from the end) of a column split by `separator`; NULL when missing. */
export const split = <const C extends string>(column: C, separator: string, index: number) => spec<C>("split", column, separator, index);

/** Maps a column's value through a table; without a default, an unmatched value rejects the row. */
export function lookup<const C extends string>(column: C, table: Record<string, unknown>, ...defaultValue: [unknown?]): TransformSpec<C> {
  return spec<C>("lookup", column, table, ...defaultValue);
}

/** A mathjs expression over source columns, evaluated with exact decimals (`quantity * unit_price`). */
export const expr = (expression: string) => spec<never>("expr", expression);

/** `then` when the mathjs condition holds, else `otherwise`; branches are literals or transforms. */
export const when = <const Then, const Otherwise = null>(condition: string, then: Then, otherwise: Otherwise = null as Otherwise) =>
  spec<BranchColumns<Then> | BranchColumns<Otherwise>>("when", condition, then, otherwise);
type BranchColumns<B> = B extends TransformSpec<infer C> ? C : never;

/** Converts a column to a type; a value that cannot be converted rejects the row with column and value. */
export const convert = <const M extends ColumnMapping>(column: M, type: ConvertType, options?: ConvertOptions) =>
  options === undefined ? spec<MappingColumns<M>>("convert", column, type) : spec<MappingColumns<M>>("convert", column, type, options);

/** The column's value, or `fallback` when it is NULL. */
export const defaultTo = <const M extends ColumnMapping>(column: M, fallback: unknown) => spec<MappingColumns<M>>("defaultTo", column, fallback);

/** The same value for every row. */
export const constant = (value: unknown) => spec<never>("constant", value);

/** The first non-NULL of several columns or transforms. */
export const coalesce = <const P extends readonly ColumnMapping[]>(parts: P) => spec<MappingColumns<P[number]>>("coalesce", parts);

export const trim = <const M extends ColumnMapping>(column: M) => spec<MappingColumns<M>>("trim", column);
export const upper = <const M extends ColumnMapping>(column: M) => spec<MappingColumns<M>>("upper", column);
export const lower = <const M extends ColumnMapping>(column: M) => spec<MappingColumns<M>>("lower", column);

/** Rewrites a legacy foreign key to the new id its entity got through `idMap`; unmapped → the row is rejected (or NULL with `onMissing: "null"`). */
export const remap = <const C extends string>(column: C, entity: string, options?: RemapOptions) =>
  options === undefined ? spec<C>("remap", column, entity) : spec<C>("remap", column, entity, options);

/** A transform contributed by a plugin. */
export const transform = (name: string, ...args: unknown[]) => spec(name, ...args);
