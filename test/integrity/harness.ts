import pg from "pg";
import mysql from "mysql2/promise";
import type { RunEvent } from "@databridge/core";
import type { CliResult } from "../support/cli.js";

/** Shared by the integrity and fault-injection suites: real CLI processes against real databases. */
export {
  CLI, REPO_ROOT, collect, createWorkspace, keyedHash, openConnector, parseEvents, pipelineFile, runCli, spawnCli, waitFor, waitForLine,
  type CliResult, type TestWorkspace as Workspace,
} from "../support/cli.js";

export function finished(result: CliResult): Extract<RunEvent, { type: "run.finished" }> {
  const event = result.events.find((e) => e.type === "run.finished");
  if (!event) throw new Error(`no run.finished event (exit ${result.code}); stderr: ${result.stderr.slice(0, 2000)}; stdout tail: ${result.stdout.slice(-1500)}`);
  return event as Extract<RunEvent, { type: "run.finished" }>;
}

/** Sessions the target database has, by state (for leak checks). */
export async function sessionsOf(
  database: string,
  adminUrl = process.env.DATABRIDGE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
): Promise<{ total: number; databridge: number; idleInTransaction: number; states: string[] }> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ state: string | null; application_name: string }>(
      "SELECT state, application_name FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()", [database]);
    return {
      total: rows.length,
      // The engine's sessions (its connector sets application_name); the test's own pools are not counted.
      databridge: rows.filter((r) => r.application_name === "databridge").length,
      idleInTransaction: rows.filter((r) => r.state?.startsWith("idle in transaction")).length,
      states: rows.map((r) => `${r.application_name}:${r.state}`),
    };
  } finally {
    await client.end();
  }
}

/** Multi-row INSERTs into MariaDB through a pool (`VALUES ?` expands nested arrays). */
export async function insertMariadb(query: (sql: string, params?: unknown[]) => Promise<unknown>, table: string, columns: string[], rows: unknown[][], chunk = 2_000) {
  const cols = columns.map((c) => `\`${c.replace(/`/g, "``")}\``).join(", ");
  for (let i = 0; i < rows.length; i += chunk) {
    await query(`INSERT INTO \`${table.replace(/`/g, "``")}\` (${cols}) VALUES ?`, [rows.slice(i, i + chunk)]);
  }
}

/** A direct MariaDB connection (for KILL and other admin work). */
export const mariadbConnection = (url: string) => mysql.createConnection({ uri: url, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
