/**
 * A new user's first minutes, through the shipped bin and no database server: `databridge init`,
 * then preview, run (twice), check — all on the embedded databases the scaffold configures.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Catalog, RunEvent } from "@databridge/core";
import { spawnCli, stackFrames, tempDir, type CliResult } from "./support.js";

// Every step is a real process opening embedded databases (two of them created from scratch): slow on a busy machine.
describe("databridge init, then run, with zero servers", { timeout: 240_000 }, () => {
  let root: string;
  let dir: string;
  let init: CliResult;

  beforeAll(async () => {
    root = tempDir("init");
    dir = path.join(root, "my-migration");
    // As from a shell where databridge is not on PATH and no launcher (npx, a package script) started it.
    init = await spawnCli(["init", "my-migration"], root, { PATH: path.dirname(process.execPath), npm_command: "", npm_lifecycle_event: "" });
  });

  afterAll(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("init scaffolds config, a pipeline, tsconfig, .gitignore and package.json, and a sample legacy table", () => {
    expect(init.code, init.stderr).toBe(0);
    for (const file of ["databridge.config.ts", "pipelines/customers.etl.ts", "tsconfig.json", ".gitignore", "package.json"]) {
      expect(fs.existsSync(path.join(dir, file)), file).toBe(true);
    }
    expect(init.stdout).toContain(`Created databridge.config.ts, pipelines/customers.etl.ts, tsconfig.json, .gitignore, package.json in ${dir}`);
    expect(init.stdout).toContain("Created a sample legacy table customers (5 rows) in the embedded database .databridge/legacy");
    expect(init.stdout).toContain("Next: cd my-migration && npx databridge preview customers && npx databridge run && npx databridge verify");
    expect(init.stdout).toContain("Column checks for tsc and your editor: npx databridge types (then tsc --noEmit -p . names any misspelled column)");
  });

  it("init again leaves existing files alone", async () => {
    const again = await spawnCli(["init"], dir);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe(`Nothing to do: files exist in ${dir} (use --force to overwrite)`);
  });

  it("preview shows the sample rows transformed and creates nothing in the warehouse", async () => {
    const preview = await spawnCli(["preview", "customers"], dir);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/^1\s+Jürgen\s+Müller\s+juergen\.mueller@example\.com\s+A\s+│\s+1\s+Jürgen Müller\s+juergen\.mueller@example\.com\s+A$/m);
    expect(preview.stdout).toMatch(/^2\s+Zoë\s+Ødegård\s+zoe@example\.no\s+NULL\s+│\s+2\s+Zoë Ødegård\s+zoe@example\.no\s+ACTIVE$/m);

    const discover = await spawnCli(["discover", "warehouse", "--json"], dir);
    expect(discover.code, discover.stderr).toBe(0);
    const catalog = JSON.parse(discover.stdout) as Catalog;
    expect(catalog.tables.map((t) => `${t.schema}.${t.name}`)).toEqual([]);
  });

  it("run --json loads every row; the last line is run.finished with the counts", async () => {
    const run = await spawnCli(["run", "--json"], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(stackFrames(run.stderr)).toEqual([]);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(run.events.length);
    expect(run.events.map((e) => e.type)).toEqual(["run.started", "stage.started", "batch.committed", "stage.finished", "run.finished"]);
    for (const event of run.events) {
      expect(typeof event.runId).toBe("string");
      expect(event.pipeline).toBe("customers");
      expect(Number.isNaN(Date.parse(event.ts))).toBe(false);
    }
    const finished = run.events.at(-1) as Extract<RunEvent, { type: "run.finished" }>;
    expect(finished).toMatchObject({ type: "run.finished", status: "succeeded", rows: { read: 5, written: 5, rejected: 0 } });
    expect(finished.durationMs).toBeGreaterThanOrEqual(0);
    const stage = run.events.find((e) => e.type === "stage.finished") as Extract<RunEvent, { type: "stage.finished" }>;
    expect(stage.parity).toEqual({ source: 5, target: 5, rejected: 0, ok: true });
  });

  it("a second run changes nothing (upsert of unchanged rows writes 0) and check passes", async () => {
    const again = await spawnCli(["run", "--json"], dir);
    expect(again.code, again.stderr).toBe(0);
    expect((again.events.at(-1) as Extract<RunEvent, { type: "run.finished" }>).rows).toEqual({ read: 5, written: 0, rejected: 0 });

    const check = await spawnCli(["check"], dir);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout.trim()).toBe("✔ 1 pipeline checked: no problems");
  });
});
