#!/usr/bin/env node
// Builds the dashboard bundle: src/dashboard → dist/dashboard/{dashboard.js,dashboard.css}.
// One framework-free IIFE (global `DataBridgeDashboard`) that the runner's page and the VS Code
// webview both load. `--check` type-checks src/dashboard first (it has its own DOM tsconfig).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(serverDir, "package.json"));

export async function buildDashboard({ outdir = path.join(serverDir, "dist", "dashboard"), minify = true } = {}) {
  const esbuild = await import(require.resolve("esbuild"));
  // The folder holds only the bundle: start clean.
  (await import("node:fs")).rmSync(outdir, { recursive: true, force: true });
  const common = { bundle: true, logLevel: "warning", minify, sourcemap: false, legalComments: "none" };
  await esbuild.build({
    ...common,
    entryPoints: [path.join(serverDir, "src", "dashboard", "index.ts")],
    outfile: path.join(outdir, "dashboard.js"),
    format: "iife",
    globalName: "DataBridgeDashboard",
    platform: "browser",
    target: ["es2020", "chrome100", "firefox100", "safari15"],
  });
  await esbuild.build({ ...common, entryPoints: [path.join(serverDir, "src", "dashboard", "styles.css")], outfile: path.join(outdir, "dashboard.css") });
  return outdir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--check")) {
    const tsc = require.resolve("typescript/bin/tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", path.join(serverDir, "src", "dashboard", "tsconfig.json")], { stdio: "inherit" });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
  const outdir = await buildDashboard();
  console.log(`dashboard bundle: ${path.relative(process.cwd(), outdir) || outdir}`);
}
