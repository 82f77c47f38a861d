import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { RunEvent } from "@databridge/core";
import { main } from "@databridge/server";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(REPO_ROOT, "server/bin/databridge.mjs");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout lines that parse as JSON objects (the `--json` events). */
  events: RunEvent[];
}

/** The environment commands see: no DATABRIDGE_CONN_* from the machine, never a colour override. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("DATABRIDGE_") && name !== "FORCE_COLOR") env[name] = value;
  }
  return { ...env, ...extra };
}

function parseEvents(stdout: string): RunEvent[] {
  const events: RunEvent[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      events.push(JSON.parse(line) as RunEvent);
    } catch {
      // a pretty-printed JSON document (plan --json) is not an event stream
    }
  }
  return events;
}

/** Spawns the shipped CLI (`node server/bin/databridge.mjs …`) as a real child process and waits for it. */
export function spawnCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, events: parseEvents(stdout) }));
  });
}

const sink = () => {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
};

/** Runs the CLI's `main()` in this process with captured output (same code path as the bin, minus process start-up). */
export async function runCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(["node", "databridge", ...args], { stdout: stdout.stream, stderr: stderr.stream, env: cleanEnv(env), cwd });
  return { code, stdout: stdout.text(), stderr: stderr.text(), events: parseEvents(stdout.text()) };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `databridge-${prefix}-`));
}

/** Writes files (relative path → content) under a folder. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(dir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

/** Lines of output that look like a stack frame: there must be none without --verbose. */
export const stackFrames = (text: string) => text.split("\n").filter((line) => /^\s+at .+[:(]\d+/.test(line));
