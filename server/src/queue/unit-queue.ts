// bullmq (and ioredis under it) load only for queue runs and workers: a plain `databridge run` starts faster without them.
import type { Job, Worker } from "bullmq";
import { emptyCounts, messageOf, type EventInput, type UnitExecutor, type WorkUnit, type WorkUnitOutcome } from "@databridge/core";
import type { QueueConnection } from "./queue-url.js";

/** The one BullMQ queue DataBridge's work units go through (a Redis database per deployment keeps deployments apart). */
export const UNIT_QUEUE = "databridge-units";

/**
 * How long a worker's claim on a job lasts without renewal (renewed at half of it); workers look for jobs
 * whose claim lapsed every half of it too. A worker killed with `kill -9` stops renewing; within about 1.5×
 * this another worker takes its job again and continues after the last batch the target committed.
 * `DATABRIDGE_QUEUE_LOCK_MS` changes it (tests take over dead workers' units sooner).
 */
export const LOCK_DURATION_MS = 10_000;

/** The claim's duration from the worker's environment, or the default. */
export function lockDurationMs(env: NodeJS.ProcessEnv): number {
  const value = Number(env.DATABRIDGE_QUEUE_LOCK_MS);
  return Number.isInteger(value) && value >= 1_000 ? value : LOCK_DURATION_MS;
}

/** A job id per unit and run: the same unit is never queued twice for one run. */
export const jobIdOf = (unit: WorkUnit) =>
  [unit.runId, unit.pipeline, unit.source, unit.partition ? unit.partition.id.replace("/", "of") : "all"].join(".");

const parsed = <T>(value: unknown): T => (typeof value === "string" ? (JSON.parse(value) as T) : (value as T));

/**
 * The submitting side: puts units on the queue, forwards the events their workers report, and resolves with
 * each unit's outcome. A unit whose every attempt failed (or whose job the queue gave up on) is a failed
 * outcome naming why.
 */
export async function openUnitQueue(queueConnection: QueueConnection): Promise<{ execute: UnitExecutor; close(): Promise<void> }> {
  const { connection } = queueConnection;
  const { Queue, QueueEvents } = await import("bullmq");
  const queue = new Queue(UNIT_QUEUE, { connection });
  const events = new QueueEvents(UNIT_QUEUE, { connection });
  // Progress reported before we listen would be lost: listen first, then queue.
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const listeners = new Map<string, (event: EventInput) => void>();
  events.on("progress", ({ jobId, data }) => listeners.get(jobId)?.(parsed<EventInput>(data)));

  const execute: UnitExecutor = async (units, onEvent, signal) => {
    for (const unit of units) listeners.set(jobIdOf(unit), (event) => onEvent(unit, event));
    const jobs = await queue.addBulk(units.map((unit) => ({
      name: unit.pipeline, data: unit,
      // Attempts are for what the engine could not retry past itself (a worker lost its target, a key range still held).
      opts: { jobId: jobIdOf(unit), attempts: 5, backoff: { type: "exponential", delay: 2_000 }, removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } },
    })));
    const ended = (unit: WorkUnit, status: "failed" | "cancelled", error: string): WorkUnitOutcome => ({
      pipeline: unit.pipeline, tenant: unit.tenant, partition: unit.partition?.id, status, rows: emptyCounts(), durationMs: 0, error, errorKind: "terminal",
    });
    // The submitter stopping (Ctrl+C): units still waiting are taken off the queue; one a worker holds finishes
    // its range there (its batches are in the ledger, so `run --resume` continues whatever is left).
    const cancelled = new Promise<WorkUnitOutcome[]>((resolve) => {
      const stop = async () => {
        await Promise.allSettled(jobs.map((job) => job.remove()));
        resolve(units.map((unit) => ended(unit, "cancelled", "cancelled: the submitting process stopped; a unit already on a worker finishes there")));
      };
      if (signal?.aborted) void stop();
      else signal?.addEventListener("abort", () => void stop(), { once: true });
    });
    try {
      return await Promise.race([cancelled, Promise.all(jobs.map((job, i) => job.waitUntilFinished(events).then(
        (value) => parsed<WorkUnitOutcome>(value),
        (error: unknown) => ended(units[i], "failed", `the queue gave up on this unit: ${messageOf(error)}`),
      )))]);
    } finally {
      for (const unit of units) listeners.delete(jobIdOf(unit));
    }
  };
  return {
    execute,
    async close() {
      await Promise.allSettled([events.close(), queue.close()]);
    },
  };
}

/**
 * The worker side: takes units off the queue, `concurrency` at a time, runs each with `work`, and reports the
 * unit's events as job progress (the submitter folds them into the run's events).
 */
export async function startUnitWorker(
  queueConnection: QueueConnection,
  options: { concurrency: number; lockDurationMs: number; work: (unit: WorkUnit, emit: (event: EventInput) => void, job: Job<WorkUnit>) => Promise<WorkUnitOutcome> },
): Promise<Worker<WorkUnit, WorkUnitOutcome>> {
  const { Worker } = await import("bullmq");
  return new Worker<WorkUnit, WorkUnitOutcome>(UNIT_QUEUE, async (job) => {
    let reporting: Promise<unknown> = Promise.resolve();
    // In order, never holding up the load: the submitter gets them in the order they happened.
    const emit = (event: EventInput) => {
      reporting = reporting.then(() => job.updateProgress(event as unknown as object)).catch(() => {});
    };
    const outcome = await options.work(job.data, emit, job);
    await reporting;
    return outcome;
  }, {
    connection: queueConnection.connection, concurrency: options.concurrency,
    lockDuration: options.lockDurationMs, stalledInterval: Math.round(options.lockDurationMs / 2), maxStalledCount: 3,
  });
}
