import fs from "node:fs";
import path from "node:path";

/** What `databridge serve` writes to `.databridge/runner.json` (mode 0600) so editors can find it. */
export interface RunnerFile {
  url: string;
  token: string;
  pid: number;
  /** The runner claimed the workspace and is still starting (url and token are not there yet). */
  starting?: boolean;
}

export interface RunnerEndpoint {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:4317. */
  url: string;
  token: string;
  /** The runner's process when known (from runner.json). */
  pid?: number;
  source: "runner.json" | "setting";
}

export const runnerFilePath = (workspaceRoot: string) => path.join(workspaceRoot, ".databridge", "runner.json");

export const trimUrl = (url: string) => url.trim().replace(/\/+$/, "");

/** Parses runner.json; a broken file is reported as one line naming the file and the field. */
export function parseRunnerFile(text: string, file = "runner.json"): RunnerFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof value !== "object" || value === null) throw new Error(`${file} must hold an object { url, token, pid }`);
  const v = value as Record<string, unknown>;
  if (typeof v.pid !== "number" || !Number.isInteger(v.pid) || v.pid <= 0) throw new Error(`${file}: pid must be a process id`);
  if (v.starting === true) return { url: "", token: "", pid: v.pid, starting: true };
  if (typeof v.url !== "string" || !/^https?:\/\//.test(v.url)) throw new Error(`${file}: url must be an http(s) URL`);
  if (typeof v.token !== "string" || !v.token) throw new Error(`${file}: token is missing`);
  return { url: trimUrl(v.url), token: v.token, pid: v.pid };
}

/** runner.json of a workspace, or undefined when there is none; throws (one line) when it is unreadable. */
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

/** True when a process with this id exists (EPERM: exists, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export type RunnerDecision =
  | { action: "connect"; endpoint: RunnerEndpoint }
  | { action: "spawn"; reason: string }
  | { action: "wait"; pid: number }
  | { action: "error"; message: string };

export interface DiscoveryInput {
  /** The `databridge.runnerUrl` setting ("" = start the workspace's own runner). */
  configuredUrl?: string;
  /** A token for the configured runner, e.g. from SecretStorage or DATABRIDGE_RUNNER_TOKEN. */
  configuredToken?: string;
  /** The workspace's runner.json, if any. */
  file?: RunnerFile;
  isAlive?: (pid: number) => boolean;
}

const sameOrigin = (a: string, b: string) => {
  try {
    const x = new URL(a);
    const y = new URL(b);
    const local = (h: string) => (h === "localhost" || h === "127.0.0.1" || h === "[::1]" ? "loopback" : h);
    return x.protocol === y.protocol && local(x.hostname) === local(y.hostname) && x.port === y.port;
  } catch {
    return false;
  }
};

/**
 * Which runner to talk to: the configured URL (its token from runner.json when that file describes the same
 * runner, else the configured token), else the workspace's running runner, else start one.
 */
export function decideRunner(input: DiscoveryInput): RunnerDecision {
  const isAlive = input.isAlive ?? isProcessAlive;
  const configured = input.configuredUrl?.trim();
  if (configured) {
    if (!/^https?:\/\/[^/]+/.test(configured)) return { action: "error", message: `setting databridge.runnerUrl must be an http(s) URL such as http://127.0.0.1:4317 (got "${configured}")` };
    const url = trimUrl(configured);
    if (input.file && !input.file.starting && sameOrigin(input.file.url, url)) return { action: "connect", endpoint: { url, token: input.file.token, pid: input.file.pid, source: "runner.json" } };
    if (input.configuredToken) return { action: "connect", endpoint: { url, token: input.configuredToken, source: "setting" } };
    return {
      action: "error",
      message: `no token for the runner at ${url}: run "DataBridge: Set Runner Token" (or set DATABRIDGE_RUNNER_TOKEN), or clear databridge.runnerUrl to start the workspace's own runner`,
    };
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
