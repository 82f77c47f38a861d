import type { ErrorKind } from "../../errors.js";
import type { ConnectFailure } from "../connector.js";

/**
 * The driver (node-sqlite3-wasm) raises `SQLite3Error` with SQLite's message and no code, so errors are
 * told apart by SQLite's fixed messages (sqlite3ErrStr):
 * - transient: SQLITE_BUSY "database is locked" (another connection writes, or holds the driver's
 *   `<file>.lock`), SQLITE_LOCKED "database table is locked" / "database schema is locked", SQLITE_PROTOCOL;
 * - terminal: everything else — SQLITE_CORRUPT "database disk image is malformed", SQLITE_NOTADB "file is
 *   not a database", SQLITE_CANTOPEN "unable to open database file" (and the driver's "Could not open the
 *   database"), a missing table or column, SQL errors, SQLITE_READONLY. A source is only read: there is no
 *   constraint or value error to reject a row for (values are checked as they are carried, see sqlite-types).
 */
const TRANSIENT = /\bdatabase is locked\b|\bdatabase (?:table|schema) is locked\b|\blocking protocol\b/i;
const NOT_A_DATABASE = /\bfile is not a database\b|\bdatabase disk image is malformed\b/i;

const messageOf = (error: unknown) => {
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : "";
};

export function classifySqliteError(error: unknown): ErrorKind {
  return TRANSIENT.test(messageOf(error)) ? "transient" : "terminal";
}

/** A file that is no SQLite database (or a damaged one) is the wrong "database" of its connection. */
export function sqliteConnectFailure(error: unknown): ConnectFailure | undefined {
  return NOT_A_DATABASE.test(messageOf(error)) ? "database" : undefined;
}
