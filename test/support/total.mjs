#!/usr/bin/env node
// Adds up every suite's vitest report into the one closing line CI reads.
import fs from "node:fs";
import path from "node:path";

const dir = path.resolve("test-results");
let passed = 0, failed = 0, skipped = 0;
for (const file of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
  if (!/^vitest-.*\.json$/.test(file)) continue;
  const json = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
  passed += json.numPassedTests ?? 0;
  failed += json.numFailedTests ?? 0;
  skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
}
console.log(`all suites: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
