import { configError } from "../errors.js";
import { scheduleShapeError } from "../schedule/schedule-spec.js";

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

/**
 * What the runner does with ticks it could not run on time: `"latest"` (default) starts one run for the
 * whole missed window, `"none"` skips them, `"all"` runs every missed tick, one after the other.
 */
export type CatchUp = "none" | "latest" | "all";

/** `schedule` in its long form: the cron and how the runner keeps it. */
export interface ScheduleSpec {
  /** A cron expression (croner syntax: `"0 2 * * *"`) or a preset (`"@daily"`). */
  cron: string;
  /** IANA time zone the cron is read in (`"Europe/Berlin"`); default: the runner machine's zone. */
  timezone?: string;
  /** A 6-field cron whose first field is seconds. Refused unless set, so a run every second is never an accident. */
  seconds?: boolean;
  /** Ticks missed while the runner was down or a run was still going; default `"latest"`. */
  catchUp?: CatchUp;
  /** Scheduled runs of this pipeline active at once (queued or running); a tick beyond it is skipped and recorded. Default 1. */
  maxActiveRuns?: number;
  /** A failed scheduled run is retried `runs` times (default 0), `backoff` after it ended (default `"5m"`), from its checkpoint. */
  retry?: { runs: number; backoff?: string };
  /** A scheduled run still going (or not started) this long after its tick emits `sla_missed`, e.g. `"30m"`. */
  sla?: string;
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
  /**
   * When `databridge serve` runs this pipeline (with its dependencies): a cron (`"0 2 * * *"`) or preset
   * (`"@daily"`), or `{ cron, timezone, catchUp, maxActiveRuns, retry, sla, seconds }`.
   */
  schedule?: string | ScheduleSpec;
  /**
   * A run of this pipeline still going (or not started) this long after it was due — its schedule's tick,
   * or when it was requested — emits `sla_missed` (and alerts), e.g. `"30m"`.
   */
  sla?: string;
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
  /**
   * With several `sources`: how many tenants load at once. With one source, on a queue run (`run --queue`,
   * `databridge worker`): how many key ranges its first key column (an integer or a date) is split into, each
   * loaded by whichever worker takes it, with its own checkpoint. Not with mode `"replace"`,
   * `deletes: "propagate"` or `incremental`.
   */
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
type Field<T, K extends string> = T extends { [P in K]?: infer V } ? V : never;
type Checkable<Table> = [Table] extends [Unchecked | NoTable] ? false : true;

/** `Cost` is a budget of edits (a tuple's length): true when `A` becomes `B` within it. */
type WithinEdits<A extends string, B extends string, Cost extends unknown[]> = A extends B ? true
  : A extends `${infer HeadA}${infer RestA}`
    ? B extends `${infer HeadB}${infer RestB}`
      ? HeadA extends HeadB ? WithinEdits<RestA, RestB, Cost>
        : Cost extends [unknown, ...infer Less]
          // A character changed, one too many in A, one missing from A, or two neighbours swapped.
          ? true extends WithinEdits<RestA, RestB, Less> | WithinEdits<RestA, B, Less> | WithinEdits<A, RestB, Less> | Swapped<HeadA, RestA, HeadB, RestB, Less> ? true : false
          : false
      : LengthWithin<A, Cost>
    : LengthWithin<B, Cost>;
/** Two neighbouring characters swapped ("ctiy" for "city") count as one edit. */
type Swapped<HeadA extends string, RestA extends string, HeadB extends string, RestB extends string, Cost extends unknown[]> =
  RestA extends `${HeadB}${infer TailA}` ? (RestB extends `${HeadA}${infer TailB}` ? WithinEdits<TailA, TailB, Cost> : false) : false;
type LengthWithin<S extends string, Cost extends unknown[]> = S extends "" ? true
  : S extends `${string}${infer Rest}` ? (Cost extends [unknown, ...infer Less] ? LengthWithin<Rest, Less> : false) : false;
type CandidatesWithin<Name extends string, Candidates, Cost extends unknown[]> =
  Candidates extends string ? (WithinEdits<Lowercase<Name>, Lowercase<Candidates>, Cost> extends true ? Candidates : never) : never;
/**
 * The nearest names ignoring case: equal, else one edit away, else two (the engine's `closestMatch` measures
 * the same way, with a budget growing for long names that type-level recursion keeps at two).
 */
type Closest<Name extends string, Candidates> =
  [CandidatesWithin<Name, Candidates, []>] extends [never]
    ? [CandidatesWithin<Name, Candidates, [1]>] extends [never] ? CandidatesWithin<Name, Candidates, [1, 1]> : CandidatesWithin<Name, Candidates, [1]>
    : CandidatesWithin<Name, Candidates, []>;
type DidYouMean<Name extends string, Candidates> = [Closest<Name, Candidates>] extends [never] ? "" : ` (did you mean "${Closest<Name, Candidates>}"?)`;

/**
 * The messages `tsc` shows for a misspelled name, in the engine's own words: a string literal type that the
 * name is checked against, so the error reads `Type '"ctiy"' is not assignable to type '"❌ source has no
 * column "ctiy" (did you mean "city"?)"'` at the misspelled name.
 */
type NoSourceColumn<Name, Table> = Name extends string ? `❌ source has no column "${Name}"${DidYouMean<Name, keyof Table>}` : never;
type NoTargetColumn<Name, Table, TableName> = Name extends string
  ? `❌ target table ${TableName & string} has no column "${Name}"${DidYouMean<Name, keyof Table>}` : never;
type NoSuchTable<Name, Connection> = Name extends string
  ? `❌ no table "${Name}" on connection ${Connection & string}${DidYouMean<Name, keyof DataBridgeSchema[Connection & keyof DataBridgeSchema]>} (run \`databridge types\` after creating it)` : never;

/** Names not in the table (nothing while the table is unchecked or a name is any string). */
type Unknown<Names, Table> = Checkable<Table> extends false ? never : string extends Names ? never : Exclude<Names, keyof Table>;
/** A mapping as written, or the message naming the source columns it reads that do not exist. */
type CheckedMapping<M, S> = [Unknown<MappingColumns<M>, S>] extends [never] ? M : NoSourceColumn<Unknown<MappingColumns<M>, S>, S>;
/** A key or cursor (one name or a list) with each unknown name replaced by its message. */
type CheckedNames<K, Table> = K extends string ? ([Unknown<K, Table>] extends [never] ? K : NoSourceColumn<K, Table>)
  : { [I in keyof K]: [Unknown<K[I], Table>] extends [never] ? K[I] : NoSourceColumn<K[I], Table> };

type CheckedColumns<Columns, S, G, TargetName> = {
  [K in keyof Columns]: [Unknown<K, G>] extends [never] ? CheckedMapping<Columns[K], S> : NoTargetColumn<K, G, TargetName>;
};
type CheckedSide<Spec, Table, Side extends "source" | "target"> = {
  [K in keyof Spec]: K extends "table"
    ? ([Table] extends [NoTable] ? (Spec extends { create: true } ? Spec[K] : NoSuchTable<Spec[K], Field<Spec, "connection">>) : Spec[K])
    : K extends "key" ? (Side extends "source" ? CheckedNames<Spec[K], Table> : CheckedTargetNames<Spec[K], Table, Field<Spec, "table">>)
    : Spec[K];
};
type CheckedTargetNames<K, Table, TableName> = K extends string ? ([Unknown<K, Table>] extends [never] ? K : NoTargetColumn<K, Table, TableName>)
  : { [I in keyof K]: [Unknown<K[I], Table>] extends [never] ? K[I] : NoTargetColumn<K[I], Table, TableName> };

type PipelineProblems<T, S, G> =
  | { [K in keyof Field<T, "columns">]: [Unknown<K, G>] extends [never] ? ([Unknown<MappingColumns<Field<T, "columns">[K]>, S>] extends [never] ? never : K) : K }[keyof Field<T, "columns">]
  | Unknown<KeyNames<Field<Field<T, "source">, "key">>, S>
  | Unknown<KeyNames<Field<Field<T, "target">, "key">>, G>
  | Unknown<Field<Field<T, "incremental">, "cursor">, S>
  | Unknown<Field<Field<T, "idMap">, "key">, S>
  | ([S] extends [NoTable] ? "source.table" : never)
  | ([G] extends [NoTable] ? (Field<T, "target"> extends { create: true } ? never : "target.table") : never);
type KeyNames<K> = K extends readonly (infer E)[] ? E : K;

type CheckedPipeline<T, S, G> = [PipelineProblems<T, S, G>] extends [never] ? T : {
  [K in keyof T]: K extends "columns" ? CheckedColumns<T[K], S, G, Field<Field<T, "target">, "table">>
    : K extends "source" ? CheckedSide<T[K], S, "source">
    : K extends "target" ? CheckedSide<T[K], G, "target">
    : K extends "incremental" ? { [P in keyof T[K]]: P extends "cursor" ? CheckedNames<T[K][P], S> : T[K][P] }
    : K extends "idMap" ? { [P in keyof T[K]]: P extends "key" ? CheckedNames<T[K][P], S> : T[K][P] }
    : T[K];
};

/**
 * What `pipeline()` accepts, checked at compile time against `DataBridgeSchema` (the definition as is
 * while the schema is empty): tables, target column names, and the source columns read by each mapping,
 * keys, the cursor and the id-map key. A wrong name is replaced by a message naming it, the table, and
 * the closest existing name.
 */
export type PipelineCheck<T> = [keyof DataBridgeSchema] extends [never] ? T
  : CheckedPipeline<T, SourceTableOf<T>, TargetTableOf<T>>;

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
export function pipeline<const T extends PipelineDefinition>(definition: PipelineCheck<T>): Pipeline & T {
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
  const scheduleError = scheduleShapeError(p);
  if (scheduleError) fail(scheduleError);
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
