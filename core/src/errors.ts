/**
 * One small error taxonomy for the whole product. Engine code reads `kind`, never driver
 * error classes: only `transient` errors are retried.
 *
 * - `config`: the pipeline, config or command line is wrong; fix it and run again.
 * - `transient`: the network or server hiccupped (reset, restart, deadlock); retrying may succeed.
 * - `terminal`: the database refused for a reason a retry will not fix (permissions, missing table).
 * - `data`: one row's value is bad (conversion, constraint); the row can be rejected, the run goes on.
 */
export type ErrorKind = "config" | "transient" | "terminal" | "data";

export interface ErrorContext {
  pipeline?: string;
  connection?: string;
  /** What the connection is to the failing pipeline. */
  connectionRole?: "source" | "target";
  /** Where the connection's URL came from: its `DATABRIDGE_CONN_<NAME>` variable or the config file (never the URL itself). */
  urlFrom?: string;
  table?: string;
  column?: string;
  batch?: number;
  rowKey?: unknown;
  stage?: "extract" | "transform" | "load" | "plan";
  /** The database's own error code (SQLSTATE, MySQL errno), when there is one. */
  code?: string;
  /** What the user can do about it, when we know. */
  fix?: string;
  /** Where in a workspace file the problem is (1-based line and column), for tools that point at it. */
  location?: SourceLocation;
}

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export class DataBridgeError extends Error {
  readonly kind: ErrorKind;
  readonly context: ErrorContext;

  constructor(kind: ErrorKind, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(redactSecrets(message), options);
    this.name = "DataBridgeError";
    this.kind = kind;
    this.context = context;
  }

  /** The single line shown to users: where, what, and the fix when known. */
  toLine(): string {
    return formatErrorLine(this.message, this.context);
  }

  withContext(extra: ErrorContext): DataBridgeError {
    const merged = new DataBridgeError(this.kind, this.message, { ...extra, ...this.context }, { cause: this.cause });
    merged.stack = this.stack;
    return merged;
  }
}

export const configError = (message: string, context?: ErrorContext, cause?: unknown) =>
  new DataBridgeError("config", message, context, { cause });
export const dataError = (message: string, context?: ErrorContext, cause?: unknown) =>
  new DataBridgeError("data", message, context, { cause });
export const terminalError = (message: string, context?: ErrorContext, cause?: unknown) =>
  new DataBridgeError("terminal", message, context, { cause });
export const transientError = (message: string, context?: ErrorContext, cause?: unknown) =>
  new DataBridgeError("transient", message, context, { cause });

export function isDataBridgeError(error: unknown): error is DataBridgeError {
  return error instanceof DataBridgeError;
}

export function formatErrorLine(message: string, context: ErrorContext): string {
  const where: string[] = [];
  if (context.pipeline) where.push(`pipeline ${context.pipeline}`);
  if (context.connection) where.push(`connection ${context.connection}${connectionDetails(context)}`);
  if (context.table) where.push(`table ${context.table}`);
  if (context.column) where.push(`column ${context.column}`);
  if (context.batch !== undefined) where.push(`batch ${context.batch}`);
  if (context.rowKey !== undefined) where.push(`row key ${formatKey(context.rowKey)}`);
  const prefix = where.length ? `${where.join(", ")}: ` : "";
  const fix = context.fix ? ` (fix: ${context.fix})` : "";
  return redactSecrets(`${prefix}${oneLine(message)}${fix}`);
}

/** ` (source, URL from DATABRIDGE_CONN_LEGACY)`: the connection's role and where its URL came from, as far as known. */
function connectionDetails(context: ErrorContext): string {
  const details = [context.connectionRole, context.urlFrom && `URL from ${context.urlFrom}`].filter(Boolean);
  return details.length ? ` (${details.join(", ")})` : "";
}

export function formatKey(key: unknown): string {
  if (Array.isArray(key)) return key.length === 1 ? formatKey(key[0]) : `(${key.map(formatKey).join(", ")})`;
  // Numbers that arrive as text (int8, decimal) read better unquoted; other strings keep quotes so spaces show.
  if (typeof key === "string") return /^-?\d+(\.\d+)?$/.test(key) ? key : JSON.stringify(key);
  if (typeof key === "bigint") return key.toString();
  return String(key);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

const knownSecrets = new Set<string>();

/** Registers a secret (a password read from a URL or the environment) so it is masked wherever it might be printed. */
export function registerSecret(secret: string | undefined | null): void {
  if (secret && secret.length >= 3) knownSecrets.add(secret);
}

// `scheme://user:secret@` (the user may be empty: `postgres://:secret@host`).
const urlCredentials = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]*):([^\s@/]*)@/gi;
// `password=…`, `Pwd=…`, `PGPASSWORD=…`, `MYSQL_PWD: …`; MySQL's "(using password: YES)" is no secret.
const passwordAssignments = /\b(\w*?(?:password|passwd|pwd))\s*[=:]\s*(?!(?:YES|NO)\b)("[^"]*"|'[^']*'|[^\s;,&]+)/gi;

/** Masks passwords in any text: `scheme://user:secret@` credentials, `password=…` pairs, and registered secrets. */
export function redactSecrets(text: string): string {
  let out = text.replace(urlCredentials, "$1$2:***@").replace(passwordAssignments, "$1=***");
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join("***");
  }
  return out;
}

/** Best-effort message of an unknown thrown value, never with credentials. */
export function messageOf(error: unknown): string {
  if (error instanceof DataBridgeError) return error.toLine();
  if (error instanceof AggregateError && error.errors.length) return redactSecrets(error.errors.map(messageOf).join("; "));
  if (error instanceof Error) return redactSecrets(error.message || error.name);
  return redactSecrets(String(error));
}
