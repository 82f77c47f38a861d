export { postgresConnectorFactory, postgresClientConfig } from "./postgres-connector.js";
export { postgresDialect, postgresCapabilities, quotePostgresIdentifier, postgresLiteral } from "./postgres-dialect.js";
export { portableFromPostgresType, portableFromPostgresOid, postgresNativeType, postgresSourceMapping, POSTGRES_SESSION_SETTINGS } from "./postgres-types.js";
export { decodeCopyLine, encodeCopyText, encodeCopyChunks, encodeCopyValue } from "./postgres-copy.js";
export { classifyPostgresError } from "./postgres-errors.js";
export { introspectPostgres } from "./postgres-introspector.js";
