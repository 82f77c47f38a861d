import type { ConnectorCapabilities, PortableType, SqlDialect, TableRef } from "../connector.js";
import { DEFAULT_MYSQL_READ_OPTIONS, mysqlReadShape, type MysqlReadOptions } from "./mysql-types.js";
import { mysqlPushdown } from "./mysql-pushdown.js";

export const mysqlCapabilities: ConnectorCapabilities = {
  // MariaDB's range optimizer does not use an index for `(a, b) > (?, ?)`; the expanded OR form it does.
  rowValueComparison: false,
  transactionalDdl: false,
  maxIdentifierLength: 64,
  maxBindParams: 65535,
  concurrentSessions: true,
};

export const quoteMysqlIdentifier = (name: string) => `\`${name.replace(/`/g, "``")}\``;

/** The dialect of a connection, whose read options (zero dates) shape the SQL that reads values. */
export function mysqlDialectWith(options: MysqlReadOptions): SqlDialect & { readExpression(column: { name: string; nativeType: string }): string } {
  return {
    quoteIdentifier: quoteMysqlIdentifier,
    quoteTable: (table: TableRef) =>
      table.schema ? `${quoteMysqlIdentifier(table.schema)}.${quoteMysqlIdentifier(table.name)}` : quoteMysqlIdentifier(table.name),
    placeholder: () => "?",
    limit: (sql, limit) => `${sql} LIMIT ${Math.trunc(limit)}`,
    nowMinusSeconds: mysqlNowMinusSeconds,
    copyTextRow: (columns) => mysqlCopyTextRow(columns, options),
    // CSV, not COPY's text format: quoting text costs MariaDB one REPLACE per column where text's four escapes cost four.
    copyLineFormat: "csv",
    pushdown: mysqlPushdown(options),
    readExpression: (column) => mysqlReadExpression(column, options),
  };
}

export const mysqlDialect = mysqlDialectWith(DEFAULT_MYSQL_READ_OPTIONS);

/**
 * "Now" for an incremental cursor's lag. The connector's sessions run in UTC (so TIMESTAMP reads as
 * UTC): a TIMESTAMP cursor compares with the session's NOW(); a DATETIME cursor holds the wall-clock
 * time its application wrote, which is the server's own zone, so it compares with now in that zone.
 */
export function mysqlNowMinusSeconds(seconds: number, cursor?: PortableType): string {
  const now = cursor?.kind === "timestamptz" ? "NOW()" : "CONVERT_TZ(NOW(), '+00:00', @@global.time_zone)";
  return `(${now} - INTERVAL ${Math.trunc(seconds)} SECOND)`;
}

/**
 * The SQL that reads a column's value exactly — the same expression for the value path and for COPY
 * text rendered by the server — or the plain column when its protocol text already is exact:
 * - FLOAT/DOUBLE as `CAST(… AS DOUBLE)`: the protocol prints FLOAT with 6 significant digits (1234567 →
 *   1234570) and DOUBLE(M,D) with D decimals, neither of which is the stored value; a DOUBLE's own text is
 *   the shortest that reads back as the same IEEE double (checked against the binary protocol by the
 *   source-types suite), so the cast gives every stored bit.
 * - TIMESTAMP as its UTC text (the connector's sessions run at `+00:00`) followed by `+00`, so no session
 *   time zone on either side can shift the instant.
 * - geometries as EWKT (`SRID=4326;POINT(1 2)`, plain WKT when the SRID is 0): every coordinate printed
 *   exactly, which PostGIS reads as a geometry and which stays readable as text.
 * - zero dates as NULL when `zeroDates` is `null`.
 * - BIT(1) as 0/1 (a boolean), BIT(n) as its n binary digits (`bit(n)` input); SET as a `text[]` literal
 *   (`{"a","b"}`, each member quoted and escaped), the types they are carried as (see mysqlPostgresMapping).
 */
export function mysqlReadExpression(column: { name: string; nativeType: string }, options: MysqlReadOptions = DEFAULT_MYSQL_READ_OPTIONS): string {
  const name = quoteMysqlIdentifier(column.name);
  const zeroAsNull = (sql: string) => options.zeroDates === "null" ? `IF(MONTH(${name}) = 0 OR DAYOFMONTH(${name}) = 0, NULL, ${sql})` : sql;
  switch (mysqlReadShape(column.nativeType)) {
    case "float": return `CAST(${name} AS DOUBLE)`;
    case "bit": {
      const width = Number(/\((\d+)\)/.exec(column.nativeType)?.[1] ?? 1);
      return width === 1 ? `(${name} <> 0)` : `LPAD(BIN(${name}), ${width}, ${utf8("0")})`;
    }
    case "character":
      return /^\s*set\b/i.test(column.nativeType)
        ? `IF(${name} = ${utf8("")}, ${utf8("{}")}, CONCAT(${utf8('{"')}, REPLACE(REPLACE(REPLACE(${name}, ${utf8("\\")}, ${utf8("\\\\")}), ${utf8('"')}, ${utf8('\\"')}), ${utf8(",")}, ${utf8('","')}), ${utf8('"}')}))`
        : name;
    case "timestamp": return zeroAsNull(`CONCAT(${name}, '+00')`);
    case "date": case "datetime": return zeroAsNull(name);
    case "geometry": return `CONCAT(IF(ST_SRID(${name}) = 0, '', CONCAT('SRID=', ST_SRID(${name}), ';')), ST_AsText(${name}))`;
    default: return name;
  }
}

/**
 * Literals as hex with a charset introducer: they mean the same bytes whatever the server's
 * `sql_mode` (NO_BACKSLASH_ESCAPES changes what '\\' means) and stay utf8mb4 strings, not binary.
 */
export const utf8 = (text: string) => `_utf8mb4 X'${Buffer.from(text, "utf8").toString("hex").toUpperCase()}'`;
/** A NULL field of a CSV COPY line: empty and unquoted (an empty string is `""`). */
export const NULL_FIELD = utf8("");

/**
 * The row as one COPY line in CSV with a tab delimiter (the dialect's `copyLineFormat`), built by MariaDB/MySQL
 * from each column's exact reading ({@link mysqlReadExpression}): numbers, dates and instants are the same text the
 * value path reads, bare; text columns are read as UTF-8 ({@link mysqlUtf8Text}) and quoted; so the engine neither decodes
 * each value nor encodes it again. Binary and zero-filled columns keep the value path (their text here is not what the
 * engine would write); so does anything unrecognised.
 */
export function mysqlCopyTextRow(columns: readonly { name: string; nativeType: string; characterSet?: string }[], options: MysqlReadOptions = DEFAULT_MYSQL_READ_OPTIONS): string | undefined {
  const fields: string[] = [];
  for (const column of columns) {
    const text = mysqlCopyTextValue(column, options);
    if (text === undefined) return undefined;
    fields.push(`IFNULL(${text}, ${NULL_FIELD})`);
  }
  return fields.length ? mysqlCopyLine(fields) : undefined;
}

/**
 * A row's COPY text line from its fields, as bytes: a binary result reaches Node as a Buffer over the driver's
 * packet, so the line is never decoded into a JavaScript string only to be encoded to UTF-8 again for COPY.
 */
export function mysqlCopyLine(fields: readonly string[]): string {
  return `CAST(CONCAT_WS(${utf8("\t")}, ${fields.join(", ")}) AS BINARY)`;
}

/** One column's CSV COPY field (NULL when the value is NULL), or `undefined` when its type has no exact rendering (see {@link mysqlCopyTextRow}). */
export function mysqlCopyTextValue(column: { name: string; nativeType: string; characterSet?: string }, options: MysqlReadOptions = DEFAULT_MYSQL_READ_OPTIONS): string | undefined {
  if (/\bzerofill\b/i.test(column.nativeType)) return undefined;
  const text = mysqlReadExpression(column, options);
  switch (mysqlReadShape(column.nativeType)) {
    case "integer": case "decimal": case "float": case "date": case "datetime": case "timestamp": case "time": case "geometry": case "bit":
      return text;
    case "character":
      return mysqlCsvQuote(mysqlUtf8Text(text, column.characterSet));
    default:
      return undefined;
  }
}

/** Character sets whose bytes are UTF-8 already: utf8mb3 (`utf8`) is utf8mb4's three-byte part, ASCII a part of both. */
const UTF8_CHARACTER_SETS = new Set(["utf8mb4", "utf8mb3", "utf8", "ascii"]);

/**
 * A text column's value as UTF-8: its bytes as stored (a binary string) where its character set is UTF-8
 * already, else converted to utf8mb4. Converting costs MariaDB a fifth of a pass-through line's CPU; bytes also
 * bring no collation of their own, and quoting compares bytes (a quote byte is never part of a longer character).
 */
export function mysqlUtf8Text(text: string, characterSet: string | undefined): string {
  return characterSet !== undefined && UTF8_CHARACTER_SETS.has(characterSet.toLowerCase()) ? `CAST(${text} AS BINARY)` : `CONVERT(${text} USING utf8mb4)`;
}

/** UTF-8 text (utf8mb4 or bytes) as a quoted CSV field: in quotes, each quote doubled; tabs, newlines and backslashes need nothing. NULL stays NULL. */
export function mysqlCsvQuote(text: string): string {
  return `CONCAT(${utf8('"')}, REPLACE(${text}, ${utf8('"')}, ${utf8('""')}), ${utf8('"')})`;
}
