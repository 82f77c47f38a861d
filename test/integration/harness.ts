import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { hashTable, mysql, postgres, RUN_EVENT_TYPES, type Connector, type RunEvent, type TableHash, type TableHashOptions } from "@databridge/core";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(REPO_ROOT, "server/bin/databridge.mjs");

/** A throwaway workspace folder: a config naming the connections, and pipeline files. */
export interface TestWorkspace {
  dir: string;
  /** Writes `pipelines/<name>.etl.ts` and returns its path. */
  pipeline(name: string, source: string): string;
  remove(): void;
}

/**
 * Creates a workspace in a temp folder. Connection URLs live in the config; a test may override one
 * with `DATABRIDGE_CONN_<NAME>` in the CLI's environment. The folder has no node_modules, so
 * `@databridge/core` in pipeline files resolves to the CLI's own copy (as for a user's repo).
 */
export function createWorkspace(connections: Record<string, string>): TestWorkspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-it-"));
  fs.mkdirSync(path.join(dir, "pipelines"));
  fs.writeFileSync(
    path.join(dir, "databridge.config.ts"),
    `import { defineConfig } from "@databridge/core";\nexport default defineConfig({\n  connections: ${JSON.stringify(
      Object.fromEntries(Object.entries(connections).map(([name, url]) => [name, { url }])), null, 2,
    )},\n});\n`,
  );
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

/** A pipeline file from a JSON-able definition (columns as source column names). */
export function pipelineSource(definition: Record<string, unknown>): string {
  return `import { pipeline } from "@databridge/core";\nexport default pipeline(${JSON.stringify(definition, null, 2)});\n`;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout lines parsed as JSON (only with --json). */
  events: RunEvent[];
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
}

const cliEnv = (env: CliOptions["env"] = {}) => {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  // The child decides its own TTY-less output; keep vitest's variables from leaking into behaviour.
  delete merged.FORCE_COLOR;
  return merged;
};

/** Spawns `node server/bin/databridge.mjs <args>` as a real child process. */
export function spawnCli(args: string[], options: CliOptions): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: cliEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs the CLI to completion. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const events = args.includes("--json") ? parseEventLines(stdout) : [];
      resolve({ code, signal, stdout, stderr, events });
    });
  });
}

/** Parses `--json` output; throws naming the line that is not a JSON object. */
export function parseEventLines(stdout: string): RunEvent[] {
  return stdout.split("\n").filter((line) => line.trim()).map((line, i) => {
    try {
      return JSON.parse(line) as RunEvent;
    } catch {
      throw new Error(`--json output line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
    }
  });
}

/** Problems with the `--json` event stream as the protocol defines it (empty when it is right). */
export function protocolProblems(events: RunEvent[]): string[] {
  const problems: string[] = [];
  if (!events.length) return ["no events"];
  const runIds = new Set(events.map((e) => e.runId));
  if (runIds.size !== 1) problems.push(`events carry ${runIds.size} run ids`);
  events.forEach((e, i) => {
    if (!RUN_EVENT_TYPES.includes(e.type)) problems.push(`line ${i + 1}: unknown type ${JSON.stringify(e.type)}`);
    if (typeof e.runId !== "string" || !e.runId) problems.push(`line ${i + 1}: no runId`);
    if (typeof e.pipeline !== "string" || !e.pipeline) problems.push(`line ${i + 1}: no pipeline`);
    if (typeof e.ts !== "string" || Number.isNaN(Date.parse(e.ts)) || !e.ts.endsWith("Z")) problems.push(`line ${i + 1}: ts ${JSON.stringify(e.ts)} is not an ISO timestamp`);
  });
  const last = events[events.length - 1];
  if (last.type !== "run.finished") problems.push(`last line is ${last.type}, not run.finished`);
  else {
    if (typeof last.status !== "string") problems.push("run.finished has no status");
    if (typeof last.durationMs !== "number" || last.durationMs < 0) problems.push("run.finished has no durationMs");
    for (const field of ["read", "written", "rejected"] as const) {
      if (typeof last.rows?.[field] !== "number") problems.push(`run.finished rows.${field} is not a number`);
    }
  }
  if (events.filter((e) => e.type === "run.finished").length !== 1) problems.push("run.finished appears more than once");
  return problems;
}

export function lastEvent<T extends RunEvent["type"]>(events: RunEvent[], type: T): Extract<RunEvent, { type: T }> {
  const found = events.filter((e) => e.type === type).at(-1);
  if (!found) throw new Error(`no ${type} event in ${events.map((e) => e.type).join(", ")}`);
  return found as Extract<RunEvent, { type: T }>;
}

/** Opens a core connector on a URL (the same code the CLI uses), for hashing and inspecting tables. */
export async function openConnector(name: string, url: string): Promise<Connector> {
  const parsed = new URL(url);
  const factory = parsed.protocol === "mysql:" || parsed.protocol === "mariadb:" ? mysql.mysqlConnectorFactory : postgres.postgresConnectorFactory;
  return factory.create({ name, url: parsed, baseDir: REPO_ROOT });
}

/** Hashes with per-key digests, so a mismatch can say which keys differ. */
export function keyedHash(connector: Connector, options: TableHashOptions): Promise<TableHash> {
  return hashTable(connector, { ...options, perKey: true });
}

/**
 * Resolves when a line on the child's stdout satisfies `predicate` (never a fixed sleep); rejects
 * if the child exits first.
 */
export function waitForLine(child: ChildProcess, predicate: (line: string, index: number) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    let index = 0;
    const onData = (chunk: Buffer | string) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (predicate(line, index++)) {
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
