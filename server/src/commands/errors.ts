import type { Command } from "commander";
import { listRejects } from "@databridge/core";
import { type CommandIO, ExitCode, formatTable, writeLine } from "../output/io.js";
import type { CommandRunner } from "./index.js";
import { withLedgers } from "./ledger-context.js";

export function registerErrors(program: Command, io: CommandIO, run: CommandRunner) {
  program
    .command("errors")
    .description("list a run's rejected rows (dead-letter table): key, stage, column, reason, source row")
    .argument("<run>", "run id, or `last` for the newest run (`databridge runs` lists them)")
    .option("--json", "print rows as JSON")
    .action((runArgument: string, options: { json?: boolean }, command: Command) =>
      run(() => withLedgers(command.optsWithGlobals(), io, async ({ pipelines, connections, resolveRun }) => {
        const runId = await resolveRun(runArgument);
        const rows = await listRejects(runId, pipelines, connections);
        if (options.json) {
          writeLine(io.stdout, JSON.stringify(rows, null, 2));
          return ExitCode.ok;
        }
        if (!rows.length) {
          writeLine(io.stdout, `run ${runId}: no rejected rows`);
          return ExitCode.ok;
        }
        writeLine(io.stdout, formatTable(
          ["pipeline", "tenant", "batch", "key", "stage", "column", "code", "reason", "source row"],
          rows.map((r) => [r.pipeline, r.tenant, r.batch, JSON.stringify(r.key), r.stage, r.column, r.code, r.message.slice(0, 80), JSON.stringify(r.row).slice(0, 80)]),
        ));
        writeLine(io.stdout, `\n${rows.length} rejected row${rows.length === 1 ? "" : "s"} in run ${runId}`);
        return ExitCode.ok;
      })));
}
