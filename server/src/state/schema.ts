import { bigint, bigserial, boolean, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import type { CatchUp, Parity, RunStatus, StageStatus } from "@databridge/core";

/**
 * The runner's state database (drizzle-orm; migrations in server/drizzle/, generated with
 * `pnpm --filter @databridge/server db:generate`). One state database serves one workspace. Its
 * tables live in their own schema so a PostgreSQL state database can be shared with other data.
 */
export const STATE_SCHEMA = "databridge_runner";
export const stateSchema = pgSchema(STATE_SCHEMA);

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const counter = (name: string) => bigint(name, { mode: "number" }).notNull().default(0);

/** A run of one or more pipelines. `last_event_seq` is the highest per-run event id handed out. */
export const runs = stateSchema.table("runs", {
  id: text("id").primaryKey(),
  status: text("status").$type<RunStatus>().notNull(),
  pipelines: jsonb("pipelines").$type<string[]>().notNull(),
  resume: boolean("resume").notNull().default(false),
  batchSize: integer("batch_size"),
  /** The run this one retries (continuing from its checkpoints). */
  retryOf: text("retry_of"),
  /** `api`, `schedule`, `cli`. */
  trigger: text("trigger").notNull().default("api"),
  scheduleId: text("schedule_id"),
  /** The schedule tick this run is for (its SLA counts from it); its retries keep it. */
  scheduledAt: timestamp("scheduled_at", { withTimezone: true, mode: "date" }),
  createdAt: createdAt(),
  startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
  finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  rowsRead: counter("rows_read"),
  rowsWritten: counter("rows_written"),
  rowsRejected: counter("rows_rejected"),
  durationMs: integer("duration_ms"),
  error: text("error"),
  lastEventSeq: integer("last_event_seq").notNull().default(0),
}, (t) => [index("runs_created_at_idx").on(t.createdAt), index("runs_status_idx").on(t.status), index("runs_schedule_idx").on(t.scheduleId, t.scheduledAt)]);

/** One stage of a run: a pipeline (for one tenant of a multi-source pipeline). */
export const runStages = stateSchema.table("run_stages", {
  runId: text("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
  pipeline: text("pipeline").notNull(),
  tenant: text("tenant").notNull().default(""),
  status: text("status").$type<StageStatus>().notNull(),
  source: text("source"),
  target: text("target"),
  mode: text("mode"),
  estimatedRows: bigint("estimated_rows", { mode: "number" }),
  resumeAfter: jsonb("resume_after").$type<unknown[] | null>(),
  batches: integer("batches").notNull().default(0),
  rowsRead: counter("rows_read"),
  rowsWritten: counter("rows_written"),
  rowsRejected: counter("rows_rejected"),
  rowsPerSecond: integer("rows_per_second"),
  etaMs: bigint("eta_ms", { mode: "number" }),
  startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
  finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  durationMs: integer("duration_ms"),
  error: text("error"),
  parity: jsonb("parity").$type<Parity | null>(),
}, (t) => [primaryKey({ columns: [t.runId, t.pipeline, t.tenant] })]);

/** Every committed batch (from `batch.committed`). */
export const runBatches = stateSchema.table("run_batches", {
  runId: text("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
  pipeline: text("pipeline").notNull(),
  tenant: text("tenant").notNull().default(""),
  batch: integer("batch").notNull(),
  rowsRead: integer("rows_read").notNull(),
  rowsWritten: integer("rows_written").notNull(),
  rowsRejected: integer("rows_rejected").notNull(),
  lastKey: jsonb("last_key").$type<unknown[]>(),
  rowsPerSecond: integer("rows_per_second"),
  committedAt: timestamp("committed_at", { withTimezone: true, mode: "date" }).notNull(),
}, (t) => [primaryKey({ columns: [t.runId, t.pipeline, t.tenant, t.batch] })]);

/**
 * The event log: `id` orders all events (the `GET /events` stream's SSE id), `seq` orders one
 * run's events (the `GET /runs/:id/events` SSE id). Both only grow, so Last-Event-ID replays exactly.
 */
export const runEvents = stateSchema.table("run_events", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  runId: text("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
  seq: integer("seq").notNull(),
  type: text("type").notNull(),
  ts: timestamp("ts", { withTimezone: true, mode: "date" }).notNull(),
  /** The event as JSON text, byte for byte what the SSE `data:` line carries (live and replayed). */
  data: text("data").notNull(),
}, (t) => [uniqueIndex("run_events_run_seq_idx").on(t.runId, t.seq)]);

/** Saved connections. The password is only ever stored encrypted (AES-256-GCM, see secrets.ts). */
export const connections = stateSchema.table("connections", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  type: text("type").notNull(),
  host: text("host"),
  port: integer("port"),
  database: text("database"),
  username: text("username"),
  /** For connections saved as a URL: the URL without its password. */
  url: text("url"),
  passwordEncrypted: text("password_encrypted"),
  description: text("description"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  lastTestedAt: timestamp("last_tested_at", { withTimezone: true, mode: "date" }),
  lastTestOk: boolean("last_test_ok"),
  lastTestVersion: text("last_test_version"),
  lastTestError: text("last_test_error"),
}, (t) => [uniqueIndex("connections_name_idx").on(t.name)]);

/**
 * Cron schedules that start runs: created through the API (`source = 'api'`), or read from a pipeline
 * file's `schedule` (`source = 'file'`, id `file:<pipeline>`, kept in step with the file by the scheduler).
 */
export const schedules = stateSchema.table("schedules", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  source: text("source").$type<"api" | "file">().notNull().default("api"),
  /** A file schedule's pipeline file, relative to the workspace. */
  file: text("file"),
  cron: text("cron").notNull(),
  timezone: text("timezone"),
  seconds: boolean("seconds").notNull().default(false),
  pipelines: jsonb("pipelines").$type<string[]>().notNull(),
  enabled: boolean("enabled").notNull().default(true),
  catchUp: text("catch_up").$type<CatchUp>().notNull().default("latest"),
  maxActiveRuns: integer("max_active_runs").notNull().default(1),
  retryRuns: integer("retry_runs").notNull().default(0),
  retryBackoffMs: integer("retry_backoff_ms").notNull().default(300_000),
  sla: text("sla"),
  slaMs: integer("sla_ms"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  lastRunId: text("last_run_id"),
  lastRunAt: timestamp("last_run_at", { withTimezone: true, mode: "date" }),
  /** The last tick handled (started, skipped or caught up): catch-up after downtime starts after it. */
  lastTickAt: timestamp("last_tick_at", { withTimezone: true, mode: "date" }),
}, (t) => [uniqueIndex("schedules_source_name_idx").on(t.source, t.name)]);

/** What became of each tick (or window of missed ticks) of a schedule: the record of skips and catch-ups. */
export const scheduleTicks = stateSchema.table("schedule_ticks", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  scheduleId: text("schedule_id").notNull().references(() => schedules.id, { onDelete: "cascade" }),
  tickAt: timestamp("tick_at", { withTimezone: true, mode: "date" }).notNull(),
  firstTickAt: timestamp("first_tick_at", { withTimezone: true, mode: "date" }),
  ticks: integer("ticks"),
  outcome: text("outcome").$type<"started" | "skipped" | "retried" | "failed">().notNull(),
  runId: text("run_id"),
  reason: text("reason"),
  at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
}, (t) => [index("schedule_ticks_schedule_idx").on(t.scheduleId, t.id)]);

/** Every alert sent through a channel, delivered or not (never the webhook URL or a password). */
export const alertDeliveries = stateSchema.table("alert_deliveries", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  trigger: text("trigger").notNull(),
  channel: text("channel").$type<"webhook" | "email">().notNull(),
  runId: text("run_id"),
  pipeline: text("pipeline").notNull(),
  ok: boolean("ok").notNull(),
  attempts: integer("attempts").notNull(),
  error: text("error"),
  at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
}, (t) => [index("alert_deliveries_at_idx").on(t.at)]);

export type RunRow = typeof runs.$inferSelect;
export type StageRow = typeof runStages.$inferSelect;
export type BatchRow = typeof runBatches.$inferSelect;
export type EventRow = typeof runEvents.$inferSelect;
export type ConnectionRow = typeof connections.$inferSelect;
export type ScheduleRow = typeof schedules.$inferSelect;
export type ScheduleTickRow = typeof scheduleTicks.$inferSelect;
export type AlertDeliveryRow = typeof alertDeliveries.$inferSelect;
