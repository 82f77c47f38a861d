import type { ErrorKind } from "../../errors.js";
import type { ConnectFailure } from "../connector.js";

/**
 * SQL Server error numbers a retry may get past: deadlock victim (1205), lock request timeout (1222),
 * snapshot update conflict (3960), memory grant timeout (8645), client timeout (-2), Azure SQL throttling and
 * failover (10928, 10929, 40197, 40501, 40613, 49918, 49919, 49920), and transport failures
 * (64, 121, 233, 10053, 10054, 10060).
 */
export const MSSQL_TRANSIENT_NUMBERS: ReadonlySet<number> = new Set([
  1205, 1222, 3960, 8645, -2, 10928, 10929, 40197, 40501, 40613, 49918, 49919, 49920, 64, 121, 233, 10053, 10054, 10060,
]);

/**
 * One row's value is bad: duplicate key (2627, 2601), NULL into NOT NULL (515), truncation (8152, 2628),
 * arithmetic overflow (8115, 220, 232), conversion failed (245, 241, 242, 8114, 248), constraint (547), divide by zero (8134).
 */
export const MSSQL_DATA_NUMBERS: ReadonlySet<number> = new Set([2627, 2601, 515, 8152, 2628, 8115, 220, 232, 245, 241, 242, 248, 8114, 547, 8134]);

/** Driver codes (mssql/tedious and Node sockets) of a lost or unreachable connection. */
export const MSSQL_TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "ETIMEOUT", "ESOCKET", "ECONNRESET", "ECONNCLOSED", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH",
  "EAI_AGAIN", "EINSTLOOKUP", "ENOTOPEN",
]);

interface MssqlErrorShape {
  code?: unknown;
  number?: unknown;
  originalError?: unknown;
  /** The server's ERROR token (number, state, class), as mssql attaches it to the error it wraps. */
  info?: unknown;
  cause?: unknown;
  errors?: unknown;
  precedingErrors?: unknown;
}

/** The error and what it wraps (mssql `originalError` and `info`, tedious `AggregateError`s, preceding errors of a batch). */
function chain(error: unknown): MssqlErrorShape[] {
  const seen = new Set<unknown>();
  const out: MssqlErrorShape[] = [];
  const visit = (value: unknown, depth: number) => {
    if (!value || typeof value !== "object" || seen.has(value) || depth > 5) return;
    seen.add(value);
    const err = value as MssqlErrorShape;
    out.push(err);
    visit(err.originalError, depth + 1);
    visit(err.info, depth + 1);
    visit(err.cause, depth + 1);
    for (const list of [err.errors, err.precedingErrors]) if (Array.isArray(list)) for (const item of list) visit(item, depth + 1);
  };
  visit(error, 0);
  return out;
}

/** transient (retry), data (reject the row) or terminal, read from SQL Server error numbers and driver codes. */
export function classifyMssqlError(error: unknown): ErrorKind {
  const errors = chain(error);
  for (const err of errors) {
    if (typeof err.code === "string" && MSSQL_TRANSIENT_CODES.has(err.code)) return "transient";
    if (typeof err.number === "number" && MSSQL_TRANSIENT_NUMBERS.has(err.number)) return "transient";
  }
  for (const err of errors) {
    if (typeof err.number === "number" && MSSQL_DATA_NUMBERS.has(err.number)) return "data";
  }
  return "terminal";
}

/**
 * Login failed (18456, tedious's ELOGIN); cannot open the database named in the login (4060); no server or
 * named instance answered (tedious's ESOCKET, ETIMEOUT, EINSTLOOKUP).
 */
export function mssqlConnectFailure(error: unknown): ConnectFailure | undefined {
  const errors = chain(error);
  if (errors.some((err) => err.number === 4060)) return "database";
  if (errors.some((err) => err.number === 18456 || err.code === "ELOGIN")) return "credentials";
  if (errors.some((err) => err.code === "ESOCKET" || err.code === "ETIMEOUT" || err.code === "EINSTLOOKUP")) return "unreachable";
  return undefined;
}
