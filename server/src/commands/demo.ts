import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { importWorkspaceModule, loadWorkspace, openConnections, parityHolds, resolvePipelines, runPipelines, type Connector, type RunEvent, type StageFinishedEvent } from "@databridge/core";
import { type CommandIO, ExitCode, formatDuration, formatNumber, formatTable, writeLine } from "../output/io.js";
import { humanRunRenderer } from "../output/progress.js";
import { parsePositiveInt } from "./run.js";

/** The samples the demo runs, in order, with how many legacy rows each seeds. */
export const DEMO_SAMPLES = [
  { dir: "parts-import", rows: 20_000 },
  { dir: "customer-migration", rows: 10_000 },
];

export function samplesDir(): string {
  // server/dist/commands/demo.js → repository root/samples
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../samples");
}

type Seed = (legacy: Connector, options: { rows: number }) => Promise<number>;

/** Seeds each sample's embedded legacy database (once), runs its pipelines, prints a summary with count parity. */
export async function demoCommand(options: { rows?: number; dir?: string }, io: CommandIO): Promise<number> {
  const root = options.dir ? path.resolve(io.cwd, options.dir) : samplesDir();
  const started = Date.now();
  const finished: StageFinishedEvent[] = [];
  let failed = false;
  writeLine(io.stderr, "DataBridge demo: embedded legacy databases → embedded warehouse (no servers needed)\n");
  for (const sample of DEMO_SAMPLES) {
    const configPath = path.join(root, sample.dir, "databridge.config.ts");
    if (!fs.existsSync(configPath)) throw new Error(`demo sample missing: ${configPath}`);
    const workspace = await loadWorkspace({ configPath });
    const connections = openConnections(workspace, io.env);
    try {
      const seed = await importWorkspaceModule<Seed>(workspace, path.join(workspace.rootDir, "seed.ts"));
      const seeded = await seed(await connections.get("legacy"), { rows: options.rows ?? sample.rows });
      writeLine(io.stderr, `${sample.dir}: legacy database holds ${formatNumber(seeded)} rows`);
      const render = humanRunRenderer(io);
      const result = await runPipelines(workspace, await resolvePipelines(workspace, []), {
        connections, env: io.env,
        onEvent: (event: RunEvent) => {
          render(event);
          if (event.type === "stage.finished") finished.push(event);
        },
      });
      failed ||= result.status === "failed";
      writeLine(io.stderr, "");
    } finally {
      await connections.closeAll();
    }
  }
  writeLine(io.stdout, "Summary");
  writeLine(io.stdout, formatTable(
    ["pipeline", "status", "read", "written", "rejected", "duration", "source rows", "target rows", "parity"],
    finished.map((s) => [
      s.pipeline, s.status, formatNumber(s.rows.read), formatNumber(s.rows.written), formatNumber(s.rows.rejected), formatDuration(s.durationMs),
      s.parity ? formatNumber(s.parity.source) : "", s.parity ? formatNumber(s.parity.target) : "",
      s.parity ? (parityHolds(s.parity) ? "✔ equal" : "✘ differs") : "",
    ]),
  ));
  const parityOk = finished.every((s) => s.parity && parityHolds(s.parity));
  writeLine(io.stdout, `\nDemo ${failed || !parityOk ? "FAILED" : "finished"} in ${formatDuration(Date.now() - started)}. Run it again: unchanged rows are not rewritten (upsert).`);
  return failed || !parityOk ? ExitCode.failed : ExitCode.ok;
}

export function registerDemo(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("demo")
    .description("zero-setup demo: seed embedded legacy databases and migrate them with the sample pipelines")
    .option("--rows <n>", "legacy rows per sample (default 20,000 parts, 10,000 customers)", (v) => parsePositiveInt(v, "--rows"))
    .option("--dir <samples>", "samples folder (default: the repository's samples/)")
    .action((options: { rows?: number; dir?: string }) => run(() => demoCommand(options, io)));
}
