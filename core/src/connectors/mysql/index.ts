export { mysqlConnectorFactory, mysqlClientConfig, mysqlReadOptions } from "./mysql-connector.js";
export { mysqlDialect, mysqlDialectWith, mysqlCapabilities, quoteMysqlIdentifier, mysqlReadExpression, mysqlCopyTextRow } from "./mysql-dialect.js";
export { portableFromMysqlType, portableFromMysqlField, mysqlParam, mysqlTypeMembers, unquoteMysqlLiteral, type ZeroDates, type MysqlReadOptions } from "./mysql-types.js";
export { mysqlPostgresMapping, mysqlDefault } from "./mysql-postgres-mapping.js";
export { classifyMysqlError } from "./mysql-errors.js";
