/**
 * The language server's custom messages and command ids, declared once for the server and any client
 * (the VS Code extension, a Neovim config, tests). Plain data: importing this module loads nothing else.
 */

/** Request: re-introspect connections now and rewrite `.databridge/schema-cache.json`. */
export const REFRESH_SCHEMA = "databridge/refreshSchema";
export interface RefreshSchemaParams {
  /** A document or folder of the workspace to refresh; all known workspaces when omitted. */
  uri?: string;
  /** Only these connections (default: all). */
  connections?: string[];
}
export interface RefreshSchemaResult {
  workspaces: SchemaStatus[];
}

/** Request: connection URLs (with credentials) from the client, kept in memory only; triggers a refresh. */
export const SET_CONNECTIONS = "databridge/setConnections";
export interface SetConnectionsParams {
  /** Connection name → URL; overrides the config's URL like `DATABRIDGE_CONN_<NAME>` does. */
  connections: Record<string, string>;
}

/** Notification (server → client): a workspace's schema changed (after introspection or a cache reload). */
export const SCHEMA_UPDATED = "databridge/schemaUpdated";
export interface SchemaStatus {
  /** The workspace folder (the one holding `databridge.config.ts`). */
  root: string;
  connections: ConnectionStatus[];
}
export interface ConnectionStatus {
  name: string;
  type?: string;
  status: "ok" | "pending" | "unreachable";
  tables: number;
  /** Why introspection failed (no secrets). */
  error?: string;
  /** When the catalog in use was read. */
  fetchedAt?: string;
}

/** `initializationOptions` the server understands. */
export interface InitializationOptions {
  /** Connection name → URL (credentials from the client's secret storage); never written to disk. */
  connections?: Record<string, string>;
  /** Introspect in the background on start (default true); false uses the schema cache only. */
  introspect?: boolean;
  /** Give up on a connection after this long (default 20 000 ms). */
  introspectionTimeoutMs?: number;
}

/** Commands the code lenses invoke; the client (the extension) implements them. Argument: `PipelineCommandArgs`. */
export const COMMANDS = {
  run: "databridge.runPipeline",
  preview: "databridge.previewPipeline",
  plan: "databridge.planPipeline",
} as const;
export interface PipelineCommandArgs {
  pipeline: string;
  /** The pipeline file's URI. */
  uri: string;
}
