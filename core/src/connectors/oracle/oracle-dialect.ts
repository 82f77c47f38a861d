import { configError } from "../../errors.js";
import type { ConnectorCapabilities, SqlDialect, TableRef } from "../connector.js";

export const oracleCapabilities: ConnectorCapabilities = {
  // Oracle has no `(a, b) > (x, y)`: composite keys page with the expanded OR form.
  rowValueComparison: false,
  // Every DDL statement commits implicitly.
  transactionalDdl: false,
  // 128 bytes since 12.2 (30 before).
  maxIdentifierLength: 128,
  maxBindParams: 65535,
  concurrentSessions: true,
};

/**
 * `"name"`, case preserved: Oracle folds unquoted names to upper case, so a table created as `parts` is `"PARTS"`.
 * A quoted Oracle identifier cannot contain `"` (there is no escape) or NUL: such a name is a config error.
 */
export function quoteOracleIdentifier(name: string): string {
  if (name.includes('"') || name.includes("\u0000")) {
    throw configError(`Oracle identifiers cannot contain double quotes or NUL characters: ${JSON.stringify(name)}`, {
      fix: "no Oracle table or column can have such a name: check the name in the pipeline",
    });
  }
  return `"${name}"`;
}

/** Oracle 12c+ text: double-quoted names, positional `:1` binds, `FETCH FIRST n ROWS ONLY` after the keyset `ORDER BY`. */
export const oracleDialect: SqlDialect = {
  quoteIdentifier: quoteOracleIdentifier,
  quoteTable: (table: TableRef) =>
    table.schema ? `${quoteOracleIdentifier(table.schema)}.${quoteOracleIdentifier(table.name)}` : quoteOracleIdentifier(table.name),
  placeholder: (index) => `:${index}`,
  limit: (sql, limit) => `${sql} FETCH FIRST ${Math.trunc(limit)} ROWS ONLY`,
  // SYSTIMESTAMP is the database host's clock; the cast drops its zone and keeps its wall-clock time, the
  // time legacy DATE/TIMESTAMP columns filled with SYSDATE hold. LOCALTIMESTAMP would follow the session's zone.
  nowMinusSeconds: (seconds) => `(CAST(SYSTIMESTAMP AS TIMESTAMP) - NUMTODSINTERVAL(${Math.trunc(seconds)}, 'SECOND'))`,
};
