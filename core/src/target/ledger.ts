import os from "node:os";
import type { Target, TargetSession } from "../connectors/connector.js";
import { isKeyRanges, type WrittenKeys } from "./written-keys.js";
import type { RowCounts } from "../runner-protocol/events.js";

/**
 * The checkpoint ledger, kept in the target's `databridge` schema. Every batch commits its rows, a
 * `batches` row and the advanced checkpoint in one transaction, so a resume starts exactly after
 * the last committed key: no duplicates, no gaps, even after `kill -9`.
 */
export const LEDGER_DDL = `
CREATE SCHEMA IF NOT EXISTS databridge;
CREATE TABLE IF NOT EXISTS databridge.runs (
  run_id text NOT NULL,
  pipeline text NOT NULL,
  tenant text NOT NULL DEFAULT '',
  status text NOT NULL,
  mode text NOT NULL,
  target_table text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  start_key jsonb,
  last_key jsonb,
  batches integer NOT NULL DEFAULT 0,
  rows_read bigint NOT NULL DEFAULT 0,
  rows_written bigint NOT NULL DEFAULT 0,
  rows_rejected bigint NOT NULL DEFAULT 0,
  resumed_from text,
  prev_checkpoint jsonb,
  error text,
  PRIMARY KEY (run_id, pipeline, tenant)
);
CREATE TABLE IF NOT EXISTS databridge.batches (
  run_id text NOT NULL,
  pipeline text NOT NULL,
  tenant text NOT NULL DEFAULT '',
  batch_no integer NOT NULL,
  first_key jsonb,
  last_key jsonb,
  rows_read integer NOT NULL,
  rows_written integer NOT NULL,
  rows_rejected integer NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (run_id, pipeline, tenant, batch_no)
);
CREATE TABLE IF NOT EXISTS databridge.checkpoints (
  pipeline text NOT NULL,
  tenant text NOT NULL DEFAULT '',
  run_id text NOT NULL,
  last_key jsonb,
  complete boolean NOT NULL DEFAULT false,
  watermark jsonb,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (pipeline, tenant)
);
CREATE TABLE IF NOT EXISTS databridge.rejected_rows (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL,
  pipeline text NOT NULL,
  tenant text NOT NULL DEFAULT '',
  batch_no integer NOT NULL,
  source_key jsonb NOT NULL,
  source_row jsonb NOT NULL,
  stage text NOT NULL,
  column_name text,
  error_code text,
  message text NOT NULL,
  rejected_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS rejected_rows_run ON databridge.rejected_rows (run_id, pipeline);
CREATE TABLE IF NOT EXISTS databridge.id_map (
  entity text NOT NULL,
  tenant text NOT NULL DEFAULT '',
  legacy_key text NOT NULL,
  new_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (entity, tenant, legacy_key)
);
CREATE TABLE IF NOT EXISTS databridge.written_keys (
  run_id text NOT NULL,
  pipeline text NOT NULL,
  tenant text NOT NULL DEFAULT '',
  batch_no integer NOT NULL,
  target_table text NOT NULL,
  key_columns jsonb NOT NULL,
  -- json, not jsonb: written once per batch and read only by rollback, while parsing 10,000 keys into
  -- jsonb cost a large share of an insert run (an older jsonb column keeps working: json casts to it).
  keys json NOT NULL,
  PRIMARY KEY (run_id, pipeline, tenant, batch_no)
);
CREATE TABLE IF NOT EXISTS databridge.before_images (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL,
  pipeline text NOT NULL,
  tenant text NOT NULL DEFAULT '',
  batch_no integer NOT NULL,
  target_table text NOT NULL,
  key_columns jsonb NOT NULL,
  key jsonb NOT NULL,
  before jsonb
);
CREATE INDEX IF NOT EXISTS before_images_run ON databridge.before_images (run_id, pipeline, tenant);
ALTER TABLE databridge.runs ADD COLUMN IF NOT EXISTS rows_deleted bigint NOT NULL DEFAULT 0;
ALTER TABLE databridge.runs ADD COLUMN IF NOT EXISTS host text;
ALTER TABLE databridge.runs ADD COLUMN IF NOT EXISTS pid integer;
ALTER TABLE databridge.runs ADD COLUMN IF NOT EXISTS partition_id text NOT NULL DEFAULT '';
ALTER TABLE databridge.batches ADD COLUMN IF NOT EXISTS partition_id text NOT NULL DEFAULT '';
ALTER TABLE databridge.checkpoints ADD COLUMN IF NOT EXISTS partition_id text NOT NULL DEFAULT '';
ALTER TABLE databridge.written_keys ADD COLUMN IF NOT EXISTS partition_id text NOT NULL DEFAULT '';
ALTER TABLE databridge.rejected_rows ADD COLUMN IF NOT EXISTS partition_id text NOT NULL DEFAULT ''`;

/**
 * A key-range partition (`parallelism: N` on a queue run) is a stage of its own in the ledger: its run row,
 * batches, written keys and checkpoint carry `partition_id` ('' for a whole stage). Ledgers made before
 * partitions get the column (existing rows: '') and their primary keys widened to include it — in place,
 * once, keeping every row; a ledger already widened is left alone.
 */
const PARTITION_KEYS: [table: string, columns: string][] = [
  ["runs", "run_id, pipeline, tenant, partition_id"],
  ["batches", "run_id, pipeline, tenant, partition_id, batch_no"],
  ["checkpoints", "pipeline, tenant, partition_id"],
  ["written_keys", "run_id, pipeline, tenant, partition_id, batch_no"],
];
const widenPrimaryKey = (table: string, columns: string) => `DO $$
DECLARE pk text;
BEGIN
  SELECT conname INTO pk FROM pg_constraint WHERE conrelid = 'databridge.${table}'::regclass AND contype = 'p'
     AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = conrelid AND a.attname = 'partition_id' AND a.attnum = ANY (conkey));
  IF pk IS NOT NULL THEN
    EXECUTE format('ALTER TABLE databridge.${table} DROP CONSTRAINT %I, ADD PRIMARY KEY (${columns})', pk);
  END IF;
END $$`;
export const LEDGER_MIGRATIONS = PARTITION_KEYS.map(([table, columns]) => widenPrimaryKey(table, columns));

export interface RejectedRow {
  key: unknown[];
  /** The source row as an object of column → value. */
  row: Record<string, unknown>;
  stage: "transform" | "load";
  column?: string;
  code?: string;
  message: string;
}

export interface RejectedRowRecord {
  id: number;
  runId: string;
  pipeline: string;
  tenant: string;
  batch: number;
  key: unknown[];
  row: Record<string, unknown>;
  stage: "transform" | "load";
  column: string | null;
  code: string | null;
  message: string;
  rejectedAt: string;
}

export interface Checkpoint {
  runId: string;
  lastKey: unknown[] | null;
  complete: boolean;
  watermark: unknown;
}

const isPlainJson = (value: unknown) =>
  value === null || typeof value === "number" || typeof value === "boolean" || (typeof value === "string" && !value.includes("\u0000"));

/**
 * Keys are stored as JSON; bigints as their decimal text, which binds back as a parameter exactly.
 * Arrays (of arrays) of plain values, the common case (a batch's written keys), take JSON.stringify's
 * fast path without a replacer.
 */
const toJson = (value: unknown) =>
  Array.isArray(value) && value.every((v) => (Array.isArray(v) ? v.every(isPlainJson) : isPlainJson(v)))
    ? JSON.stringify(value)
    : JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
        const raw = this[key];
        if (typeof raw === "bigint") return raw.toString();
        if (raw instanceof Uint8Array) return `\\x${Buffer.from(raw).toString("hex")}`;
        // PostgreSQL's jsonb rejects NUL characters; keep them visible instead.
        if (typeof raw === "string" && raw.includes("\u0000")) return raw.replace(/\u0000/g, "\\u0000");
        return v;
      });

export class Ledger {
  private ensured?: Promise<void>;

  constructor(private readonly target: Target) {}

  /** Creates the ledger tables once; concurrent runs serialize on an advisory lock. */
  ensure(): Promise<void> {
    this.ensured ??= (async () => {
      const session = await this.target.session();
      try {
        await session.query("BEGIN");
        await session.query("SELECT pg_advisory_xact_lock(8240517)");
        for (const statement of LEDGER_DDL.split(";").map((s) => s.trim()).filter(Boolean)) await session.query(statement);
        for (const statement of LEDGER_MIGRATIONS) await session.query(statement);
        await session.query("COMMIT");
        await session.release();
      } catch (error) {
        await session.query("ROLLBACK").catch(() => {});
        await session.release(true);
        this.ensured = undefined;
        throw error;
      }
    })();
    return this.ensured;
  }

  async checkpoint(pipeline: string, tenant: string, partition = ""): Promise<Checkpoint | undefined> {
    const { rows } = await this.target.query<{ run_id: string; last_key: unknown[] | null; complete: boolean; watermark: unknown }>(
      "SELECT run_id, last_key, complete, watermark FROM databridge.checkpoints WHERE pipeline = $1 AND tenant = $2 AND partition_id = $3",
      [pipeline, tenant, partition],
    );
    const row = rows[0];
    return row && { runId: row.run_id, lastKey: row.last_key, complete: row.complete, watermark: row.watermark };
  }

  /**
   * A checkpoint of this pipeline (and tenant) in another partitioning than `partition`, left by a run other
   * than `runId` — what an `insert` of one partition would load again after a run partitioned otherwise
   * (or not at all) loaded the table.
   */
  async otherPartitionCheckpoint(pipeline: string, tenant: string, partition: string, runId: string | undefined): Promise<Checkpoint | undefined> {
    const { rows } = await this.target.query<{ run_id: string; last_key: unknown[] | null; complete: boolean; watermark: unknown }>(
      `SELECT run_id, last_key, complete, watermark FROM databridge.checkpoints
        WHERE pipeline = $1 AND tenant = $2 AND partition_id <> $3 AND run_id IS DISTINCT FROM $4 AND last_key IS NOT NULL
        ORDER BY updated_at DESC LIMIT 1`,
      [pipeline, tenant, partition, runId ?? null],
    );
    const row = rows[0];
    return row && { runId: row.run_id, lastKey: row.last_key, complete: row.complete, watermark: row.watermark };
  }

  /** Records the start of a stage and points the checkpoint at it; runs left `running` by a dead process become `interrupted`. */
  async startRun(args: { runId: string; pipeline: string; tenant: string; partition?: string; mode: string; targetTable: string; startKey: unknown[] | null; resumedFrom?: string; resetWatermark?: boolean }) {
    const partition = args.partition ?? "";
    const host = os.hostname();
    const session = await this.target.session();
    try {
      await session.query("BEGIN");
      await session.query(
        "UPDATE databridge.runs SET status = 'interrupted', finished_at = now() WHERE pipeline = $1 AND tenant = $2 AND partition_id = $4 AND status = 'running' AND run_id <> $3",
        [args.pipeline, args.tenant, args.runId, partition],
      );
      // The checkpoint as it was before this run, so `rollback` can put it back exactly.
      await session.query(
        `INSERT INTO databridge.runs (run_id, pipeline, tenant, partition_id, status, mode, target_table, start_key, last_key, resumed_from, prev_checkpoint, host, pid)
         VALUES ($1, $2, $3, $10, 'running', $4, $5, $6::jsonb, $6::jsonb, $7,
                 (SELECT to_jsonb(c) FROM databridge.checkpoints c WHERE c.pipeline = $2 AND c.tenant = $3 AND c.partition_id = $10), $8, $9)
         ON CONFLICT (run_id, pipeline, tenant, partition_id) DO UPDATE SET status = 'running', finished_at = NULL, error = NULL, host = EXCLUDED.host, pid = EXCLUDED.pid`,
        [args.runId, args.pipeline, args.tenant, args.mode, args.targetTable, toJson(args.startKey), args.resumedFrom ?? null, host, process.pid, partition],
      );
      await session.query(
        `INSERT INTO databridge.checkpoints (pipeline, tenant, partition_id, run_id, last_key, complete, watermark)
         VALUES ($1, $2, $6, $3, $4::jsonb, false, NULL)
         ON CONFLICT (pipeline, tenant, partition_id) DO UPDATE SET run_id = EXCLUDED.run_id, last_key = EXCLUDED.last_key, complete = false,
           watermark = CASE WHEN $5 THEN NULL ELSE databridge.checkpoints.watermark END, updated_at = clock_timestamp()`,
        [args.pipeline, args.tenant, args.runId, toJson(args.startKey), Boolean(args.resetWatermark), partition],
      );
      await session.query("COMMIT");
      await session.release();
    } catch (error) {
      await session.query("ROLLBACK").catch(() => {});
      await session.release(true);
      throw error;
    }
  }

  /**
   * Inside the batch's transaction: the batch row, the run's totals and the checkpoint, and for an
   * `insert` the target keys it wrote, so `rollback` can delete exactly those rows.
   */
  async recordBatch(session: TargetSession, args: {
    runId: string; pipeline: string; tenant: string; partition?: string; batch: number; firstKey: unknown[] | null; lastKey: unknown[]; counts: RowCounts; watermark?: unknown;
    writtenKeys?: { targetTable: string; keyColumns: string[]; keys: WrittenKeys };
  }) {
    const written = args.writtenKeys && (isKeyRanges(args.writtenKeys.keys) ? args.writtenKeys.keys.ranges.length : args.writtenKeys.keys.length) ? args.writtenKeys : undefined;
    // One round trip per batch: the batch row, the run's totals, the written keys and the checkpoint as data-modifying CTEs.
    await session.query(
      `WITH keys AS (
         INSERT INTO databridge.written_keys (run_id, pipeline, tenant, partition_id, batch_no, target_table, key_columns, keys)
         SELECT $1, $2, $3, $14, $4, $11, $12::jsonb, $13::json WHERE $13::json IS NOT NULL
       ), batch AS (
         INSERT INTO databridge.batches (run_id, pipeline, tenant, partition_id, batch_no, first_key, last_key, rows_read, rows_written, rows_rejected)
         VALUES ($1, $2, $3, $14, $4, $5::jsonb, $6::jsonb, $7::int, $8::int, $9::int)
       ), run AS (
         UPDATE databridge.runs SET last_key = $6::jsonb, batches = batches + 1,
                rows_read = rows_read + $7::int, rows_written = rows_written + $8::int, rows_rejected = rows_rejected + $9::int
          WHERE run_id = $1 AND pipeline = $2 AND tenant = $3 AND partition_id = $14
       )
       UPDATE databridge.checkpoints SET last_key = $6::jsonb, updated_at = clock_timestamp(), watermark = COALESCE($10::jsonb, watermark)
        WHERE pipeline = $2 AND tenant = $3 AND partition_id = $14 AND run_id = $1`,
      [args.runId, args.pipeline, args.tenant, args.batch, toJson(args.firstKey), toJson(args.lastKey), args.counts.read, args.counts.written, args.counts.rejected,
        args.watermark === undefined ? null : toJson(args.watermark),
        written?.targetTable ?? null, written ? toJson(written.keyColumns) : null, written ? (isKeyRanges(written.keys) ? JSON.stringify(written.keys) : toJson(written.keys)) : null,
        args.partition ?? ""],
    );
  }

  /** Inside the batch's transaction: the rows that were rejected, with the source row and the reason. */
  async recordRejects(session: TargetSession, args: { runId: string; pipeline: string; tenant: string; partition?: string; batch: number; rejects: RejectedRow[] }) {
    if (!args.rejects.length) return;
    const columns = ["run_id", "pipeline", "tenant", "partition_id", "batch_no", "source_key", "source_row", "stage", "column_name", "error_code", "message"];
    await session.bulkLoad({ schema: "databridge", name: "rejected_rows" }, columns, args.rejects.map((r) => [
      args.runId, args.pipeline, args.tenant, args.partition ?? "", args.batch, toJson(r.key), toJson(r.row), r.stage, r.column ?? null, r.code ?? null, r.message,
    ]));
  }

  /** Ends a stage; `complete` marks the checkpoint done so `--resume` has nothing left to do. */
  async finishRun(args: { runId: string; pipeline: string; tenant: string; partition?: string; status: string; error?: string; complete: boolean; deleted?: number }, session?: TargetSession) {
    const run = (sql: string, params: unknown[]) => (session ? session.query(sql, params) : this.target.query(sql, params));
    const partition = args.partition ?? "";
    await run(
      "UPDATE databridge.runs SET status = $4, finished_at = now(), error = $5, rows_deleted = rows_deleted + $6::bigint WHERE run_id = $1 AND pipeline = $2 AND tenant = $3 AND partition_id = $7",
      [args.runId, args.pipeline, args.tenant, args.status, args.error ?? null, args.deleted ?? 0, partition],
    );
    if (args.complete) {
      await run("UPDATE databridge.checkpoints SET complete = true, updated_at = clock_timestamp() WHERE pipeline = $1 AND tenant = $2 AND partition_id = $4 AND run_id = $3",
        [args.pipeline, args.tenant, args.runId, partition]);
    }
  }

  /**
   * In the stage's final transaction: does the checkpoint still stand at the last batch this process saw
   * commit? A server that crashed before flushing asynchronous commits loses the last batches together with
   * their checkpoint rows; the stage must then load them again before it may call itself complete. Locks the
   * checkpoint row until the final commit.
   */
  async checkpointCovers(session: TargetSession, args: { runId: string; pipeline: string; tenant: string; partition?: string; lastKey: unknown[] | null }): Promise<{ covered: boolean; owner?: string }> {
    const { rows } = await session.query<{ run_id: string; covered: boolean }>(
      "SELECT run_id, last_key IS NOT DISTINCT FROM $3::jsonb AS covered FROM databridge.checkpoints WHERE pipeline = $1 AND tenant = $2 AND partition_id = $4 FOR UPDATE",
      [args.pipeline, args.tenant, toJson(args.lastKey), args.partition ?? ""],
    );
    const row = rows[0];
    if (!row) return { covered: false };
    return { covered: row.run_id === args.runId && row.covered, owner: row.run_id };
  }

  /** The run of this pipeline (and tenant) marked running most recently, for naming the holder of its lock. */
  async runningRun(pipeline: string, tenant: string, notRun?: string): Promise<{ runId: string; startedAt: string; host: string | null; pid: number | null } | undefined> {
    const { rows } = await this.target.query<{ run_id: string; started_at: unknown; host: string | null; pid: number | null }>(
      "SELECT run_id, started_at, host, pid FROM databridge.runs WHERE pipeline = $1 AND tenant = $2 AND status = 'running' AND run_id IS DISTINCT FROM $3 ORDER BY started_at DESC LIMIT 1",
      [pipeline, tenant, notRun ?? null],
    );
    const row = rows[0];
    return row && { runId: row.run_id, startedAt: timestampText(row.started_at), host: row.host, pid: row.pid };
  }

  /** A run's own ledger row (status, totals, when), for messages that name an earlier run. */
  async runSummary(runId: string, pipeline: string, tenant: string, partition = ""): Promise<{ status: string; rowsWritten: number; finishedAt: string | null } | undefined> {
    const { rows } = await this.target.query<{ status: string; rows_written: string; finished_at: unknown }>(
      "SELECT status, rows_written, finished_at FROM databridge.runs WHERE run_id = $1 AND pipeline = $2 AND tenant = $3 AND partition_id = $4",
      [runId, pipeline, tenant, partition],
    );
    const row = rows[0];
    return row && { status: row.status, rowsWritten: Number(row.rows_written), finishedAt: row.finished_at === null ? null : timestampText(row.finished_at) };
  }

  /** Rows of this pipeline (and tenant) still in the dead-letter table, counted once per source key. */
  async outstandingRejects(pipeline: string, tenant: string): Promise<number> {
    const { rows } = await this.target.query<{ n: string }>(
      "SELECT count(DISTINCT source_key) AS n FROM databridge.rejected_rows WHERE pipeline = $1 AND tenant = $2", [pipeline, tenant]);
    return Number(rows[0]?.n ?? 0);
  }

  /** The dead-letter rows of a run, in pipeline, tenant and batch order. */
  async rejectedRowsOf(runId: string): Promise<RejectedRowRecord[]> {
    const { rows } = await this.target.query<{ id: string; run_id: string; pipeline: string; tenant: string; batch_no: number; source_key: unknown[]; source_row: Record<string, unknown>; stage: string; column_name: string | null; error_code: string | null; message: string; rejected_at: string }>(
      "SELECT * FROM databridge.rejected_rows WHERE run_id = $1 ORDER BY pipeline, tenant, batch_no, id", [runId]);
    return rows.map((r) => ({
      id: Number(r.id), runId: r.run_id, pipeline: r.pipeline, tenant: r.tenant, batch: r.batch_no, key: r.source_key, row: r.source_row,
      stage: r.stage as "transform" | "load", column: r.column_name, code: r.error_code, message: r.message, rejectedAt: String(r.rejected_at),
    }));
  }

  /** A replayed row that still fails keeps its entry, with the new reason. */
  static async keepRejected(session: TargetSession, id: number, failure: { message: string; column?: string; code?: string }): Promise<void> {
    await session.query("UPDATE databridge.rejected_rows SET message = $2, column_name = $3, error_code = $4, rejected_at = clock_timestamp() WHERE id = $1",
      [id, failure.message, failure.column ?? null, failure.code ?? null]);
  }

  /** A replayed row that loaded leaves the dead-letter table (in the transaction that loaded it). */
  static async removeRejected(session: TargetSession, id: number): Promise<void> {
    await session.query("DELETE FROM databridge.rejected_rows WHERE id = $1", [id]);
  }

  /** Totals a stage has committed so far (for a resumed stage's cumulative counters). */
  async runTotals(runId: string, pipeline: string, tenant: string, partition = ""): Promise<{ batches: number; counts: RowCounts } | undefined> {
    const { rows } = await this.target.query<{ batches: number; rows_read: string; rows_written: string; rows_rejected: string }>(
      "SELECT batches, rows_read, rows_written, rows_rejected FROM databridge.runs WHERE run_id = $1 AND pipeline = $2 AND tenant = $3 AND partition_id = $4",
      [runId, pipeline, tenant, partition],
    );
    const row = rows[0];
    return row && { batches: row.batches, counts: { read: Number(row.rows_read), written: Number(row.rows_written), rejected: Number(row.rows_rejected) } };
  }
}

/** A timestamp as the drivers return it (Date for pg, text for PGlite or a text type parser), as ISO-like text. */
function timestampText(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}
