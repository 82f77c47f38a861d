#!/usr/bin/env node
// Runs every test/bench/*.bench.mjs in sequence (each in its own Node process, so one bench's heap
// never skews another's figures) and prints their output. `node test/bench/run.mjs migrate` runs
// only the benches whose file name contains "migrate". Exit code 1 when any bench fails.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const benches = fs.readdirSync(here)
  .filter((name) => name.endsWith(".bench.mjs"))
  .filter((name) => !filters.length || filters.some((f) => name.includes(f)))
  .sort();

if (!benches.length) {
  console.error(`no benchmarks match ${filters.join(", ") || "*.bench.mjs"} in ${here}`);
  process.exit(1);
}

const results = [];
for (const name of benches) {
  console.log(`\n━━━ ${name} ━━━`);
  const started = Date.now();
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(here, name)], { stdio: "inherit", env: process.env });
    child.on("error", (error) => {
      console.error(`${name}: ${error.message}`);
      resolve(1);
    });
    child.on("exit", (exitCode, signal) => resolve(signal ? 1 : exitCode ?? 1));
  });
  results.push({ name, code, seconds: (Date.now() - started) / 1000 });
}

console.log("\n━━━ benchmarks ━━━");
for (const r of results) console.log(`${r.code === 0 ? "PASS" : "FAIL"}  ${r.name}  (${r.seconds.toFixed(1)} s)`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
