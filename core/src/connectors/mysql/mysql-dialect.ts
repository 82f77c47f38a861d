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
};
