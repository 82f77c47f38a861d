import { createRequire } from "node:module";
import path from "node:path";
import { REPO_ROOT } from "./cli.js";

/** The slice of node-sqlite3-wasm's Database the tests use. */
export interface SqliteFile {
  exec(sql: string): void;
  run(sql: string, values?: unknown): unknown;
  all(sql: string, values?: unknown): Record<string, unknown>[];
  close(): void;
}

/**
 * Opens a SQLite file with the driver the connector uses (a dependency of core, loaded from there), on its own:
 * read-write to build a fixture as an application would, or read-only to check what the file holds.
 */
export function openSqliteFile(file: string, options: { readOnly?: boolean } = {}): SqliteFile {
  const { Database } = createRequire(path.join(REPO_ROOT, "core/package.json"))("node-sqlite3-wasm") as {
    Database: new (file: string, options?: { readOnly?: boolean }) => SqliteFile;
  };
  return new Database(file, options);
}
