/**
 * How clients find a workspace's runner: `.databridge/runner.json`, written by `databridge serve` (mode 0600),
 * and the one decision of which runner to talk to. Node only (it reads files and probes processes); the
 * browser-safe part of the protocol is `@databridge/core/runner-protocol`.
 */
import fs from "node:fs";
import path from "node:path";
import { makePrivateDir } from "../util/private-files.js";
import { RunnerClient, type RunnerEndpoint } from "./client.js";

/** `.databridge/runner.json`. */
export interface RunnerFile {
  url: string;
  token: string;
  pid: number;
  host?: string;
  port?: number;
  workspace?: string;
  startedAt?: string;
  /** The runner claimed the workspace and is still starting (url and token are not there yet). */
  starting?: boolean;
}

export const runnerFilePath = (workspaceRoot: string) => path.join(workspaceRoot, ".databridge", "runner.json");

const trimUrl = (url: string) => url.trim().replace(/\/+$/, "");

/** Parses runner.json; a broken file is reported as one line naming the file and the field. */
export function parseRunnerFile(text: string, file = "runner.json"): RunnerFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}); delete it and start the runner again`);
  }
  if (typeof value !== "object" || value === null) throw new Error(`${file} must hold an object { url, token, pid }; delete it and start the runner again`);
  const v = value as Record<string, unknown>;
  if (typeof v.pid !== "number" || !Number.isInteger(v.pid) || v.pid <= 0) throw new Error(`${file}: pid must be a process id`);
  if (v.starting === true) return { url: "", token: "", pid: v.pid, starting: true };
  if (typeof v.url !== "string" || !/^https?:\/\//.test(v.url)) throw new Error(`${file}: url must be an http(s) URL`);
  if (typeof v.token !== "string" || !v.token) throw new Error(`${file}: token is missing`);
  const optional = <T>(key: string, type: "string" | "number") => (typeof v[key] === type ? (v[key] as T) : undefined);
  return {
    url: trimUrl(v.url), token: v.token, pid: v.pid,
    host: optional<string>("host", "string"), port: optional<number>("port", "number"),
    workspace: optional<string>("workspace", "string"), startedAt: optional<string>("startedAt", "string"),
  };
}

/** runner.json of a workspace, or undefined when there is none; throws (one line) when it is unreadable or broken. */
export function readRunnerFile(workspaceRoot: string): RunnerFile | undefined {
  const file = runnerFilePath(workspaceRoot);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  return parseRunnerFile(text, file);
}

/** True when a process with this id exists (EPERM: it exists, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Writes runner.json atomically with mode 0600 (a temporary file, then rename). */
export function writeRunnerFile(workspaceRoot: string, info: RunnerFile): void {
  const file = runnerFilePath(workspaceRoot);
  makePrivateDir(path.dirname(file));
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(temp, 0o600);
  fs.renameSync(temp, file);
}

/**
 * Claims the workspace for this process: creates runner.json exclusively. Returns the runner that already holds
 * it when that process is alive; a file left by a dead process (or a broken one) is taken over.
 */
export function claimRunnerFile(workspaceRoot: string, pid = process.pid): { claimed: true } | { claimed: false; existing: RunnerFile } {
  const file = runnerFilePath(workspaceRoot);
  makePrivateDir(path.dirname(file));
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify({ pid, starting: true, url: "", token: "" })}\n`, { mode: 0o600, flag: "wx" });
      return { claimed: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let existing: RunnerFile | undefined;
    try {
      existing = readRunnerFile(workspaceRoot);
    } catch {
      existing = undefined;
    }
    // This very process counts too: two runners must never open one embedded state database.
    if (existing && (existing.pid === pid || isProcessAlive(existing.pid))) return { claimed: false, existing };
    fs.rmSync(file, { force: true });
  }
  throw new Error(`cannot claim ${file}: another process keeps re-creating it`);
}

/** Removes runner.json if it is still this process's. */
export function releaseRunnerFile(workspaceRoot: string, pid = process.pid): void {
  let info: RunnerFile | undefined;
  try {
    info = readRunnerFile(workspaceRoot);
  } catch {
    return;
  }
  if (info?.pid === pid) fs.rmSync(runnerFilePath(workspaceRoot), { force: true });
}

/** The runner recorded for a workspace, if its process is alive, and whether its health endpoint answers to its token. */
export async function findRunningRunner(workspaceRoot: string): Promise<{ info: RunnerFile; healthy: boolean } | undefined> {
  let info: RunnerFile | undefined;
  try {
    info = readRunnerFile(workspaceRoot);
  } catch {
    return undefined;
  }
  if (!info || !isProcessAlive(info.pid)) return undefined;
  if (info.starting) return { info, healthy: false };
  try {
    await new RunnerClient(info).health({ timeoutMs: 3_000 });
    return { info, healthy: true };
  } catch {
    return { info, healthy: false };
  }
}

/** A runner to talk to, and where its address came from. */
export interface DiscoveredRunner extends RunnerEndpoint {
  /** The runner's process when known (from runner.json). */
  pid?: number;
  source: "runner.json" | "configured";
}

export type RunnerDecision =
  | { action: "connect"; endpoint: DiscoveredRunner }
  | { action: "spawn"; reason: string }
  | { action: "wait"; pid: number }
  | { action: "error"; message: string };

export interface DiscoveryInput {
  /** A runner URL the user gave (`--runner <url>`, the `databridge.runnerUrl` setting); "" or undefined: the workspace's own. */
  configuredUrl?: string;
  /** Where that URL came from, for messages (e.g. `--runner`, `setting databridge.runnerUrl`). */
  configuredFrom?: string;
  /** A token for the configured runner (DATABRIDGE_RUNNER_TOKEN, VS Code's secret storage). */
  configuredToken?: string;
  /** How this client gets a token, for the message when none is known (default: set DATABRIDGE_RUNNER_TOKEN). */
  tokenHint?: string;
  /** The workspace's runner.json, if any. */
  file?: RunnerFile;
  isAlive?: (pid: number) => boolean;
}

const sameRunner = (a: string, b: string) => {
  try {
    const x = new URL(a);
    const y = new URL(b);
    const loopback = (host: string) => (host === "localhost" || host === "127.0.0.1" || host === "[::1]" ? "loopback" : host);
    return x.protocol === y.protocol && loopback(x.hostname) === loopback(y.hostname) && x.port === y.port;
  } catch {
    return false;
  }
};

/**
 * Which runner to talk to: the configured URL (its token from runner.json when that file describes the same
 * runner, else the configured token), else the workspace's running runner, else none yet (spawn one, or wait for
 * the one that is starting). The CLI and the VS Code extension both decide here.
 */
export function decideRunner(input: DiscoveryInput): RunnerDecision {
  const isAlive = input.isAlive ?? isProcessAlive;
  const configured = input.configuredUrl?.trim();
  const from = input.configuredFrom ?? "the runner URL";
  if (configured) {
    let valid = /^https?:\/\/[^/]+/.test(configured);
    try {
      new URL(configured);
    } catch {
      valid = false;
    }
    if (!valid) return { action: "error", message: `${from} must be an http(s) URL such as http://127.0.0.1:4317 (got ${JSON.stringify(configured)})` };
    const url = trimUrl(configured);
    if (input.file && !input.file.starting && sameRunner(input.file.url, url)) return { action: "connect", endpoint: { url, token: input.file.token, pid: input.file.pid, source: "runner.json" } };
    if (input.configuredToken) return { action: "connect", endpoint: { url, token: input.configuredToken, source: "configured" } };
    return { action: "error", message: `no token for the runner at ${url}: ${input.tokenHint ?? "set DATABRIDGE_RUNNER_TOKEN"}` };
  }
  if (input.file?.starting) {
    if (isAlive(input.file.pid)) return { action: "wait", pid: input.file.pid };
    return { action: "spawn", reason: `the runner that was starting (pid ${input.file.pid}) is gone` };
  }
  if (input.file) {
    if (isAlive(input.file.pid)) return { action: "connect", endpoint: { url: input.file.url, token: input.file.token, pid: input.file.pid, source: "runner.json" } };
    return { action: "spawn", reason: `the runner in runner.json (pid ${input.file.pid}) is not running` };
  }
  return { action: "spawn", reason: "no runner is running for this workspace" };
}
