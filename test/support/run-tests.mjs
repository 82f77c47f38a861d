#!/usr/bin/env node
// Runs vitest, then prints the plain closing line CI systems read ("N passed, N failed, N skipped").
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

// One report per suite (the default one, or the one a --config names), so CI can add them up.
const configIndex = process.argv.indexOf("--config");
const suite = configIndex > 0 ? path.basename(path.dirname(path.resolve(process.argv[configIndex + 1]))) : "main";
const report = path.resolve(`test-results/vitest-${suite}.json`);
fs.mkdirSync(path.dirname(report), { recursive: true });
fs.rmSync(report, { force: true });
const result = spawnSync(
  process.execPath,
  ["node_modules/vitest/vitest.mjs", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: "inherit" },
);
let code = result.status ?? 1;
if (fs.existsSync(report)) {
  const json = JSON.parse(fs.readFileSync(report, "utf8"));
  const skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  console.log(`\ntests: ${json.numPassedTests} passed, ${json.numFailedTests} failed, ${skipped} skipped`);
  if (json.numTotalTests === 0) code = 1;
} else {
  console.log("\ntests: no report written (vitest failed to start)");
  code = code || 1;
}
process.exit(code);
