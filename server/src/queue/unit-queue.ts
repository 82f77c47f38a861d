import { Queue, QueueEvents, Worker, type Job } from "bullmq";
import { emptyCounts, messageOf, type EventInput, type UnitExecutor, type WorkUnit, type WorkUnitOutcome } from "@databridge/core";
import type { QueueConnection } from "./queue-url.js";

/** The one BullMQ queue DataBridge's work units go through (a Redis database per deployment keeps deployments apart). */
export const UNIT_QUEUE = "databridge-units";

/**
 * How long a worker's claim on a job lasts without renewal, and how often workers look for jobs whose
 * claim lapsed. A worker killed with `kill -9` stops renewing; within about lock + interval another
 * worker takes its job again and continues after the last batch the target committed.
 */
export const LOCK_DURATION_MS = 10_000;
export const STALLED_INTERVAL_MS = 5_000;

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
  const queue = new Queue(UNIT_QUEUE, { connection });
  const events = new QueueEvents(UNIT_QUEUE, { connection });
  // Progress reported before we listen would be lost: listen first, then queue.
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const listeners = new Map<string, (event: EventInput) => void>();
  events.on("progress", ({ jobId, data }) => listeners.get(jobId)?.(parsed<EventInput>(data)));

  const execute: UnitExecutor = async (units, onEvent) => {
    for (const unit of units) listeners.set(jobIdOf(unit), (event) => onEvent(unit, event));
    const jobs = await queue.addBulk(units.map((unit) => ({
      name: unit.pipeline, data: unit,
      // Attempts are for what the engine could not retry past itself (a worker lost its target, a key range still held).
      opts: { jobId: jobIdOf(unit), attempts: 5, backoff: { type: "exponential", delay: 2_000 }, removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } },
    })));
    try {
      return await Promise.all(jobs.map((job, i) => job.waitUntilFinished(events).then(
        (value) => parsed<WorkUnitOutcome>(value),
        (error: unknown): WorkUnitOutcome => ({
          pipeline: units[i].pipeline, tenant: units[i].tenant, partition: units[i].partition?.id, status: "failed", rows: emptyCounts(), durationMs: 0,
          error: `the queue gave up on this unit: ${messageOf(error)}`, errorKind: "terminal",
        }),
      )));
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
export function startUnitWorker(
  queueConnection: QueueConnection,
  options: { concurrency: number; work: (unit: WorkUnit, emit: (event: EventInput) => void, job: Job<WorkUnit>) => Promise<WorkUnitOutcome> },
): Worker<WorkUnit, WorkUnitOutcome> {
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
    lockDuration: LOCK_DURATION_MS, stalledInterval: STALLED_INTERVAL_MS, maxStalledCount: 3,
  });
}
