export {
  oracleConnectorFactory, oracleClientConfig, oracleCatalogTables, buildOracleRead, oracleFromSql, oracleFetchTypeHandler, withLowerCaseAliases,
  ORACLE_SESSION_SQL,
  type OracleCatalogRows, type OracleSourceColumn,
} from "./oracle-connector.js";
export { oracleDialect, oracleCapabilities, quoteOracleIdentifier } from "./oracle-dialect.js";
export {
  portableFromOracleType, portableFromOracleColumn, oracleTypeFromColumn, oracleTypeFromCatalog, oracleReadExpression, oracleFetchPlan,
  normalizeOracleNumber, type OracleColumnMetadata, type OracleCatalogType, type OracleFetch,
} from "./oracle-types.js";
export { classifyOracleError, oracleErrorCodes, ORACLE_TRANSIENT_CODES, ORACLE_DATA_CODES } from "./oracle-errors.js";
export { oraclePostgresMapping, oracleDefault } from "./oracle-postgres-mapping.js";
