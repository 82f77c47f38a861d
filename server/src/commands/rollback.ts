import type { Command } from "commander";
import { findPipelineFiles, loadPipelineFiles, rollbackRun } from "@databridge/core";
import { type CommandIO, ExitCode, formatNumber, writeLine } from "../output/io.js";
import { withWorkspace } from "./context.js";

export function registerRollback(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("rollback")
    .description("remove what a run wrote and restore each pipeline's checkpoint to where the run began")
    .argument("<run>", "run id")
    .option("--json", "print results as JSON")
    .action((runId: string, options: { json?: boolean }, command: Command) =>
      run(() => withWorkspace(command.optsWithGlobals(), io, undefined, async (workspace, connections) => {
        const pipelines = await loadPipelineFiles(workspace, findPipelineFiles(workspace));
        const stages = await rollbackRun(runId, pipelines, connections);
        if (options.json) writeLine(io.stdout, JSON.stringify(stages, null, 2));
        else for (const s of stages) {
          writeLine(io.stdout, `↩ ${s.pipeline}${s.tenant ? ` [${s.tenant}]` : ""} (${s.mode} into ${s.targetTable}): ${formatNumber(s.deleted)} rows removed, ${formatNumber(s.restored)} restored; checkpoint restored`);
        }
        return ExitCode.ok;
      })));
}
