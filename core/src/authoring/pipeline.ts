import { configError } from "../errors.js";

/** A column computed by a transform: data, compiled once per run by the engine. */
export interface TransformSpec {
  readonly transform: string;
  readonly args: readonly unknown[];
}

/** A target column's value: a source column name, or a transform. */
export type ColumnMapping = string | TransformSpec;

export type LoadMode = "insert" | "upsert" | "update" | "replace";

export interface SourceSpec {
  /** A connection name from `databridge.config.ts`. */
  connection: string;
  /** `table` or `schema.table`. */
  table?: string;
  /** A SELECT whose rows are read instead of a table (needs `key`). */
  query?: string;
  /** The column(s) rows are ordered and paged by; unique. Defaults to the table's primary key. */
  key?: string | string[];
  /** For consolidation: the tenant this source's rows belong to. */
  tenant?: string;
}

export interface TargetSpec {
  connection: string;
  table: string;
  /** Default `insert`. */
  mode?: LoadMode;
  /** Key for `upsert`/`update`; defaults to the source key's mapped columns or the table's primary key. */
  key?: string | string[];
  /** Create the table from the mapped source types if it does not exist. */
  create?: boolean;
  /** The column the tenant value is written to, for `sources: [...]` pipelines. */
  tenantColumn?: string;
}

export type OnError = "fail" | "skip" | { maxRejected: number | `${number}%` };

export interface RetryPolicy {
  attempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface IncrementalSpec {
  cursor: string;
  /** Rows newer than now − lag are left for the next run (e.g. `"5m"`). */
  lag?: string;
}

export interface IdMapSpec {
  entity: string;
  key: string;
  /** Target column receiving the new id (default `id`). */
  column?: string;
}

export interface PipelineDefinition {
  name: string;
  description?: string;
  source?: SourceSpec;
  /** Many sources into one target (same table in each); each needs a `tenant`. */
  sources?: SourceSpec[];
  target: TargetSpec;
  columns: Record<string, ColumnMapping>;
  batchSize?: number;
  dependsOn?: string[];
  /** A cron expression or preset (`@hourly`, `@daily`, …) for the runner's scheduler. */
  schedule?: string;
  onError?: OnError;
  retry?: RetryPolicy;
  incremental?: IncrementalSpec;
  idMap?: IdMapSpec;
  rollback?: "none" | "before-images";
  parallelism?: number;
}

export interface Pipeline extends Readonly<PipelineDefinition> {
  readonly kind: "databridge.pipeline";
}

export const DEFAULT_BATCH_SIZE = 10_000;

const pipelineName = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const modes: LoadMode[] = ["insert", "upsert", "update", "replace"];

/**
 * Declares a pipeline. The definition is validated here so a malformed file fails when it is loaded,
 * with a message naming the field.
 *
 * @example
 * export default pipeline({
 *   name: "customers",
 *   source: { connection: "legacy", table: "legacy_customers", key: "id" },
 *   target: { connection: "warehouse", table: "public.customers", mode: "upsert", key: ["id"] },
 *   columns: { id: "id", full_name: concat(["first_name", "last_name"], " ") },
 * });
 */
export function pipeline<const T extends PipelineDefinition>(definition: T): Pipeline & T {
  validatePipeline(definition);
  return Object.freeze({ ...definition, kind: "databridge.pipeline" as const });
}

export function isPipeline(value: unknown): value is Pipeline {
  return typeof value === "object" && value !== null && (value as Pipeline).kind === "databridge.pipeline";
}

export function isTransformSpec(value: unknown): value is TransformSpec {
  return typeof value === "object" && value !== null && typeof (value as TransformSpec).transform === "string" && Array.isArray((value as TransformSpec).args);
}

function validatePipeline(p: PipelineDefinition): void {
  const fail = (message: string) => {
    throw configError(message, { pipeline: typeof p?.name === "string" ? p.name : undefined });
  };
  if (typeof p !== "object" || p === null) fail("pipeline(...) needs an object");
  if (typeof p.name !== "string" || !pipelineName.test(p.name)) fail(`pipeline name must be letters, digits, _ . - (got ${JSON.stringify(p.name)})`);
  if (!p.source && !p.sources?.length) fail("pipeline needs a `source` (or `sources`)");
  const sources = effectiveSources(p);
  sources.forEach((source, i) => {
    const where = p.sources ? `sources[${i}]` : "source";
    if (!source || typeof source.connection !== "string" || !source.connection) fail(`${where}.connection is required`);
    if (!source.table && !source.query) fail(`${where} needs \`table\` or \`query\``);
    if (source.table && source.query) fail(`${where} has both \`table\` and \`query\`; keep one`);
    if (source.query && !source.key) fail(`${where}.query needs a \`key\` to page by`);
    if (p.sources && !source.tenant) fail(`${where}.tenant is required when a pipeline has several sources`);
    if (source.key !== undefined && !isKey(source.key)) fail(`${where}.key must be a column name or a non-empty list of column names (got ${JSON.stringify(source.key)})`);
  });
  if (!p.target || typeof p.target.connection !== "string" || !p.target.connection) fail("target.connection is required");
  if (typeof p.target.table !== "string" || !p.target.table) fail("target.table is required");
  if (p.target.mode !== undefined && !modes.includes(p.target.mode)) fail(`target.mode must be one of ${modes.join(", ")} (got ${JSON.stringify(p.target.mode)})`);
  if (p.target.key !== undefined && !isKey(p.target.key)) fail(`target.key must be a column name or a non-empty list of column names (got ${JSON.stringify(p.target.key)})`);
  if (typeof p.columns !== "object" || p.columns === null || Array.isArray(p.columns) || Object.keys(p.columns).length === 0) {
    fail("columns must be an object mapping at least one target column, e.g. { id: \"id\" }");
  }
  for (const [column, mapping] of Object.entries(p.columns)) {
    if (typeof mapping !== "string" && !isTransformSpec(mapping)) {
      fail(`columns.${column} must be a source column name or a transform such as concat(...), got ${JSON.stringify(mapping)}`);
    }
  }
  if (p.batchSize !== undefined && (!Number.isInteger(p.batchSize) || p.batchSize < 1 || p.batchSize > 1_000_000)) {
    fail(`batchSize must be an integer from 1 to 1,000,000 (got ${p.batchSize})`);
  }
  if (p.incremental !== undefined && (typeof p.incremental?.cursor !== "string" || !p.incremental.cursor)) fail("incremental.cursor must name the source column that orders changes");
  if (p.parallelism !== undefined && (!Number.isInteger(p.parallelism) || p.parallelism < 1)) fail(`parallelism must be a whole number of at least 1 (got ${p.parallelism})`);
  for (const field of ["attempts", "initialDelayMs", "maxDelayMs"] as const) {
    const value = p.retry?.[field];
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value) || value < (field === "attempts" ? 1 : 0))) {
      fail(`retry.${field} must be a number${field === "attempts" ? " of at least 1" : " ≥ 0"} (got ${JSON.stringify(value)})`);
    }
  }
  if (p.dependsOn !== undefined && (!Array.isArray(p.dependsOn) || p.dependsOn.some((d) => typeof d !== "string"))) fail("dependsOn must be a list of pipeline names");
  if (p.onError !== undefined && p.onError !== "fail" && p.onError !== "skip") {
    const max = (p.onError as { maxRejected?: unknown }).maxRejected;
    if (!(typeof max === "number" && max >= 0) && !(typeof max === "string" && /^\d+(\.\d+)?%$/.test(max))) {
      fail(`onError must be "fail", "skip" or { maxRejected: N | "N%" }`);
    }
  }
}

/**
 * The sources a pipeline reads: `source` alone, or each of `sources` with `source` as the template
 * (so `source: { table, key }` plus `sources: [{ connection, tenant }, …]` reads the same table everywhere).
 */
export function effectiveSources(p: Pick<PipelineDefinition, "source" | "sources">): SourceSpec[] {
  if (!p.sources?.length) return p.source ? [p.source] : [];
  return p.sources.map((source) => {
    const merged = { ...p.source, ...source } as SourceSpec;
    // A source that names its own query does not inherit the template's table, and vice versa.
    if (source.query) delete merged.table;
    if (source.table) delete merged.query;
    return merged;
  });
}

const isKey = (key: unknown) =>
  (typeof key === "string" && key.length > 0) || (Array.isArray(key) && key.length > 0 && key.every((k) => typeof k === "string" && k.length > 0));

/** The key columns of a source, as a list. */
export const keyList = (key: string | string[] | undefined): string[] => (key === undefined ? [] : Array.isArray(key) ? [...key] : [key]);
