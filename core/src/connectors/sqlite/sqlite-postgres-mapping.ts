import type { ColumnInfo, PostgresColumnMapping } from "../connector.js";
import { pgLiteral, pgNumberLiteral } from "../postgres-mapping.js";
import { sqliteShape, type SqliteShape } from "./sqlite-types.js";

/**
 * How a SQLite column is carried into PostgreSQL, by its declared type's affinity (SQLite enforces none
 * of a declared type's details, so no length, precision or width is taken from it: a value the file holds
 * always fits). pgloader's default SQLite casts are the reference; where this differs, it is on purpose:
 * - INTEGER affinity (INT, TINYINT, BIGINT, …) → `bigint` (pgloader: tinyint → smallint): SQLite stores
 *   every integer in 8 bytes whatever the declared width. `INTEGER PRIMARY KEY` (the rowid) and
 *   AUTOINCREMENT → a bigint identity column (pgloader: bigserial).
 * - REAL, FLOAT, DOUBLE → `double precision` (pgloader: REAL → real, 4 bytes): SQLite's REAL is 8 bytes.
 * - NUMERIC, DECIMAL(p,s) → `numeric` without p and s (pgloader keeps them): SQLite never enforced them,
 *   and numeric(p,s) would round a value with more decimals.
 * - CHAR(n), VARCHAR(n), TEXT, CLOB → `text`, as in pgloader (SQLite never enforced n).
 * - DATE → `date`, DATETIME and TIMESTAMP → `timestamp` (pgloader: timestamptz): a wall-clock time read as
 *   ISO text is never shifted into a zone; TIMESTAMP WITH TIME ZONE → `timestamptz`. Dates stored as
 *   numbers (unix time, Julian days) are rejected with their key rather than guessed.
 * - BOOLEAN → `boolean` (0/1; any other number is rejected); JSON → `jsonb`; UUID → `uuid`; BLOB → `bytea`.
 * - No declared type, or one SQLite gives NUMERIC affinity that says nothing more (STRING, …) → `text`, with
 *   a warning: such a column may hold any value.
 */
export function sqlitePostgresMapping(column: Pick<ColumnInfo, "nativeType" | "default" | "identity" | "computed">): PostgresColumnMapping {
  const declared = column.nativeType.trim();
  const shape = sqliteShape(declared);
  const warnings: string[] = [];
  const type = POSTGRES_TYPE[shape];
  if (shape === "untyped") warnings.push("the column has no declared type, so it may hold any value: carried as text (a BLOB value is rejected)");
  if (shape === "other") warnings.push(`${declared} is no type DataBridge knows (SQLite gives it NUMERIC affinity): carried as text`);
  const identity = column.identity === true && shape === "integer";
  if (column.computed) warnings.push("a generated (computed) column in the source: the target column holds its values but does not compute them");

  let defaultSql: string | undefined;
  if (column.default !== null && column.default !== undefined && !identity && !column.computed) {
    const translated = sqliteDefault(column.default, shape);
    if (typeof translated === "string") defaultSql = translated;
    else warnings.push(translated.warning);
  }
  return { type, ...(defaultSql !== undefined ? { default: defaultSql } : {}), ...(identity ? { identity } : {}), warnings };
}

const POSTGRES_TYPE: Record<SqliteShape, string> = {
  integer: "bigint", real: "double precision", numeric: "numeric", boolean: "boolean", date: "date", datetime: "timestamp",
  instant: "timestamptz", time: "time", json: "jsonb", uuid: "uuid", blob: "bytea", text: "text", untyped: "text", other: "text",
};

// SQLite's CURRENT_* are UTC, written as text: `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD`, `HH:MM:SS`.
const UTC_NOW = "(CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC')";
const NOW_DEFAULTS: Record<string, Partial<Record<SqliteShape, string>>> = {
  CURRENT_TIMESTAMP: { datetime: UTC_NOW, instant: "CURRENT_TIMESTAMP(0)", text: `to_char(${UTC_NOW}, 'YYYY-MM-DD HH24:MI:SS')` },
  CURRENT_DATE: { date: `${UTC_NOW}::date`, text: `to_char(${UTC_NOW}, 'YYYY-MM-DD')` },
  CURRENT_TIME: { time: `${UTC_NOW}::time`, text: `to_char(${UTC_NOW}, 'HH24:MI:SS')` },
};

/**
 * A default as `PRAGMA table_info` shows it (the SQL text of the CREATE TABLE: `'it''s'`, `0`, `-1.5`,
 * `X'00FF'`, `TRUE`, `CURRENT_TIMESTAMP`, `(datetime('now'))`) in PostgreSQL SQL for the mapped type, or why
 * it is not carried.
 */
export function sqliteDefault(raw: string, shape: SqliteShape): string | { warning: string } {
  const text = raw.trim();
  const notCarried = (why: string) => ({ warning: `default ${text} is not carried: ${why}` });
  const upper = text.toUpperCase();
  if (upper === "NULL") return notCarried("NULL is PostgreSQL's default too");
  if (Object.hasOwn(NOW_DEFAULTS, upper)) return NOW_DEFAULTS[upper][shape] ?? notCarried(`${upper} does not fit a ${POSTGRES_TYPE[shape]} column`);
  const quoted = /^'((?:[^']|'')*)'$/s.exec(text)?.[1]?.replace(/''/g, "'");
  const blob = /^x'([0-9a-f]*)'$/i.exec(text)?.[1];
  const number = quoted === undefined ? pgNumberLiteral(text) : undefined;
  switch (shape) {
    case "blob":
      if (blob !== undefined && blob.length % 2 === 0) return `${pgLiteral(`\\x${blob.toLowerCase()}`)}::bytea`;
      if (quoted !== undefined) return `${pgLiteral(`\\x${Buffer.from(quoted, "utf8").toString("hex")}`)}::bytea`;
      return notCarried("not a BLOB or text literal");
    case "boolean":
      if (upper === "TRUE" || number === "1") return "true";
      if (upper === "FALSE" || number === "0") return "false";
      return notCarried("a boolean default must be 0, 1, TRUE or FALSE");
    case "integer":
      return number !== undefined && /^-?\d+$/.test(number) ? number : notCarried("not an integer literal");
    case "real": case "numeric":
      return number ?? (quoted !== undefined && pgNumberLiteral(quoted) !== undefined ? pgNumberLiteral(quoted)! : notCarried("not a number literal"));
    default:
      if (quoted !== undefined) return pgLiteral(quoted);
      if (number !== undefined && shape !== "date" && shape !== "datetime" && shape !== "instant" && shape !== "time") return pgLiteral(number);
      return notCarried("an expression PostgreSQL spells differently");
  }
}
