import type { Target } from "../connectors/connector.js";
import { terminalError, type DataBridgeError, messageOf } from "../errors.js";
import { inTransaction } from "../target/transaction.js";
import type { SchemaStep, TargetTableSchema } from "./target-schema.js";

/**
 * What is still to be built on tables DataBridge created, kept in the target next to the ledger. A table and
 * its steps are recorded in one transaction; a step is marked done in the transaction that builds it — so a
 * run that stopped half way, resumed or run again builds each index and key exactly once.
 */
const SCHEMA_STEPS_DDL = [
  "CREATE SCHEMA IF NOT EXISTS databridge",
  `CREATE TABLE IF NOT EXISTS databridge.schema_steps (
    target_table text NOT NULL,
    name text NOT NULL,
    position integer NOT NULL,
    kind text NOT NULL,
    statements jsonb NOT NULL,
    referenced_table text,
    repeat boolean NOT NULL DEFAULT false,
    pipeline text NOT NULL,
    created_run text NOT NULL,
    done_run text,
    done_at timestamptz,
    PRIMARY KEY (target_table, name)
  )`,
];

async function ensureStepsTable(target: Target): Promise<void> {
  await inTransaction(target, async (session) => {
    for (const statement of SCHEMA_STEPS_DDL) await session.query(statement);
  }, { lockTable: "databridge.schema_steps" });
}

/**
 * Creates a target table and records what is to be built after its load. Returns false when the table
 * already existed (another stage or run created it first): then nothing is recorded.
 */
export async function createTargetTable(target: Target, schema: TargetTableSchema, meta: { pipeline: string; runId: string }): Promise<boolean> {
  await ensureStepsTable(target);
  const created = await inTransaction(target, async (session) => {
    await session.query(schema.createTable);
    for (const [position, step] of schema.steps.entries()) {
      await session.query(
        `INSERT INTO databridge.schema_steps (target_table, name, position, kind, statements, referenced_table, repeat, pipeline, created_run)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9)
         ON CONFLICT (target_table, name) DO UPDATE SET position = EXCLUDED.position, kind = EXCLUDED.kind, statements = EXCLUDED.statements,
           referenced_table = EXCLUDED.referenced_table, repeat = EXCLUDED.repeat, pipeline = EXCLUDED.pipeline, created_run = EXCLUDED.created_run,
           done_run = NULL, done_at = NULL`,
        [schema.label, step.name, position, step.kind, JSON.stringify(step.sql), step.references ?? null, Boolean(step.repeat), meta.pipeline, meta.runId],
      );
    }
    return true;
  }, { lockTable: schema.label, ignoreExisting: true });
  return created === true;
}

interface StepRow {
  target_table: string;
  name: string;
  kind: SchemaStep["kind"];
  statements: string[];
  referenced_table: string | null;
  repeat: boolean;
  pipeline: string;
  done_at: unknown;
}

export interface AppliedSteps {
  /** Steps built, by target table. */
  built: Map<string, { pipeline: string; steps: string[] }>;
  /** Steps that failed, each as an error naming table, step and fix; they stay pending for the next run. */
  failures: DataBridgeError[];
}

/** Indexes first (foreign keys need the referenced unique keys), then keys, then sequences and triggers. */
const KIND_ORDER: SchemaStep["kind"][] = ["unique", "index", "foreign-key", "identity", "on-update"];

/**
 * Builds the pending steps of tables this run loaded completely (`loaded`), and the pending foreign keys
 * that reference them, unless a table at either end failed in this run (`failed`). Indexes are built
 * `parallel` tables at a time; foreign keys, identity sequences and triggers one after another.
 */
export async function applySchemaSteps(
  target: Target,
  options: { loaded: string[]; failed: Set<string>; runId: string; parallel: number },
): Promise<AppliedSteps> {
  const result: AppliedSteps = { built: new Map(), failures: [] };
  if (!options.loaded.length) return result;
  const { rows: exists } = await target.query<{ ok: boolean }>("SELECT to_regclass('databridge.schema_steps') IS NOT NULL AS ok");
  if (!exists[0]?.ok) return result;
  const { rows } = await target.query<StepRow>(
    `SELECT target_table, name, kind, statements, referenced_table, repeat, pipeline, done_at FROM databridge.schema_steps
      WHERE (repeat AND target_table = ANY($1)) OR (done_at IS NULL AND (target_table = ANY($1) OR referenced_table = ANY($1)))
      ORDER BY target_table, position`,
    [options.loaded],
  );
  const pending = rows
    .filter((r) => !options.failed.has(r.target_table) && !(r.referenced_table && options.failed.has(r.referenced_table)))
    .sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));

  const build = async (step: StepRow) => {
    try {
      const built = await inTransaction(target, async (session) => {
        const current = await session.query<{ done_at: unknown; repeat: boolean }>(
          "SELECT done_at, repeat FROM databridge.schema_steps WHERE target_table = $1 AND name = $2 FOR UPDATE", [step.target_table, step.name]);
        // Another run built it meanwhile.
        if (!current.rows[0] || (current.rows[0].done_at !== null && !current.rows[0].repeat)) return false;
        for (const statement of step.statements) await session.query(statement);
        await session.query("UPDATE databridge.schema_steps SET done_at = clock_timestamp(), done_run = $3 WHERE target_table = $1 AND name = $2",
          [step.target_table, step.name, options.runId]);
        return current.rows[0].done_at === null;
      });
      if (built) {
        const entry = result.built.get(step.target_table) ?? { pipeline: step.pipeline, steps: [] };
        entry.steps.push(step.name);
        result.built.set(step.target_table, entry);
      }
    } catch (error) {
      result.failures.push(stepError(step, error));
    }
  };

  const indexes = pending.filter((s) => s.kind === "unique" || s.kind === "index");
  const byTable = [...new Set(indexes.map((s) => s.target_table))].map((table) => indexes.filter((s) => s.target_table === table));
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel, byTable.length)) }, async () => {
    for (let steps = byTable.shift(); steps; steps = byTable.shift()) for (const step of steps) await build(step);
  }));
  for (const step of pending.filter((s) => s.kind !== "unique" && s.kind !== "index")) await build(step);
  return result;
}

function stepError(step: StepRow, error: unknown): DataBridgeError {
  const code = (error as { code?: string })?.code;
  const what = step.name.replace(/^[a-z-]+:/, "");
  const fix = code === "23503"
    ? `rows of ${step.target_table} reference rows ${step.referenced_table} does not hold: load ${step.referenced_table} completely, then run again (the key is added then)`
    : code === "23505"
      ? `${step.target_table} holds rows the source's unique key would not allow: fix them, then run again`
      : code === "42P01"
        ? `run the pipeline that loads ${step.referenced_table ?? step.target_table}, then run again`
        : "fix the cause, then run again: the step stays pending until it succeeds";
  return terminalError(`could not build ${step.kind.replace("-", " ")} ${what} on ${step.target_table} after the load: ${messageOf(error)}`,
    { pipeline: step.pipeline, table: step.target_table, code, fix }, error);
}
