#!/usr/bin/env node
// `pnpm package`: type-check, bundle, check the bundle, then write databridge-vscode-<version>.vsix with vsce
// (--no-dependencies: everything the extension needs is in dist/).
//
//   node scripts/package.mjs [--out <file.vsix>]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoDir = path.resolve(extensionDir, "..");
const manifest = JSON.parse(fs.readFileSync(path.join(extensionDir, "package.json"), "utf8"));
const outIndex = process.argv.indexOf("--out");
const out = path.resolve(outIndex > 0 ? process.argv[outIndex + 1] : path.join(extensionDir, `${manifest.name}-${manifest.version}.vsix`));

function step(title, command, args, cwd = extensionDir) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`package: ${title} failed (exit code ${result.status ?? result.signal})`);
    process.exit(1);
  }
  console.log(`package: ${title} (${Date.now() - started} ms)`);
}

step("type-check", process.execPath, [path.join(repoDir, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(extensionDir, "tsconfig.json")]);
step("bundle", process.execPath, [path.join(extensionDir, "scripts", "build.mjs")]);
step("check bundle", process.execPath, [path.join(extensionDir, "scripts", "check-bundle.mjs")]);
step("vsce package", process.execPath, [
  path.join(extensionDir, "node_modules", "@vscode", "vsce", "vsce"),
  "package", "--no-dependencies", "--skip-license", "--allow-missing-repository", "--out", out,
]);
console.log(`package: ${path.relative(process.cwd(), out)} (${(fs.statSync(out).size / 1024 / 1024).toFixed(1)} MB)`);
