export { sqliteConnectorFactory, sqliteFilePath, rejectedValueText } from "./sqlite-connector.js";
export { sqliteDialect, sqliteCapabilities, quoteSqliteIdentifier, sqliteLiteral, sqliteNowMinusSeconds } from "./sqlite-dialect.js";
export { sqliteAffinity, sqliteShape, portableFromSqliteType, sqliteReadExpression, carrySqliteValue, SqliteValueRejected, type SqliteAffinity, type SqliteShape } from "./sqlite-types.js";
export { sqlitePostgresMapping, sqliteDefault } from "./sqlite-postgres-mapping.js";
export { introspectSqlite } from "./sqlite-introspector.js";
export { classifySqliteError, sqliteConnectFailure } from "./sqlite-errors.js";
