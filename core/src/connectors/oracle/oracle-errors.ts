import type { ErrorKind } from "../../errors.js";
import type { ConnectFailure } from "../connector.js";

/**
 * Codes a retry may get past: deadlock (ORA-00060), serialization failure (ORA-08177), resource busy
 * (ORA-00054, ORA-00051, ORA-30006), lost or closed connection (ORA-03113, ORA-03114, ORA-03135, ORA-02396,
 * ORA-25408), listener and network failures (ORA-12541, ORA-12514, ORA-12170, ORA-12537, ORA-12547, ORA-12571,
 * ORA-12519, ORA-12520, ORA-12528), instance starting or stopping (ORA-01033, ORA-01034, ORA-01089), and the
 * driver's own connection failures (NJS-500 broken, NJS-501 lost contact, NJS-503 cannot connect, NJS-510
 * connect timeout, NJS-511 refused, NJS-518 service not registered (thin mode's ORA-12514), NJS-521 EOF,
 * NJS-040 pool queue timeout; DPI-1080 closed by the server, DPI-1010 not connected, DPI-1067 call timeout).
 */
export const ORACLE_TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "ORA-00060", "ORA-08177", "ORA-00054", "ORA-00051", "ORA-30006",
  "ORA-03113", "ORA-03114", "ORA-03135", "ORA-02396", "ORA-25408",
  "ORA-12541", "ORA-12514", "ORA-12170", "ORA-12537", "ORA-12547", "ORA-12571", "ORA-12519", "ORA-12520", "ORA-12528",
  "ORA-01033", "ORA-01034", "ORA-01089",
  "NJS-500", "NJS-501", "NJS-503", "NJS-510", "NJS-511", "NJS-518", "NJS-521", "NJS-040",
  "DPI-1080", "DPI-1010", "DPI-1067",
]);

/**
 * One row's value is bad: NULL into NOT NULL (ORA-01400, ORA-01407), too large for the column (ORA-12899,
 * ORA-01401, ORA-01438), invalid number (ORA-01722), unique (ORA-00001), foreign key (ORA-02291, ORA-02292),
 * check (ORA-02290), date conversions (ORA-01830, ORA-01841, ORA-01843, ORA-01847, ORA-01858, ORA-01861),
 * divide by zero (ORA-01476), numeric or value error (ORA-06502).
 */
export const ORACLE_DATA_CODES: ReadonlySet<string> = new Set([
  "ORA-01400", "ORA-01407", "ORA-12899", "ORA-01401", "ORA-01438", "ORA-01722", "ORA-00001", "ORA-02291", "ORA-02292", "ORA-02290",
  "ORA-01830", "ORA-01841", "ORA-01843", "ORA-01847", "ORA-01858", "ORA-01861", "ORA-01476", "ORA-06502",
]);

const SOCKET_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

interface OracleErrorShape {
  code?: unknown;
  errorNum?: unknown;
  message?: unknown;
  isRecoverable?: unknown;
  cause?: unknown;
}

/** Every ORA-/NJS-/DPI- code an error carries: its `code`, its `errorNum`, and the codes its message chains. */
export function oracleErrorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  for (let err = error as OracleErrorShape | undefined, depth = 0; err && typeof err === "object" && !seen.has(err) && depth < 5; err = err.cause as OracleErrorShape, depth++) {
    seen.add(err);
    if (typeof err.code === "string") codes.push(err.code);
    if (typeof err.errorNum === "number" && err.errorNum > 0) codes.push(`ORA-${String(err.errorNum).padStart(5, "0")}`);
    if (typeof err.message === "string") codes.push(...(err.message.match(/\b(?:ORA|NJS|DPI)-\d{3,5}\b/g) ?? []));
  }
  return [...new Set(codes)];
}

/** transient (retry), data (reject the row) or terminal, read from Oracle's codes and the driver's. */
export function classifyOracleError(error: unknown): ErrorKind {
  const codes = oracleErrorCodes(error);
  if (codes.some((code) => ORACLE_TRANSIENT_CODES.has(code) || SOCKET_CODES.has(code))) return "transient";
  if ((error as OracleErrorShape | undefined)?.isRecoverable === true) return "transient";
  if (codes.some((code) => ORACLE_DATA_CODES.has(code))) return "data";
  return "terminal";
}

const UNREACHABLE_CODES = ["NJS-503", "NJS-510", "NJS-511", "ORA-12541", "ORA-12170"];

/**
 * ORA-01017 wrong user or password, ORA-28000 account locked; ORA-12514 / NJS-518 no such service on the
 * listener; NJS-503/510/511, ORA-12541/12170 nothing listening or answering there.
 */
export function oracleConnectFailure(error: unknown): ConnectFailure | undefined {
  const codes = oracleErrorCodes(error);
  if (codes.includes("ORA-01017") || codes.includes("ORA-28000")) return "credentials";
  if (codes.includes("ORA-12514") || codes.includes("NJS-518")) return "database";
  if (codes.some((code) => UNREACHABLE_CODES.includes(code))) return "unreachable";
  return undefined;
}
