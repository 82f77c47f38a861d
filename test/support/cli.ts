import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { hashTable, mysql, postgres, type Connector, type RunEvent, type TableHash, type TableHashOptions } from "@databridge/core";

/** Real `databridge` CLI processes in throwaway workspaces: shared by the integration, integrity and fault suites. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(REPO_ROOT, "server/bin/databridge.mjs");

export interface TestWorkspace {
  dir: string;
  /** Writes `pipelines/<name>.etl.ts`; returns its path. */
  pipeline(name: string, source: string): string;
  remove(): void;
}

/**
 * A workspace in a temp folder: a config naming the connections (URLs), pipelines written by the test.
 * It has no node_modules, so `@databridge/core` in pipeline files resolves to the CLI's own copy (as for a user's repo).
 */
export function createWorkspace(connections: Record<string, string>, prefix = "databridge-test-"): TestWorkspace {
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

/** A pipeline file from a JSON-able definition (or the definition's source text); `imports` are further names from @databridge/core. */
export function pipelineFile(definition: Record<string, unknown> | string, imports: string[] = []): string {
  const body = typeof definition === "string" ? definition : JSON.stringify(definition, null, 2);
  return `import { pipeline${imports.map((i) => `, ${i}`).join("")} } from "@databridge/core";\nexport default pipeline(${body});\n`;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** `run --json` stdout lines as events. */
  events: RunEvent[];
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
}

const childEnv = (env: CliOptions["env"] = {}) => {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  // The child decides its own TTY-less output; vitest's colour variable must not change it.
  delete merged.FORCE_COLOR;
  // Connection overrides reach the CLI only when a test passes them.
  for (const key of Object.keys(merged)) if (key.startsWith("DATABRIDGE_CONN_") && !(key in env)) delete merged[key];
  return merged;
};

/** `node server/bin/databridge.mjs <args>` as a real child process. */
export function spawnCli(args: string[], options: CliOptions): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: childEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
}

/** Collects a child's output; with `events`, stdout is parsed as `--json` events (a killed child may cut its last line). */
export function collect(child: ChildProcess, events: boolean, options: { killed?: boolean } = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      try {
        resolve({ code, signal, stdout, stderr, events: events ? parseEvents(stdout, { cutLastLine: options.killed ?? signal !== null }) : [] });
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Runs the CLI to completion; `run … --json` output is parsed into events. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return collect(spawnCli(args, options), args[0] === "run" && args.includes("--json"));
}

/**
 * `--json` output as events; throws naming a line that is not JSON. Only a process that was killed may
 * leave a cut last line, which is then ignored.
 */
export function parseEvents(stdout: string, options: { cutLastLine?: boolean } = {}): RunEvent[] {
  let lines = stdout.split("\n");
  if (options.cutLastLine && !stdout.endsWith("\n")) lines = lines.slice(0, -1);
  return lines.filter((line) => line.trim()).map((line, i) => {
    try {
      return JSON.parse(line) as RunEvent;
    } catch {
      throw new Error(`--json output line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
    }
  });
}

/** Opens a core connector on a URL (the code the CLI uses), for hashing and inspecting tables. */
export async function openConnector(name: string, url: string): Promise<Connector> {
  const parsed = new URL(url);
  const factory = parsed.protocol === "mysql:" || parsed.protocol === "mariadb:" ? mysql.mysqlConnectorFactory : postgres.postgresConnectorFactory;
  return factory.create({ name, url: parsed, baseDir: REPO_ROOT });
}

/** Hashes with per-key digests, so a mismatch can say which keys differ. */
export function keyedHash(connector: Connector, options: TableHashOptions): Promise<TableHash> {
  return hashTable(connector, { ...options, perKey: true });
}

/** Resolves when a stdout line satisfies the predicate (never a fixed sleep); rejects if the process exits first. */
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

/** Polls a condition (a database state, a process) until it holds; never a blind sleep. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, everyMs = 100): Promise<T> {
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
