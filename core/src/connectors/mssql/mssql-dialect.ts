import type { ConnectorCapabilities, SqlDialect, TableRef } from "../connector.js";

export const mssqlCapabilities: ConnectorCapabilities = {
  // SQL Server has no row-value comparison at all: composite keys page with the expanded OR form.
  rowValueComparison: false,
  transactionalDdl: true,
  maxIdentifierLength: 128,
  // 2100 parameters per request, two of which sp_executesql spends on the statement and its declaration.
  maxBindParams: 2098,
  concurrentSessions: true,
};

/** `[name]`, with `]` doubled: any character (including `"` and `[`) is allowed inside brackets. */
export const quoteMssqlIdentifier = (name: string) => `[${name.replace(/]/g, "]]")}]`;

/**
 * SQL Server text: bracket quoting, `@p1` parameters (bound by name, so a reused parameter would be one value),
 * `OFFSET 0 ROWS FETCH NEXT n ROWS ONLY` after the keyset `ORDER BY`.
 */
export const mssqlDialect: SqlDialect = {
  quoteIdentifier: quoteMssqlIdentifier,
  quoteTable: (table: TableRef) =>
    table.schema ? `${quoteMssqlIdentifier(table.schema)}.${quoteMssqlIdentifier(table.name)}` : quoteMssqlIdentifier(table.name),
  placeholder: (index) => `@p${index}`,
  // SQL Server refuses `FETCH NEXT 0` (error 10744); the engine always asks for at least one row.
  limit: (sql, limit) => `${sql} OFFSET 0 ROWS FETCH NEXT ${Math.trunc(limit)} ROWS ONLY`,
  // SYSDATETIME() is the server's local clock as datetime2(7), like the DATETIME columns legacy schemas fill with GETDATE().
  nowMinusSeconds: (seconds) => `DATEADD(SECOND, ${-Math.trunc(seconds)}, SYSDATETIME())`,
};
