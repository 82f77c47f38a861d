import { randomUUID } from "node:crypto";
import { Cron } from "croner";
import { z } from "zod";
import { messageOf } from "@databridge/core";
import type { ScheduleView } from "@databridge/core/runner-protocol";
import type { ScheduleRow } from "../state/schema.js";
import type { StateStore } from "../state/store.js";
import { badRequest, conflict, notFound } from "./errors.js";
import type { PipelineCatalog } from "./pipeline-catalog.js";
import type { RunManager } from "./run-manager.js";

const scheduleName = z.string().min(1).max(100);
export const createScheduleSchema = z.object({
  name: scheduleName,
  cron: z.string().min(1).max(200),
  timezone: z.string().min(1).max(100).optional(),
  pipelines: z.array(z.string().min(1)).min(1, "needs at least one pipeline"),
  enabled: z.boolean().optional(),
}).strict();
export const updateScheduleSchema = createScheduleSchema.partial().extend({ timezone: z.string().min(1).max(100).nullable().optional() }).strict();

/** Cron schedules (croner) that submit runs; kept in the state database, armed while the runner runs. */
export class Scheduler {
  private readonly jobs = new Map<string, Cron>();

  constructor(
    private readonly store: StateStore,
    private readonly runs: RunManager,
    private readonly catalog: PipelineCatalog,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    for (const row of await this.store.listSchedules()) this.arm(row);
  }

  stop(): void {
    for (const job of this.jobs.values()) job.stop();
    this.jobs.clear();
  }

  async list(): Promise<ScheduleView[]> {
    return (await this.store.listSchedules()).map((row) => this.view(row));
  }

  async get(id: string): Promise<ScheduleView> {
    const row = await this.store.getSchedule(id);
    if (!row) throw notFound(`schedule ${id}`);
    return this.view(row);
  }

  async create(input: unknown): Promise<ScheduleView> {
    const parsed = createScheduleSchema.parse(input);
    checkCron(parsed.cron, parsed.timezone);
    await this.catalog.select(parsed.pipelines);
    if ((await this.store.listSchedules()).some((s) => s.name === parsed.name)) throw conflict(`a schedule named "${parsed.name}" already exists`, "name_taken");
    const row = await this.store.insertSchedule({
      id: randomUUID(), name: parsed.name, cron: parsed.cron, timezone: parsed.timezone ?? null, pipelines: parsed.pipelines, enabled: parsed.enabled ?? true,
    });
    this.arm(row);
    return this.view(row);
  }

  async update(id: string, input: unknown): Promise<ScheduleView> {
    const patch = updateScheduleSchema.parse(input);
    const row = await this.store.getSchedule(id);
    if (!row) throw notFound(`schedule ${id}`);
    const cron = patch.cron ?? row.cron;
    const timezone = patch.timezone === undefined ? row.timezone : patch.timezone;
    checkCron(cron, timezone ?? undefined);
    if (patch.pipelines) await this.catalog.select(patch.pipelines);
    if (patch.name && patch.name !== row.name && (await this.store.listSchedules()).some((s) => s.name === patch.name)) {
      throw conflict(`a schedule named "${patch.name}" already exists`, "name_taken");
    }
    const updated = (await this.store.updateSchedule(id, { ...patch, cron, timezone }))!;
    this.arm(updated);
    return this.view(updated);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.store.deleteSchedule(id))) throw notFound(`schedule ${id}`);
    this.disarm(id);
  }

  /** Submits the schedule's run now (also what the timer does). */
  async fire(id: string): Promise<string | undefined> {
    const row = await this.store.getSchedule(id);
    if (!row) return undefined;
    const run = await this.runs.submit({ pipelines: row.pipelines, trigger: "schedule", scheduleId: id });
    await this.store.updateSchedule(id, { lastRunId: run.id, lastRunAt: new Date() });
    return run.id;
  }

  private arm(row: ScheduleRow): void {
    this.disarm(row.id);
    if (!row.enabled) return;
    const job = new Cron(row.cron, { timezone: row.timezone ?? undefined, protect: true }, () => {
      this.fire(row.id).catch((error) => this.log(`error: schedule ${row.name}: ${messageOf(error)}`));
    });
    this.jobs.set(row.id, job);
  }

  private disarm(id: string): void {
    this.jobs.get(id)?.stop();
    this.jobs.delete(id);
  }

  private view(row: ScheduleRow): ScheduleView {
    const next = this.jobs.get(row.id)?.nextRun() ?? null;
    return {
      id: row.id, name: row.name, cron: row.cron, timezone: row.timezone, pipelines: row.pipelines, enabled: row.enabled,
      nextRunAt: next ? next.toISOString() : null, lastRunId: row.lastRunId, lastRunAt: row.lastRunAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(),
    };
  }
}

function checkCron(pattern: string, timezone: string | undefined): void {
  try {
    new Cron(pattern, { timezone, paused: true }).stop();
  } catch (error) {
    throw badRequest(`cron: ${messageOf(error)}`);
  }
}
