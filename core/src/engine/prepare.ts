import { keyList, DEFAULT_BATCH_SIZE, type LoadMode, type OnError, type Pipeline, type SourceSpec } from "../authoring/pipeline.js";
import { type CopyLineFormat, isTarget, type ResultColumn, type Source, type TableInfo, type TableRef, type Target } from "../connectors/connector.js";
import { configError } from "../errors.js";
import { mappingColumns } from "../transforms/argument-roles.js";
import { didYouMean } from "../util/suggest.js";
import type { ConnectionManager } from "../workspace/connections.js";
import type { Registry } from "../workspace/registry.js";
import { loadStrategy, type LoadStrategy } from "../target/load-modes.js";
import { analyzeMapping, conflictKeyProblems, type Problem } from "./analysis.js";
import { contextualize, describeSource, lookupTable, parseTableName, sourceFilterProblem, unknownTableError } from "./catalog-lookup.js";
import { carriedColumns } from "./carried-columns.js";
import { buildTargetSchema, type TargetTableSchema } from "../schema/target-schema.js";
import type { KeyRangePartition } from "./partitions.js";
import { deletePlan, encodingPlan, parseLag, passesRowsThrough, tenantColumnOf } from "./stage-decisions.js";
import type { ComputedAt } from "./pushdown-plan.js";

export interface PreparedStage {
  pipeline: Pipeline;
  sourceSpec: SourceSpec;
  tenant: string;
  source: Source;
  target: Target;
  from: { table: TableRef } | { query: string };
  sourceTable?: TableInfo;
  /** Every column the source offers, with types. */
  sourceColumns: ResultColumn[];
  /** The columns actually read, in order: the paging key first, then what the mappings use. */
  readColumns: string[];
  /** The source key (unique). */
  key: string[];
  /** What rows are ordered and paged by: the key, or `[cursor, ...key]` for incremental pipelines. */
  pageKey: string[];
  /** Positions of the source key's columns in `readColumns`. */
  keyIndexes: number[];
  /** Incremental sync: the cursor column and how far behind "now" reading stops. */
  incremental?: { cursor: string; lagSeconds: number };
  /**
   * Encoding pushed down to the source (see `SqlDialect.copyTextRow`): the SQL that renders a row as
   * COPY text, and how many leading read columns (the keys) are still read as values.
   */
  sourceEncoding?: {
    copyText: string;
    /** The format the source writes the line in (its dialect's `copyLineFormat`). */
    format: CopyLineFormat;
    valueColumns: number;
    /**
     * Transforms computed by the source: the target columns Node still computes (indexes, in load order),
     * then the line; rows load in `columns` order. Absent when rows pass through (the line is the whole row).
     */
    computed?: { nodeColumns: number[]; columns: string[] };
  };
  /** Where each target column (in `targetColumns` order) is computed, when the source computes any (`plan` shows it). */
  computedAt?: ComputedAt[];
  /** The target column an id map writes (new UUID per source key). */
  idMapColumn?: string;
  /** The target column the tenant value goes into, for pipelines with several `sources`. */
  tenantColumn?: string;
  /**
   * Each source key becomes its own target row (the target key is the mapped source key, or the id map's
   * id), so the target must hold at least as many rows as the source minus rejects: parity is a verdict.
   */
  rowPerSourceKey: boolean;
  /** `deletes: "propagate"`: how a target row is matched to a source key. */
  deletes?: DeletePlan;
  estimatedRows: number | null;
  targetRef: TableRef & { schema: string };
  targetTable?: TableInfo;
  /** DDL that creates the target (when it is missing and `create: true`). */
  createDdl?: string;
  /** The whole schema of a target to create: `createDdl` and what is built after the load (see schema/target-schema.ts). */
  targetSchema?: TargetTableSchema;
  /** Target columns written, in order. */
  targetColumns: string[];
  targetKey: string[];
  mode: LoadMode;
  /** How batches reach the target table for this mode (the target's SQL for it). */
  strategy: LoadStrategy;
  /** A key range of the source this stage reads alone (a queue run's `parallelism`); absent: the whole source. */
  partition?: KeyRangePartition;
  /** What a bad row does (`fail` when the pipeline says nothing). */
  onError: OnError;
  /** Every target column is the plain source column read at the same position: rows pass as read. */
  passesThrough: boolean;
  batchSize: number;
  problems: Problem[];
  /** Target table label for messages: `schema.table`. */
  targetLabel: string;
  sourceLabel: string;
}

/** How `deletes: "propagate"` tells which target rows a source key stands for. */
export type DeletePlan =
  | { kind: "columns"; targetColumns: string[] }
  | { kind: "idMap"; legacyKeyColumn: string; entity: string; idColumn: string };

/**
 * Resolves a pipeline against the live schemas: source and target tables, keys, the columns to
 * read and write, and the mapping problems. `plan` shows the result; `run` executes it.
 */
export async function prepareStage(
  pipeline: Pipeline,
  sourceSpec: SourceSpec,
  connections: ConnectionManager,
  registry: Registry,
  options: {
    batchSize?: number;
    strict?: boolean;
    /** Let the source render pass-through rows as COPY text (`DATABRIDGE_SOURCE_ENCODING=off` in the run's environment turns it off). */
    sourceEncoding?: boolean;
  } = {},
): Promise<PreparedStage> {
  const context = { pipeline: pipeline.name };
  const [source, targetConnection] = await Promise.all([
    connections.get(sourceSpec.connection).catch((e) => { throw contextualize(e, { ...context, connection: sourceSpec.connection, connectionRole: "source" }); }),
    connections.get(pipeline.target.connection).catch((e) => { throw contextualize(e, { ...context, connection: pipeline.target.connection, connectionRole: "target" }); }),
  ]);
  if (!isTarget(targetConnection)) {
    throw configError(`connection ${targetConnection.name} (${targetConnection.type}) cannot be a target; DataBridge loads into PostgreSQL`, { ...context, connection: targetConnection.name });
  }
  const target = targetConnection;

  const { from, sourceTable, sourceColumns, sourceLabel, ...described } = await describeSource(source, sourceSpec, pipeline.name);
  let estimatedRows = described.estimatedRows;

  const key = keyList(sourceSpec.key).length ? keyList(sourceSpec.key) : sourceTable?.primaryKey ?? [];
  if (!key.length) {
    throw configError(`source ${sourceLabel} has no primary key to page by`, { ...context, fix: "set source.key to a unique column (or columns)" });
  }

  const targetDefaultSchema = await target.defaultSchema();
  const parsedTarget = parseTableName(pipeline.target.table);
  const targetRef = { schema: parsedTarget.schema ?? targetDefaultSchema, name: parsedTarget.name };
  const targetLabel = `${targetRef.schema}.${targetRef.name}`;
  const { table: targetTable } = await lookupTable(target, targetRef);
  if (targetTable) {
    targetRef.schema = targetTable.schema;
    targetRef.name = targetTable.name;
  } else if (!pipeline.target.create) {
    throw await unknownTableError(target, targetRef, pipeline.name, "target").then((error) =>
      error.withContext({ fix: "create it, or set target: { create: true } to create it from the source types" }));
  }

  const tenantColumn = tenantColumnOf(pipeline);
  const idMapColumn = pipeline.idMap ? pipeline.idMap.column ?? "id" : undefined;
  const mappedColumns = Object.keys(pipeline.columns);
  const engineColumns = [tenantColumn, idMapColumn].filter((c): c is string => Boolean(c) && !mappedColumns.includes(c!));
  const targetColumns = [...mappedColumns, ...engineColumns];

  const problems = analyzeMapping({
    pipeline,
    sourceColumns: sourceTable?.columns ?? sourceColumns.map((c) => ({ ...c, nullable: true, nativeType: c.type.kind })),
    sourceTable,
    sourceKey: sourceSpec.key === undefined ? undefined : keyList(sourceSpec.key),
    targetTable,
    transforms: registry.transforms,
    engineColumns,
  });
  if (sourceSpec.where !== undefined) {
    // The catalog's estimate counts the whole table; `plan` and a run's progress count the filtered rows.
    estimatedRows = null;
    const problem = await sourceFilterProblem(source, from, sourceSpec.where, pipeline.name, sourceLabel);
    if (problem) problems.push(problem);
  }
  if (pipeline.idMap && !sourceColumns.some((c) => c.name === pipeline.idMap!.key)) {
    problems.push({ severity: "error", code: "unknown-source-column", pipeline: pipeline.name, column: idMapColumn, subject: pipeline.idMap.key,
      message: `idMap.key: source has no column "${pipeline.idMap.key}"${didYouMean(pipeline.idMap.key, sourceColumns.map((c) => c.name))}` });
  }

  const mode = pipeline.target.mode ?? "insert";
  const sourceKeyTargets = key.map((k) => Object.entries(pipeline.columns).find(([, m]) => m === k)?.[0]);
  const targetKey = keyList(pipeline.target.key).length
    ? keyList(pipeline.target.key)
    : targetTable?.primaryKey.length ? targetTable.primaryKey
    : idMapColumn ? [idMapColumn]
    : sourceKeyTargets.every(Boolean) ? [...(sourceKeyTargets as string[]), ...(tenantColumn ? [tenantColumn] : [])] : [];
  if ((mode === "upsert" || mode === "update") && !targetKey.length) {
    problems.push({ severity: "error", code: "missing-key", pipeline: pipeline.name, table: targetLabel, message: `${mode} needs a target key: set target.key or give ${targetLabel} a primary key` });
  }
  for (const column of targetKey) {
    if (!targetColumns.includes(column)) {
      problems.push({ severity: "error", code: "missing-key", pipeline: pipeline.name, column, table: targetLabel, message: `target key column ${column} is not mapped in columns` });
    }
  }
  problems.push(...conflictKeyProblems(pipeline.name, mode, targetKey, targetTable, targetLabel));

  const deletes = pipeline.deletes === "propagate" ? deletePlan(pipeline, mode, key, targetKey, idMapColumn) : undefined;
  if (typeof deletes === "string") problems.push({ severity: "error", code: "bad-deletes", pipeline: pipeline.name, table: targetLabel, message: deletes });
  const rowPerSourceKey = pipeline.idMap
    ? targetKey.length === 1 && targetKey[0] === idMapColumn && key.length === 1 && key[0] === pipeline.idMap.key
    : mode === "insert" || (sourceKeyTargets.every(Boolean) && sourceKeyTargets.every((c) => targetKey.includes(c!)));

  const cursor = pipeline.incremental?.cursor;
  const pageKey = cursor ? [cursor, ...key.filter((k) => k !== cursor)] : key;
  let readColumns = [...new Set([
    ...pageKey,
    ...key,
    ...(pipeline.idMap ? [pipeline.idMap.key] : []),
    ...mappedColumns.flatMap((c) => mappingColumns(pipeline.columns[c], registry.transforms)),
  ])].filter((c) => sourceColumns.some((s) => s.name === c));
  let keyIndexes = key.map((k) => readColumns.indexOf(k));
  const incremental = cursor ? { cursor, lagSeconds: parseLag(pipeline.incremental!.lag, pipeline.name) } : undefined;

  let targetSchema: TargetTableSchema | undefined;
  if (!targetTable) {
    const carried = await carriedColumns(source, target, sourceTable, pipeline);
    targetSchema = buildTargetSchema({
      pipeline, target, table: targetRef, columns: targetColumns, sourceColumns, sourceTable, transforms: registry.transforms, targetKey, tenantColumn, carried,
    });
    problems.push(...targetSchema.problems);
    for (const [column, { from, mapping }] of carried) {
      for (const warning of mapping.warnings) {
        problems.push({ severity: "warning", code: "inexact-type", pipeline: pipeline.name, table: targetLabel, column, subject: from.name,
          message: `${from.name} (${from.nativeType} → ${mapping.type}): ${warning}` });
      }
    }
  }

  if (options.strict) {
    const errors = problems.filter((p) => p.severity === "error");
    if (errors.length) {
      const first = errors[0];
      throw configError(first.message + (errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? "s" : ""}; see \`databridge plan\`)` : ""),
        { pipeline: pipeline.name, table: first.table, column: first.column });
    }
  }

  const passesThrough = passesRowsThrough({ targetColumns, readColumns, pipeline });
  const encoding = options.sourceEncoding === false ? undefined : encodingPlan({
    source, table: sourceTable, pipeline, passesThrough, targetColumns, readColumns, targetKey, key, pageKey, keyIndexes, tenantColumn,
    tenant: sourceSpec.tenant ?? "", transforms: registry.transforms,
  });
  if (encoding?.readColumns) {
    readColumns = encoding.readColumns;
    keyIndexes = key.map((k) => readColumns.indexOf(k));
  }
  const { sourceEncoding, computedAt } = encoding ?? {};

  const stage: Omit<PreparedStage, "strategy"> = {
    pipeline, sourceSpec, tenant: sourceSpec.tenant ?? "", source, target, from, sourceTable, sourceColumns, readColumns, key, pageKey, keyIndexes, incremental, idMapColumn, sourceEncoding, computedAt,
    tenantColumn, rowPerSourceKey, deletes: typeof deletes === "object" ? deletes : undefined,
    estimatedRows, targetRef, targetTable, createDdl: targetSchema?.createTable, targetSchema, targetColumns, targetKey, mode,
    onError: pipeline.onError ?? "fail", passesThrough,
    batchSize: options.batchSize ?? pipeline.batchSize ?? DEFAULT_BATCH_SIZE,
    problems, targetLabel, sourceLabel,
  };
  return { ...stage, strategy: loadStrategy(stage) };
}

