import type { Command } from "commander";
import { resolvePipelines, runWorkUnit, type WorkUnitOutcome } from "@databridge/core";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";
import { parseQueueUrl } from "../queue/queue-url.js";
import { lockDurationMs, startUnitWorker } from "../queue/unit-queue.js";
import { type GlobalOptions, withWorkspace } from "./context.js";
import { parsePositiveInt } from "./run.js";

export interface WorkerOptions {
  queue: string;
  concurrency?: number;
}

/**
 * `databridge worker --queue <redis-url>`: executes work units of runs submitted with `run --queue` from
 * this workspace's checkout, through the same engine as a local run, until SIGINT/SIGTERM. Connections stay
 * open between units; pipeline files are read again for every unit.
 */
export async function workerCommand(options: WorkerOptions, global: GlobalOptions, io: CommandIO, stop: Promise<void>): Promise<number> {
  const queue = parseQueueUrl(options.queue);
  const concurrency = options.concurrency ?? 1;
  return withWorkspace(global, io, undefined, async (workspace, connections) => {
    const worker = await startUnitWorker(queue, {
      concurrency, lockDurationMs: lockDurationMs(io.env),
      work: async (unit, emit): Promise<WorkUnitOutcome> => {
        const name = `${unit.pipeline}${unit.tenant ? ` [${unit.tenant}]` : ""}${unit.partition ? ` key range ${unit.partition.id}` : ""}`;
        writeLine(io.stdout, `run ${unit.runId}: ${name} started`);
        const pipelines = await resolvePipelines(workspace, [unit.pipeline]);
        const outcome = await runWorkUnit(workspace, pipelines, unit, { connections, emit, env: io.env });
        writeLine(io.stdout, `run ${unit.runId}: ${name} ${outcome.status}, ${outcome.rows.written.toLocaleString("en-US")} rows written${outcome.error ? `: ${outcome.error}` : ""}`);
        return outcome;
      },
    });
    worker.on("error", (error) => writeLine(io.stderr, `worker: ${error.message}`));
    await worker.waitUntilReady();
    writeLine(io.stdout, `DataBridge worker for ${workspace.rootDir}: taking work from ${queue.label}, ${concurrency} at a time (Ctrl+C stops after the units in hand)`);
    await stop;
    writeLine(io.stderr, "stopping: finishing the units in hand…");
    await worker.close();
    return ExitCode.ok;
  });
}

export function registerWorker(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("worker")
    .description("execute runs submitted with `run --queue` (start one per machine or core; all share the checkout, credentials, Redis and targets)")
    .requiredOption("--queue <url>", "the Redis the runs are queued in, redis://host:6379[/db]")
    .option("--concurrency <n>", "work units executing at once in this process (default 1)", (v) => parsePositiveInt(v, "--concurrency"))
    .action((options: WorkerOptions, command: Command) => {
      let resolveStop!: () => void;
      const stop = new Promise<void>((resolve) => (resolveStop = resolve));
      const onSignal = () => resolveStop();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      return run(() => workerCommand(options, command.optsWithGlobals(), io, stop)).finally(() => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      });
    });
}
