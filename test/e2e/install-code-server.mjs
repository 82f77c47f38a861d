#!/usr/bin/env node
// Installs code-server (VS Code 1.100 in a browser, real Node extension host) from the npm registry into a cache
// folder, following /work/shared/notes/vscode-e2e.md. Reinstalls only when the cached copy is missing or incomplete.
//
//   node test/e2e/install-code-server.mjs          install if needed, print the cache folder
//   node test/e2e/install-code-server.mjs --force  reinstall
//
// Cache: $DATABRIDGE_CODE_SERVER_CACHE or ~/.cache/databridge/code-server-<version>.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const CODE_SERVER_VERSION = "4.100.3";
const SYSTEM_PACKAGES = ["libkrb5-dev", "ripgrep", "chromium"];
const MARKER = ".databridge-install-complete";

export function codeServerCacheDir() {
  return process.env.DATABRIDGE_CODE_SERVER_CACHE ?? path.join(os.homedir(), ".cache", "databridge", `code-server-${CODE_SERVER_VERSION}`);
}

/** The `entry.js` to start code-server with `node`. */
export function codeServerEntry(dir = codeServerCacheDir()) {
  return path.join(dir, "node_modules", "code-server", "out", "node", "entry.js");
}

function log(message) {
  process.stderr.write(`[code-server] ${message}\n`);
}

function run(command, args, cwd, env = {}) {
  log(`${path.relative(process.cwd(), cwd) || "."}$ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...env } });
  if (result.error) throw new Error(`${command} ${args.join(" ")} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed with exit code ${result.status} (in ${cwd})`);
}

function installed(pkg) {
  const result = spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" });
  return result.status === 0 && result.stdout.trim() === "install ok installed";
}

/** apt-get install of whatever system package is missing (waits for another apt/dpkg holding the lock). */
export function ensureSystemPackages() {
  const missing = SYSTEM_PACKAGES.filter((pkg) => !installed(pkg));
  if (!missing.length) return;
  const sudo = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
  const apt = (...args) => (sudo.length ? run(sudo[0], [...sudo.slice(1), "apt-get", ...args], process.cwd()) : run("apt-get", args, process.cwd()));
  const lock = ["-o", "DPkg::Lock::Timeout=900"];
  log(`missing system packages: ${missing.join(", ")}`);
  try {
    apt(...lock, "install", "-y", "-q", ...missing);
  } catch {
    apt(...lock, "update", "-q");
    apt(...lock, "install", "-y", "-q", ...missing);
  }
}

function isComplete(dir) {
  return fs.existsSync(path.join(dir, MARKER)) && fs.existsSync(codeServerEntry(dir));
}

/** Installs code-server into the cache folder unless a complete copy is there; returns the folder. */
export function ensureCodeServer({ force = false } = {}) {
  ensureSystemPackages();
  const dir = codeServerCacheDir();
  if (!force && isComplete(dir)) return dir;
  const started = Date.now();
  const staging = `${dir}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  fs.writeFileSync(path.join(staging, "package.json"), JSON.stringify({ name: "databridge-code-server-cache", private: true }, null, 2));
  // 2. code-server itself, without its install script (which would download ripgrep from GitHub).
  run("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", `code-server@${CODE_SERVER_VERSION}`], staging);
  const vscode = path.join(staging, "node_modules", "code-server", "lib", "vscode");
  // 3. VS Code's own production dependencies and its native modules.
  run("npm", ["install", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], vscode);
  run("npm", ["rebuild", "kerberos", "node-pty", "@parcel/watcher", "@vscode/spdlog", "native-watchdog", "@vscode/deviceid"], vscode, { npm_config_yes: "true" });
  // 4. The Debian ripgrep where VS Code looks for it, and the links its launcher expects.
  const rgDir = path.join(vscode, "node_modules", "@vscode", "ripgrep", "bin");
  fs.mkdirSync(rgDir, { recursive: true });
  fs.copyFileSync("/usr/bin/rg", path.join(rgDir, "rg"));
  fs.chmodSync(path.join(rgDir, "rg"), 0o755);
  const link = (target, at) => {
    fs.rmSync(at, { force: true, recursive: false });
    fs.symlinkSync(target, at);
  };
  link("node_modules", path.join(vscode, "node_modules.asar"));
  link("code-linux.sh", path.join(vscode, "bin", "remote-cli", "code-server"));
  link("browser-linux.sh", path.join(vscode, "bin", "helpers", "browser.sh"));
  // 5. Built-in extensions' dependencies (TypeScript language features and friends).
  run("npm", ["install", "--omit=dev", "--no-audit", "--no-fund"], path.join(vscode, "extensions"));
  // 6. code-server's password hashing module.
  run("npm", ["rebuild", "argon2"], staging, { npm_config_yes: "true" });
  fs.writeFileSync(path.join(staging, MARKER), `code-server ${CODE_SERVER_VERSION} installed ${new Date().toISOString()}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.renameSync(staging, dir);
  log(`installed in ${dir} (${Math.round((Date.now() - started) / 1000)} s)`);
  return dir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    const dir = ensureCodeServer({ force: process.argv.includes("--force") });
    process.stdout.write(`${dir}\n`);
  } catch (error) {
    log(`install failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
