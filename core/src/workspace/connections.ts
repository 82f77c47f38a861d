import type { WorkspaceConfig } from "../authoring/config.js";
import type { Connector } from "../connectors/connector.js";
import { configError, registerSecret } from "../errors.js";
import { didYouMean } from "../util/suggest.js";
import type { Registry } from "./registry.js";

/** `DATABRIDGE_CONN_<NAME>`: the environment variable that overrides a connection's URL. */
export const connectionEnvVar = (name: string) => `DATABRIDGE_CONN_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

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
    throw configError(`connection URL is not a valid URL`, { connection: name, fix: "use e.g. postgres://user@host:5432/db, mysql://user@host/db or pglite:folder" });
  }
}

/** A safe description of a connection for output: type, host and database; never the password. */
export function describeConnectionUrl(url: URL): string {
  // A file or folder database's URL is its path (`pglite:data/db`, `sqlite:legacy.db`): nothing secret in it.
  if (!url.href.slice(url.protocol.length).startsWith("//")) return decodeURIComponent(url.href);
  const user = url.username ? `${decodeURIComponent(url.username)}@` : "";
  return `${url.protocol}//${user}${url.host}${url.pathname}`;
}

/** Opens connectors on first use and closes them all at the end of a command. */
export class ConnectionManager {
  private readonly open = new Map<string, Promise<Connector>>();

  constructor(
    private readonly config: WorkspaceConfig,
    private readonly registry: Registry,
    private readonly baseDir: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
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
    return factory.create({ name, url, baseDir: this.baseDir });
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(all.map(async (c) => (await c).close()));
  }
}
