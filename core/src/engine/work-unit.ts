import { effectiveSources } from "../authoring/pipeline.js";
import { configError, isDataBridgeError, messageOf, terminalError } from "../errors.js";
import { emptyCounts, type EventInput, type Parity, type RowCounts, type StageStatus } from "../runner-protocol/events.js";
import { Ledger } from "../target/ledger.js";
import type { ConnectionManager } from "../workspace/connections.js";
import type { LoadedPipeline, Workspace } from "../workspace/loader.js";
import { compileMappings } from "./compile-mappings.js";
import { planLoad, workspacePipelines, type LoadPlan } from "./load-plan.js";
import { partitionCount, partitioningProblem, planPartitions, type KeyRangePartition } from "./partitions.js";
import { prepareStage } from "./prepare.js";
import { rowFilter } from "./pump.js";
import { runStage } from "./run-stage.js";

/**
 * One piece of a run a worker executes on its own: a pipeline's stage for one tenant (its source's position
 * in `sources`), or one key range of it. Plain data: it travels through the queue as JSON.
 */
export interface WorkUnit {
  runId: string;
  pipeline: string;
  /** Position of the source in the pipeline's effective sources. */
  source: number;
  tenant: string;
  partition?: KeyRangePartition;
  batchSize?: number;
  /** Continue any checkpoint the pipeline left (`run --resume`); otherwise only this run's own. */
  resume?: boolean;
  fullRefresh?: boolean;
}

/** What a worker reports for a unit: the stage's outcome as plain data. */
export interface WorkUnitOutcome {
  pipeline: string;
  tenant: string;
  partition?: string;
  status: StageStatus;
  rows: RowCounts;
  durationMs: number;
  error?: string;
  errorKind?: string;
  parity?: Parity;
}

/** A run's pipelines as work units, in load order: the plan they were made from, and each pipeline's units. */
export interface WorkPlan {
  plan: LoadPlan;
  units: Map<string, WorkUnit[]>;
}

/**
 * Plans a queue run: the pipelines' load order (`dependsOn`, foreign keys) and their work units — one per
 * tenant, and for a one-source pipeline with `parallelism: N`, N key ranges of its source. Refuses, with a
 * config error naming the pipeline, what cannot be split.
 */
export async function planWorkUnits(
  workspace: Workspace,
  pipelines: LoadedPipeline[],
  connections: ConnectionManager,
  run: Pick<WorkUnit, "runId" | "batchSize" | "resume" | "fullRefresh">,
): Promise<WorkPlan> {
  for (const { pipeline } of pipelines) {
    const problem = partitioningProblem(pipeline);
    if (problem) throw configError(problem, { pipeline: pipeline.name });
  }
  const plan = await planLoad(workspace, pipelines, connections, { batchSize: run.batchSize, context: () => workspacePipelines(workspace) });
  const problems = [...plan.order.problems, ...plan.problems.filter((p) => p.severity === "error")];
  if (problems.length) throw configError(problems[0].message, { pipeline: problems[0].pipeline, table: problems[0].table });
  const units = new Map<string, WorkUnit[]>();
  for (const { pipeline } of plan.order.ordered) {
    const sources = effectiveSources(pipeline);
    const count = partitionCount(pipeline);
    const stage = plan.stages.get(pipeline.name);
    if (count > 1 && stage) {
      const ranges = await planPartitions(stage, count, rowFilter(stage));
      units.set(pipeline.name, ranges.map((partition) => ({ ...run, pipeline: pipeline.name, source: 0, tenant: stage.tenant, partition })));
    } else {
      units.set(pipeline.name, sources.map((source, i) => ({ ...run, pipeline: pipeline.name, source: i, tenant: source.tenant ?? "" })));
    }
  }
  return { plan, units };
}

/**
 * Executes one work unit through the engine, as a local run executes a stage: prepared against the live
 * schemas, under the pipeline's run lock, batches and checkpoint committed together in the target. A unit
 * delivered again (its worker died) continues after its last committed batch. Transient failures the
 * engine could not get past are thrown (the queue tries the unit again); anything else is the outcome.
 */
export async function runWorkUnit(
  workspace: Workspace,
  pipelines: LoadedPipeline[],
  unit: WorkUnit,
  options: { connections: ConnectionManager; emit: (event: EventInput) => void; signal?: AbortSignal; env?: NodeJS.ProcessEnv },
): Promise<WorkUnitOutcome> {
  const started = Date.now();
  const loaded = pipelines.find((p) => p.pipeline.name === unit.pipeline);
  if (!loaded) throw configError(`pipeline ${unit.pipeline} is not in this worker's workspace`, { pipeline: unit.pipeline, fix: "run every worker on the same git checkout as the submitter" });
  const { pipeline } = loaded;
  const source = effectiveSources(pipeline)[unit.source];
  if (!source || (source.tenant ?? "") !== unit.tenant) {
    throw configError(`pipeline ${unit.pipeline} has no source for tenant "${unit.tenant}" in this worker's workspace`, { pipeline: unit.pipeline, fix: "run every worker on the same git checkout as the submitter" });
  }
  const sourceEncoding = (options.env ?? process.env).DATABRIDGE_SOURCE_ENCODING !== "off";
  const outcome = (status: StageStatus, rows: RowCounts, error?: { toLine(): string; kind: string }, parity?: Parity): WorkUnitOutcome => ({
    pipeline: unit.pipeline, tenant: unit.tenant, partition: unit.partition?.id, status, rows, durationMs: Date.now() - started,
    error: error?.toLine(), errorKind: error?.kind, parity,
  });
  try {
    const prepared = await prepareStage(pipeline, source, options.connections, workspace.registry, { batchSize: unit.batchSize, strict: true, sourceEncoding });
    const ledger = new Ledger(prepared.target);
    const compiled = compileMappings(prepared, workspace.registry);
    const result = await runStage({ ...prepared, createDdl: undefined, partition: unit.partition }, {
      runId: unit.runId, emit: options.emit, ledger, compiled, signal: options.signal, fullRefresh: unit.fullRefresh,
      // A fresh unit finds no checkpoint of this run and starts at the beginning of its range.
      resume: Boolean(unit.resume), resumeRuns: unit.resume ? undefined : [unit.runId],
    });
    if (result.status === "skipped" && !result.error) {
      // Delivered again after it completed (its worker died before the queue heard): this run's totals stand.
      const totals = await ledger.runTotals(unit.runId, unit.pipeline, unit.tenant, unit.partition?.id ?? "");
      if (totals) return outcome(totals.counts.rejected ? "succeeded_with_rejects" : "succeeded", totals.counts);
    }
    return outcome(result.status, result.rows, result.error, result.parity);
  } catch (caught) {
    const error = isDataBridgeError(caught) ? caught.withContext({ pipeline: pipeline.name }) : terminalError(messageOf(caught), { pipeline: pipeline.name }, caught);
    if (error.kind === "transient") throw error;
    return outcome("failed", emptyCounts(), error);
  }
}
