export {
  mssqlConnectorFactory, mssqlClientConfig, describeMssqlServer, mssqlCatalogTables, buildMssqlRead, mssqlFromSql, VarcharParameter,
  type MssqlCatalogRows, type MssqlSourceColumn,
} from "./mssql-connector.js";
export { mssqlDialect, mssqlCapabilities, quoteMssqlIdentifier } from "./mssql-dialect.js";
export {
  portableFromMssqlType, portableFromMssqlColumn, mssqlTypeFromColumn, mssqlTypeFromCatalog, mssqlReadExpression, mssqlKeyParameter, shortestFloat32,
  type MssqlColumnMetadata, type MssqlCatalogType,
} from "./mssql-types.js";
export { classifyMssqlError, MSSQL_TRANSIENT_NUMBERS, MSSQL_DATA_NUMBERS, MSSQL_TRANSIENT_CODES } from "./mssql-errors.js";
export { mssqlPostgresMapping, mssqlDefault } from "./mssql-postgres-mapping.js";
