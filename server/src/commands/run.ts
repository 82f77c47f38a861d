import fs from "node:fs";
import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { defaultParallelism, pipelineSlaMs, resolvePipelines, runPipelines, type RunResult, type RunEvent, type RunFinishedEvent, type SlaMissedEvent } from "@databridge/core";
import { alertOf } from "../alerts/alert-message.js";
import { Alerter } from "../alerts/alerter.js";
import { resolveAlertSettings } from "../alerts/alert-settings.js";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";
import { humanRunRenderer, jsonRunRenderer } from "../output/progress.js";
import { resolveRunnerTarget, runOnRunner } from "../runner/remote-run.js";
import { systemClock } from "../runner/clock.js";
import { slaDeadlines, SlaMonitor } from "../runner/sla-monitor.js";
import { type GlobalOptions, withWorkspace } from "./context.js";
import { runOnQueue } from "../queue/queued-run.js";

export interface RunCommandOptions {
  json?: boolean;
  resume?: boolean;
  fullRefresh?: boolean;
  batchSize?: number;
  /** Pipelines loading at once. */
  parallel?: number;
  /** Submit to a runner (`databridge serve`) instead of running in-process; `true`: this workspace's runner. */
  runner?: string | boolean;
  /** Submit to the workers of this Redis queue (`databridge worker`) and follow the run. */
  queue?: string;
}

export async function runCommand(targets: string[], options: RunCommandOptions, global: GlobalOptions, io: CommandIO, signal?: AbortSignal): Promise<number> {
  const resolved = resolveTargets(targets, io.cwd);
  return withWorkspace(global, io, resolved.find((t) => path.isAbsolute(t)), async (workspace, connections) => {
    const pipelines = await resolvePipelines(workspace, resolved);
    const render = options.json ? jsonRunRenderer(io) : humanRunRenderer(io, { verbose: global.verbose });
    if (options.runner) {
      const target = resolveRunnerTarget({ url: typeof options.runner === "string" ? options.runner : undefined, workspaceRoot: workspace.rootDir, env: io.env });
      const finished = await runOnRunner({ target, pipelines: pipelines.map((p) => p.pipeline.name), resume: options.resume, fullRefresh: options.fullRefresh, batchSize: options.batchSize, signal, onEvent: render });
      return finished.status === "succeeded" ? ExitCode.ok : finished.status === "succeeded_with_rejects" ? ExitCode.rejects : ExitCode.failed;
    }
    if (options.queue) {
      const result = await runOnQueue(workspace, pipelines, { queue: options.queue, resume: options.resume, fullRefresh: options.fullRefresh, batchSize: options.batchSize, connections, env: io.env, onEvent: render, signal });
      // Refused before any stage ran (planning, a key range that cannot be split): no stage line said why.
      if (result.error && !result.stages.length) writeLine(io.stderr, `error: ${result.error.toLine()}`);
      return exitCodeOf(result);
    }
    // Alerts as the runner sends them (a missing secret stops here, before anything runs).
    const alertSettings = resolveAlertSettings(workspace.config.alerts, io.env);
    const alerter = alertSettings && new Alerter(alertSettings, { attempts: 3 });
    const toAlert: (RunFinishedEvent | SlaMissedEvent)[] = [];
    const sla = new SlaMonitor({ clock: systemClock, emit: (event) => {
      render(event);
      toAlert.push(event);
    } });
    const result = await runPipelines(workspace, pipelines, {
      resume: options.resume, fullRefresh: options.fullRefresh, batchSize: options.batchSize, parallel: options.parallel, connections, signal, env: io.env,
      onEvent: (event: RunEvent) => {
        render(event);
        sla.observe(event);
        if (event.type === "run.started") {
          const slas = pipelines.map(({ pipeline }) => ({ name: pipeline.name, sla: pipeline.sla, slaMs: pipelineSlaMs(pipeline) }));
          sla.watch(event.runId, slaDeadlines({ pipelines: slas, since: new Date(event.ts) }));
        }
        if (event.type === "run.finished") toAlert.push(event);
      },
    });
    sla.stop();
    if (alerter) {
      for (const event of toAlert) {
        const alert = alertOf(event);
        if (!alerter.wants(alert.trigger)) continue;
        for (const delivery of await alerter.send(alert)) {
          if (!delivery.ok) writeLine(io.stderr, `warning: ${alert.trigger} alert not delivered by ${delivery.channel} after ${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"}: ${delivery.error}`);
        }
      }
      alerter.close();
    }
    return exitCodeOf(result);
  });
}

/** A run's exit code, the same for local and queued runs. */
function exitCodeOf(result: Pick<RunResult, "status" | "error">): number {
  if (result.status === "succeeded") return ExitCode.ok;
  if (result.status === "succeeded_with_rejects") return ExitCode.rejects;
  if (result.error?.kind === "config") return ExitCode.usage;
  return ExitCode.failed;
}

/** Paths that exist become absolute; anything else is taken as a pipeline name. */
export function resolveTargets(targets: string[], cwd: string): string[] {
  return targets.map((t) => (fs.existsSync(path.resolve(cwd, t)) ? path.resolve(cwd, t) : t));
}

export function registerRun(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("run")
    .description("run pipelines (files, folders or pipeline names; default: the workspace's pipelines folder)")
    .argument("[targets...]", "pipeline files, folders or names")
    .option("--json", "print one JSON event per line (for CI)")
    .option("--resume", "continue each pipeline after its last committed batch")
    .option("--full-refresh", "incremental pipelines: ignore the watermark and read everything again")
    .option("--batch-size <n>", "rows per batch (overrides the pipeline)", (v) => parsePositiveInt(v, "--batch-size"))
    .option("--parallel <n>", `pipelines loading at once, those not waiting for each other (default ${defaultParallelism()}: one per core, at most 4)`, (v) => parsePositiveInt(v, "--parallel"))
    .option("--queue <url>", "submit to the workers of this Redis queue (`databridge worker --queue …`) and follow the run, e.g. redis://127.0.0.1:6379/5")
    .option("--runner [url]", "submit to a runner and follow it (default: this workspace's `databridge serve`; token from DATABRIDGE_RUNNER_TOKEN or .databridge/runner.json)")
    .action((targets: string[], options: RunCommandOptions, command: Command) => {
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      return run(() => runCommand(targets, options, command.optsWithGlobals(), io, controller.signal)).finally(() => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      });
    });
}

/** Commander option parser: a usage error (exit 2) for anything but a positive whole number. */
export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} needs a positive whole number (got ${JSON.stringify(value)})`);
  return n;
}
