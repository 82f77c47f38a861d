import type { Command } from "commander";
import { rollbackRun } from "@databridge/core";
import { type CommandIO, ExitCode, formatNumber, writeLine } from "../output/io.js";
import type { CommandRunner } from "./index.js";
import { withLedgers } from "./ledger-context.js";

export function registerRollback(program: Command, io: CommandIO, run: CommandRunner) {
  program
    .command("rollback")
    .description("remove what a run wrote and restore each pipeline's checkpoint to where the run began")
    .argument("<run>", "run id, or `last` for the newest run (`databridge runs` lists them)")
    .option("--json", "print results as JSON")
    .action((runArgument: string, options: { json?: boolean }, command: Command) =>
      run(() => withLedgers(command.optsWithGlobals(), io, async ({ pipelines, connections, resolveRun }) => {
        const runId = await resolveRun(runArgument);
        const stages = await rollbackRun(runId, pipelines, connections);
        if (options.json) writeLine(io.stdout, JSON.stringify(stages, null, 2));
        else for (const s of stages) {
          writeLine(io.stdout, `↩ ${s.pipeline}${s.tenant ? ` [${s.tenant}]` : ""} (${s.mode} into ${s.targetTable}): ${formatNumber(s.deleted)} rows removed, ${formatNumber(s.restored)} restored; checkpoint restored`);
        }
        return ExitCode.ok;
      })));
}
