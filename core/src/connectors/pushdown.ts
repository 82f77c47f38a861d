import type { PortableType } from "./connector.js";

/**
 * A transform's value as a small portable tree, for computing it in the source instead of in Node
 * (see {@link SourcePushdown}). Transforms build it (`TransformDefinition.pushdown`) only where the
 * meaning is DataBridge's own, exactly: the tree says what Node computes; each dialect says whether it
 * can compute the very same text, and how. Where either cannot, the column stays in Node.
 */
export type PushdownExpression =
  /** A source column's value, as read. */
  | { op: "column"; name: string; nativeType: string; type: PortableType; characterSet?: string }
  /** A value written in the pipeline (a lookup default, a `constant`, a `when` branch). */
  | { op: "literal"; value: PushdownLiteral }
  /** `concat`: the parts' text joined by `separator`, NULL parts skipped; all NULL is NULL (not ''). */
  | { op: "concat"; parts: PushdownExpression[]; separator: string }
  /** `lookup` with a default: the entry whose key is the input's text (byte for byte), else `fallback` (also for NULL). */
  | { op: "lookup"; input: PushdownExpression; entries: [string, PushdownLiteral][]; fallback: PushdownLiteral }
  /** `coalesce` / `defaultTo`: the first part that is not NULL. */
  | { op: "coalesce"; parts: PushdownExpression[] }
  /** `trim`: the input's text without leading and trailing white space as JavaScript's `String.prototype.trim` defines it. */
  | { op: "trim"; input: PushdownExpression }
  /** `expr` / `when`: an exact decimal expression over numeric columns, NULL (or not holding) when any input is NULL. */
  | { op: "exact"; expression: ExactExpression; inputs: string[] }
  /** `when`: `then` where the condition holds (never for a NULL input), else `otherwise`. */
  | { op: "choose"; condition: PushdownExpression; then: PushdownExpression; otherwise: PushdownExpression };

export type PushdownLiteral = string | number | boolean | null;

/**
 * Exact decimal arithmetic and comparisons (`expr("quantity * unit_price")`): every number has a known
 * precision and scale, at most {@link EXACT_MAX_PRECISION} digits, so Node (scaled integers) and the
 * database compute it without rounding. Decimal results are written without trailing zeros (`3`, not
 * `3.00`), as DataBridge's expressions always wrote them; comparisons are `t`/`f`.
 */
export type ExactExpression =
  | { op: "number"; column?: string; literal?: string; precision: number; scale: number }
  | { op: "arithmetic"; operator: "+" | "-" | "*"; left: ExactExpression; right: ExactExpression; precision: number; scale: number }
  | { op: "negate"; input: ExactExpression; precision: number; scale: number }
  | { op: "compare"; operator: "<" | "<=" | ">" | ">=" | "=" | "<>"; left: ExactExpression; right: ExactExpression }
  | { op: "logic"; operator: "and" | "or"; left: ExactExpression; right: ExactExpression }
  | { op: "not"; input: ExactExpression };

/** Digits an exact expression may need: within decimal.js's 64 significant digits and MariaDB's 65, nothing is rounded on either side. */
export const EXACT_MAX_PRECISION = 64;
/** The largest scale: MariaDB keeps at most 38 decimals (30 in older versions) in a DECIMAL result. */
export const EXACT_MAX_SCALE = 30;

/** Whether an exact expression is a boolean (a comparison or logic) rather than a decimal. */
export const isExactCondition = (expression: ExactExpression) => expression.op === "compare" || expression.op === "logic" || expression.op === "not";

/**
 * A source that computes transforms itself (a capability of its dialect): `field` gives the SQL of one
 * target column's COPY field in the dialect's `copyLineFormat` (NULL when the value is NULL) — exactly what
 * Node would have encoded from the transform's value — or `undefined` where this database cannot compute exactly that; `line`
 * joins fields into one COPY text line.
 */
export interface SourcePushdown {
  field(expression: PushdownExpression): string | undefined;
  line(fields: string[]): string;
}

/** The text COPY reads back as this literal: what `encodeCopyValue` writes for it. */
export function literalCopyText(value: PushdownLiteral): string | null {
  if (value === null) return null;
  if (typeof value === "boolean") return value ? "t" : "f";
  const text = typeof value === "number" ? (Object.is(value, -0) ? "-0" : String(value)) : value;
  return text.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!);
}

/** The field of a CSV COPY line (see `CopyLineFormat`) that reads back as this literal: text quoted, the rest as COPY text writes it. */
export function literalCsvText(value: PushdownLiteral): string | null {
  return typeof value === "string" ? `"${value.replace(/"/g, '""')}"` : literalCopyText(value);
}

/** A literal's text as transforms read it (`asText`): strings as they are, numbers and booleans as `String` writes them. */
export function literalPlainText(value: PushdownLiteral): string | null {
  return value === null ? null : String(value);
}

/** The source columns a tree reads. */
export function pushdownColumns(expression: PushdownExpression): string[] {
  switch (expression.op) {
    case "column": return [expression.name];
    case "literal": return [];
    case "concat": case "coalesce": return expression.parts.flatMap(pushdownColumns);
    case "lookup": case "trim": return pushdownColumns(expression.input);
    case "exact": return expression.inputs;
    case "choose": return [...pushdownColumns(expression.condition), ...pushdownColumns(expression.then), ...pushdownColumns(expression.otherwise)];
  }
}
