import type { Plugin } from "./plugin.js";

export interface ConnectionConfig {
  /** `postgres://…`, `mysql://…`, `pglite:folder` or `pglite:memory:`. Put passwords in the environment, not here. */
  url: string;
  description?: string;
}

export interface WorkspaceConfig {
  connections: Record<string, ConnectionConfig>;
  /** Connector and transform plugins (see `definePlugin`). */
  plugins?: Plugin[];
  /** Folder (relative to the config) holding `*.etl.ts` pipelines; default `pipelines`. */
  pipelinesDir?: string;
}

/**
 * Declares the workspace config (`databridge.config.ts`).
 *
 * @example
 * export default defineConfig({
 *   connections: {
 *     legacy: { url: "mysql://root@127.0.0.1:3306/legacy" },
 *     warehouse: { url: "postgres://postgres@127.0.0.1:5432/warehouse" },
 *   },
 * });
 */
export function defineConfig<const T extends WorkspaceConfig>(config: T): T {
  return config;
}
