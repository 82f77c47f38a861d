import type { ErrorKind } from "../../errors.js";
import type { ConnectFailure } from "../connector.js";

const transientStates = new Set(["40001", "40P01", "53300", "53400", "57P01", "57P02", "57P03", "55P03", "58000", "58030"]);
const transientNodeCodes = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNABORTED"]);

/** Classifies a `pg` or PGlite error by SQLSTATE class: 08 connection, 40 rollback, 53 resources, 57 operator → transient; 22/23 → data. */
export function classifyPostgresError(error: unknown): ErrorKind {
  const err = error as { code?: string; message?: string } | undefined;
  const code = err?.code;
  if (code && transientNodeCodes.has(code)) return "transient";
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    if (code.startsWith("08") || transientStates.has(code)) return "transient";
    if (code.startsWith("22") || code.startsWith("23")) return "data";
    return "terminal";
  }
  const message = err?.message ?? "";
  if (/Connection terminated|connection (?:ended|closed)|terminating connection|server closed the connection|timeout expired|Client has encountered a connection error/i.test(message)) {
    return "transient";
  }
  return "terminal";
}

/** 28P01 wrong password, 28000 no such role or not allowed by pg_hba.conf; 3D000 no such database. */
export function postgresConnectFailure(error: unknown): ConnectFailure | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === "28P01" || code === "28000") return "credentials";
  if (code === "3D000") return "database";
  return undefined;
}
