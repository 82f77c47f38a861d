import type { PortableType } from "../connector.js";

/** Portable type from MySQL/MariaDB `COLUMN_TYPE`, e.g. `varchar(50)`, `decimal(10,2)`, `int(10) unsigned`. */
export function portableFromMysqlType(columnType: string): PortableType {
  const type = columnType.toLowerCase().trim();
  const base = type.replace(/\(.*$/, "").replace(/\s.*$/, "");
  const args = /\(([^)]*)\)/.exec(type)?.[1]?.split(",").map((part) => Number(part.trim()));
  const unsigned = /\bunsigned\b/.test(type);
  switch (base) {
    case "tinyint": return { kind: "smallint" };
    case "smallint": return unsigned ? { kind: "integer" } : { kind: "smallint" };
    case "mediumint": return { kind: "integer" };
    case "int": case "integer": return unsigned ? { kind: "bigint" } : { kind: "integer" };
    case "bigint": return unsigned ? { kind: "decimal", precision: 20, scale: 0 } : { kind: "bigint" };
    case "decimal": case "numeric": case "dec": case "fixed":
      return { kind: "decimal", precision: args?.[0] ?? 10, scale: args?.[1] ?? 0 };
    // FLOAT (and FLOAT(M,D)) is IEEE single precision; DOUBLE and REAL are double precision.
    case "float": return { kind: "float", precision: 24 };
    case "double": case "real": return { kind: "float", precision: 53 };
    case "char": case "varchar": return args ? { kind: "string", length: args[0] } : { kind: "string" };
    case "enum": return { kind: "string", length: 255 };
    // Read as a text[] literal (`{"a","b"}`), whose length has no bound.
    case "set": return { kind: "text" };
    case "tinytext": case "text": case "mediumtext": case "longtext": return { kind: "text" };
    case "date": return { kind: "date" };
    case "datetime": return { kind: "timestamp" };
    // An instant (stored in UTC, shown in the session's zone): read in a UTC session and written with its offset.
    case "timestamp": return { kind: "timestamptz" };
    case "time": return { kind: "time" };
    case "year": return { kind: "smallint" };
    case "json": return { kind: "json" };
    // BIT(1) reads as 0/1, BIT(n) as its n binary digits.
    case "bit": return !args || args[0] === 1 ? { kind: "boolean" } : { kind: "string", length: args[0] };
    case "binary": case "varbinary": case "tinyblob": case "blob": case "mediumblob": case "longblob": return { kind: "binary" };
    case "uuid": return { kind: "uuid" };
    default: return { kind: "unknown" };
  }
}

/** Field type codes of the MySQL protocol (as mysql2 reports them in `columnType`). */
const FieldType = {
  DECIMAL: 0, TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, TIMESTAMP: 7, LONGLONG: 8, INT24: 9,
  DATE: 10, TIME: 11, DATETIME: 12, YEAR: 13, VARCHAR: 15, BIT: 16, JSON: 245, NEWDECIMAL: 246,
  TINY_BLOB: 249, MEDIUM_BLOB: 250, LONG_BLOB: 251, BLOB: 252, VAR_STRING: 253, STRING: 254,
} as const;
const BINARY_CHARSET = 63;
const UNSIGNED_FLAG = 32;

/**
 * Bytes per character of a result field's character set (its collation id), to turn the protocol's
 * byte length back into characters. Unknown collations count 1 byte per character, which can only
 * overestimate a length, never truncate values.
 */
export function mysqlBytesPerChar(collationId: number | undefined): number {
  if (collationId === undefined) return 1;
  if (collationId === 45 || collationId === 46 || (collationId >= 224 && collationId <= 247) || (collationId >= 255 && collationId <= 323)) return 4; // utf8mb4
  if (collationId === 33 || collationId === 83 || (collationId >= 192 && collationId <= 215) || collationId === 223) return 3; // utf8mb3
  if (collationId === 54 || collationId === 55 || collationId === 56 || collationId === 62 || (collationId >= 101 && collationId <= 124)) return 4; // utf16, utf16le
  if (collationId === 60 || collationId === 61 || (collationId >= 160 && collationId <= 183)) return 4; // utf32
  if (collationId === 35 || collationId === 90 || (collationId >= 128 && collationId <= 151)) return 2; // ucs2
  return 1;
}

interface MysqlField { columnType?: number; type?: number; characterSet?: number; columnLength?: number; decimals?: number; flags?: number }

/** Portable type of a result field (query results carry no COLUMN_TYPE, only protocol metadata). */
export function portableFromMysqlField(field: MysqlField): PortableType {
  const code = field.columnType ?? field.type;
  const unsigned = ((field.flags ?? 0) & UNSIGNED_FLAG) !== 0;
  const binary = field.characterSet === BINARY_CHARSET;
  switch (code) {
    case FieldType.TINY: case FieldType.SHORT: case FieldType.YEAR: return { kind: unsigned && code === FieldType.SHORT ? "integer" : "smallint" };
    case FieldType.INT24: return { kind: "integer" };
    case FieldType.LONG: return { kind: unsigned ? "bigint" : "integer" };
    case FieldType.LONGLONG: return unsigned ? { kind: "decimal", precision: 20, scale: 0 } : { kind: "bigint" };
    case FieldType.DECIMAL: case FieldType.NEWDECIMAL: {
      const scale = field.decimals ?? 0;
      const precision = Math.max(1, (field.columnLength ?? 11) - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1));
      return { kind: "decimal", precision, scale };
    }
    case FieldType.FLOAT: return { kind: "float", precision: 24 };
    case FieldType.DOUBLE: return { kind: "float", precision: 53 };
    case FieldType.DATE: return { kind: "date" };
    case FieldType.TIME: return { kind: "time" };
    case FieldType.DATETIME: return { kind: "timestamp" };
    case FieldType.TIMESTAMP: return { kind: "timestamptz" };
    case FieldType.JSON: return { kind: "json" };
    case FieldType.BIT: return field.columnLength === 1 ? { kind: "boolean" } : { kind: "string", length: field.columnLength };
    case FieldType.TINY_BLOB: case FieldType.MEDIUM_BLOB: case FieldType.LONG_BLOB: case FieldType.BLOB:
      return binary ? { kind: "binary" } : { kind: "text" };
    case FieldType.VARCHAR: case FieldType.VAR_STRING: case FieldType.STRING:
      if (binary) return { kind: "binary" };
      return field.columnLength ? { kind: "string", length: Math.ceil(field.columnLength / mysqlBytesPerChar(field.characterSet)) } : { kind: "string" };
    default: return { kind: "unknown" };
  }
}

/** How zero dates (`0000-00-00`, `2024-00-15`: MariaDB accepts them, PostgreSQL has no such date) are read. */
export type ZeroDates = "null" | "reject";

export interface MysqlReadOptions {
  /** `reject` (default): read as they are, so PostgreSQL rejects the row naming its key and column; `null`: read as NULL. */
  zeroDates: ZeroDates;
}

export const DEFAULT_MYSQL_READ_OPTIONS: MysqlReadOptions = { zeroDates: "reject" };

/** What a column's values are, for choosing how to read them: the type family of its `COLUMN_TYPE`. */
export type MysqlReadShape = "integer" | "decimal" | "float" | "date" | "datetime" | "timestamp" | "time" | "character" | "geometry" | "binary" | "bit" | "other";

const GEOMETRY_TYPES = new Set(["geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "geomcollection"]);

/** The family of a `COLUMN_TYPE` (or of the pseudo type {@link mysqlTypeOfField} gives a query's result field). */
export function mysqlReadShape(nativeType: string): MysqlReadShape {
  const type = nativeType.toLowerCase().trim();
  const base = /^[a-z0-9_]+/.exec(type)?.[0] ?? "";
  if (/^(tinyint|smallint|mediumint|int|integer|bigint|year)$/.test(base)) return "integer";
  if (/^(decimal|numeric|dec|fixed)$/.test(base)) return "decimal";
  if (/^(float|double|real)$/.test(base)) return "float";
  if (base === "date") return "date";
  if (base === "datetime") return "datetime";
  if (base === "timestamp") return "timestamp";
  if (base === "time") return "time";
  if (/^(char|varchar|tinytext|text|mediumtext|longtext|enum|set|json|uuid|inet4|inet6)$/.test(base)) return "character";
  if (GEOMETRY_TYPES.has(base)) return "geometry";
  if (/^(binary|varbinary|tinyblob|blob|mediumblob|longblob)$/.test(base)) return "binary";
  if (base === "bit") return "bit";
  return "other";
}

/** An instant as the engine carries it (`… +00`): MariaDB reads no offsets, and in the connector's UTC session the same text without it names the same instant. */
const UTC_INSTANT = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\+00$/;

/**
 * A value bound into a MariaDB/MySQL statement: instants read from TIMESTAMP columns (`2024-11-03
 * 05:30:00+00`) lose their `+00` — e.g. a TIMESTAMP key or incremental cursor paged past — since the
 * server would otherwise truncate the text with a warning.
 */
export function mysqlParam(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const instant = UTC_INSTANT.exec(value);
  return instant ? instant[1] : value;
}

const ENUM_FLAG = 256;
const SET_FLAG = 2048;

/**
 * A query's result field as the `COLUMN_TYPE`-like spelling {@link mysqlReadShape} understands, for
 * the fields whose reading differs from the plain column (query sources have no catalog entry).
 */
export function mysqlTypeOfField(field: MysqlField): string | undefined {
  const code = field.columnType ?? field.type;
  if ((field.flags ?? 0) & SET_FLAG) return "set";
  if ((field.flags ?? 0) & ENUM_FLAG) return "enum";
  switch (code) {
    case FieldType.FLOAT: return "float";
    case FieldType.DOUBLE: return "double";
    case FieldType.TIMESTAMP: return "timestamp";
    case FieldType.DATE: return "date";
    case FieldType.DATETIME: return "datetime";
    case FieldType.BIT: return `bit(${field.columnLength ?? 1})`;
    case GEOMETRY_FIELD: return "geometry";
    default: return undefined;
  }
}

const GEOMETRY_FIELD = 255;

const BACKSLASH_ESCAPES: Record<string, string> = { "0": "\0", n: "\n", r: "\r", t: "\t", Z: "\x1a", b: "\b", "%": "\\%", _: "\\_" };

/**
 * Reads one quoted literal of MySQL/MariaDB's SQL (`'it''s'`, `'x\\y'`) starting at `from`: its value and
 * where it ends. `undefined` when there is no well-formed literal there.
 */
function readQuoted(text: string, from: number): { value: string; end: number } | undefined {
  if (text[from] !== "'") return undefined;
  let value = "";
  for (let i = from + 1; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) {
      const next = text[++i];
      value += BACKSLASH_ESCAPES[next] ?? next;
    } else if (c === "'") {
      if (text[i + 1] === "'") { value += "'"; i++; } else return { value, end: i + 1 };
    } else value += c;
  }
  return undefined;
}

/** The value of a literal as `information_schema` shows a MariaDB default (`'it''s'`); `undefined` when it is not one quoted literal. */
export function unquoteMysqlLiteral(text: string): string | undefined {
  const quoted = readQuoted(text.trim(), 0);
  return quoted && quoted.end === text.trim().length ? quoted.value : undefined;
}

/** The members of an `enum(…)` or `set(…)` COLUMN_TYPE, unescaped: `enum('a','it''s')` → `["a", "it's"]`. */
export function mysqlTypeMembers(columnType: string): string[] {
  const open = columnType.indexOf("(");
  const members: string[] = [];
  let at = open + 1;
  while (open >= 0 && at < columnType.length) {
    while (columnType[at] === " ") at++;
    const member = readQuoted(columnType, at);
    if (!member) break;
    members.push(member.value);
    at = member.end;
    if (columnType[at] !== ",") break;
    at++;
  }
  return members;
}
