import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/node-postgres";
import { migrate as migratePostgres } from "drizzle-orm/node-postgres/migrator";
import { configError, describeConnectionUrl, makePrivateDir, registerSecret, restrictToOwner } from "@databridge/core";
import * as schema from "./schema.js";

export type StateSchema = typeof schema;
export type StateDb = PgDatabase<PgQueryResultHKT, StateSchema>;

export interface StateDatabase {
  db: StateDb;
  kind: "pglite" | "postgres";
  /** Where the state lives, safe to print (a folder, or a URL without its password). */
  location: string;
  /** The folder of an embedded (PGlite) state database on disk; undefined in memory or on PostgreSQL. */
  embeddedDir: string | undefined;
  close(): Promise<void>;
}

/** The committed drizzle migrations (server/drizzle), from src/state or dist/state alike. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));
const migrationsConfig = { migrationsFolder: MIGRATIONS_FOLDER, migrationsSchema: schema.STATE_SCHEMA, migrationsTable: "__drizzle_migrations" };

/** `<workspace>/.databridge/state`: the default, embedded state database. */
export const defaultStateDir = (workspaceRoot: string) => path.join(workspaceRoot, ".databridge", "state");

/**
 * Opens (and migrates) the state database: `DATABRIDGE_STATE_URL` (`postgres://…`, or `pglite:<folder>`)
 * when given, else an embedded PGlite database under `<workspace>/.databridge/state`.
 */
export async function openStateDatabase(options: { workspaceRoot: string; url?: string }): Promise<StateDatabase> {
  const raw = options.url?.trim();
  if (!raw) return openPglite(defaultStateDir(options.workspaceRoot));
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError("DATABRIDGE_STATE_URL is not a valid URL", { fix: "use postgres://user@host:5432/db or pglite:<folder>" });
  }
  if (url.password) registerSecret(decodeURIComponent(url.password));
  if (url.protocol === "pglite:") {
    const location = decodeURIComponent(raw.slice("pglite:".length));
    if (location === "memory:" || location === "memory") return openPglite(undefined);
    return openPglite(path.resolve(options.workspaceRoot, location));
  }
  if (url.protocol === "postgres:" || url.protocol === "postgresql:") return openPostgres(url);
  throw configError(`DATABRIDGE_STATE_URL: unsupported scheme "${url.protocol}"`, { fix: "use postgres://… or pglite:<folder>" });
}

async function openPglite(dataDir: string | undefined): Promise<StateDatabase> {
  if (dataDir) makePrivateDir(dataDir);
  const client = await PGlite.create(dataDir ?? "memory://");
  const db = drizzlePglite({ client, schema });
  try {
    await migratePglite(db, migrationsConfig);
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
  // Run history and saved connections are this user's alone (PGlite writes its files 0666).
  if (dataDir) restrictToOwner(dataDir);
  const close = async () => {
    await client.close();
    if (dataDir) restrictToOwner(dataDir);
  };
  return { db: db as unknown as StateDb, kind: "pglite", location: dataDir ?? "pglite:memory:", embeddedDir: dataDir, close };
}

async function openPostgres(url: URL): Promise<StateDatabase> {
  const pool = new pg.Pool({
    host: url.hostname.replace(/^\[|\]$/g, "") || "localhost",
    port: url.port ? Number(url.port) : 5432,
    user: url.username ? decodeURIComponent(url.username) : "postgres",
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database: decodeURIComponent(url.pathname.replace(/^\//, "")) || "postgres",
    max: 6,
    application_name: "databridge-runner",
    connectionTimeoutMillis: 10_000,
  });
  // An idle client whose server went away is dropped by the pool; the next query reports the problem.
  pool.on("error", () => {});
  const db = drizzlePostgres({ client: pool, schema });
  try {
    // Two runners starting against one state database migrate one after the other.
    const lock = await pool.connect();
    // A checked-out client has no pool listener: a server that goes away now fails the query in
    // flight (and so the start), and must not also crash the process with an unhandled 'error'.
    let lost: Error | undefined;
    lock.on("error", (error) => (lost = error));
    try {
      await lock.query("SELECT pg_advisory_lock(hashtext('databridge_runner.migrate'))");
      await migratePostgres(db, migrationsConfig);
    } finally {
      await lock.query("SELECT pg_advisory_unlock(hashtext('databridge_runner.migrate'))").catch(() => {});
      lock.release(lost);
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  return { db: db as unknown as StateDb, kind: "postgres", location: describeConnectionUrl(url), embeddedDir: undefined, close: () => pool.end() };
}
