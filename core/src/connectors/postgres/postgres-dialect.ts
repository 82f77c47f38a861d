import type { ConnectorCapabilities, SqlDialect, TableRef } from "../connector.js";
import { postgresPushdown } from "./postgres-pushdown.js";

export const postgresCapabilities: ConnectorCapabilities = {
  rowValueComparison: true,
  transactionalDdl: true,
  maxIdentifierLength: 63,
  maxBindParams: 65535,
  concurrentSessions: true,
};

export const quotePostgresIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

export const postgresDialect: SqlDialect = {
  quoteIdentifier: quotePostgresIdentifier,
  quoteTable: (table: TableRef) =>
    table.schema ? `${quotePostgresIdentifier(table.schema)}.${quotePostgresIdentifier(table.name)}` : quotePostgresIdentifier(table.name),
  placeholder: (index) => `$${index}`,
  limit: (sql, limit) => `${sql} LIMIT ${Math.trunc(limit)}`,
  nowMinusSeconds: (seconds) => `(LOCALTIMESTAMP - interval '${Math.trunc(seconds)} seconds')`,
  copyTextRow: postgresCopyTextRow,
  pushdown: postgresPushdown,
};

const COPY_ESCAPES: [string, string][] = [["chr(92)", "chr(92) || chr(92)"], ["chr(9)", "chr(92) || 't'"], ["chr(10)", "chr(92) || 'n'"], ["chr(13)", "chr(92) || 'r'"]];

/**
 * The row as one COPY text line, built by PostgreSQL: a value's text output (`::text`, what COPY TO
 * writes and COPY FROM reads back, for every type, bytea's hex and arrays included) with COPY's
 * escapes, `\N` for NULL. `chr()` keeps the SQL free of backslashes, whatever
 * standard_conforming_strings says, and is folded to constants when the query is planned.
 */
export function postgresCopyTextRow(columns: readonly { name: string }[]): string | undefined {
  if (!columns.length) return undefined;
  const fields = columns.map((column) => {
    let text = `${quotePostgresIdentifier(column.name)}::text`;
    for (const [from, to] of COPY_ESCAPES) text = `replace(${text}, ${from}, ${to})`;
    return `coalesce(${text}, chr(92) || 'N')`;
  });
  return `concat_ws(chr(9), ${fields.join(", ")})`;
}

/** A SQL string literal, for the few statements (DDL, COPY) that take no bind parameters. */
export const postgresLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;
