export { mysqlConnectorFactory, mysqlClientConfig } from "./mysql-connector.js";
export { mysqlDialect, mysqlCapabilities, quoteMysqlIdentifier } from "./mysql-dialect.js";
export { portableFromMysqlType, portableFromMysqlField } from "./mysql-types.js";
export { classifyMysqlError } from "./mysql-errors.js";
