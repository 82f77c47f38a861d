import { runOnQueue } from "../queue/queued-run.js";
import { emptyCounts, type LoadedPipeline, messageOf, newRunId, type RunEvent, runPipelines, type RunStatus } from "@databridge/core";
import { ACTIVE_RUN_STATUSES, isRetryableRunStatus, RETRYABLE_RUN_STATUSES } from "@databridge/core/runner-protocol";
import type { RunRow } from "../state/schema.js";
import type { StateStore } from "../state/store.js";
import { ApiError, conflict, notFound } from "./errors.js";
import type { PipelineCatalog } from "./pipeline-catalog.js";
import type { EventRecorder } from "./recorder.js";
import type { RunnerConnections } from "./workspace-source.js";

export interface RunRequest {
  pipelines: string[];
  /** Continue each pipeline after its last committed batch. */
  resume?: boolean;
  /** Incremental pipelines: ignore the watermark and read everything again. */
  fullRefresh?: boolean;
  batchSize?: number;
  retryOf?: string;
  /** A retry: the runs whose checkpoints it continues (itself first, then what it retried). */
  resumeRuns?: string[];
  trigger?: "api" | "schedule" | "cli";
  scheduleId?: string;
  /** The schedule tick the run is for. */
  scheduledAt?: Date;
}

interface ActiveRun {
  id: string;
  pipelines: string[];
  label: string;
  controller: AbortController;
  paused: boolean;
  waiters: (() => void)[];
  stoppedByShutdown: boolean;
  done?: Promise<void>;
}

interface QueuedRun {
  id: string;
  request: RunRequest;
  /** Paused while queued: it starts held at its first batch boundary. */
  paused?: boolean;
}

export interface RunManagerOptions {
  store: StateStore;
  recorder: EventRecorder;
  catalog: PipelineCatalog;
  connections: RunnerConnections;
  /** Runs executing at once; more wait as `queued` (default 8). */
  maxConcurrentRuns?: number;
  log: (line: string) => void;
  /** Told of every run as it is queued, with its pipelines (before it can start). */
  onQueued?: (run: RunRow, pipelines: LoadedPipeline[]) => Promise<void> | void;
}

/**
 * Starts, pauses, resumes, cancels and retries runs. Runs execute in this process through the
 * engine (`runPipelines`); every event goes through the recorder (state database, then SSE).
 * Two runs that share a pipeline never execute at once (they would share its checkpoint): the later waits.
 */
export class RunManager {
  private readonly active = new Map<string, ActiveRun>();
  private readonly queue: QueuedRun[] = [];
  private readonly maxConcurrent: number;
  private closing = false;

  constructor(private readonly options: RunManagerOptions) {
    this.maxConcurrent = Math.max(1, options.maxConcurrentRuns ?? 8);
  }

  get activeCount(): number {
    return this.active.size;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  /**
   * At startup: runs a previous runner left queued, running or paused are `interrupted` (with a
   * `run.finished` event, so streams of them end). Returns their ids.
   */
  async recover(): Promise<string[]> {
    const { store, recorder } = this.options;
    const stale = await store.runsWithStatus(ACTIVE_RUN_STATUSES);
    const stages = await store.stagesOf(stale.map((r) => r.id));
    const now = new Date();
    for (const run of stale) {
      recorder.track(run.id, run.lastEventSeq);
      const base = { runId: run.id, pipeline: run.pipelines.join(","), ts: now.toISOString() };
      const message = "the runner stopped while this run was in flight; retry it to continue after the last committed batch";
      recorder.record({ ...base, type: "log", level: "warn", message });
      recorder.record({
        ...base, type: "run.finished", status: "interrupted",
        rows: { read: run.rowsRead, written: run.rowsWritten, rejected: run.rowsRejected },
        durationMs: run.startedAt ? now.getTime() - run.startedAt.getTime() : 0,
        stages: stages.filter((s) => s.runId === run.id).map((s) => ({
          pipeline: s.tenant ? `${s.pipeline}[${s.tenant}]` : s.pipeline,
          status: s.status === "running" ? "cancelled" : (s.status as never),
          rows: { read: s.rowsRead, written: s.rowsWritten, rejected: s.rowsRejected },
          error: s.error ?? undefined,
        })),
        error: `interrupted: ${message}`,
      });
    }
    await recorder.flush();
    for (const run of stale) recorder.forget(run.id);
    if (stale.length) this.options.log(`marked ${stale.length} run(s) left in flight by a previous runner as interrupted: ${stale.map((r) => r.id).join(", ")}`);
    return stale.map((r) => r.id);
  }

  /** Queues a run (validated: names exist, dependencies included); it starts as soon as a slot is free. */
  async submit(request: RunRequest): Promise<RunRow> {
    if (this.closing) throw new ApiError(503, "shutting_down", "the runner is shutting down");
    const names = [...new Set(request.pipelines)];
    const { pipelines } = await this.options.catalog.select(names);
    const id = newRunId();
    const row = await this.options.store.createRun({ ...request, id, pipelines: names });
    this.options.recorder.track(id, 0);
    try {
      await this.options.onQueued?.(row, pipelines);
    } catch (error) {
      this.options.log(`error: run ${id}: ${messageOf(error)}`);
    }
    this.queue.push({ id, request: { ...request, pipelines: names } });
    this.options.log(`run ${id} queued: ${names.join(", ")}${request.resume ? " (resume)" : ""}${request.retryOf ? ` (retry of ${request.retryOf})` : ""}`);
    this.pump();
    return row;
  }

  /**
   * A new run of a failed, interrupted or cancelled run's pipelines that continues from their checkpoints.
   * A schedule's retry (`trigger: "schedule"`) stays the schedule's run for the same tick.
   */
  async retry(id: string, options: { trigger?: "api" | "schedule" } = {}): Promise<RunRow> {
    const run = await this.options.store.getRun(id);
    if (!run) throw notFound(`run ${id}`);
    if (!isRetryableRunStatus(run.status)) {
      throw conflict(`run ${id} is ${run.status}; only ${RETRYABLE_RUN_STATUSES.join(", ")} runs can be retried`, "not_retryable");
    }
    // The chain of runs this retry continues: their checkpoints resume, pipelines they never started run fresh.
    const chain = [id];
    for (let previous = run.retryOf; previous && !chain.includes(previous) && chain.length < 100;) {
      chain.push(previous);
      previous = (await this.options.store.getRun(previous))?.retryOf ?? null;
    }
    const scheduled = options.trigger === "schedule" && run.scheduleId
      ? { trigger: "schedule" as const, scheduleId: run.scheduleId, scheduledAt: run.scheduledAt ?? undefined }
      : { trigger: "api" as const };
    return this.submit({ pipelines: run.pipelines, resume: true, resumeRuns: chain, batchSize: run.batchSize ?? undefined, retryOf: id, ...scheduled });
  }

  /**
   * Pauses at the next batch boundary (the engine's gate). A queued run can be paused too: it
   * starts when a slot is free and holds before its first batch.
   */
  async pause(id: string): Promise<void> {
    const queued = this.queue.find((q) => q.id === id);
    if (queued) {
      if (queued.paused) return;
      queued.paused = true;
      this.control(id, queued.request.pipelines.join(","), "paused by request: the run will hold before its first batch", { to: "paused", from: ["queued"] });
      return this.options.recorder.flush();
    }
    const active = await this.requireActive(id, "paused");
    if (active.paused) return;
    active.paused = true;
    // Its engine may not have said run.started yet, so the store can still have it queued (run.started leaves a paused run paused).
    this.control(active.id, active.label, "paused by request: the run stops before its next batch", { to: "paused", from: ["running", "queued"] });
    await this.options.recorder.flush();
  }

  async resume(id: string): Promise<void> {
    const queued = this.queue.find((q) => q.id === id);
    if (queued) {
      if (!queued.paused) return;
      queued.paused = false;
      this.control(id, queued.request.pipelines.join(","), "resumed by request", { to: "queued", from: ["paused"] });
      return this.options.recorder.flush();
    }
    const active = await this.requireActive(id, "resumed");
    if (!active.paused) return;
    active.paused = false;
    this.release(active);
    this.control(active.id, active.label, "resumed by request", { to: "running", from: ["paused"] });
    await this.options.recorder.flush();
  }

  /** True while a paused run's engine is actually waiting at a batch boundary (not still finishing a batch). */
  isHeld(id: string): boolean {
    const active = this.active.get(id);
    return Boolean(active?.paused && active.waiters.length > 0);
  }

  /** Cancels at a batch boundary (nothing half-written); a queued run is cancelled before it starts. */
  async cancel(id: string): Promise<void> {
    const index = this.queue.findIndex((q) => q.id === id);
    if (index >= 0) {
      const [queued] = this.queue.splice(index, 1);
      this.finishWithoutEngine(queued.id, queued.request.pipelines, "cancelled", undefined, "cancelled before it started");
      await this.options.recorder.flush();
      this.options.recorder.forget(id);
      return;
    }
    const active = await this.requireActive(id, "cancelled");
    if (active.controller.signal.aborted) return;
    this.control(active.id, active.label, "cancel requested: the run stops after the batch in flight");
    active.controller.abort();
    active.paused = false;
    this.release(active);
    await this.options.recorder.flush();
  }

  /** Stops accepting runs; in-flight runs stop at a batch boundary and are recorded `interrupted` (retry continues them). */
  async shutdown(timeoutMs = 30_000): Promise<void> {
    this.closing = true;
    for (const queued of this.queue.splice(0)) {
      this.finishWithoutEngine(queued.id, queued.request.pipelines, "interrupted", undefined, "the runner stopped before this run started");
    }
    for (const active of this.active.values()) {
      active.stoppedByShutdown = true;
      active.controller.abort();
      active.paused = false;
      this.release(active);
    }
    const done = Promise.all([...this.active.values()].map((a) => a.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    await this.options.recorder.flush();
  }

  /** The status of a run this runner holds (queued, running or paused), else undefined. */
  statusOf(id: string): RunStatus | undefined {
    const active = this.active.get(id);
    if (active) return active.paused ? "paused" : "running";
    const queued = this.queue.find((q) => q.id === id);
    if (queued) return queued.paused ? "paused" : "queued";
    return undefined;
  }

  isActive(id: string): boolean {
    return this.active.has(id) || this.queue.some((q) => q.id === id);
  }

  private async requireActive(id: string, verb: string): Promise<ActiveRun> {
    const active = this.active.get(id);
    if (active) return active;
    const run = await this.options.store.getRun(id);
    if (!run) throw notFound(`run ${id}`);
    throw conflict(`run ${id} is ${run.status} and cannot be ${verb}`, "not_running");
  }

  private control(runId: string, label: string, message: string, status?: { to: RunStatus; from: RunStatus[] }): void {
    this.options.recorder.record({ type: "log", runId, pipeline: label, ts: new Date().toISOString(), level: "info", message }, status);
  }

  private release(active: ActiveRun): void {
    for (const resolve of active.waiters.splice(0)) resolve();
  }

  /** Starts queued runs while slots are free, skipping runs that share a pipeline with a running one. */
  private pump(): void {
    if (this.closing) return;
    for (let i = 0; i < this.queue.length && this.active.size < this.maxConcurrent; ) {
      const queued = this.queue[i];
      const busy = [...this.active.values()].some((a) => a.pipelines.some((p) => queued.request.pipelines.includes(p)));
      const earlierWaiting = this.queue.slice(0, i).some((q) => q.request.pipelines.some((p) => queued.request.pipelines.includes(p)));
      if (busy || earlierWaiting) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.start(queued);
    }
  }

  private start(queued: QueuedRun): void {
    const active: ActiveRun = {
      id: queued.id, pipelines: queued.request.pipelines, label: queued.request.pipelines.join(","),
      controller: new AbortController(), paused: Boolean(queued.paused), waiters: [], stoppedByShutdown: false,
    };
    this.active.set(active.id, active);
    active.done = this.execute(queued.request, active)
      .catch((error) => this.options.log(`error: run ${active.id}: ${messageOf(error)}`))
      .finally(async () => {
        this.active.delete(active.id);
        await this.options.recorder.flush();
        if (!this.active.has(active.id)) this.options.recorder.forget(active.id);
        this.pump();
      });
  }

  private async execute(request: RunRequest, active: ActiveRun): Promise<void> {
    const { catalog, connections, recorder, log } = this.options;
    let lease: Awaited<ReturnType<RunnerConnections["acquire"]>> | undefined;
    let finished = false;
    const onEvent = (event: RunEvent) => {
      if (event.type === "run.finished") {
        finished = true;
        if (active.stoppedByShutdown && event.status === "cancelled") event = { ...event, status: "interrupted", error: event.error ?? "interrupted: the runner stopped" };
        log(`run ${active.id} ${event.status} (${event.rows.written} rows written, ${event.rows.rejected} rejected, ${event.durationMs} ms)${event.error ? `: ${event.error}` : ""}`);
      }
      recorder.record(event);
    };
    try {
      const { pipelines } = await catalog.select(request.pipelines);
      lease = await connections.acquire();
      log(`run ${active.id} started`);
      const queue = lease.workspace.config.queue?.url;
      if (queue) {
        // On the workers: pause acts on local runs only, cancel takes waiting units off the queue; a retry continues every checkpoint left.
        await runOnQueue(lease.workspace, pipelines, {
          queue, runId: active.id, resume: request.resume || Boolean(request.resumeRuns?.length), fullRefresh: request.fullRefresh, batchSize: request.batchSize,
          connections: lease.manager, onEvent, signal: active.controller.signal,
        });
        return;
      }
      await runPipelines(lease.workspace, pipelines, {
        runId: active.id,
        resume: request.resume,
        resumeRuns: request.resumeRuns,
        fullRefresh: request.fullRefresh,
        batchSize: request.batchSize,
        signal: active.controller.signal,
        gate: () => (active.paused ? new Promise<void>((resolve) => active.waiters.push(resolve)) : Promise.resolve()),
        connections: lease.manager,
        onEvent,
      });
    } catch (error) {
      if (!finished) this.finishWithoutEngine(active.id, request.pipelines, "failed", undefined, messageOf(error));
    } finally {
      await lease?.release().catch(() => {});
    }
  }

  /** A run that ends without the engine (cancelled while queued, failed to load): its `run.finished`. */
  private finishWithoutEngine(id: string, pipelines: string[], status: RunStatus, rows = emptyCounts(), error?: string): void {
    const ts = new Date().toISOString();
    const base = { runId: id, pipeline: pipelines.join(","), ts };
    if (error) this.options.recorder.record({ ...base, type: "log", level: status === "failed" ? "error" : "info", message: error });
    this.options.recorder.record({ ...base, type: "run.finished", status, rows, durationMs: 0, stages: [], error: status === "failed" || status === "interrupted" ? error : undefined });
    this.options.log(`run ${id} ${status}${error ? `: ${error}` : ""}`);
  }
}
