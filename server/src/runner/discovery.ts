import fs from "node:fs";
import path from "node:path";
import { makePrivateDir } from "@databridge/core";

/** `.databridge/runner.json`: how editor clients and a second `serve` find a workspace's runner. Mode 0600. */
export interface RunnerInfo {
  url: string;
  token: string;
  pid: number;
  host?: string;
  port?: number;
  workspace?: string;
  startedAt?: string;
  /** True while the runner is starting (claimed, not listening yet). */
  starting?: boolean;
}

export const runnerFilePath = (workspaceRoot: string) => path.join(workspaceRoot, ".databridge", "runner.json");

export function readRunnerFile(workspaceRoot: string): RunnerInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(runnerFilePath(workspaceRoot), "utf8")) as RunnerInfo;
    return typeof info?.pid === "number" ? info : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Writes the file atomically with mode 0600 (a temporary file, then rename). */
export function writeRunnerFile(workspaceRoot: string, info: RunnerInfo): void {
  const file = runnerFilePath(workspaceRoot);
  makePrivateDir(path.dirname(file));
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(temp, 0o600);
  fs.renameSync(temp, file);
}

/**
 * Claims the workspace for this process: creates runner.json exclusively. Returns the runner that
 * already holds it when that process is alive; a file left by a dead process is taken over.
 */
export function claimRunnerFile(workspaceRoot: string, pid = process.pid): { claimed: true } | { claimed: false; existing: RunnerInfo } {
  const file = runnerFilePath(workspaceRoot);
  makePrivateDir(path.dirname(file));
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify({ pid, starting: true, url: "", token: "" })}\n`, { mode: 0o600, flag: "wx" });
      return { claimed: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const existing = readRunnerFile(workspaceRoot);
    // This very process counts too: two runners must never open one embedded state database.
    if (existing && (existing.pid === pid || processAlive(existing.pid))) return { claimed: false, existing };
    fs.rmSync(file, { force: true });
  }
  throw new Error(`cannot claim ${file}`);
}

/** Removes runner.json if it is still this process's. */
export function releaseRunnerFile(workspaceRoot: string, pid = process.pid): void {
  if (readRunnerFile(workspaceRoot)?.pid === pid) fs.rmSync(runnerFilePath(workspaceRoot), { force: true });
}

/** The runner recorded for a workspace, if its process is alive and its health endpoint answers to its token. */
export async function findRunningRunner(workspaceRoot: string): Promise<{ info: RunnerInfo; healthy: boolean } | undefined> {
  const info = readRunnerFile(workspaceRoot);
  if (!info || !processAlive(info.pid)) return undefined;
  if (!info.url) return { info, healthy: false };
  try {
    const response = await fetch(new URL("/api/v1/health", info.url), { headers: { authorization: `Bearer ${info.token}` }, signal: AbortSignal.timeout(3000) });
    return { info, healthy: response.ok };
  } catch {
    return { info, healthy: false };
  }
}
