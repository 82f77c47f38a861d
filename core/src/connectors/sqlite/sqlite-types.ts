import type { PortableType } from "../connector.js";

/** SQLite's column affinity, from the declared type by the five rules of https://sqlite.org/datatype3.html §3.1. */
export type SqliteAffinity = "INTEGER" | "TEXT" | "BLOB" | "REAL" | "NUMERIC";

export function sqliteAffinity(declared: string): SqliteAffinity {
  const type = declared.toUpperCase();
  if (type.includes("INT")) return "INTEGER";
  if (type.includes("CHAR") || type.includes("CLOB") || type.includes("TEXT")) return "TEXT";
  if (type.includes("BLOB") || type.trim() === "") return "BLOB";
  if (type.includes("REAL") || type.includes("FLOA") || type.includes("DOUB")) return "REAL";
  return "NUMERIC";
}

/**
 * What a column's values are read and carried as. SQLite stores any value in any column (its declared
 * type is only an affinity), so each shape also says which stored values the column's PostgreSQL type
 * takes exactly ({@link carrySqliteValue}):
 * - `integer` (INTEGER affinity) → bigint, `real` (REAL affinity) → double precision, `numeric`
 *   (NUMERIC, DECIMAL, NUMBER, MONEY) → numeric;
 * - `boolean`, `date`, `datetime` (DATETIME, TIMESTAMP: a wall-clock time), `instant` (TIMESTAMPTZ,
 *   TIMESTAMP WITH TIME ZONE), `time`, `json`, `uuid` — names SQLite gives NUMERIC affinity, read by what
 *   they say;
 * - `blob` (a declared BLOB) → bytea; `text` (TEXT affinity); `untyped` (no declared type: any value);
 *   `other` (a name of NUMERIC affinity DataBridge does not know, e.g. STRING): carried as text.
 */
export type SqliteShape =
  | "integer" | "real" | "numeric" | "boolean" | "date" | "datetime" | "instant" | "time" | "json" | "uuid"
  | "blob" | "text" | "untyped" | "other";

/** The declared type's name without its arguments, upper-cased: `VARCHAR(20)` → `VARCHAR`. */
export const sqliteTypeName = (declared: string): string => declared.toUpperCase().replace(/\(.*$/s, "").trim().replace(/\s+/g, " ");

/** The numbers in a declared type's parentheses: `NUMERIC(10,2)` → [10, 2]. */
export function sqliteTypeArgs(declared: string): number[] {
  return /\(([^)]*)\)/.exec(declared)?.[1]?.split(",").map((part) => Number(part.trim())).filter((n) => Number.isFinite(n)) ?? [];
}

export function sqliteShape(declared: string): SqliteShape {
  const name = sqliteTypeName(declared);
  if (name === "") return "untyped";
  if (name === "BOOLEAN" || name === "BOOL") return "boolean";
  if (name === "DATE") return "date";
  if (name === "TIMESTAMPTZ" || name === "DATETIMEOFFSET" || /^(TIMESTAMP|DATETIME) WITH TIME ZONE$/.test(name)) return "instant";
  if (name === "DATETIME" || name === "TIMESTAMP" || name === "TIMESTAMP WITHOUT TIME ZONE") return "datetime";
  if (name === "TIME") return "time";
  if (name === "JSON" || name === "JSONB") return "json";
  if (name === "UUID" || name === "GUID" || name === "UNIQUEIDENTIFIER") return "uuid";
  switch (sqliteAffinity(declared)) {
    case "INTEGER": return "integer";
    case "TEXT": return "text";
    case "BLOB": return "blob";
    case "REAL": return "real";
    default: return /^(NUMERIC|DECIMAL|DEC|NUMBER|MONEY|CURRENCY)$/.test(name) ? "numeric" : "other";
  }
}

/** The portable type of a declared SQLite type. */
export function portableFromSqliteType(declared: string): PortableType {
  switch (sqliteShape(declared)) {
    case "integer": return { kind: "bigint" };
    case "real": return { kind: "float", precision: 53 };
    case "numeric": return { kind: "decimal" };
    case "boolean": return { kind: "boolean" };
    case "date": return { kind: "date" };
    case "datetime": return { kind: "timestamp" };
    case "instant": return { kind: "timestamptz" };
    case "time": return { kind: "time" };
    case "json": return { kind: "json" };
    case "uuid": return { kind: "uuid" };
    case "blob": return { kind: "binary" };
    case "text": {
      const length = sqliteTypeArgs(declared)[0];
      return /CHAR/.test(sqliteTypeName(declared)) && length ? { kind: "string", length } : { kind: "text" };
    }
    default: return { kind: "text" };
  }
}

/**
 * The SQL that reads a column so that no stored byte is lost on the way to JavaScript: the driver reads
 * TEXT as a C string (cut at the first NUL, invalid UTF-8 replaced), so text comes as its bytes
 * (`CAST(… AS BLOB)`, decoded strictly in {@link carrySqliteValue}); a BLOB where the declared type is not
 * BLOB comes as `b` and its hex, so it can be told from text; numbers come as they are (exact: BigInt
 * beyond 2^53, the stored double). A declared BLOB column reads text as its bytes too, and numbers as
 * numbers (which a bytea cannot hold as they are).
 */
export function sqliteReadExpression(quotedColumn: string, shape: SqliteShape): string {
  if (shape === "blob") return `CASE typeof(${quotedColumn}) WHEN 'integer' THEN ${quotedColumn} WHEN 'real' THEN ${quotedColumn} ELSE CAST(${quotedColumn} AS BLOB) END`;
  return `CASE typeof(${quotedColumn}) WHEN 'text' THEN CAST(${quotedColumn} AS BLOB) WHEN 'blob' THEN 'b' || hex(${quotedColumn}) ELSE ${quotedColumn} END`;
}

/** A stored value the column's PostgreSQL type cannot take as it is: the row is rejected, and why. */
export class SqliteValueRejected {
  constructor(readonly reason: string) {}
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
// SQLite's own time-value formats (https://sqlite.org/lang_datefunc.html), `T` or a space between date and time.
const ISO_DATETIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.(\d+))?)?))?(Z|[+-]\d{2}:?\d{2})?$/i;
const ISO_TIME = /^\d{2}:\d{2}(?::\d{2}(?:\.(\d+))?)?$/;

/**
 * One value as read by {@link sqliteReadExpression}, carried as what its column's PostgreSQL type takes
 * exactly — or rejected (a {@link SqliteValueRejected}) when that type could only take it changed:
 * - text arrives as its bytes and must be UTF-8 (PostgreSQL stores nothing else; a NUL is rejected there);
 * - a BLOB in a column not declared BLOB is rejected: its bytes are no value of that type; so is a number
 *   in a column declared BLOB (text there is carried as its UTF-8 bytes);
 * - booleans are 0 and 1 (and the words PostgreSQL reads); any other number is rejected;
 * - dates and times must be ISO text (written back in one spelling: `YYYY-MM-DD HH:MM:SS[.ffffff][offset]`): a number (unix time? a Julian day? seconds or milliseconds?) is
 *   rejected rather than guessed, as is text PostgreSQL would read another way (`01/02/2024` by DateStyle,
 *   `now`, a date with a time for a DATE, an offset PostgreSQL would drop from a DATETIME, more than
 *   microseconds);
 * - numbers stay JavaScript numbers (the stored double, written with the shortest digits that read back
 *   as it) or BigInt, never rounded.
 */
export function carrySqliteValue(value: unknown, shape: SqliteShape, declared: string): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) {
    if (shape === "blob") return value;
    let text: string;
    try {
      text = strictUtf8.decode(value);
    } catch {
      return new SqliteValueRejected(`text that is not UTF-8 (${value.length} bytes: ${hexPreview(value)})`);
    }
    return carryText(text, shape, declared);
  }
  if (typeof value === "string") {
    // `b` + hex: a BLOB stored where the declared type is not BLOB.
    return new SqliteValueRejected(`a BLOB of ${(value.length - 1) / 2} bytes in a column declared ${declared || "without a type"}`);
  }
  if (typeof value === "number" || typeof value === "bigint") {
    switch (shape) {
      case "blob":
        return new SqliteValueRejected(`the number ${value} in a column declared ${declared}: a bytea holds bytes`);
      case "boolean":
        if (value === 0 || value === 1) return value === 1;
        return new SqliteValueRejected(`${value} is not a boolean (0 or 1)`);
      case "date": case "datetime": case "instant": case "time":
        return new SqliteValueRejected(`the number ${value} in a column declared ${declared}: dates and times are read as ISO text (a unix time or a Julian day is not guessed)`);
      default:
        return value;
    }
  }
  return value;
}

function carryText(text: string, shape: SqliteShape, declared: string): unknown {
  const notIso = (what: string) => new SqliteValueRejected(`${JSON.stringify(text)} in a column declared ${declared} is not ${what}`);
  switch (shape) {
    case "date":
      return ISO_DATE.test(text) ? text : notIso("an ISO date (YYYY-MM-DD)");
    case "time": {
      const time = ISO_TIME.exec(text);
      if (!time) return notIso("an ISO time (HH:MM[:SS[.fff]])");
      return (time[1]?.length ?? 0) > 6 ? notIso("a time PostgreSQL holds to the microsecond") : withSeconds(text);
    }
    case "datetime": case "instant": {
      const parts = ISO_DATETIME.exec(text);
      if (!parts) return notIso(`an ISO date and time (YYYY-MM-DD HH:MM:SS[.ffffff]${shape === "instant" ? "+HH:MM" : ""})`);
      if ((parts[3]?.length ?? 0) > 6) return notIso("a time PostgreSQL holds to the microsecond");
      if (shape === "datetime" && parts[4]) return notIso("a wall-clock time: it has an offset, which a timestamp column would drop");
      if (shape === "instant" && !parts[4]) return notIso("an instant: it has no offset (Z or +HH:MM)");
      // One spelling for one time (the same PostgreSQL reads): a space before the time, seconds always.
      return `${parts[1]} ${withSeconds(parts[2] ?? "00:00:00")}${parts[4] ?? ""}`;
    }
    default:
      return text;
  }
}

const withSeconds = (time: string) => (time.length === 5 ? `${time}:00` : time);

function hexPreview(bytes: Uint8Array): string {
  const shown = Buffer.from(bytes.subarray(0, 16)).toString("hex");
  return bytes.length > 16 ? `${shown}…` : shown;
}

/** A value bound as a statement parameter: what the driver binds (numbers, BigInt, text, bytes, NULL). */
export function sqliteParam(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object" && value !== null && !(value instanceof Uint8Array)) return JSON.stringify(value);
  return value;
}
