import { configError } from "../errors.js";

declare const sourceColumns: unique symbol;

/**
 * A column computed by a transform: data, compiled once per run by the engine. `Columns` (type-level
 * only, never present at run time) names the source columns it reads, so `pipeline()` can check them
 * against `DataBridgeSchema`; `string` means unknown (not checked).
 */
export interface TransformSpec<Columns extends string = string> {
  readonly transform: string;
  readonly args: readonly unknown[];
  readonly [sourceColumns]?: Columns;
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
  /**
   * Only the rows this predicate holds for, in the source's own SQL (e.g. `"ACTIVE_FLAG = 1"`): what is
   * read, counted, compared by `verify`, and — with `deletes: "propagate"` — what stays in the target.
   */
  where?: string;
  /** For consolidation: the tenant this source's rows belong to. */
  tenant?: string;
}

/** A source without its connection: the shared part of `sources` pipelines. */
export type SourceTemplate = Partial<SourceSpec>;

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
  /** The source; with `sources`, a template each of them fills in (typically `{ table, key }`). */
  source?: SourceSpec | SourceTemplate;
  /** Many sources into one target (same table in each); each needs a `connection` and a `tenant`. */
  sources?: (SourceTemplate & { connection: string; tenant: string })[];
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
  /**
   * What happens to target rows whose source row is gone: `"keep"` (default) leaves them; `"propagate"`
   * removes them at the end of every run (per tenant), keeping each as a before-image so `rollback`
   * restores it. `replace` mirrors the source by itself.
   */
  deletes?: "keep" | "propagate";
  parallelism?: number;
}

export interface Pipeline extends Readonly<PipelineDefinition> {
  readonly kind: "databridge.pipeline";
}

/**
 * Connections → tables → columns of the live databases, for checking pipelines with plain `tsc`. Empty
 * here (nothing is checked); `databridge types` writes `.databridge/types/databridge-schema.d.ts`, which
 * fills it in with `declare module "@databridge/core" { interface DataBridgeSchema { … } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DataBridgeSchema {}

/** The source columns a mapping reads: a column name, or a transform's `TransformSpec<Columns>`. */
export type MappingColumns<M> = M extends string ? M : M extends TransformSpec<infer C> ? C : never;

type Unchecked = "unchecked";
type NoTable = "no such table";
/** Exact key first, then a case-insensitive match (as the engine's findTable resolves names). */
type LookupTable<Ts, N extends string> = N extends keyof Ts ? Ts[N]
  : { [K in keyof Ts]: K extends string ? (Lowercase<K> extends Lowercase<N> ? Ts[K] : never) : never }[keyof Ts] extends infer L ? ([L] extends [never] ? NoTable : L) : never;
type TableOf<C, N> = C extends keyof DataBridgeSchema ? (N extends string ? (string extends N ? Unchecked : LookupTable<DataBridgeSchema[C], N>) : Unchecked) : Unchecked;
type FirstSource<T> = T extends { sources: readonly [infer S, ...unknown[]] } ? S : T extends { source: infer S } ? S : never;
type SourceTableOf<T> = [FirstSource<T>] extends [never] ? Unchecked : FirstSource<T> extends { connection: infer C; table: infer N } ? TableOf<C, N> : Unchecked;
type TargetTableOf<T> = T extends { target: { connection: infer C; table: infer N } } ? TableOf<C, N> : Unchecked;
type KeyNames<K> = K extends readonly (infer E)[] ? E : K;
type Field<T, K extends string> = T extends { [P in K]?: infer V } ? V : never;
/** A type error naming the column and the table (its generated row type: `connection_schema_table`). */
export type UnknownColumn<Name, Table> = { readonly [K in `❌ no column "${Name & string}" in this table`]: keyof Table };
export type UnknownTable<Name, Connection> = { readonly [K in `❌ no table "${Name & string}" on connection ${Connection & string} (run \`databridge types\` after creating it)`]: Name };
type CheckColumns<Names, Table> = [Table] extends [Unchecked | NoTable] ? unknown : string extends Names ? unknown
  : [Exclude<Names, keyof Table>] extends [never] ? unknown : UnknownColumn<Exclude<Names, keyof Table>, Table>;
type CheckTable<Spec, Table> = [Table] extends [NoTable] ? (Spec extends { create: true } ? unknown : { table?: UnknownTable<Field<Spec, "table">, Field<Spec, "connection">> }) : unknown;
type PipelineChecks<T, S, G> = {
  columns: { [K in keyof Field<T, "columns">]: CheckColumns<K, G> & CheckColumns<MappingColumns<Field<T, "columns">[K]>, S> };
  source?: CheckTable<Field<T, "source">, S> & { key?: CheckColumns<KeyNames<Field<Field<T, "source">, "key">>, S> };
  target?: CheckTable<Field<T, "target">, G> & { key?: CheckColumns<KeyNames<Field<Field<T, "target">, "key">>, G> };
  incremental?: { cursor?: CheckColumns<Field<Field<T, "incremental">, "cursor">, S> };
};

/**
 * What `pipeline()` checks at compile time against `DataBridgeSchema` (nothing while it is empty):
 * tables, target column names, and the source columns read by each mapping, keys and cursor.
 */
export type PipelineCheck<T> = [keyof DataBridgeSchema] extends [never] ? unknown
  : PipelineChecks<T, SourceTableOf<T>, TargetTableOf<T>>;

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
export function pipeline<const T extends PipelineDefinition>(definition: T & PipelineCheck<T>): Pipeline & T {
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
    if (source.where !== undefined && (typeof source.where !== "string" || !source.where.trim())) {
      fail(`${where}.where must be a condition in the source's SQL, e.g. "ACTIVE_FLAG = 1" (got ${JSON.stringify(source.where)})`);
    }
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
  if (p.deletes !== undefined && p.deletes !== "keep" && p.deletes !== "propagate") fail(`deletes must be "keep" or "propagate" (got ${JSON.stringify(p.deletes)})`);
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
  // validatePipeline guarantees every effective source has a connection.
  if (!p.sources?.length) return p.source ? [p.source as SourceSpec] : [];
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
