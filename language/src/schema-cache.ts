import fs from "node:fs";
import path from "node:path";
import type { Catalog } from "@databridge/core";

/** Where a workspace's schema cache lives, relative to the folder holding `databridge.config.ts`. */
export const SCHEMA_CACHE_FILE = path.join(".databridge", "schema-cache.json");

export interface CachedConnection {
  type: string;
  /** When the catalog was read (ISO time). */
  fetchedAt: string;
  catalog: Catalog;
}

/** Table and column metadata per connection: no URLs, no credentials. */
export interface SchemaCache {
  version: 1;
  connections: Record<string, CachedConnection>;
}

export const schemaCachePath = (rootDir: string) => path.join(rootDir, SCHEMA_CACHE_FILE);

/** Reads the cache; a missing, unreadable or foreign file is an empty cache (it is only a cache). */
export function readSchemaCache(rootDir: string): SchemaCache {
  try {
    const parsed = JSON.parse(fs.readFileSync(schemaCachePath(rootDir), "utf8")) as SchemaCache;
    if (parsed?.version === 1 && typeof parsed.connections === "object" && parsed.connections) return parsed;
  } catch {
    // fall through
  }
  return { version: 1, connections: {} };
}

/** Writes the cache atomically (a reader never sees half a file). */
export function writeSchemaCache(rootDir: string, cache: SchemaCache): string {
  const file = schemaCachePath(rootDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(cache));
  fs.renameSync(temporary, file);
  return file;
}

/** Merges freshly read catalogs into the cache; connections that failed keep their previous entry. */
export function updateSchemaCache(rootDir: string, fresh: Record<string, CachedConnection>, keep?: readonly string[]): SchemaCache {
  const cache = readSchemaCache(rootDir);
  const connections = { ...cache.connections, ...fresh };
  if (keep) for (const name of Object.keys(connections)) if (!keep.includes(name)) delete connections[name];
  const next: SchemaCache = { version: 1, connections };
  writeSchemaCache(rootDir, next);
  return next;
}
