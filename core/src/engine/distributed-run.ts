import { DataBridgeError, type ErrorKind, isDataBridgeError, messageOf, terminalError } from "../errors.js";
import { emptyCounts, type BatchCommittedEvent, type EventInput, type RowCounts, type RunEvent, type RunFinishedEvent } from "../runner-protocol/events.js";
import type { Target } from "../connectors/connector.js";
import type { ConnectionManager } from "../workspace/connections.js";
import type { LoadedPipeline, Workspace } from "../workspace/loader.js";
import { openConnections } from "../workspace/loader.js";
import { createTargetTable } from "../schema/schema-steps.js";
import { buildSchemaSteps, newRunId, runStatus, type RunResult } from "./run.js";
import type { StageOutcome } from "./run-stage.js";
import { runInOrder } from "./scheduler.js";
import { planWorkUnits, type WorkUnit, type WorkUnitOutcome } from "./work-unit.js";

/**
 * Runs work units somewhere else (a queue's workers) and reports each unit's events as they happen; resolves
 * with one outcome per unit, in the order given.
 */
export type UnitExecutor = (units: WorkUnit[], onEvent: (unit: WorkUnit, event: EventInput) => void) => Promise<WorkUnitOutcome[]>;

export interface DistributedRunOptions {
  runId?: string;
  resume?: boolean;
  fullRefresh?: boolean;
  batchSize?: number;
  connections?: ConnectionManager;
  env?: NodeJS.ProcessEnv;
  onEvent?: (event: RunEvent) => void;
  execute: UnitExecutor;
}

/**
 * A run whose stages execute on workers: planned here (load order, key ranges), each layer of the order
 * handed to `execute` once the pipelines it waits for have finished (so `dependsOn` and foreign keys hold
 * across workers), the units' events folded into one run's events — one `stage.started`, cumulative
 * `batch.committed` rows and one `stage.finished` per pipeline and tenant, whatever the number of key
 * ranges — and the schema built after the load, as a local run does.
 */
export async function runDistributed(workspace: Workspace, pipelines: LoadedPipeline[], options: DistributedRunOptions): Promise<RunResult> {
  const runId = options.runId ?? newRunId();
  const started = Date.now();
  const names = pipelines.map((p) => p.pipeline.name);
  const label = names.join(",");
  const emit = (event: EventInput) => options.onEvent?.({ ...event, runId, ts: new Date().toISOString() } as RunEvent);
  const connections = options.connections ?? openConnections(workspace, options.env);
  const stages: StageOutcome[] = [];
  const loads: { target: Target; table: string; complete: boolean }[] = [];
  let runError: DataBridgeError | undefined;

  emit({ type: "run.started", pipeline: label, pipelines: names, resume: Boolean(options.resume) });
  try {
    const { plan, units } = await planWorkUnits(workspace, pipelines, connections, { runId, batchSize: options.batchSize, resume: options.resume, fullRefresh: options.fullRefresh });
    const failed = new Set<string>();
    const outcomesOf = new Map<string, StageOutcome[]>();
    await runInOrder(plan.order.ordered, { name: (p) => p.pipeline.name, after: plan.order.after, parallel: Number.MAX_SAFE_INTEGER }, async ({ pipeline }) => {
      const planned = plan.stages.get(pipeline.name);
      const blockedBy = (pipeline.dependsOn ?? []).find((d) => failed.has(d));
      if (blockedBy || !planned) {
        failed.add(pipeline.name);
        const error = blockedBy
          ? terminalError(`skipped: dependency ${blockedBy} did not succeed`, { pipeline: pipeline.name })
          : asError(plan.failures.get(pipeline.name), pipeline.name);
        const outcome: StageOutcome = { pipeline: pipeline.name, tenant: "", status: blockedBy ? "skipped" : "failed", rows: emptyCounts(), durationMs: 0, error };
        outcomesOf.set(pipeline.name, [outcome]);
        if (planned) loads.push({ target: planned.target, table: planned.targetLabel, complete: false });
        emit({ type: "stage.finished", pipeline: pipeline.name, status: outcome.status, rows: outcome.rows, durationMs: 0, error: error.toLine() });
        return;
      }
      if (planned.createDdl) await createTargetTable(planned.target, plan.schemas.get(pipeline.name) ?? planned.targetSchema!, { pipeline: pipeline.name, runId });
      const mine = units.get(pipeline.name) ?? [];
      const progress = new StageProgress(mine, planned.estimatedRows, emit);
      const results = await options.execute(mine, (unit, event) => progress.observe(unit, event));
      const outcomes = progress.finish(results);
      for (const outcome of outcomes) loads.push({ target: planned.target, table: planned.targetLabel, complete: outcome.status === "succeeded" || outcome.status === "succeeded_with_rejects" || (outcome.status === "skipped" && !outcome.error) });
      outcomesOf.set(pipeline.name, outcomes);
      if (outcomes.some((o) => o.status === "failed" || o.status === "cancelled")) failed.add(pipeline.name);
    });
    for (const { pipeline } of plan.order.ordered) stages.push(...(outcomesOf.get(pipeline.name) ?? []));
    runError = await buildSchemaSteps(loads, { runId, parallel: 2, emit });
  } catch (caught) {
    runError = asError(caught);
  } finally {
    if (!options.connections) await connections.closeAll();
  }

  const rows = sumCounts(stages.map((s) => s.rows));
  const status = runStatus(stages, runError, false);
  const firstError = runError ?? stages.find((s) => s.error && s.status === "failed")?.error;
  const finished: Omit<RunFinishedEvent, "ts" | "runId"> = {
    type: "run.finished", pipeline: label, status, rows, durationMs: Date.now() - started,
    stages: stages.map((s) => ({ pipeline: s.tenant ? `${s.pipeline}[${s.tenant}]` : s.pipeline, status: s.status, rows: s.rows, error: s.error?.toLine() })),
    error: firstError?.toLine(),
  };
  emit(finished);
  return { runId, status, rows, durationMs: finished.durationMs, stages, error: firstError };
}

const asError = (caught: unknown, pipeline?: string): DataBridgeError =>
  isDataBridgeError(caught) ? caught : terminalError(messageOf(caught ?? "could not be prepared"), pipeline ? { pipeline } : {}, caught);

function sumCounts(all: RowCounts[]): RowCounts {
  const rows = emptyCounts();
  for (const counts of all) {
    rows.read += counts.read;
    rows.written += counts.written;
    rows.rejected += counts.rejected;
    if (counts.deleted) rows.deleted = (rows.deleted ?? 0) + counts.deleted;
  }
  return rows;
}

const stageKey = (unit: Pick<WorkUnit, "tenant">) => unit.tenant;
const unitKey = (unit: Pick<WorkUnit, "tenant" | "partition">) => `${unit.tenant}\u0000${unit.partition?.id ?? ""}`;

/**
 * One pipeline's units folded into its stages' events (a stage per tenant; key ranges of a stage are one
 * stage to whoever watches the run): the first `stage.started` of each stage, `batch.committed` with the
 * rows of all its ranges so far, one `stage.finished` when all of them are done.
 */
export class StageProgress {
  private readonly rowsOf = new Map<string, RowCounts>();
  private readonly startedAt = new Map<string, number>();
  private readonly batches = new Map<string, number>();

  constructor(private readonly units: WorkUnit[], private readonly estimatedRows: number | null, private readonly emit: (event: EventInput) => void) {}

  private partitioned = (tenant: string) => this.units.filter((u) => u.tenant === tenant).length > 1;

  observe(unit: WorkUnit, event: EventInput): void {
    const stage = stageKey(unit);
    if (!this.partitioned(stage)) {
      this.emit(event);
      return;
    }
    if (event.type === "stage.started") {
      if (this.startedAt.has(stage)) return;
      this.startedAt.set(stage, Date.now());
      this.emit({ ...event, estimatedRows: this.estimatedRows, resumeAfter: null });
      return;
    }
    if (event.type === "batch.committed") {
      this.rowsOf.set(unitKey(unit), { ...event.rows });
      const rows = sumCounts(this.units.filter((u) => stageKey(u) === stage).map((u) => this.rowsOf.get(unitKey(u)) ?? emptyCounts()));
      const batch = (this.batches.get(stage) ?? 0) + 1;
      this.batches.set(stage, batch);
      const elapsed = Math.max(1, Date.now() - (this.startedAt.get(stage) ?? Date.now()));
      const rowsPerSecond = Math.round((rows.read * 1000) / elapsed);
      const remaining = this.estimatedRows === null ? null : Math.max(0, this.estimatedRows - rows.read);
      const aggregated: Omit<BatchCommittedEvent, "ts" | "runId"> = {
        ...event, batch, rows, rowsPerSecond, estimatedRows: this.estimatedRows,
        etaMs: remaining === null || rowsPerSecond === 0 ? null : Math.round((remaining / rowsPerSecond) * 1000),
      };
      this.emit(aggregated);
      return;
    }
    this.emit(event);
  }

  /** The stages' outcomes from their units' (one per tenant), each announced with `stage.finished`. */
  finish(results: WorkUnitOutcome[]): StageOutcome[] {
    const byStage = new Map<string, WorkUnitOutcome[]>();
    results.forEach((result, i) => {
      const key = stageKey(this.units[i]);
      byStage.set(key, [...(byStage.get(key) ?? []), result]);
    });
    const outcomes: StageOutcome[] = [];
    for (const [tenant, parts] of byStage) {
      const statuses = parts.map((p) => p.status);
      const status = statuses.includes("failed") ? "failed" : statuses.includes("cancelled") ? "cancelled"
        : statuses.includes("succeeded_with_rejects") ? "succeeded_with_rejects" : statuses.every((s) => s === "skipped") ? "skipped" : "succeeded";
      const failure = parts.find((p) => p.error && (p.status === "failed" || p.status === "cancelled")) ?? parts.find((p) => p.error);
      const error = failure?.error ? new DataBridgeError((failure.errorKind as ErrorKind | undefined) ?? "terminal", failure.partition ? `key range ${failure.partition}: ${failure.error}` : failure.error) : undefined;
      const parity = parts.length === 1 ? parts[0].parity : undefined;
      const outcome: StageOutcome = { pipeline: parts[0].pipeline, tenant, status, rows: sumCounts(parts.map((p) => p.rows)), durationMs: Math.max(...parts.map((p) => p.durationMs)), error, parity };
      this.emit({
        type: "stage.finished", pipeline: outcome.pipeline, tenant: tenant || undefined, status, rows: outcome.rows, durationMs: outcome.durationMs, error: error?.toLine(), parity,
      });
      outcomes.push(outcome);
    }
    return outcomes;
  }
}
