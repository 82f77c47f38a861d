import type { WorkspaceConfig } from "../authoring/config.js";
import type { ConnectFailure, Connector, ConnectorFactory } from "../connectors/connector.js";
import { configError, DataBridgeError, type ErrorKind, isDataBridgeError, messageOf, registerSecret } from "../errors.js";
import { didYouMean } from "../util/suggest.js";
import type { Registry } from "./registry.js";

/** `DATABRIDGE_CONN_<NAME>`: the environment variable that overrides a connection's URL. */
export const connectionEnvVar = (name: string) => `DATABRIDGE_CONN_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

/** Where a connection's URL comes from, for messages: its `DATABRIDGE_CONN_<NAME>` variable when set, else the config file. */
export function connectionUrlOrigin(name: string, env: NodeJS.ProcessEnv = process.env, configFile = "databridge.config.ts"): string {
  return env[connectionEnvVar(name)] !== undefined ? connectionEnvVar(name) : configFile;
}

/** The URL a connection uses: the environment's override, else the config's. Never printed. */
export function resolveConnectionUrl(name: string, config: WorkspaceConfig, env: NodeJS.ProcessEnv = process.env): URL {
  const fromEnv = env[connectionEnvVar(name)];
  const configured = config.connections?.[name];
  const raw = fromEnv ?? (typeof configured === "string" ? configured : configured?.url);
  if (!raw) {
    throw configError(`unknown connection "${name}"${didYouMean(name, Object.keys(config.connections ?? {}))}`, { connection: name, fix: `add it to databridge.config.ts or set ${connectionEnvVar(name)}` });
  }
  try {
    const url = new URL(raw);
    if (url.password) registerSecret(decodeURIComponent(url.password));
    return url;
  } catch {
    throw configError(`connection URL is not a valid URL`, {
      connection: name, urlFrom: fromEnv === undefined ? undefined : connectionEnvVar(name), fix: "use e.g. postgres://user@host:5432/db, mysql://user@host/db or pglite:folder",
    });
  }
}

/** A safe description of a connection for output: type, host and database; never the password. */
export function describeConnectionUrl(url: URL): string {
  // A file or folder database's URL is its path (`pglite:data/db`, `sqlite:legacy.db`): nothing secret in it.
  if (!url.href.slice(url.protocol.length).startsWith("//")) return decodeURIComponent(url.href);
  const user = url.username ? `${decodeURIComponent(url.username)}@` : "";
  return `${url.protocol}//${user}${url.host}${url.pathname}`;
}

// Node's socket errors, the same for every driver: the server could not be reached at all.
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET"]);

function unreachable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 4) return false;
  const { code, errors, cause } = error as { code?: unknown; errors?: unknown; cause?: unknown };
  if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return true;
  if (Array.isArray(errors) && errors.some((e) => unreachable(e, depth + 1))) return true;
  return unreachable(cause, depth + 1);
}

/** What to do about connection `name` that did not open, naming where its URL is set (`urlFrom`). */
export function connectionFix(failure: ConnectFailure | undefined, name: string, urlFrom: string): string {
  const envVar = connectionEnvVar(name);
  switch (failure) {
    case "credentials":
      return urlFrom === envVar
        ? `check the user and password in ${envVar}`
        : `set ${envVar} to the URL with the right user and password (passwords do not belong in ${urlFrom})`;
    case "database":
      return `check the database name in ${urlFrom}`;
    case "unreachable":
      return `check the host and port in ${urlFrom}, and that the server is running`;
    default:
      return `check the connection URL in ${urlFrom}`;
  }
}

/**
 * A connection that could not be opened, as one line naming it and where its URL came from (never the URL),
 * with the fix the driver's error points to. Keeps the error's kind: an unreachable server is transient.
 */
export function connectionError(name: string, urlFrom: string, error: unknown, factory?: ConnectorFactory): DataBridgeError {
  if (isDataBridgeError(error) && error.kind === "config") return error.withContext({ connection: name, urlFrom });
  const driverError = isDataBridgeError(error) && error.cause !== undefined ? error.cause : error;
  const failure = factory?.connectFailure?.(driverError) ?? (unreachable(driverError) ? "unreachable" : undefined);
  const kind: ErrorKind = isDataBridgeError(error) ? error.kind : failure === "unreachable" ? "transient" : "terminal";
  const message = isDataBridgeError(error) ? error.message : messageOf(error);
  // A connector that wrapped its own connect error may know a more specific fix than "check the URL".
  const fix = failure || !isDataBridgeError(error) || !error.context.fix ? connectionFix(failure, name, urlFrom) : `${error.context.fix}, in ${urlFrom}`;
  return new DataBridgeError(kind, message, { connection: name, urlFrom, fix }, { cause: driverError });
}

/** Opens connectors on first use and closes them all at the end of a command. */
export class ConnectionManager {
  private readonly open = new Map<string, Promise<Connector>>();

  constructor(
    private readonly config: WorkspaceConfig,
    private readonly registry: Registry,
    private readonly baseDir: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** The config's file name, for messages that say where a URL is set. */
    private readonly configFile = "databridge.config.ts",
  ) {}

  names(): string[] {
    const fromEnv = Object.keys(this.env).filter((k) => k.startsWith("DATABRIDGE_CONN_")).map((k) => k.slice("DATABRIDGE_CONN_".length).toLowerCase());
    return [...new Set([...Object.keys(this.config.connections ?? {}), ...fromEnv])];
  }

  url(name: string): URL {
    return resolveConnectionUrl(name, this.config, this.env);
  }

  get(name: string): Promise<Connector> {
    let connector = this.open.get(name);
    if (!connector) {
      connector = this.create(name);
      this.open.set(name, connector);
      connector.catch(() => this.open.delete(name));
    }
    return connector;
  }

  private async create(name: string): Promise<Connector> {
    const url = this.url(name);
    const scheme = url.protocol.replace(/:$/, "").toLowerCase();
    const factory = this.registry.connectorsByScheme.get(scheme);
    if (!factory) {
      throw configError(`no connector for "${scheme}:" URLs${didYouMean(scheme, this.registry.connectorsByScheme.keys())}`, {
        connection: name,
        fix: `use one of ${[...this.registry.connectorsByScheme.keys()].join(", ")}, or add a plugin`,
      });
    }
    const urlFrom = connectionUrlOrigin(name, this.env, this.configFile);
    let connector: Connector | undefined;
    try {
      connector = await factory.create({ name, url, baseDir: this.baseDir });
      // Drivers connect lazily: ask the server once, so a wrong password or host fails here, naming the connection.
      await connector.serverVersion();
      return connector;
    } catch (error) {
      await connector?.close().catch(() => {});
      throw connectionError(name, urlFrom, error, factory);
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(all.map(async (c) => (await c).close()));
  }
}
