import { randomUUID } from "node:crypto";
import os from "node:os";
import { effectiveSources, type SourceSpec } from "../authoring/pipeline.js";
import { configError, DataBridgeError, isDataBridgeError, messageOf, terminalError } from "../errors.js";
import { emptyCounts, type EventInput, type EventListener, type RunEvent, type RunStatus, type StageStatus, type RowCounts, type RunFinishedEvent } from "../runner-protocol/events.js";
import type { ConnectionManager } from "../workspace/connections.js";
import type { LoadedPipeline, Workspace } from "../workspace/loader.js";
import { openConnections } from "../workspace/loader.js";
import type { Target } from "../connectors/connector.js";
import { applySchemaSteps, createTargetTable } from "../schema/schema-steps.js";
import { planLoad, workspacePipelines } from "./load-plan.js";
import { runInOrder } from "./scheduler.js";
import { Ledger } from "../target/ledger.js";
import { compileMappings } from "./compile-mappings.js";
import { prepareStage } from "./prepare.js";
import { runStage, type StageOutcome } from "./run-stage.js";

export interface RunOptions {
  runId?: string;
  /** Continue each pipeline after its last committed batch. */
  resume?: boolean;
  /** Incremental pipelines: ignore the watermark and read everything. */
  fullRefresh?: boolean;
  /**
   * A retry: continue only checkpoints these runs left (skip what they completed); a pipeline they
   * never started runs from the beginning. Takes precedence over `resume`.
   */
  resumeRuns?: string[];
  batchSize?: number;
  signal?: AbortSignal;
  onEvent?: EventListener;
  /** Resolves when the run may continue (the runner's pause). */
  gate?: () => Promise<void>;
  /** Reuse an open connection manager (the runner keeps one per workspace); otherwise one is opened and closed. */
  connections?: ConnectionManager;
  env?: NodeJS.ProcessEnv;
  /** Pipelines loading at once (those that do not wait for each other); default {@link defaultParallelism}. */
  parallel?: number;
}

export interface RunResult {
  runId: string;
  status: RunStatus;
  rows: RowCounts;
  durationMs: number;
  stages: StageOutcome[];
  error?: DataBridgeError;
}

/** A stable short id: sortable by time, unique enough for a ledger key. */
export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "")}-${randomUUID().slice(0, 8)}`;
}

/** Pipelines loading at once by default: one per core, at most four (the target pool serves two batches of each). */
export const defaultParallelism = (): number => Math.max(1, Math.min(4, os.availableParallelism()));

/**
 * Runs pipelines in load order through the engine: `dependsOn` and the foreign keys between their tables
 * (parents first; tables that reference each other in a cycle in any order), independent pipelines
 * `parallel` at a time. A pipeline whose dependency failed is skipped; tenants of a multi-source pipeline
 * run in parallel (`parallelism`). Tables the run created get their indexes, foreign keys, identity
 * sequences and triggers once their data (and that of the tables they reference) is in.
 */
export async function runPipelines(workspace: Workspace, pipelines: LoadedPipeline[], options: RunOptions = {}): Promise<RunResult> {
  const runId = options.runId ?? newRunId();
  const started = Date.now();
  const names = pipelines.map((p) => p.pipeline.name);
  const label = names.join(",");
  const emit = (event: EventInput) => options.onEvent?.({ ...event, runId, ts: new Date().toISOString() } as RunEvent);
  const connections = options.connections ?? openConnections(workspace, options.env);
  // A diagnostic switch: DATABRIDGE_SOURCE_ENCODING=off keeps every row on the value path.
  const sourceEncoding = (options.env ?? process.env).DATABRIDGE_SOURCE_ENCODING !== "off";
  const ledgers = new Map<string, Ledger>();
  const stages: StageOutcome[] = [];
  /** Each stage's target table and whether the stage left it complete. */
  const loads: { target: Target; table: string; complete: boolean }[] = [];
  const parallel = options.parallel ?? defaultParallelism();
  let runError: DataBridgeError | undefined;

  emit({ type: "run.started", pipeline: label, pipelines: names, resume: Boolean(options.resume) });
  try {
    const plan = await planLoad(workspace, pipelines, connections, { batchSize: options.batchSize, context: () => workspacePipelines(workspace) });
    // A dependency outside this selection is taken as already run; only cycles are errors here.
    const problems = [...plan.order.problems, ...plan.problems.filter((p) => p.severity === "error")];
    if (problems.length) throw configError(problems[0].message, { pipeline: problems[0].pipeline, table: problems[0].table });
    const failed = new Set<string>();
    const outcomesOf = new Map<string, StageOutcome[]>();
    await runInOrder(plan.order.ordered, { name: (p) => p.pipeline.name, after: plan.order.after, parallel, stop: () => options.signal?.aborted ?? false }, async ({ pipeline }) => {
      const blockedBy = (pipeline.dependsOn ?? []).find((d) => failed.has(d));
      if (blockedBy) {
        failed.add(pipeline.name);
        const outcome: StageOutcome = { pipeline: pipeline.name, tenant: "", status: "skipped", rows: emptyCounts(), durationMs: 0, error: terminalError(`skipped: dependency ${blockedBy} did not succeed`, { pipeline: pipeline.name }) };
        outcomesOf.set(pipeline.name, [outcome]);
        const planned = plan.stages.get(pipeline.name);
        if (planned) loads.push({ target: planned.target, table: planned.targetLabel, complete: false });
        emit({ type: "stage.finished", pipeline: pipeline.name, status: "skipped", rows: outcome.rows, durationMs: 0, error: outcome.error!.toLine() });
        return;
      }
      const sources: SourceSpec[] = effectiveSources(pipeline);
      const parallelism = Math.max(1, Math.min(pipeline.parallelism ?? 1, sources.length));
      const queue = [...sources];
      const outcomes: StageOutcome[] = [];
      const worker = async () => {
        for (let source = queue.shift(); source; source = queue.shift()) {
          if (options.signal?.aborted) break;
          outcomes.push(await runOneStage(source));
        }
      };
      const runOneStage = async (source: SourceSpec): Promise<StageOutcome> => {
        const stageStarted = Date.now();
        let outcome: StageOutcome;
        let target: { connector: Target; table: string } | undefined;
        const planned = plan.stages.get(pipeline.name);
        if (planned) target = { connector: planned.target, table: planned.targetLabel };
        try {
          const prepared = await prepareStage(pipeline, source, connections, workspace.registry, { batchSize: options.batchSize, strict: true, sourceEncoding });
          target = { connector: prepared.target, table: prepared.targetLabel };
          let ledger = ledgers.get(prepared.target.name);
          if (!ledger) ledgers.set(prepared.target.name, (ledger = new Ledger(prepared.target)));
          const compiled = compileMappings(prepared, workspace.registry);
          if (prepared.createDdl) {
            // The plan's schema has the foreign keys resolved across pipelines; this stage's own lacks them.
            const schema = plan.schemas.get(pipeline.name) ?? prepared.targetSchema!;
            await createTargetTable(prepared.target, schema, { pipeline: pipeline.name, runId });
          }
          outcome = await runStage({ ...prepared, createDdl: undefined }, { runId, emit, ledger, compiled, resume: Boolean(options.resume || options.resumeRuns), resumeRuns: options.resumeRuns, fullRefresh: options.fullRefresh, signal: options.signal, gate: options.gate });
        } catch (caught) {
          const error = isDataBridgeError(caught) ? caught.withContext({ pipeline: pipeline.name }) : terminalError(messageOf(caught), { pipeline: pipeline.name }, caught);
          outcome = { pipeline: pipeline.name, tenant: source.tenant ?? "", status: "failed", rows: emptyCounts(), durationMs: Date.now() - stageStarted, error };
        }
        if (target) loads.push({ target: target.connector, table: target.table, complete: isComplete(outcome) });
        emit({
          type: "stage.finished", pipeline: pipeline.name, tenant: outcome.tenant || undefined, status: outcome.status, rows: outcome.rows,
          durationMs: outcome.durationMs, error: outcome.error?.toLine(), parity: outcome.parity,
        });
        return outcome;
      };
      await Promise.all(Array.from({ length: parallelism }, worker));
      outcomesOf.set(pipeline.name, outcomes);
      if (outcomes.some((o) => o.status === "failed" || o.status === "cancelled") || outcomes.length < sources.length) failed.add(pipeline.name);
    });
    // Reported in load order, however the parallel stages finished.
    for (const { pipeline } of plan.order.ordered) stages.push(...(outcomesOf.get(pipeline.name) ?? []));
    if (!options.signal?.aborted) runError = await buildSchemaSteps(loads, { runId, parallel, emit });
  } catch (caught) {
    runError = isDataBridgeError(caught) ? caught : terminalError(messageOf(caught), {}, caught);
  } finally {
    if (!options.connections) await connections.closeAll();
  }

  const rows: RowCounts = emptyCounts();
  for (const stage of stages) {
    rows.read += stage.rows.read;
    rows.written += stage.rows.written;
    rows.rejected += stage.rows.rejected;
    if (stage.rows.deleted) rows.deleted = (rows.deleted ?? 0) + stage.rows.deleted;
  }
  const status = runStatus(stages, runError, options.signal?.aborted ?? false);
  const firstError = runError ?? stages.find((s) => s.error && s.status === "failed")?.error;
  const finished: Omit<RunFinishedEvent, "ts" | "runId"> = {
    type: "run.finished", pipeline: label, status, rows: { ...rows }, durationMs: Date.now() - started,
    stages: stages.map((s) => ({ pipeline: s.tenant ? `${s.pipeline}[${s.tenant}]` : s.pipeline, status: s.status, rows: s.rows, error: s.error?.toLine() })),
    error: firstError?.toLine(),
  };
  emit(finished);
  return { runId, status, rows: finished.rows, durationMs: finished.durationMs, stages, error: firstError };
}

/** A stage that left its table holding everything its source has: loaded now, or already by an earlier run (`--resume` of a completed one). */
const isComplete = (outcome: StageOutcome) =>
  outcome.status === "succeeded" || outcome.status === "succeeded_with_rejects" || (outcome.status === "skipped" && !outcome.error);

/**
 * After the load: the pending indexes, foreign keys, identity sequences and triggers of the tables every
 * stage of this run left complete, per target. Returns the first failure (each is also logged); a failed
 * step stays pending, so the next run builds it.
 */
export async function buildSchemaSteps(
  loads: { target: Target; table: string; complete: boolean }[],
  options: { runId: string; parallel: number; emit: (event: EventInput) => void },
): Promise<DataBridgeError | undefined> {
  let first: DataBridgeError | undefined;
  for (const target of new Set(loads.map((l) => l.target))) {
    const mine = loads.filter((l) => l.target === target);
    const failed = new Set(mine.filter((l) => !l.complete).map((l) => l.table));
    const loaded = [...new Set(mine.filter((l) => l.complete && !failed.has(l.table)).map((l) => l.table))];
    const { built, failures } = await applySchemaSteps(target, { loaded, failed, runId: options.runId, parallel: options.parallel });
    for (const [table, { pipeline, steps }] of built) {
      options.emit({ type: "log", pipeline, level: "info", message: `${table}: built after the load: ${steps.join(", ")}` });
    }
    for (const failure of failures) options.emit({ type: "log", pipeline: failure.context.pipeline ?? "", level: "error", message: failure.toLine() });
    first ??= failures[0];
  }
  return first;
}

export function runStatus(stages: Pick<StageOutcome, "status">[], error: unknown, aborted: boolean): RunStatus {
  const statuses = new Set<StageStatus>(stages.map((s) => s.status));
  if (error || statuses.has("failed")) return "failed";
  if (aborted || statuses.has("cancelled")) return "cancelled";
  if (statuses.has("succeeded_with_rejects")) return "succeeded_with_rejects";
  return "succeeded";
}
