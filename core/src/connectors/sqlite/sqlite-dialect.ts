import type { ConnectorCapabilities, SqlDialect, TableRef } from "../connector.js";

export const sqliteCapabilities: ConnectorCapabilities = {
  // Row values (`(a, b) > (?, ?)`) exist since SQLite 3.15 and use the index.
  rowValueComparison: true,
  transactionalDdl: true,
  // SQLite has no limit of its own on names; PostgreSQL's 63 bytes apply on the way in.
  maxIdentifierLength: 1_000,
  // SQLITE_MAX_VARIABLE_NUMBER's default since 3.32.
  maxBindParams: 32_766,
  // One in-process connection, used synchronously.
  concurrentSessions: false,
};

export const quoteSqliteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A string literal of SQLite's SQL: only the quote is doubled, a backslash means nothing. */
export const sqliteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * "Now" minus some seconds, for an incremental cursor's lag, as the text SQLite's own `CURRENT_TIMESTAMP`
 * and `datetime('now')` write: UTC, `YYYY-MM-DD HH:MM:SS` (ISO text compares in time order).
 */
export function sqliteNowMinusSeconds(seconds: number): string {
  return `datetime('now', ${sqliteLiteral(`-${Math.trunc(seconds)} seconds`)})`;
}

export const sqliteDialect: SqlDialect = {
  quoteIdentifier: quoteSqliteIdentifier,
  quoteTable: (table: TableRef) => (table.schema ? `${quoteSqliteIdentifier(table.schema)}.${quoteSqliteIdentifier(table.name)}` : quoteSqliteIdentifier(table.name)),
  placeholder: () => "?",
  limit: (sql, limit) => `${sql} LIMIT ${Math.trunc(limit)}`,
  nowMinusSeconds: sqliteNowMinusSeconds,
};
