import type { ConnectorFactory } from "./connector.js";
import { mssqlConnectorFactory } from "./mssql/index.js";
import { mysqlConnectorFactory } from "./mysql/index.js";
import { oracleConnectorFactory } from "./oracle/index.js";
import { pgliteConnectorFactory } from "./pglite/index.js";
import { postgresConnectorFactory } from "./postgres/index.js";
import { sqliteConnectorFactory } from "./sqlite/index.js";

/**
 * Every built-in database, one line each — the only place outside its own folder a connector is named.
 * Each folder describes itself (`description` on its factory); the runner serves those descriptions at
 * `GET /api/v1/connectors`, and every client builds its forms and checks from them.
 */
export const builtinConnectors: readonly ConnectorFactory[] = [
  postgresConnectorFactory,
  pgliteConnectorFactory,
  mysqlConnectorFactory,
  mssqlConnectorFactory,
  oracleConnectorFactory,
  sqliteConnectorFactory,
];
