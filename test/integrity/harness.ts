import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import mysql from "mysql2/promise";
import { hashTable, mysql as mysqlConnectors, postgres, type Connector, type RunEvent, type TableHash, type TableHashOptions } from "@databridge/core";

/** Shared by the integrity and fault-injection suites: real CLI processes against real databases. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(REPO_ROOT, "server/bin/databridge.mjs");

export interface Workspace {
  dir: string;
  /** Writes `pipelines/<name>.etl.ts`; returns its path. */
  pipeline(name: string, source: string): string;
  remove(): void;
}

/** A throwaway workspace: config naming the connections (URLs), pipelines written by the test. */
export function createWorkspace(connections: Record<string, string>, prefix = "databridge-integrity-"): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(dir, "pipelines"));
  const config = Object.fromEntries(Object.entries(connections).map(([name, url]) => [name, { url }]));
  fs.writeFileSync(path.join(dir, "databridge.config.ts"),
    `import { defineConfig } from "@databridge/core";\nexport default defineConfig({ connections: ${JSON.stringify(config, null, 2)} });\n`);
  return {
    dir,
    pipeline(name, source) {
      const file = path.join(dir, "pipelines", `${name}.etl.ts`);
      fs.writeFileSync(file, source);
      return file;
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** A pipeline file from a JSON-able definition; `imports` are names from @databridge/core used in `body`. */
export function pipelineFile(definition: Record<string, unknown> | string, imports: string[] = []): string {
  const body = typeof definition === "string" ? definition : JSON.stringify(definition, null, 2);
  return `import { pipeline${imports.map((i) => `, ${i}`).join("")} } from "@databridge/core";\nexport default pipeline(${body});\n`;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  events: RunEvent[];
}

const childEnv = (env: Record<string, string | undefined> = {}) => {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete merged.FORCE_COLOR;
  // The CLI must never see the test's own overrides of the sample's connections unless a test passes them.
  for (const key of Object.keys(merged)) if (key.startsWith("DATABRIDGE_CONN_") && !(key in env)) delete merged[key];
  return merged;
};

/** `node server/bin/databridge.mjs <args>` as a real child process. */
export function spawnCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: childEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
}

export function collect(child: ChildProcess, json: boolean): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, events: json ? parseEvents(stdout) : [] }));
  });
}

export function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  return collect(spawnCli(args, options), args.includes("--json") && args[0] === "run");
}

/** `--json` lines; a line cut by a kill at the end is ignored, any other line must parse. */
export function parseEvents(stdout: string): RunEvent[] {
  const lines = stdout.split("\n");
  const complete = stdout.endsWith("\n") ? lines.slice(0, -1) : lines.slice(0, -1);
  return complete.filter((l) => l.trim()).map((line, i) => {
    try {
      return JSON.parse(line) as RunEvent;
    } catch {
      throw new Error(`--json output line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
    }
  });
}

export function finished(result: CliResult): Extract<RunEvent, { type: "run.finished" }> {
  const event = result.events.find((e) => e.type === "run.finished");
  if (!event) throw new Error(`no run.finished event (exit ${result.code}); stderr: ${result.stderr.slice(0, 2000)}; stdout tail: ${result.stdout.slice(-1500)}`);
  return event as Extract<RunEvent, { type: "run.finished" }>;
}

/** Opens a core connector on a URL (the code the CLI uses) for hashing and inspecting. */
export async function openConnector(name: string, url: string): Promise<Connector> {
  const parsed = new URL(url);
  const factory = parsed.protocol === "mysql:" ? mysqlConnectors.mysqlConnectorFactory : postgres.postgresConnectorFactory;
  return factory.create({ name, url: parsed, baseDir: REPO_ROOT });
}

export function keyedHash(connector: Connector, options: TableHashOptions): Promise<TableHash> {
  return hashTable(connector, { ...options, perKey: true });
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

/** Resolves when a stdout line satisfies the predicate; rejects if the process exits first. */
export function waitForLine(child: ChildProcess, predicate: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const onData = (chunk: Buffer | string) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (predicate(line)) {
          cleanup();
          resolve(line);
          return;
        }
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`the CLI exited (code ${code}, signal ${signal}) before the awaited output`));
    };
    const cleanup = () => {
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
    };
    child.stdout!.on("data", onData);
    child.on("exit", onExit);
  });
}

/** Polls a condition (a database state, a process) until it holds; never a blind sleep. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
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
