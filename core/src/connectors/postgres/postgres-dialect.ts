import type { ConnectorCapabilities, SqlDialect, TableRef } from "../connector.js";

export const postgresCapabilities: ConnectorCapabilities = {
  rowValueComparison: true,
  transactionalDdl: true,
  maxIdentifierLength: 63,
  maxBindParams: 65535,
  target: true,
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
};

/** A SQL string literal, for the few statements (DDL, COPY) that take no bind parameters. */
export const postgresLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;
