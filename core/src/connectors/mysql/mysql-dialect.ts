import type { ConnectorCapabilities, SqlDialect, TableRef } from "../connector.js";

export const mysqlCapabilities: ConnectorCapabilities = {
  // MariaDB's range optimizer does not use an index for `(a, b) > (?, ?)`; the expanded OR form it does.
  rowValueComparison: false,
  transactionalDdl: false,
  maxIdentifierLength: 64,
  maxBindParams: 65535,
  target: false,
  concurrentSessions: true,
};

export const quoteMysqlIdentifier = (name: string) => `\`${name.replace(/`/g, "``")}\``;

export const mysqlDialect: SqlDialect = {
  quoteIdentifier: quoteMysqlIdentifier,
  quoteTable: (table: TableRef) =>
    table.schema ? `${quoteMysqlIdentifier(table.schema)}.${quoteMysqlIdentifier(table.name)}` : quoteMysqlIdentifier(table.name),
  placeholder: () => "?",
  limit: (sql, limit) => `${sql} LIMIT ${Math.trunc(limit)}`,
  nowMinusSeconds: (seconds) => `(NOW() - INTERVAL ${Math.trunc(seconds)} SECOND)`,
  copyTextRow: mysqlCopyTextRow,
};

/**
 * Literals as hex with a charset introducer: they mean the same bytes whatever the server's
 * `sql_mode` (NO_BACKSLASH_ESCAPES changes what '\\' means) and stay utf8mb4 strings, not binary.
 */
const utf8 = (text: string) => `_utf8mb4 X'${Buffer.from(text, "utf8").toString("hex").toUpperCase()}'`;
const NULL_TEXT = utf8("\\N");
const COPY_ESCAPES: [string, string][] = [["\\", "\\\\"], ["\t", "\\t"], ["\n", "\\n"], ["\r", "\\r"]];

/** Types whose text in the protocol is the value's exact text, and whose values the engine writes as that text. */
const NUMERIC_TEXT = /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|dec|fixed|year)\b/;
const TEMPORAL_TEXT = /^(date|datetime|timestamp|time)\b/;
const CHARACTER_TEXT = /^(char|varchar|tinytext|text|mediumtext|longtext|enum|set|json|uuid)\b/;

/**
 * The row as one COPY text line, built by MariaDB/MySQL: the server renders numbers and dates as the
 * same text the protocol sends, and escapes text columns, so the engine neither decodes each value
 * nor encodes it again. Binary, bit, floating-point and zero-filled columns keep the value path
 * (their protocol text is not what the engine would write); so does anything unrecognised.
 */
export function mysqlCopyTextRow(columns: readonly { name: string; nativeType: string }[]): string | undefined {
  const fields: string[] = [];
  for (const column of columns) {
    const type = column.nativeType.toLowerCase().trim();
    const name = quoteMysqlIdentifier(column.name);
    let text: string;
    if (/\bzerofill\b/.test(type)) return undefined;
    if (NUMERIC_TEXT.test(type) || TEMPORAL_TEXT.test(type)) text = name;
    else if (CHARACTER_TEXT.test(type)) {
      text = `CONVERT(${name} USING utf8mb4)`;
      for (const [from, to] of COPY_ESCAPES) text = `REPLACE(${text}, ${utf8(from)}, ${utf8(to)})`;
    } else return undefined;
    fields.push(`IFNULL(${text}, ${NULL_TEXT})`);
  }
  return fields.length ? `CONCAT_WS(${utf8("\t")}, ${fields.join(", ")})` : undefined;
}
