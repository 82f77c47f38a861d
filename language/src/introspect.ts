import { isDataBridgeError, messageOf, openConnections, redactSecrets, type Catalog, type Workspace } from "@databridge/core";

export interface IntrospectionResult {
  name: string;
  type?: string;
  catalog?: Catalog;
  /** One line, secrets redacted. */
  error?: string;
  /** Not introspected on purpose (an embedded database another process may hold open). */
  skipped?: string;
  fetchedAt?: string;
}

export interface IntrospectOptions {
  /** The environment connection URLs come from (`DATABRIDGE_CONN_<NAME>` overrides the config). */
  env?: NodeJS.ProcessEnv;
  /** Only these connections (default: every connection of the workspace). */
  names?: string[];
  timeoutMs?: number;
  /**
   * Open folder databases (PGlite) too. A database folder must not be opened by two processes at once, so the
   * language server only does it when asked (refresh request), never in the background. Files (SQLite) are read-only
   * and open any time.
   */
  includeEmbedded?: boolean;
}

const describe = (error: unknown) => redactSecrets(isDataBridgeError(error) ? error.toLine() : messageOf(error)).split("\n")[0];

/**
 * Introspects a workspace's connections through the core connectors, in parallel, each bounded by a
 * timeout; a failure is a result (with its reason), never a throw. Connections are closed afterwards.
 */
export async function introspectConnections(workspace: Workspace, options: IntrospectOptions = {}): Promise<IntrospectionResult[]> {
  const connections = openConnections(workspace, options.env ?? process.env);
  const names = options.names ?? connections.names();
  const timeoutMs = options.timeoutMs ?? 20_000;
  let timedOut = false;
  const results = await Promise.all(names.map(async (name): Promise<IntrospectionResult> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const factory = workspace.registry.connectorsByScheme.get(connections.url(name).protocol.replace(/:$/, "").toLowerCase());
      const storage = factory && workspace.registry.connectors.get(factory.type)?.storage;
      if (storage === "folder" && !options.includeEmbedded) {
        return { name, type: factory!.type, skipped: "embedded database: introspected only on request (Refresh Schema, `databridge types`)" };
      }
      const work = (async () => {
        const connector = await connections.get(name);
        const catalog = await connector.introspect();
        return { name, type: connector.type, catalog, fetchedAt: new Date().toISOString() };
      })();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
      });
      return await Promise.race([work, timeout]);
    } catch (error) {
      return { name, error: describe(error) };
    } finally {
      clearTimeout(timer);
    }
  }));
  // A connection that hangs must not hang the caller: close in the background then.
  const closing = connections.closeAll().catch(() => {});
  if (!timedOut) await closing;
  return results;
}
