import type { ConnectorDescription } from "./connector.js";

/** A connection as form fields: a server's address and database, or an embedded database's file or folder. */
export interface ConnectionFields {
  host: string | null;
  port: number | null;
  /** The database name; for a file or folder database, its path (relative to the workspace config). */
  database: string | null;
  username: string | null;
}

type Described = Pick<ConnectorDescription, "schemes" | "storage" | "defaultPort">;

/** A URL's fields, the way the connector it is for reads them. */
export function connectionFields(url: URL, connector: Described): ConnectionFields {
  if (connector.storage !== "server") {
    return { host: null, port: null, database: decodeURIComponent(url.href.slice(url.protocol.length)) || null, username: null };
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, "") || null,
    port: url.port ? Number(url.port) : connector.defaultPort ?? null,
    database: decodeURIComponent(url.pathname.replace(/^\//, "")) || null,
    username: url.username ? decodeURIComponent(url.username) : null,
  };
}

/** The URL fields stand for: `scheme://user[:password]@host:port/database`, or `scheme:path` for a file or folder. */
export function connectionUrl(connector: Described, fields: ConnectionFields, password?: string): URL {
  const scheme = connector.schemes[0];
  if (connector.storage !== "server") return new URL(`${scheme}:${fields.database ?? "memory:"}`);
  const url = new URL(`${scheme}://host`);
  const host = fields.host ?? "localhost";
  url.hostname = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  if (fields.port) url.port = String(fields.port);
  if (fields.username) url.username = encodeURIComponent(fields.username);
  if (password) url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(fields.database ?? "")}`;
  return url;
}
