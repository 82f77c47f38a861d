/**
 * SQL text for the PostgreSQL side of a source's type mapping (`PostgresColumnMapping`): the few spellings
 * every connector's mapping needs, written once.
 */

/** A PostgreSQL string literal (standard_conforming_strings: only the quote is doubled; no backslash meaning). */
export const pgLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** A PostgreSQL `text[]` constructor of literals, e.g. `ARRAY['a', 'b']::text[]`. */
export const pgTextArray = (values: readonly string[]): string => `ARRAY[${values.map(pgLiteral).join(", ")}]::text[]`;

/** A number as the source printed it, if it is a plain decimal or float literal PostgreSQL reads the same way. */
export function pgNumberLiteral(text: string): string | undefined {
  const trimmed = text.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) ? trimmed.replace(/^\+/, "") : undefined;
}

/** The fractional-second precision PostgreSQL accepts (0–6): more digits are rounded, which the caller warns about. */
export const pgFraction = (digits: number): number => Math.min(6, Math.max(0, digits));

/** Integer types that can be PostgreSQL identity columns. */
export const PG_IDENTITY_TYPES = new Set(["smallint", "integer", "bigint"]);
