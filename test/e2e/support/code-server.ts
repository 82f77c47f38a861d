import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
// @ts-expect-error plain ESM script without declarations
import { codeServerEntry, ensureCodeServer } from "../install-code-server.mjs";

export interface CodeServer {
  url: string;
  /** VS Code's user data folder (settings, logs, state). */
  userDataDir: string;
  extensionsDir: string;
  /** code-server's own stdout/stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  vsix: string;
  /** User settings written before start. */
  settings?: Record<string, unknown>;
  /** Where the temporary folders go (kept for inspection when a test fails). */
  baseDir: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts code-server 4.100.3 (cached install, see install-code-server.mjs) with fresh user-data and extensions
 * folders and the given .vsix installed. Resolves once it listens.
 */
export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const installDir: string = ensureCodeServer();
  const entry: string = codeServerEntry(installDir);
  const userDataDir = path.join(options.baseDir, "user-data");
  const extensionsDir = path.join(options.baseDir, "extensions");
  const configHome = path.join(options.baseDir, "config");
  for (const dir of [userDataDir, extensionsDir, configHome]) fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(userDataDir, "User"), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, "User", "settings.json"), JSON.stringify(options.settings ?? {}, null, 2));
  const env = { ...process.env, XDG_CONFIG_HOME: configHome, ...options.env };

  const install = spawnSync(process.execPath, [entry, "--user-data-dir", userDataDir, "--extensions-dir", extensionsDir, "--install-extension", options.vsix], {
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (install.status !== 0 || !/was successfully installed/.test(install.stdout + install.stderr)) {
    throw new Error(`installing ${path.basename(options.vsix)} into code-server failed (exit ${install.status}):\n${install.stdout}\n${install.stderr}`);
  }

  let output = "";
  const child: ChildProcess = spawn(
    process.execPath,
    [
      entry, "--auth", "none", "--bind-addr", "127.0.0.1:0", "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
      "--user-data-dir", userDataDir, "--extensions-dir", extensionsDir,
    ],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /HTTP server listening on (http:\/\/[^\s/]+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    userDataDir,
    extensionsDir,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Every file under a folder (following no symlinks), for grepping. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

/** Files under `dirs` whose bytes contain `needle` (plain, or URL-encoded). */
export function filesContaining(dirs: string[], needle: string): string[] {
  const forms = [...new Set([needle, encodeURIComponent(needle)])].map((f) => Buffer.from(f, "utf8"));
  return dirs.flatMap(filesUnder).filter((file) => {
    const bytes = fs.readFileSync(file);
    return forms.some((f) => bytes.includes(f));
  });
}

export const tmpBase = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
