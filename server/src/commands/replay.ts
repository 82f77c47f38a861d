import type { Command } from "commander";
import { replayRejects } from "@databridge/core";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";
import type { CommandRunner } from "./index.js";
import { withLedgers } from "./ledger-context.js";

export function registerReplay(program: Command, io: CommandIO, run: CommandRunner) {
  program
    .command("replay")
    .description("re-process only a run's rejected rows with the pipeline as it is now; rows that load leave the dead-letter table")
    .argument("<run>", "run id, or `last` for the newest run (`databridge runs` lists them)")
    .option("--json", "print results as JSON")
    .action((runArgument: string, options: { json?: boolean }, command: Command) =>
      run(() => withLedgers(command.optsWithGlobals(), io, async ({ workspace, pipelines, connections, resolveRun }) => {
        const runId = await resolveRun(runArgument);
        const results = await replayRejects(workspace, runId, pipelines, connections);
        if (options.json) writeLine(io.stdout, JSON.stringify(results, null, 2));
        else if (!results.length) writeLine(io.stdout, `run ${runId}: no rejected rows to replay`);
        else for (const r of results) {
          writeLine(io.stdout, `${r.pipeline}${r.tenant ? ` [${r.tenant}]` : ""}: ${r.replayed} replayed, ${r.loaded} loaded, ${r.stillRejected} still rejected`);
        }
        return results.some((r) => r.stillRejected > 0) ? ExitCode.rejects : ExitCode.ok;
      })));
}
