#!/usr/bin/env node
// `pnpm release`: builds the workspace and writes installable tarballs of the published packages to
// release/ (git-ignored), then checks them (scripts/check-release.mjs). pnpm packs them: it rewrites
// `workspace:` specifiers to the released versions and applies `publishConfig`, so a plain
// `npm install ./release/*.tgz` works in any folder.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { checkRelease } from "./check-release.mjs";

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const releaseDir = path.join(repoDir, "release");
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

step(process.execPath, [require.resolve("typescript/bin/tsc"), "-b"]);
step(process.execPath, [path.join(repoDir, "server", "scripts", "build-dashboard.mjs"), "--check"]);
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
