import type { ErrorKind } from "../../errors.js";
import type { ConnectFailure } from "../connector.js";

// Deadlock, lock wait timeout, too many connections, server gone away / lost, shutdown in progress, read-only failover.
const transientErrnos = new Set([1205, 1213, 1040, 1053, 1077, 1080, 1152, 1153, 1158, 1159, 1160, 1161, 2002, 2003, 2006, 2013, 2055, 1927, 1290]);
// Out of range, too long, wrong value, NULL into NOT NULL, duplicate key, FK violations, check constraint.
const dataErrnos = new Set([1048, 1062, 1264, 1265, 1292, 1366, 1406, 1451, 1452, 3819, 4025]);
const transientCodes = new Set(["PROTOCOL_CONNECTION_LOST", "ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "PROTOCOL_SEQUENCE_TIMEOUT", "EHOSTUNREACH"]);

export function classifyMysqlError(error: unknown): ErrorKind {
  const err = error as { errno?: number; code?: string; fatal?: boolean } | undefined;
  if (err?.code && transientCodes.has(err.code)) return "transient";
  if (typeof err?.errno === "number") {
    if (transientErrnos.has(err.errno)) return "transient";
    if (dataErrnos.has(err.errno)) return "data";
  }
  if (err?.fatal) return "transient";
  return "terminal";
}

/** 1045 access denied (user or password), 1698 access denied (auth plugin), 1044 no access to the database; 1049 unknown database. */
export function mysqlConnectFailure(error: unknown): ConnectFailure | undefined {
  const errno = (error as { errno?: unknown } | undefined)?.errno;
  if (errno === 1045 || errno === 1698 || errno === 1044) return "credentials";
  if (errno === 1049) return "database";
  return undefined;
}
