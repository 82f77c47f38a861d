import path from "node:path";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  CATCH_UP_MODES, cronClock, cronIssue, type CronClock, DURATION_FORMAT, type LoadedPipeline, messageOf, parseDuration, SCHEDULE_DEFAULTS,
  scheduleIssues, schedulePolicy, scheduleSpecOf, timezoneIssue, type RunStatus,
} from "@databridge/core";
import type { ScheduleView } from "@databridge/core/runner-protocol";
import type { RunRow, ScheduleRow, ScheduleTickRow } from "../state/schema.js";
import type { StateStore } from "../state/store.js";
import { type Clock, systemClock } from "./clock.js";
import { badRequest, conflict, notFound } from "./errors.js";
import type { PipelineCatalog } from "./pipeline-catalog.js";
import type { RunManager } from "./run-manager.js";
import { decideTicks, type SkippedTicks } from "./schedule-ticks.js";

const scheduleName = z.string().min(1).max(100);
const duration = z.string().max(20).refine((value) => (parseDuration(value) ?? 0) > 0, { message: `must be a duration such as ${DURATION_FORMAT}` });
export const createScheduleSchema = z.object({
  name: scheduleName,
  cron: z.string().min(1).max(200),
  timezone: z.string().min(1).max(100).optional(),
  seconds: z.boolean().optional(),
  pipelines: z.array(z.string().min(1)).min(1, "needs at least one pipeline"),
  enabled: z.boolean().optional(),
  catchUp: z.enum(CATCH_UP_MODES as [string, ...string[]]).optional(),
  maxActiveRuns: z.number().int().min(1).max(100).optional(),
  retry: z.object({ runs: z.number().int().min(0).max(100), backoff: duration.optional() }).strict().optional(),
  sla: duration.nullable().optional(),
}).strict();
export const updateScheduleSchema = createScheduleSchema.partial().extend({ timezone: z.string().min(1).max(100).nullable().optional() }).strict();

type ScheduleInputValues = z.infer<typeof updateScheduleSchema>;

/** The id of a pipeline file's schedule. */
export const fileScheduleId = (pipeline: string) => `file:${pipeline}`;

export interface SchedulerOptions {
  store: StateStore;
  runs: RunManager;
  catalog: PipelineCatalog;
  log: (line: string) => void;
  clock?: Clock;
  /** How often pipeline files are looked at for schedule changes (ms; 0: only when `sync()` is called). Default 2000. */
  pollMs?: number;
  /** How late a tick may be handled and still run under `catchUp: "none"`. Default 60 s. */
  graceMs?: number;
  /** `catchUp: "all"` runs at most this many missed ticks. Default 100. */
  maxBacklog?: number;
  /** A tick could not start its run (a pipeline file fails to load, a dependency is missing). */
  onTickFailed?: (schedule: ScheduleRow, tickAt: Date, message: string) => void;
}

interface PendingRetry {
  runId: string;
  at: Date;
  attempt: number;
  cancel: () => void;
}

/** What became of a finished run of a schedule: the retry it gets, if any. */
export interface ScheduledRunOutcome {
  retry?: { at: Date; attempt: number; of: number };
}

/**
 * Cron schedules that start runs: those created through the API, and those of pipeline files
 * (`schedule:`), which are re-read when the files change. Every tick goes through `decideTicks` (catch-up
 * after downtime, `maxActiveRuns`); the last tick handled is kept in the state store, so a restart
 * catches up from it. Failed scheduled runs are retried from their checkpoints. Time comes from a `Clock`.
 */
export class Scheduler {
  private readonly clock: Clock;
  private readonly timers = new Map<string, () => void>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly retries = new Map<string, PendingRetry>();
  /** Why a file schedule is not armed (its cron, time zone or durations are invalid). */
  private readonly invalid = new Map<string, string>();
  private poll?: NodeJS.Timeout;
  private syncing?: Promise<void>;
  private lastSyncError?: string;
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Reads the pipeline files' schedules, arms every schedule (catching up missed ticks), picks up pending retries. */
  async start(): Promise<void> {
    await this.sync();
    for (const row of await this.options.store.listSchedules()) this.arm(row);
    await this.resumeRetries();
    const pollMs = this.options.pollMs ?? 2000;
    if (pollMs > 0) {
      this.poll = setInterval(() => void this.sync(), pollMs);
      this.poll.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.poll);
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    for (const retry of this.retries.values()) retry.cancel();
    this.retries.clear();
  }

  /** Waits until every tick and retry being handled is done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size || this.syncing) await Promise.all([...this.chains.values(), this.syncing]);
  }

  // ── pipeline files ──────────────────────────────────────────────────────────────────────────

  /**
   * Brings the file schedules in the state store in line with the pipeline files: new ones are armed
   * (from now: no catch-up for a schedule never seen before), changed ones re-armed, removed ones dropped.
   * While a pipeline file fails to load, the schedules stay as they were.
   */
  sync(): Promise<void> {
    this.syncing ??= this.syncFiles().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncFiles(): Promise<void> {
    if (this.stopped) return;
    const { store, catalog, log } = this.options;
    let loaded: { rootDir: string; pipelines: LoadedPipeline[] };
    try {
      const all = await catalog.all();
      loaded = { rootDir: all.workspace.rootDir, pipelines: all.pipelines };
      if (this.lastSyncError) log("pipeline files load again: file schedules are up to date");
      this.lastSyncError = undefined;
    } catch (error) {
      const message = messageOf(error);
      if (message !== this.lastSyncError) log(`error: file schedules not updated (their schedules stay as they were): ${message}`);
      this.lastSyncError = message;
      return;
    }
    const existing = new Map((await store.listSchedules()).filter((s) => s.source === "file").map((s) => [s.id, s]));
    for (const { pipeline, file } of loaded.pipelines) {
      if (pipeline.schedule === undefined) continue;
      const id = fileScheduleId(pipeline.name);
      const issues = scheduleIssues(pipeline);
      if (issues.length) this.invalid.set(id, issues.map((i) => i.message).join("; "));
      else this.invalid.delete(id);
      const values = fileScheduleValues(pipeline, path.relative(loaded.rootDir, file));
      const row = existing.get(id);
      existing.delete(id);
      if (!row) {
        const inserted = await store.insertSchedule({ id, ...values, lastTickAt: this.clock.now() });
        log(`schedule ${id} (${values.cron}${values.timezone ? ` ${values.timezone}` : ""}) read from ${values.file}${issues.length ? `, not armed: ${this.invalid.get(id)}` : ""}`);
        this.arm(inserted);
        continue;
      }
      const timing = row.cron !== values.cron || row.timezone !== values.timezone || row.seconds !== values.seconds;
      const changed = timing || (Object.keys(values) as (keyof typeof values)[]).some((k) => JSON.stringify(row[k]) !== JSON.stringify(values[k]));
      const armed = this.timers.has(id);
      if (!changed && armed === (row.enabled && !issues.length)) continue;
      // A new cron counts from now: its ticks before this moment were never due.
      const updated = changed ? (await store.updateSchedule(id, { ...values, ...(timing ? { lastTickAt: this.clock.now() } : {}) }))! : row;
      if (changed) log(`schedule ${id} changed in ${values.file}${issues.length ? `, not armed: ${this.invalid.get(id)}` : ""}`);
      this.arm(updated);
    }
    for (const row of existing.values()) {
      this.disarm(row.id);
      this.invalid.delete(row.id);
      await store.deleteSchedule(row.id);
      log(`schedule ${row.id} removed (its pipeline has no schedule any more)`);
    }
  }

  // ── API ─────────────────────────────────────────────────────────────────────────────────────

  async list(): Promise<ScheduleView[]> {
    return this.views(await this.options.store.listSchedules());
  }

  async get(id: string): Promise<ScheduleView> {
    return (await this.views([await this.require(id)]))[0];
  }

  async create(input: unknown): Promise<ScheduleView> {
    const parsed = createScheduleSchema.parse(input);
    checkTiming(parsed.cron, parsed.timezone, parsed.seconds);
    await this.options.catalog.select(parsed.pipelines);
    if ((await this.options.store.listSchedules()).some((s) => s.source === "api" && s.name === parsed.name)) throw conflict(`a schedule named "${parsed.name}" already exists`, "name_taken");
    const row = await this.options.store.insertSchedule({
      id: randomUUID(), name: parsed.name, source: "api", pipelines: parsed.pipelines, enabled: parsed.enabled ?? true, lastTickAt: this.clock.now(),
      ...apiScheduleValues(parsed),
    });
    this.arm(row);
    return this.get(row.id);
  }

  async update(id: string, input: unknown): Promise<ScheduleView> {
    const patch = updateScheduleSchema.parse(input);
    const row = await this.require(id);
    if (row.source === "file") {
      const other = Object.keys(patch).find((k) => k !== "enabled");
      if (other) throw conflict(`schedule ${id} comes from ${row.file}: change ${other} there (only enabled can be changed here)`, "file_schedule");
    }
    const cron = patch.cron ?? row.cron;
    const timezone = patch.timezone === undefined ? row.timezone : patch.timezone;
    const seconds = patch.seconds ?? row.seconds;
    if (row.source === "api") checkTiming(cron, timezone ?? undefined, seconds);
    if (patch.pipelines) await this.options.catalog.select(patch.pipelines);
    if (patch.name && patch.name !== row.name && (await this.options.store.listSchedules()).some((s) => s.source === "api" && s.name === patch.name)) {
      throw conflict(`a schedule named "${patch.name}" already exists`, "name_taken");
    }
    // Ticks while it was off, or of its old cron, were never due: it counts from now.
    const restart = (patch.enabled === true && !row.enabled) || cron !== row.cron || timezone !== row.timezone || seconds !== row.seconds;
    const updated = (await this.options.store.updateSchedule(id, {
      ...apiScheduleValues({ ...patch, cron, timezone, seconds }, row),
      ...(patch.name ? { name: patch.name } : {}), ...(patch.pipelines ? { pipelines: patch.pipelines } : {}), ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
      ...(restart ? { lastTickAt: this.clock.now() } : {}),
    }))!;
    this.arm(updated);
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    const row = await this.require(id);
    if (row.source === "file") throw conflict(`schedule ${id} comes from ${row.file}: remove its schedule there`, "file_schedule");
    if (!(await this.options.store.deleteSchedule(id))) throw notFound(`schedule ${id}`);
    this.disarm(id);
  }

  async ticks(id: string, limit?: number): Promise<ScheduleTickRow[]> {
    await this.require(id);
    return this.options.store.listTicks(id, limit);
  }

  /** Starts the schedule's run now, outside its cron (the API's trigger). */
  async fire(id: string): Promise<string | undefined> {
    const row = await this.options.store.getSchedule(id);
    if (!row) return undefined;
    const run = await this.options.runs.submit({ pipelines: await this.pipelinesOf(row), trigger: "schedule", scheduleId: id });
    await this.options.store.updateSchedule(id, { lastRunId: run.id, lastRunAt: this.clock.now() });
    return run.id;
  }

  // ── runs that ended ─────────────────────────────────────────────────────────────────────────

  /**
   * Told when a run ended. A failed (or interrupted) run of a schedule with `retry.runs` left is retried
   * `backoff` later from its checkpoints; then the schedule looks at its due ticks again (a slot is free).
   */
  async runFinished(runId: string, status: RunStatus, endedAt?: Date): Promise<ScheduledRunOutcome> {
    const run = await this.options.store.getRun(runId);
    if (!run?.scheduleId || this.stopped) return {};
    const row = await this.options.store.getSchedule(run.scheduleId);
    if (!row) return {};
    const outcome: ScheduledRunOutcome = {};
    if (status === "failed" || status === "interrupted") {
      const attempt = await this.attemptOf(run);
      if (attempt < row.retryRuns) {
        // The runner stopping is no reason to wait: an interrupted run continues at once.
        const now = this.clock.now();
        const due = status === "interrupted" ? now : new Date((endedAt ?? now).getTime() + row.retryBackoffMs);
        const at = due > now ? due : now;
        this.planRetry(row, run.id, attempt + 1, at);
        outcome.retry = { at, attempt: attempt + 1, of: row.retryRuns };
      }
    }
    this.wake(row.id);
    return outcome;
  }

  private planRetry(row: ScheduleRow, runId: string, attempt: number, at: Date): void {
    this.retries.get(row.id)?.cancel();
    const cancel = this.clock.setTimer(at, () => this.serial(row.id, () => this.retryNow(row.id)));
    this.retries.set(row.id, { runId, at, attempt, cancel });
    this.options.log(`schedule ${row.id}: run ${runId} ${attempt === 1 ? "failed" : "failed again"}; retry ${attempt} of ${row.retryRuns} at ${at.toISOString()}`);
  }

  private async retryNow(scheduleId: string, reason?: string): Promise<void> {
    const pending = this.retries.get(scheduleId);
    if (!pending || this.stopped) return;
    pending.cancel();
    this.retries.delete(scheduleId);
    const { store, runs, log } = this.options;
    const row = await store.getSchedule(scheduleId);
    const failed = await store.getRun(pending.runId);
    if (!row || !failed) return;
    const tickAt = failed.scheduledAt ?? this.clock.now();
    try {
      const run = await runs.retry(pending.runId, { trigger: "schedule" });
      await store.updateSchedule(scheduleId, { lastRunId: run.id, lastRunAt: this.clock.now() });
      await store.recordTick({ scheduleId, tickAt, outcome: "retried", runId: run.id, reason: `retry ${pending.attempt} of ${row.retryRuns} of run ${pending.runId}${reason ? ` (${reason})` : ""}` });
    } catch (error) {
      const message = messageOf(error);
      log(`error: schedule ${scheduleId}: could not retry run ${pending.runId}: ${message}`);
      await store.recordTick({ scheduleId, tickAt, outcome: "failed", reason: `could not retry run ${pending.runId}: ${message}` });
      this.options.onTickFailed?.(row, tickAt, message);
    }
  }

  /** How many retries came before this run of its schedule (0 for the tick's own run). */
  private async attemptOf(run: RunRow): Promise<number> {
    let attempt = 0;
    const seen = new Set([run.id]);
    for (let previous = run.retryOf; previous && !seen.has(previous);) {
      const earlier = await this.options.store.getRun(previous);
      if (!earlier || earlier.scheduleId !== run.scheduleId) break;
      attempt++;
      seen.add(previous);
      previous = earlier.retryOf;
    }
    return attempt;
  }

  /** At start: a schedule whose last run failed (or was interrupted) with retries left is retried. */
  private async resumeRetries(): Promise<void> {
    for (const row of await this.options.store.listSchedules()) {
      if (!row.retryRuns) continue;
      const last = await this.options.store.latestRunOfSchedule(row.id);
      if (last && (last.status === "failed" || last.status === "interrupted")) await this.runFinished(last.id, last.status, last.finishedAt ?? undefined);
    }
  }

  // ── ticks ───────────────────────────────────────────────────────────────────────────────────

  /** Sets the timer of a schedule: at once when ticks are due (catch-up), else at its next tick. */
  private arm(row: ScheduleRow, at?: Date): void {
    this.disarm(row.id);
    if (this.stopped || !row.enabled || this.invalid.has(row.id)) return;
    const cron = this.cronOf(row);
    if (!cron) return;
    const next = at ?? cron.next(row.lastTickAt ?? this.clock.now());
    if (!next) return;
    this.timers.set(row.id, this.clock.setTimer(next, () => this.wake(row.id)));
  }

  private disarm(id: string): void {
    this.timers.get(id)?.();
    this.timers.delete(id);
  }

  /** Handles the schedule's due ticks (one at a time per schedule), then sets its next timer. */
  private wake(id: string): void {
    this.serial(id, () => this.handleTicks(id));
  }

  private serial(id: string, work: () => Promise<void>): void {
    const previous = this.chains.get(id) ?? Promise.resolve();
    const next = previous.then(work).catch((error) => this.options.log(`error: schedule ${id}: ${messageOf(error)}`));
    this.chains.set(id, next);
    void next.finally(() => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    });
  }

  private async handleTicks(id: string): Promise<void> {
    const { store } = this.options;
    const row = await store.getSchedule(id);
    if (!row || this.stopped || !row.enabled || this.invalid.has(id)) return;
    const cron = this.cronOf(row);
    if (!cron) return;
    const now = this.clock.now();
    const decision = decideTicks({
      cron, since: row.lastTickAt ?? now, now, catchUp: row.catchUp, maxActiveRuns: row.maxActiveRuns,
      activeRuns: await store.countActiveRunsOfSchedule(id), graceMs: this.options.graceMs ?? 60_000, maxBacklog: this.options.maxBacklog ?? 100,
    });
    for (const skipped of decision.skipped) await this.recordSkipped(row, skipped);
    if (decision.run) await this.startTick(row, decision.run);
    if (decision.lastTickAt.getTime() !== row.lastTickAt?.getTime()) await store.updateSchedule(id, { lastTickAt: decision.lastTickAt });
    if (this.stopped) return;
    const next = cron.next(decision.lastTickAt);
    // Waiting for a slot: the next tick still wakes it, and so does a run of it ending.
    this.arm({ ...row, lastTickAt: decision.lastTickAt }, decision.waiting ? cron.next(now) ?? undefined : next && next <= now ? now : undefined);
  }

  private async recordSkipped(row: ScheduleRow, skipped: SkippedTicks): Promise<void> {
    const window = skipped.count === 1 ? `tick ${skipped.last.toISOString()}` : `${skipped.count ?? "many"} ticks ${skipped.first.toISOString()} … ${skipped.last.toISOString()}`;
    this.options.log(`schedule ${row.id}: skipped ${window}: ${skipped.reason}`);
    await this.options.store.recordTick({
      scheduleId: row.id, tickAt: skipped.last, firstTickAt: skipped.count === 1 ? null : skipped.first, ticks: skipped.count, outcome: "skipped", reason: skipped.reason,
    });
  }

  private async startTick(row: ScheduleRow, tickAt: Date): Promise<void> {
    const { store, runs, log } = this.options;
    if (this.retries.has(row.id)) return this.retryNow(row.id, `the tick at ${tickAt.toISOString()} ran it`);
    // A restart between starting a tick's run and recording the tick must not start it twice.
    if (await store.runForTick(row.id, tickAt)) return;
    try {
      const run = await runs.submit({ pipelines: await this.pipelinesOf(row), trigger: "schedule", scheduleId: row.id, scheduledAt: tickAt });
      await store.updateSchedule(row.id, { lastRunId: run.id, lastRunAt: this.clock.now() });
      await store.recordTick({ scheduleId: row.id, tickAt, outcome: "started", runId: run.id });
      log(`schedule ${row.id}: tick ${tickAt.toISOString()} started run ${run.id}`);
    } catch (error) {
      const message = messageOf(error);
      log(`error: schedule ${row.id}: tick ${tickAt.toISOString()} could not start a run: ${message}`);
      await store.recordTick({ scheduleId: row.id, tickAt, outcome: "failed", reason: message });
      this.options.onTickFailed?.(row, tickAt, message);
    }
  }

  /** A file schedule runs its pipeline with what it depends on; an API schedule, its pipelines. */
  private async pipelinesOf(row: ScheduleRow): Promise<string[]> {
    return row.source === "file" ? this.options.catalog.withDependencies(row.pipelines[0]) : row.pipelines;
  }

  private cronOf(row: ScheduleRow): CronClock | undefined {
    try {
      return cronClock(row.cron, { seconds: row.seconds }, row.timezone);
    } catch (error) {
      this.invalid.set(row.id, `schedule ${JSON.stringify(row.cron)}: ${messageOf(error)}`);
      return undefined;
    }
  }

  private async require(id: string): Promise<ScheduleRow> {
    const row = await this.options.store.getSchedule(id);
    if (!row) throw notFound(`schedule ${id}`);
    return row;
  }

  private async views(rows: ScheduleRow[]): Promise<ScheduleView[]> {
    const lastRuns = new Map((await this.options.store.getRuns(rows.flatMap((r) => (r.lastRunId ? [r.lastRunId] : [])))).map((r) => [r.id, r]));
    const now = this.clock.now();
    return rows.map((row) => {
      const error = this.invalid.get(row.id) ?? null;
      const next = row.enabled && !error ? this.cronOf(row)?.next(now) ?? null : null;
      const lastRun = row.lastRunId ? lastRuns.get(row.lastRunId) : undefined;
      const retry = this.retries.get(row.id);
      return {
        id: row.id, name: row.name, source: row.source, file: row.file, cron: row.cron, timezone: row.timezone, seconds: row.seconds,
        pipelines: row.pipelines, enabled: row.enabled, catchUp: row.catchUp, maxActiveRuns: row.maxActiveRuns,
        retry: { runs: row.retryRuns, backoffMs: row.retryBackoffMs }, sla: row.sla, error,
        nextRunAt: next ? next.toISOString() : null, lastRunId: row.lastRunId, lastRunAt: row.lastRunAt?.toISOString() ?? null,
        lastRun: lastRun ? { id: lastRun.id, status: lastRun.status, finishedAt: lastRun.finishedAt?.toISOString() ?? null } : null,
        lastTickAt: row.lastTickAt?.toISOString() ?? null,
        pendingRetry: retry ? { runId: retry.runId, at: retry.at.toISOString(), attempt: retry.attempt } : null,
        createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(),
      };
    });
  }
}

/** A pipeline file's schedule as the state store keeps it (defaults where its values are invalid: it is not armed then). */
function fileScheduleValues(pipeline: LoadedPipeline["pipeline"], file: string) {
  const spec = scheduleSpecOf(pipeline.schedule!);
  const policy = schedulePolicy(pipeline);
  return {
    name: pipeline.name, source: "file" as const, file, pipelines: [pipeline.name],
    cron: spec.cron.trim(), timezone: spec.timezone ?? null, seconds: spec.seconds ?? false,
    catchUp: policy?.catchUp ?? SCHEDULE_DEFAULTS.catchUp,
    maxActiveRuns: policy?.maxActiveRuns ?? SCHEDULE_DEFAULTS.maxActiveRuns,
    retryRuns: policy?.retryRuns ?? SCHEDULE_DEFAULTS.retryRuns,
    retryBackoffMs: policy?.retryBackoffMs ?? parseDuration(SCHEDULE_DEFAULTS.retryBackoff)!,
    sla: policy?.sla ?? null, slaMs: policy?.slaMs ?? null,
  };
}

/** The stored values of an API schedule's settings (a patch keeps what it leaves out). */
function apiScheduleValues(input: ScheduleInputValues, row?: ScheduleRow) {
  const sla = input.sla === undefined ? row?.sla ?? null : input.sla;
  return {
    cron: (input.cron ?? row?.cron ?? "").trim(),
    timezone: input.timezone === undefined ? row?.timezone ?? null : input.timezone,
    seconds: input.seconds ?? row?.seconds ?? false,
    catchUp: (input.catchUp ?? row?.catchUp ?? SCHEDULE_DEFAULTS.catchUp) as ScheduleRow["catchUp"],
    maxActiveRuns: input.maxActiveRuns ?? row?.maxActiveRuns ?? SCHEDULE_DEFAULTS.maxActiveRuns,
    retryRuns: input.retry?.runs ?? row?.retryRuns ?? SCHEDULE_DEFAULTS.retryRuns,
    retryBackoffMs: input.retry ? parseDuration(input.retry.backoff ?? SCHEDULE_DEFAULTS.retryBackoff)! : row?.retryBackoffMs ?? parseDuration(SCHEDULE_DEFAULTS.retryBackoff)!,
    sla, slaMs: sla === null ? null : parseDuration(sla)!,
  };
}

function checkTiming(cron: string, timezone: string | undefined, seconds: boolean | undefined): void {
  const issue = cronIssue(cron, { seconds });
  if (issue) throw badRequest(`cron: ${JSON.stringify(cron)} ${issue.message}`);
  const zone = timezone === undefined ? undefined : timezoneIssue(timezone);
  if (zone) throw badRequest(`timezone: ${zone}`);
}
