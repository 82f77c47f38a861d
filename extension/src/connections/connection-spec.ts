import { createHash } from "node:crypto";
import type { ConnectionInput, ConnectorList } from "@databridge/core/runner-protocol";

/**
 * A connector's type as the runner names it (`postgres`, `mysql`, `sqlite`, …). The list of types is not kept here:
 * the Add Connection flow offers what the runner's `GET /connectors` describes, so a database added to core shows
 * up without an edit in the extension. A type is also its URL scheme (core's connectors keep them equal).
 */
export type ConnectionType = string;

/** What the flow needs of a connector's self-description. */
export type ConnectorChoice = Pick<ConnectorList["connectors"][number], "type" | "label" | "detail" | "storage" | "defaultPort">;

/**
 * A connection as the extension keeps it in the `databridge.connections` setting: everything but the password,
 * which lives only in VS Code's SecretStorage (see `secretKey`).
 */
export interface ConnectionSpec {
  name: string;
  type: ConnectionType;
  /** Server databases. */
  host?: string;
  port?: number;
  database?: string;
  username?: string;
  /** Embedded databases (a file or a folder): the path, relative to the workspace config. Its presence marks the spec embedded. */
  folder?: string;
}

const isEmbedded = (spec: ConnectionSpec) => spec.folder !== undefined;

/** Connection names as the runner accepts them: a letter, then letters, digits and `_` (at most 63 characters). */
export function validateName(name: string, taken: readonly string[] = []): string | undefined {
  if (!name.trim()) return "A connection needs a name, e.g. legacy or warehouse";
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(name)) return `"${name}" is not a valid name: use letters, digits and _, starting with a letter`;
  if (taken.includes(name)) return `A connection named "${name}" already exists`;
  return undefined;
}

export function validateHost(host: string): string | undefined {
  if (!host.trim()) return "Enter a host name or IP address, e.g. 127.0.0.1";
  if (/[\s/@?#]/.test(host)) return `"${host}" is not a host name: no spaces, /, @, ? or #`;
  return undefined;
}

export function validatePort(port: string): string | undefined {
  if (!/^\d+$/.test(port.trim())) return `Port must be a number from 1 to 65535 (got "${port}")`;
  const n = Number(port);
  if (n < 1 || n > 65535) return `Port must be from 1 to 65535 (got ${n})`;
  return undefined;
}

export function validateRequired(what: string, value: string): string | undefined {
  return value.trim() ? undefined : `Enter the ${what}`;
}

/** The field that is missing or wrong in a spec, as one line, or undefined when it is complete. */
export function specProblem(spec: ConnectionSpec): string | undefined {
  const named = validateName(spec.name);
  if (named) return named;
  if (!spec.type || !/^[a-z][a-z0-9+.-]*$/.test(spec.type)) return `connection ${spec.name}: the type is missing or not a connector type (e.g. postgres, mysql, sqlite)`;
  if (isEmbedded(spec)) return spec.folder?.trim() ? undefined : `connection ${spec.name}: a ${spec.type} connection needs its file or folder`;
  const host = validateHost(spec.host ?? "");
  if (host) return `connection ${spec.name}: ${host}`;
  if (spec.port !== undefined) {
    const port = validatePort(String(spec.port));
    if (port) return `connection ${spec.name}: ${port}`;
  }
  if (!spec.database?.trim()) return `connection ${spec.name}: the database name is missing`;
  if (!spec.username?.trim()) return `connection ${spec.name}: the user name is missing`;
  return undefined;
}

/**
 * The connection URL core's connectors take (and `DATABRIDGE_CONN_<NAME>` carries). Contains the password when
 * one is given: hand it only to a child process's environment or a language-server initialization option, never
 * to a log, a setting or a file.
 */
export function connectionUrl(spec: ConnectionSpec, password?: string): string {
  if (isEmbedded(spec)) return `${spec.type}:${spec.folder ?? ""}`;
  const url = new URL(`${spec.type}://placeholder`);
  url.hostname = spec.host ?? "127.0.0.1";
  // Without a port the connector's driver uses the database's default one.
  if (spec.port !== undefined) url.port = String(spec.port);
  url.pathname = `/${encodeURIComponent(spec.database ?? "")}`;
  url.username = encodeURIComponent(spec.username ?? "");
  if (password) url.password = encodeURIComponent(password);
  return url.href;
}

/** A connection for output: type, user, host and database; never the password. */
export function describeSpec(spec: ConnectionSpec): string {
  if (isEmbedded(spec)) return `${spec.name} (${spec.type}:${spec.folder ?? ""})`;
  const port = spec.port !== undefined ? `:${spec.port}` : "";
  return `${spec.name} (${spec.type}://${spec.username ?? ""}@${spec.host ?? ""}${port}/${spec.database ?? ""})`;
}

/** `DATABRIDGE_CONN_<NAME>`, as core's `connectionEnvVar`. */
export const connectionEnvVar = (name: string) => `DATABRIDGE_CONN_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

/**
 * The SecretStorage key of a connection's password. SecretStorage is shared by every workspace, so the key
 * names the workspace too: `legacy` in one project is not `legacy` in another.
 */
export function secretKey(workspaceRoot: string, name: string): string {
  const workspace = createHash("sha256").update(workspaceRoot).digest("hex").slice(0, 16);
  return `databridge.connection.${workspace}.${name}.password`;
}

/** The body of the runner's `POST /api/v1/connections` (and `/connections/test`) for a spec. */
export function runnerConnectionBody(spec: ConnectionSpec, password: string | undefined): ConnectionInput {
  // A spec without its database (or file or folder) reaches the runner as "", which it refuses naming the field.
  if (isEmbedded(spec)) return { name: spec.name, type: spec.type, database: spec.folder ?? "" };
  return {
    name: spec.name,
    type: spec.type,
    host: spec.host,
    ...(spec.port !== undefined ? { port: spec.port } : {}),
    database: spec.database ?? "",
    username: spec.username,
    ...(password ? { password } : {}),
  };
}

/** Reads the `databridge.connections` setting defensively: a hand-edited entry that is wrong is reported, not thrown. */
export function parseConnectionSettings(value: unknown): { specs: ConnectionSpec[]; problems: string[] } {
  const specs: ConnectionSpec[] = [];
  const problems: string[] = [];
  if (value === undefined || value === null) return { specs, problems };
  if (typeof value !== "object" || Array.isArray(value)) {
    return { specs, problems: ["setting databridge.connections must be an object of connection name → { type, host, port, database, username }"] };
  }
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    if (typeof raw !== "object" || raw === null) {
      problems.push(`setting databridge.connections.${name} must be an object`);
      continue;
    }
    const r = raw as Record<string, unknown>;
    if ("password" in r) problems.push(`setting databridge.connections.${name} has a password: remove it, passwords belong in the DataBridge connection store (Add Connection)`);
    const spec: ConnectionSpec = {
      name,
      type: typeof r.type === "string" ? r.type : "",
      host: typeof r.host === "string" ? r.host : undefined,
      port: typeof r.port === "number" ? r.port : typeof r.port === "string" && /^\d+$/.test(r.port) ? Number(r.port) : undefined,
      database: typeof r.database === "string" ? r.database : undefined,
      username: typeof r.username === "string" ? r.username : typeof r.user === "string" ? r.user : undefined,
      folder: typeof r.folder === "string" ? r.folder : typeof r.file === "string" ? r.file : undefined,
    };
    const problem = specProblem(spec);
    if (problem) problems.push(`setting databridge.connections.${name}: ${problem.replace(`connection ${name}: `, "")}`);
    else specs.push(spec);
  }
  return { specs, problems };
}

/** The setting value for a spec (no name key inside, no password ever). */
export function settingEntry(spec: ConnectionSpec): Record<string, unknown> {
  if (isEmbedded(spec)) return { type: spec.type, folder: spec.folder };
  return { type: spec.type, host: spec.host, port: spec.port, database: spec.database, username: spec.username };
}
