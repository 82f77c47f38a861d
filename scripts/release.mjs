#!/usr/bin/env node
// `pnpm release [--out <dir>]`: builds the workspace and writes installable tarballs of the published
// packages to release/ (git-ignored), then checks them (scripts/check-release.mjs). pnpm packs them: it
// rewrites `workspace:` specifiers to the released versions and applies `publishConfig`, so a plain
// `npm install ./release/*.tgz` works in any folder.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import os from "node:os";
import { checkRelease } from "./check-release.mjs";
import { buildDashboard } from "@databridge/server/build-dashboard";

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outIndex = process.argv.indexOf("--out");
const releaseDir = outIndex > 0 ? path.resolve(process.argv[outIndex + 1]) : path.join(repoDir, "release");
const PUBLISHED = ["@databridge/core", "@databridge/language", "@databridge/server"];
const require = createRequire(path.join(repoDir, "package.json"));

function step(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: repoDir, stdio: ["ignore", options.capture ? "pipe" : "inherit", "inherit"], encoding: "utf8" });
  if (result.status !== 0) {
    process.stderr.write(`release: ${[path.basename(command), ...args].join(" ")} failed${result.error ? `: ${result.error.message}` : ""}\n`);
    process.exit(1);
  }
  return result.stdout;
}

/** pnpm itself when this runs as `pnpm release` (npm_execpath), else the one on PATH. */
function pnpm(args, options) {
  const execPath = process.env.npm_execpath;
  return execPath && /pnpm/.test(path.basename(execPath))
    ? step(process.execPath, [execPath, ...args], options)
    : step("pnpm", args, options);
}

/**
 * Builds the dashboard bundle aside and copies only the files that changed into server/dist/dashboard:
 * a release made while a runner (or a test) serves the bundle never shows it a missing or half-written file.
 */
async function updateDashboard() {
  const target = path.join(repoDir, "server", "dist", "dashboard");
  const fresh = await buildDashboard({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "databridge-dashboard-")) });
  try {
    fs.mkdirSync(target, { recursive: true });
    for (const name of fs.readdirSync(fresh)) {
      const from = path.join(fresh, name);
      const to = path.join(target, name);
      if (fs.existsSync(to) && fs.readFileSync(to).equals(fs.readFileSync(from))) continue;
      fs.copyFileSync(from, `${to}.tmp`);
      fs.renameSync(`${to}.tmp`, to);
    }
  } finally {
    fs.rmSync(fresh, { recursive: true, force: true });
  }
}

const tsc = require.resolve("typescript/bin/tsc");
step(process.execPath, [tsc, "-b"]);
step(process.execPath, [tsc, "-p", path.join(repoDir, "server", "src", "dashboard", "tsconfig.json")]);
await updateDashboard();
fs.rmSync(releaseDir, { recursive: true, force: true });
fs.mkdirSync(releaseDir);
const packed = JSON.parse(pnpm(["-r", ...PUBLISHED.flatMap((name) => ["--filter", name]), "pack", "--pack-destination", releaseDir, "--json"], { capture: true }));
const tarballs = [packed].flat().map((entry) => entry.filename);

const results = await checkRelease(tarballs);
let problems = 0;
for (const result of results) {
  for (const problem of result.problems) process.stderr.write(`${path.basename(result.file)}: ${problem}\n`);
  problems += result.problems.length;
}
if (problems) {
  process.stderr.write(`release: ${problems} problem(s); the tarballs in ${path.relative(process.cwd(), releaseDir) || releaseDir} are not fit to install\n`);
  process.exit(1);
}
for (const result of results) {
  const size = `${Math.round(fs.statSync(result.file).size / 1024)} kB`;
  process.stdout.write(`${path.relative(process.cwd(), result.file)}  ${result.name}@${result.version}  ${result.files} files  ${size}\n`);
}
process.stdout.write(`Install in any folder: npm install ${tarballs.map((t) => `./${path.relative(process.cwd(), t)}`).join(" ")}\n`);
