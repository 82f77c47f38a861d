import type { RunEvent, RunStatus, SlaMissedEvent } from "@databridge/core";
import type { Clock } from "./clock.js";

/** When one pipeline of a run is due. */
export interface SlaDeadline {
  pipeline: string;
  sla: string;
  since: Date;
  deadline: Date;
}

export interface SlaInput {
  /** The run's pipelines with their own `sla`. */
  pipelines: { name: string; sla?: string; slaMs: number | null }[];
  /** The schedule that started the run: its SLA covers `pipeline` (a file schedule's) or the whole run. */
  schedule?: { pipeline: string | null; sla: string | null; slaMs: number | null } | null;
  /** When the clock starts: the run's schedule tick, else when it was requested. */
  since: Date;
}

/**
 * The SLA deadlines of a run: each pipeline's own `sla`, and its schedule's (which, for the pipeline a
 * file schedule belongs to, replaces the pipeline's own). Pure.
 */
export function slaDeadlines(input: SlaInput): SlaDeadline[] {
  const at = (ms: number) => new Date(input.since.getTime() + ms);
  const byPipeline = new Map<string, SlaDeadline>();
  for (const p of input.pipelines) {
    if (p.sla && p.slaMs) byPipeline.set(p.name, { pipeline: p.name, sla: p.sla, since: input.since, deadline: at(p.slaMs) });
  }
  const schedule = input.schedule;
  if (schedule?.sla && schedule.slaMs) {
    const pipeline = schedule.pipeline ?? input.pipelines.map((p) => p.name).join(",");
    byPipeline.set(pipeline, { pipeline, sla: schedule.sla, since: input.since, deadline: at(schedule.slaMs) });
  }
  return [...byPipeline.values()];
}

export interface SlaMonitorOptions {
  clock: Clock;
  /** Records the event (in the runner: the recorder, so it reaches the state database, SSE and alerts). */
  emit: (event: SlaMissedEvent) => void;
  /** The run's status right now, for the event (undefined: `running`). */
  statusOf?: (runId: string) => RunStatus | undefined;
}

/**
 * Emits `sla_missed` for a run still going (or not started) when a deadline passes. It must `observe` every
 * event as it is recorded, synchronously: a deadline that passes after the run's `run.finished` was
 * recorded emits nothing, so `run.finished` stays the last event of a run.
 */
export class SlaMonitor {
  private readonly watched = new Map<string, (() => void)[]>();

  constructor(private readonly options: SlaMonitorOptions) {}

  watch(runId: string, deadlines: readonly SlaDeadline[]): void {
    if (!deadlines.length) return;
    const timers = this.watched.get(runId) ?? [];
    for (const deadline of deadlines) timers.push(this.options.clock.setTimer(deadline.deadline, () => this.missed(runId, deadline)));
    this.watched.set(runId, timers);
  }

  observe(event: RunEvent): void {
    if (event.type === "run.finished") this.unwatch(event.runId);
  }

  get watching(): number {
    return this.watched.size;
  }

  stop(): void {
    for (const runId of [...this.watched.keys()]) this.unwatch(runId);
  }

  private unwatch(runId: string): void {
    for (const cancel of this.watched.get(runId) ?? []) cancel();
    this.watched.delete(runId);
  }

  private missed(runId: string, deadline: SlaDeadline): void {
    if (!this.watched.has(runId)) return;
    this.options.emit({
      type: "sla_missed", runId, pipeline: deadline.pipeline, ts: this.options.clock.now().toISOString(),
      sla: deadline.sla, since: deadline.since.toISOString(), deadline: deadline.deadline.toISOString(),
      status: this.options.statusOf?.(runId) ?? "running",
    });
  }
}
