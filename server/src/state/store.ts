import { and, asc, count, desc, eq, gt, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { ACTIVE_RUN_STATUSES, type RunEvent, type RunStatus } from "@databridge/core";
import type { StateDatabase, StateDb } from "./database.js";
import {
  alertDeliveries, connections, runBatches, runEvents, runs, runStages, scheduleTicks, schedules,
  type AlertDeliveryRow, type BatchRow, type ConnectionRow, type EventRow, type RunRow, type ScheduleRow, type ScheduleTickRow, type StageRow,
} from "./schema.js";

/** One event to append: its per-run sequence number is handed out by the caller (the recorder). */
export interface EventToAppend {
  runId: string;
  seq: number;
  event: RunEvent;
  /** The event as JSON text (what SSE sends). */
  data: string;
  /** A status change to apply with the event (pause/resume), only when the run is in one of `from`. */
  status?: { to: RunStatus; from: RunStatus[] };
}

export interface AppendedEvent {
  id: number;
  runId: string;
  seq: number;
  type: string;
  data: string;
}

export interface RunFilter {
  status?: RunStatus[];
  pipeline?: string;
  /** Runs created before this id (paging newest first). */
  limit: number;
  offset: number;
}


/** Typed access to the runner's state database. Every write of run progress goes through `appendEvents`. */
export class StateStore {
  readonly db: StateDb;

  constructor(readonly database: StateDatabase) {
    this.db = database.db;
  }

  close(): Promise<void> {
    return this.database.close();
  }

  // ── runs ────────────────────────────────────────────────────────────────────────────────────

  async createRun(input: { id: string; pipelines: string[]; resume?: boolean; batchSize?: number; retryOf?: string; trigger?: string; scheduleId?: string; scheduledAt?: Date }): Promise<RunRow> {
    const [row] = await this.db.insert(runs).values({
      id: input.id, status: "queued", pipelines: input.pipelines, resume: input.resume ?? false, batchSize: input.batchSize ?? null,
      retryOf: input.retryOf ?? null, trigger: input.trigger ?? "api", scheduleId: input.scheduleId ?? null, scheduledAt: input.scheduledAt ?? null,
    }).returning();
    return row;
  }

  async getRuns(ids: string[]): Promise<RunRow[]> {
    if (!ids.length) return [];
    return this.db.select().from(runs).where(inArray(runs.id, ids));
  }

  /** Runs a schedule started that have not ended (queued, running or paused). */
  async countActiveRunsOfSchedule(scheduleId: string): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(runs).where(and(eq(runs.scheduleId, scheduleId), inArray(runs.status, [...ACTIVE_RUN_STATUSES])));
    return Number(row?.n ?? 0);
  }

  /** The run a schedule started for a tick (not a retry), if any: a tick is never run twice. */
  async runForTick(scheduleId: string, tickAt: Date): Promise<RunRow | undefined> {
    const [row] = await this.db.select().from(runs).where(and(eq(runs.scheduleId, scheduleId), eq(runs.scheduledAt, tickAt), isNull(runs.retryOf))).limit(1);
    return row;
  }

  /** The newest run a schedule started (ticks, triggers and retries alike). */
  async latestRunOfSchedule(scheduleId: string): Promise<RunRow | undefined> {
    const [row] = await this.db.select().from(runs).where(eq(runs.scheduleId, scheduleId)).orderBy(desc(runs.createdAt), desc(runs.id)).limit(1);
    return row;
  }

  async getRun(id: string): Promise<RunRow | undefined> {
    const [row] = await this.db.select().from(runs).where(eq(runs.id, id));
    return row;
  }

  async listRuns(filter: RunFilter): Promise<{ runs: RunRow[]; total: number }> {
    const conditions: SQL[] = [];
    if (filter.status?.length) conditions.push(inArray(runs.status, filter.status));
    if (filter.pipeline) conditions.push(sql`${runs.pipelines} @> ${JSON.stringify([filter.pipeline])}::jsonb`);
    const where = conditions.length ? and(...conditions) : undefined;
    const [rows, [{ total }]] = await Promise.all([
      this.db.select().from(runs).where(where).orderBy(desc(runs.createdAt), desc(runs.id)).limit(filter.limit).offset(filter.offset),
      this.db.select({ total: count() }).from(runs).where(where),
    ]);
    return { runs: rows, total: Number(total) };
  }

  async runsWithStatus(statuses: readonly RunStatus[]): Promise<RunRow[]> {
    return this.db.select().from(runs).where(inArray(runs.status, [...statuses])).orderBy(asc(runs.createdAt));
  }

  async stagesOf(runIds: string[]): Promise<StageRow[]> {
    if (!runIds.length) return [];
    return this.db.select().from(runStages).where(inArray(runStages.runId, runIds)).orderBy(asc(runStages.startedAt), asc(runStages.pipeline), asc(runStages.tenant));
  }

  async batchesOf(runId: string, options: { pipeline?: string; limit?: number } = {}): Promise<BatchRow[]> {
    const where = options.pipeline ? and(eq(runBatches.runId, runId), eq(runBatches.pipeline, options.pipeline)) : eq(runBatches.runId, runId);
    return this.db.select().from(runBatches).where(where).orderBy(asc(runBatches.committedAt), asc(runBatches.batch)).limit(options.limit ?? 10_000);
  }

  /** Sets a queued run's status directly (e.g. cancelled before it started). */
  async setRunStatus(id: string, to: RunStatus, from: readonly RunStatus[]): Promise<boolean> {
    const rows = await this.db.update(runs).set({ status: to }).where(and(eq(runs.id, id), inArray(runs.status, [...from]))).returning({ id: runs.id });
    return rows.length > 0;
  }

  // ── events ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Appends events in one transaction and applies what they say to runs, stages and batches.
   * Callers append from a single writer, so `id` grows in commit order.
   */
  async appendEvents(items: EventToAppend[]): Promise<AppendedEvent[]> {
    if (!items.length) return [];
    return this.db.transaction(async (tx) => {
      const inserted: AppendedEvent[] = [];
      for (let i = 0; i < items.length; i += 500) {
        const chunk = items.slice(i, i + 500);
        const rows = await tx.insert(runEvents).values(chunk.map((item) => ({
          runId: item.runId, seq: item.seq, type: item.event.type, ts: new Date(item.event.ts), data: item.data,
        }))).returning({ id: runEvents.id, runId: runEvents.runId, seq: runEvents.seq });
        const idOf = new Map(rows.map((r) => [`${r.runId}\u0000${r.seq}`, Number(r.id)]));
        for (const item of chunk) inserted.push({ id: idOf.get(`${item.runId}\u0000${item.seq}`)!, runId: item.runId, seq: item.seq, type: item.event.type, data: item.data });
      }
      const lastSeq = new Map<string, number>();
      for (const item of items) {
        lastSeq.set(item.runId, Math.max(lastSeq.get(item.runId) ?? 0, item.seq));
        await applyEvent(tx as unknown as StateDb, item);
      }
      for (const [runId, seq] of lastSeq) {
        await tx.update(runs).set({ lastEventSeq: sql`GREATEST(${runs.lastEventSeq}, ${seq})` }).where(eq(runs.id, runId));
      }
      inserted.sort((a, b) => a.id - b.id);
      return inserted;
    });
  }

  /** A run's events with `seq` greater than `afterSeq`, oldest first. */
  async runEventsAfter(runId: string, afterSeq: number, limit = 1000): Promise<EventRow[]> {
    return this.db.select().from(runEvents).where(and(eq(runEvents.runId, runId), gt(runEvents.seq, afterSeq))).orderBy(asc(runEvents.seq)).limit(limit);
  }

  /** All runs' events with `id` greater than `afterId`, oldest first. */
  async eventsAfter(afterId: number, limit = 1000): Promise<EventRow[]> {
    return this.db.select().from(runEvents).where(gt(runEvents.id, afterId)).orderBy(asc(runEvents.id)).limit(limit);
  }

  async lastEventId(): Promise<number> {
    const [row] = await this.db.select({ id: sql<number | string | null>`max(${runEvents.id})` }).from(runEvents);
    return Number(row?.id ?? 0);
  }

  async eventsOfType(runId: string, types: string[], limit = 1000, offset = 0): Promise<EventRow[]> {
    return this.db.select().from(runEvents).where(and(eq(runEvents.runId, runId), inArray(runEvents.type, types))).orderBy(asc(runEvents.seq)).limit(limit).offset(offset);
  }

  async countEventsOfType(runId: string, type: string): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(runEvents).where(and(eq(runEvents.runId, runId), eq(runEvents.type, type)));
    return Number(row?.n ?? 0);
  }

  // ── connections ─────────────────────────────────────────────────────────────────────────────

  listConnections(): Promise<ConnectionRow[]> {
    return this.db.select().from(connections).orderBy(asc(connections.name));
  }

  async getConnection(id: string): Promise<ConnectionRow | undefined> {
    const [row] = await this.db.select().from(connections).where(eq(connections.id, id));
    return row;
  }

  async insertConnection(row: typeof connections.$inferInsert): Promise<ConnectionRow> {
    const [inserted] = await this.db.insert(connections).values(row).returning();
    return inserted;
  }

  async updateConnection(id: string, values: Partial<typeof connections.$inferInsert>): Promise<ConnectionRow | undefined> {
    const [row] = await this.db.update(connections).set({ ...values, updatedAt: new Date() }).where(eq(connections.id, id)).returning();
    return row;
  }

  async recordConnectionTest(id: string, result: { ok: boolean; serverVersion?: string; error?: string }): Promise<void> {
    await this.db.update(connections).set({
      lastTestedAt: new Date(), lastTestOk: result.ok, lastTestVersion: result.serverVersion ?? null, lastTestError: result.error ?? null,
    }).where(eq(connections.id, id));
  }

  async deleteConnection(id: string): Promise<boolean> {
    return (await this.db.delete(connections).where(eq(connections.id, id)).returning({ id: connections.id })).length > 0;
  }

  // ── schedules ───────────────────────────────────────────────────────────────────────────────

  listSchedules(): Promise<ScheduleRow[]> {
    return this.db.select().from(schedules).orderBy(asc(schedules.name), asc(schedules.source));
  }

  async getSchedule(id: string): Promise<ScheduleRow | undefined> {
    const [row] = await this.db.select().from(schedules).where(eq(schedules.id, id));
    return row;
  }

  async insertSchedule(row: typeof schedules.$inferInsert): Promise<ScheduleRow> {
    const [inserted] = await this.db.insert(schedules).values(row).returning();
    return inserted;
  }

  async updateSchedule(id: string, values: Partial<typeof schedules.$inferInsert>): Promise<ScheduleRow | undefined> {
    const [row] = await this.db.update(schedules).set({ ...values, updatedAt: new Date() }).where(eq(schedules.id, id)).returning();
    return row;
  }

  async deleteSchedule(id: string): Promise<boolean> {
    return (await this.db.delete(schedules).where(eq(schedules.id, id)).returning({ id: schedules.id })).length > 0;
  }

  async recordTick(row: typeof scheduleTicks.$inferInsert): Promise<ScheduleTickRow> {
    const [inserted] = await this.db.insert(scheduleTicks).values(row).returning();
    return inserted;
  }

  /** A schedule's tick records, newest first. */
  listTicks(scheduleId: string, limit = 50): Promise<ScheduleTickRow[]> {
    return this.db.select().from(scheduleTicks).where(eq(scheduleTicks.scheduleId, scheduleId)).orderBy(desc(scheduleTicks.id)).limit(limit);
  }

  // ── alerts ──────────────────────────────────────────────────────────────────────────────────

  async recordAlertDelivery(row: typeof alertDeliveries.$inferInsert): Promise<AlertDeliveryRow> {
    const [inserted] = await this.db.insert(alertDeliveries).values(row).returning();
    return inserted;
  }

  /** Alert deliveries, newest first; `failed`: only those that could not be delivered. */
  listAlertDeliveries(options: { failed?: boolean; limit?: number } = {}): Promise<AlertDeliveryRow[]> {
    return this.db.select().from(alertDeliveries).where(options.failed ? eq(alertDeliveries.ok, false) : undefined)
      .orderBy(desc(alertDeliveries.id)).limit(options.limit ?? 50);
  }
}

const stageKey = (runId: string, pipeline: string, tenant: string | undefined) =>
  and(eq(runStages.runId, runId), eq(runStages.pipeline, pipeline), eq(runStages.tenant, tenant ?? ""));

/** What one event changes in runs, stages and batches. */
async function applyEvent(db: StateDb, item: EventToAppend): Promise<void> {
  const { event, runId } = item;
  const at = new Date(event.ts);
  if (item.status) {
    await db.update(runs).set({ status: item.status.to }).where(and(eq(runs.id, runId), inArray(runs.status, item.status.from)));
  }
  switch (event.type) {
    case "run.started":
      await db.update(runs).set({ status: "running", startedAt: at }).where(and(eq(runs.id, runId), eq(runs.status, "queued")));
      await db.update(runs).set({ startedAt: at }).where(eq(runs.id, runId));
      break;
    case "stage.started":
      await db.insert(runStages).values({
        runId, pipeline: event.pipeline, tenant: event.tenant ?? "", status: "running", source: event.source, target: event.target, mode: event.mode,
        estimatedRows: event.estimatedRows, resumeAfter: event.resumeAfter, startedAt: at,
      }).onConflictDoUpdate({
        target: [runStages.runId, runStages.pipeline, runStages.tenant],
        set: { status: "running", source: event.source, target: event.target, mode: event.mode, estimatedRows: event.estimatedRows, resumeAfter: event.resumeAfter, startedAt: at },
      });
      break;
    case "batch.committed":
      await db.insert(runBatches).values({
        runId, pipeline: event.pipeline, tenant: event.tenant ?? "", batch: event.batch, rowsRead: event.batchRows.read, rowsWritten: event.batchRows.written,
        rowsRejected: event.batchRows.rejected, lastKey: event.lastKey, rowsPerSecond: event.rowsPerSecond, committedAt: at,
      }).onConflictDoNothing();
      await db.update(runStages).set({
        batches: sql`${runStages.batches} + 1`, rowsRead: event.rows.read, rowsWritten: event.rows.written, rowsRejected: event.rows.rejected,
        rowsPerSecond: event.rowsPerSecond, etaMs: event.etaMs, estimatedRows: event.estimatedRows,
      }).where(stageKey(runId, event.pipeline, event.tenant));
      await db.update(runs).set({
        rowsRead: sql`${runs.rowsRead} + ${event.batchRows.read}`,
        rowsWritten: sql`${runs.rowsWritten} + ${event.batchRows.written}`,
        rowsRejected: sql`${runs.rowsRejected} + ${event.batchRows.rejected}`,
      }).where(eq(runs.id, runId));
      break;
    case "stage.finished": {
      const values = {
        status: event.status, rowsRead: event.rows.read, rowsWritten: event.rows.written, rowsRejected: event.rows.rejected,
        durationMs: event.durationMs, error: event.error ?? null, parity: event.parity ?? null, finishedAt: at, etaMs: event.status === "succeeded" || event.status === "succeeded_with_rejects" ? 0 : null,
      };
      await db.insert(runStages).values({ runId, pipeline: event.pipeline, tenant: event.tenant ?? "", ...values })
        .onConflictDoUpdate({ target: [runStages.runId, runStages.pipeline, runStages.tenant], set: values });
      break;
    }
    case "run.finished":
      await db.update(runs).set({
        status: event.status, finishedAt: at, durationMs: event.durationMs, error: event.error ?? null,
        rowsRead: event.rows.read, rowsWritten: event.rows.written, rowsRejected: event.rows.rejected,
      }).where(eq(runs.id, runId));
      // Stages a dead runner left running end with the run.
      await db.update(runStages).set({ status: event.status === "interrupted" ? "interrupted" : "cancelled", finishedAt: at })
        .where(and(eq(runStages.runId, runId), eq(runStages.status, "running")));
      break;
    default:
      break;
  }
}
