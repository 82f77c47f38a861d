#!/usr/bin/env node
// Runs the steps of .github/workflows/databridge.yml on this machine, in a clean folder, with the released
// tarballs (`pnpm release` writes them to release/), against the local PostgreSQL and MariaDB:
//
//   node samples/ci/run-locally.mjs [--release <dir>] [--keep]
//
// What stands in for GitHub: `actions/checkout` copies this folder; the job's services become databases
// of their own on the servers its URLs name (a fresh name each time, dropped afterwards), which must
// accept the same logins as the service containers (postgres without a password, root without one);
// the `install` step installs the tarballs instead of `npm ci` (nothing is published yet); and
// `actions/upload-artifact` checks that what it would upload exists. Every other step runs as written,
// with `bash -e` as GitHub does, and a step after a failure runs only under `if: always()`.
// Exit code: 0 when every step passed, 1 when one failed, 2 when it could not start.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const sampleDir = path.dirname(fileURLToPath(import.meta.url));
const workflowFile = path.join(sampleDir, ".github", "workflows", "databridge.yml");

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : fallback;
}

function fail(message, code = 2) {
  process.stderr.write(`run-locally: ${message}\n`);
  process.exit(code);
}

const releaseDir = path.resolve(option("--release", path.join(sampleDir, "..", "..", "release")));
const tarballs = fs.existsSync(releaseDir) ? fs.readdirSync(releaseDir).filter((f) => f.endsWith(".tgz")).map((f) => path.join(releaseDir, f)) : [];
if (!tarballs.length) fail(`no tarballs in ${releaseDir} (run \`pnpm release\` first, or pass --release <dir>)`);

const workflow = parse(fs.readFileSync(workflowFile, "utf8"));
const jobs = Object.entries(workflow.jobs ?? {});
if (jobs.length !== 1) fail(`${workflowFile} should have one job, it has ${jobs.length}`);
const [jobName, job] = jobs[0];

/** The job's databases, renamed so that parallel runs and the shared servers never meet. */
const suffix = `_ci_${crypto.randomBytes(4).toString("hex")}`;
const databases = [];
// A runner's environment: none of this machine's DATABRIDGE_* settings, nor the npm/pnpm settings a
// package script or npx passes down (npm would read them as its own configuration).
const inherited = Object.entries(process.env).filter(([name]) => !/^(DATABRIDGE_|npm_|pnpm_)/i.test(name));
const env = { ...Object.fromEntries(inherited), CI: "true" };
// Nor this repository's bin folders (pnpm puts them on PATH): the clean folder has its own.
const repoDir = path.resolve(sampleDir, "..", "..");
env.PATH = (env.PATH ?? "").split(path.delimiter).filter((dir) => dir && !path.resolve(dir).startsWith(repoDir + path.sep)).join(path.delimiter);
for (const [name, value] of Object.entries(job.env ?? {})) {
  if (!name.startsWith("DATABRIDGE_CONN_")) {
    env[name] = String(value);
    continue;
  }
  const url = new URL(String(value));
  const database = `${url.pathname.slice(1)}${suffix}`;
  url.pathname = `/${database}`;
  databases.push({ url, database });
  env[name] = url.toString();
}

function admin(url, sql) {
  const postgres = url.protocol === "postgres:" || url.protocol === "postgresql:";
  const result = postgres
    ? spawnSync("psql", [`${url.protocol}//${url.username}@${url.host}/postgres`, "-v", "ON_ERROR_STOP=1", "-qc", sql], { encoding: "utf8" })
    : spawnSync("mysql", [`--host=${url.hostname}`, `--port=${url.port || 3306}`, `--user=${url.username}`, "-e", sql], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${sql}: ${(result.stderr || result.error?.message || "").trim()}`);
}

function runStep(script, cwd) {
  const file = path.join(os.tmpdir(), `databridge-ci-step-${crypto.randomBytes(4).toString("hex")}.sh`);
  fs.writeFileSync(file, script);
  try {
    return spawnSync("bash", ["-e", file], { cwd, env, stdio: "inherit" }).status ?? 1;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** What a `uses:` step would do, checked here. Returns an exit code. */
function runAction(step, workDir) {
  const action = step.uses.split("@")[0];
  if (action === "actions/checkout") return 0;
  if (action === "actions/setup-node") {
    const wanted = Number(step.with?.["node-version"]);
    const major = Number(process.versions.node.split(".")[0]);
    if (major >= wanted) return 0;
    process.stderr.write(`Node.js ${process.versions.node} is older than the workflow's ${wanted}\n`);
    return 1;
  }
  if (action === "actions/upload-artifact") {
    const paths = String(step.with?.path ?? "").split("\n").map((p) => p.trim()).filter(Boolean);
    const missing = paths.filter((p) => {
      const full = path.join(workDir, p);
      return !fs.existsSync(full) || (fs.statSync(full).isDirectory() && !fs.readdirSync(full, { recursive: true }).length);
    });
    for (const p of paths) process.stdout.write(`${missing.includes(p) ? "missing" : "would upload"}: ${p}\n`);
    return missing.length ? 1 : 0;
  }
  process.stderr.write(`${step.uses}: not known to run-locally.mjs\n`);
  return 1;
}

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-ci-"));
let exitCode = 0;
try {
  fs.cpSync(sampleDir, workDir, { recursive: true, filter: (from) => path.basename(from) !== "run-locally.mjs" && !/[\\/](node_modules|\.databridge)([\\/]|$)/.test(path.relative(sampleDir, from)) });
  for (const { url, database } of databases) admin(url, `CREATE DATABASE ${database}`);
  process.stdout.write(`job ${jobName} in ${workDir}\n`);
  for (const [index, step] of (job.steps ?? []).entries()) {
    const name = step.name ?? step.uses ?? step.run.split("\n")[0];
    if (exitCode && !/always\(\)|failure\(\)/.test(String(step.if ?? ""))) {
      process.stdout.write(`- skipped ${name}\n`);
      continue;
    }
    process.stdout.write(`▶ step ${index + 1}: ${name}\n`);
    const started = Date.now();
    const code = step.uses ? runAction(step, workDir)
      : step.id === "install" ? runStep(`npm install --prefer-offline --no-audit --no-fund ${tarballs.map((t) => JSON.stringify(t)).join(" ")}`, workDir)
      : runStep(step.run, workDir);
    process.stdout.write(`${code ? "✘" : "✔"} step ${index + 1}: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s${code ? `, exit ${code}` : ""})\n`);
    if (code && !exitCode) exitCode = 1;
  }
} catch (error) {
  process.stderr.write(`run-locally: ${error.message}\n`);
  exitCode = 2;
} finally {
  for (const { url, database } of databases) {
    try {
      admin(url, `DROP DATABASE IF EXISTS ${database}`);
    } catch (error) {
      process.stderr.write(`run-locally: could not drop ${database}: ${error.message}\n`);
    }
  }
  if (process.argv.includes("--keep")) process.stdout.write(`kept ${workDir}\n`);
  else fs.rmSync(workDir, { recursive: true, force: true });
}
process.exit(exitCode);
