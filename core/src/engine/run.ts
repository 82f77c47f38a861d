import { randomUUID } from "node:crypto";
import { effectiveSources, type SourceSpec } from "../authoring/pipeline.js";
import { configError, DataBridgeError, isDataBridgeError, messageOf, terminalError } from "../errors.js";
import { emptyCounts, type EventInput, type EventListener, type RunEvent, type RunStatus, type StageStatus, type RowCounts, type RunFinishedEvent } from "../runner-protocol/events.js";
import type { ConnectionManager } from "../workspace/connections.js";
import type { LoadedPipeline, Workspace } from "../workspace/loader.js";
import { openConnections } from "../workspace/loader.js";
import { orderByDependencies } from "./analysis.js";
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

/**
 * Runs pipelines in dependency order through the engine. A pipeline whose dependency failed is
 * skipped; tenants of a multi-source pipeline run in parallel (`parallelism`).
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
  let runError: DataBridgeError | undefined;

  emit({ type: "run.started", pipeline: label, pipelines: names, resume: Boolean(options.resume) });
  try {
    // A dependency outside this selection is taken as already run; only cycles are errors here.
    const { ordered, problems } = orderByDependencies(pipelines, [...names, ...pipelines.flatMap((p) => p.pipeline.dependsOn ?? [])]);
    if (problems.length) throw configError(problems[0].message, { pipeline: problems[0].pipeline });
    const failed = new Set<string>();
    for (const { pipeline } of ordered) {
      const blockedBy = (pipeline.dependsOn ?? []).find((d) => failed.has(d));
      if (blockedBy) {
        failed.add(pipeline.name);
        const outcome: StageOutcome = { pipeline: pipeline.name, tenant: "", status: "skipped", rows: emptyCounts(), durationMs: 0, error: terminalError(`skipped: dependency ${blockedBy} did not succeed`, { pipeline: pipeline.name }) };
        stages.push(outcome);
        emit({ type: "stage.finished", pipeline: pipeline.name, status: "skipped", rows: outcome.rows, durationMs: 0, error: outcome.error!.toLine() });
        continue;
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
        try {
          const prepared = await prepareStage(pipeline, source, connections, workspace.registry, { batchSize: options.batchSize, strict: true, sourceEncoding });
          let ledger = ledgers.get(prepared.target.name);
          if (!ledger) ledgers.set(prepared.target.name, (ledger = new Ledger(prepared.target)));
          const compiled = compileMappings(prepared, workspace.registry);
          outcome = await runStage(prepared, { runId, emit, ledger, compiled, resume: Boolean(options.resume || options.resumeRuns), resumeRuns: options.resumeRuns, fullRefresh: options.fullRefresh, signal: options.signal, gate: options.gate });
        } catch (caught) {
          const error = isDataBridgeError(caught) ? caught.withContext({ pipeline: pipeline.name }) : terminalError(messageOf(caught), { pipeline: pipeline.name }, caught);
          outcome = { pipeline: pipeline.name, tenant: source.tenant ?? "", status: "failed", rows: emptyCounts(), durationMs: Date.now() - stageStarted, error };
        }
        emit({
          type: "stage.finished", pipeline: pipeline.name, tenant: outcome.tenant || undefined, status: outcome.status, rows: outcome.rows,
          durationMs: outcome.durationMs, error: outcome.error?.toLine(), parity: outcome.parity,
        });
        return outcome;
      };
      await Promise.all(Array.from({ length: parallelism }, worker));
      stages.push(...outcomes);
      if (outcomes.some((o) => o.status === "failed" || o.status === "cancelled") || outcomes.length < sources.length) failed.add(pipeline.name);
      if (options.signal?.aborted) break;
    }
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

function runStatus(stages: StageOutcome[], error: unknown, aborted: boolean): RunStatus {
  const statuses = new Set<StageStatus>(stages.map((s) => s.status));
  if (error || statuses.has("failed")) return "failed";
  if (aborted || statuses.has("cancelled")) return "cancelled";
  if (statuses.has("succeeded_with_rejects")) return "succeeded_with_rejects";
  return "succeeded";
}
