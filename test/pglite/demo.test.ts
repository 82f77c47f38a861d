/**
 * The zero-setup demo through the shipped bin, on a fresh copy of samples/ (small --rows): it seeds
 * the embedded legacy databases, migrates them, ends with count parity, and a second run rewrites nothing.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, spawnCli, stackFrames, tempDir } from "./support.js";

interface SummaryRow { pipeline: string; status: string; read: string; written: string; rejected: string; source: string; target: string; parity: string }

/** The demo's Summary table, by pipeline. */
function summary(stdout: string): SummaryRow[] {
  const lines = stdout.split("\n");
  const start = lines.indexOf("Summary");
  expect(start, stdout).toBeGreaterThanOrEqual(0);
  const rows: SummaryRow[] = [];
  for (const line of lines.slice(start + 3)) {
    if (!line.trim()) break;
    const [pipeline, status, read, written, rejected, , source, target, ...parity] = line.trim().split(/\s{2,}/);
    rows.push({ pipeline, status, read, written, rejected, source, target, parity: parity.join(" ") });
  }
  return rows;
}

describe("databridge demo (embedded, no servers)", () => {
  let samples: string;

  beforeAll(() => {
    samples = path.join(tempDir("demo"), "samples");
    // A clean copy: no embedded databases left over from earlier demo runs.
    fs.cpSync(path.join(REPO_ROOT, "samples"), samples, {
      recursive: true,
      filter: (source) => !/[\\/](\.databridge|node_modules)([\\/]|$)/.test(path.relative(REPO_ROOT, source)),
    });
  });

  afterAll(() => {
    if (samples) fs.rmSync(path.dirname(samples), { recursive: true, force: true });
  });

  // Each sample opens two embedded databases that do not exist yet (initdb each): slow on a busy machine.
  const SLOW = { timeout: 300_000 };

  it("finishes with parity for every pipeline", SLOW, async () => {
    const first = await spawnCli(["demo", "--rows", "150", "--dir", samples], samples);
    expect(first.code, first.stderr).toBe(0);
    expect(stackFrames(first.stderr)).toEqual([]);
    expect(first.stderr).toContain("parts-import: legacy database holds 150 rows");
    expect(first.stderr).toContain("customer-migration: legacy database holds 150 rows");
    const rows = summary(first.stdout);
    expect(rows.map((r) => r.pipeline)).toEqual(["parts", "customers"]);
    for (const row of rows) {
      expect(row, row.pipeline).toMatchObject({ status: "succeeded", read: "150", written: "150", rejected: "0", source: "150", target: "150", parity: "✔ equal" });
    }
    expect(first.stdout).toMatch(/^Demo finished in /m);
  });

  it("running it again rewrites nothing (upsert of unchanged rows writes 0)", SLOW, async () => {
    const second = await spawnCli(["demo", "--rows", "150", "--dir", samples], samples);
    expect(second.code, second.stderr).toBe(0);
    for (const row of summary(second.stdout)) {
      expect(row, row.pipeline).toMatchObject({ status: "succeeded", read: "150", written: "0", rejected: "0", source: "150", target: "150", parity: "✔ equal" });
    }
  });

  it("a samples folder without the demo's samples is one clear error, exit 1", async () => {
    const empty = tempDir("demo-empty");
    try {
      const result = await spawnCli(["demo", "--dir", empty], empty);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split("\n").at(-1)).toBe(`error: demo sample missing: ${path.join(empty, "parts-import", "databridge.config.ts")}`);
      expect(stackFrames(result.stderr)).toEqual([]);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
