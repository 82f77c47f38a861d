import pg from "pg";
import mysql from "mysql2/promise";
import { randomBytes } from "node:crypto";

/** Admin URLs of the real servers; override with env to point the suites elsewhere. */
export const POSTGRES_ADMIN_URL = process.env.DATABRIDGE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const MARIADB_ADMIN_URL = process.env.DATABRIDGE_TEST_MARIADB_URL ?? "mysql://root@127.0.0.1:3306/";

export type ServerKind = "postgres" | "mariadb";

async function reachable(kind: ServerKind): Promise<boolean> {
  try {
    if (kind === "postgres") {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
      await client.connect();
      await client.end();
    } else {
      const connection = await mysql.createConnection({ uri: MARIADB_ADMIN_URL, connectTimeout: 3000 });
      await connection.end();
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * True when every server answers. Outside CI an unreachable server skips its suite with a loud
 * notice; with CI=true it fails the suite instead, so a green CI never hides a skipped integration test.
 */
export async function requireServers(...kinds: ServerKind[]): Promise<boolean> {
  for (const kind of kinds) {
    if (await reachable(kind)) continue;
    const message = `${kind} is not reachable (${kind === "postgres" ? "DATABRIDGE_TEST_POSTGRES_URL" : "DATABRIDGE_TEST_MARIADB_URL"}); integration suite cannot run`;
    if (process.env.CI === "true") throw new Error(`${message} — failing because CI=true`);
    console.warn(`\n\n!!!!! SKIPPED: ${message} !!!!!\n`);
    return false;
  }
  return true;
}

const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`.toLowerCase();

export interface TestDatabase {
  name: string;
  /** URL of the new database (no password on this machine; trust/empty). */
  url: string;
  drop(): Promise<void>;
}

/**
 * A pg pool whose `end()` resolves once every session has really closed. pg-pool's own `end()`
 * resolves as soon as it has asked its idle clients to end; a `DROP DATABASE … WITH (FORCE)` right
 * after it terminates a session that has not closed yet, and its 57P01 error is emitted on the
 * pool as an unhandled 'error' (it failed CI once). Errors are not swallowed: a session killed
 * while the test still uses the pool is still the test's failure.
 */
export function closablePool(connectionString: string): { pool: pg.Pool; end(): Promise<void> } {
  const pool = new pg.Pool({ connectionString, max: 2 });
  const closed: Promise<void>[] = [];
  pool.on("connect", (client) => closed.push(new Promise((resolve) => client.once("end", () => resolve()))));
  let ending: Promise<void> | undefined;
  return { pool, end: () => (ending ??= pool.end().then(async () => void (await Promise.all(closed)))) };
}

/** Creates a fresh PostgreSQL database; `drop()` removes it (terminating leftover sessions). */
export async function createPostgresDatabase(prefix = "dbt"): Promise<TestDatabase & { query: (sql: string, params?: unknown[]) => Promise<pg.QueryResult> ; close(): Promise<void> }> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const { pool, end } = closablePool(url.href);
  return {
    name,
    url: url.href,
    query: (sql, params) => pool.query(sql, params),
    close: end,
    async drop() {
      // Our own sessions are gone before FORCE terminates what is left (the product's, which must cope).
      await end();
      const a = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Creates a fresh MariaDB database; `drop()` removes it. */
export async function createMariadbDatabase(prefix = "dbt"): Promise<TestDatabase & { query: (sql: string, params?: unknown[]) => Promise<unknown>; close(): Promise<void> }> {
  const name = uniqueName(prefix);
  const admin = await mysql.createConnection({ uri: MARIADB_ADMIN_URL });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = new URL(MARIADB_ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = mysql.createPool({ uri: url.href, connectionLimit: 2, multipleStatements: true, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  return {
    name,
    url: url.href,
    query: async (sql, params) => (await pool.query(sql, params))[0],
    close: () => pool.end(),
    async drop() {
      await pool.end().catch(() => {});
      const a = await mysql.createConnection({ uri: MARIADB_ADMIN_URL });
      await a.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await a.end();
    },
  };
}
