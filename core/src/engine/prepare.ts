import { isTransformSpec, keyList, DEFAULT_BATCH_SIZE, type LoadMode, type Pipeline, type SourceSpec } from "../authoring/pipeline.js";
import type { RowFunction, TransformContext } from "../authoring/plugin.js";
import type { Catalog, ColumnInfo, Connector, ResultColumn, TableInfo, TableRef } from "../connectors/connector.js";
import { buildTargetSchema, type CarriedColumn, type TargetTableSchema } from "../schema/target-schema.js";
import { configError, dataError, DataBridgeError, isDataBridgeError } from "../errors.js";
import { IdMapService, legacyKeyText } from "./id-map.js";
import { createExpressionSandbox, isNumericKind, parseExpression, type ExpressionSandbox } from "../transforms/expression.js";
import { mappingColumns } from "../transforms/builtin-transforms.js";
import { didYouMean } from "../util/suggest.js";
import type { ConnectionManager } from "../workspace/connections.js";
import type { Registry } from "../workspace/registry.js";
import { analyzeMapping, type Problem } from "./analysis.js";
import { findTable, parseTableName } from "./table-lookup.js";

export interface PreparedStage {
  pipeline: Pipeline;
  sourceSpec: SourceSpec;
  tenant: string;
  source: Connector;
  target: Connector;
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
  sourceEncoding?: { copyText: string; valueColumns: number };
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

export { findTable, parseTableName } from "./table-lookup.js";

async function lookupTable(connector: Connector, ref: TableRef): Promise<{ table?: TableInfo; catalog: Catalog }> {
  const catalog = await connector.introspect({ tables: [ref] });
  return { table: findTable(catalog, ref), catalog };
}

async function unknownTableError(connector: Connector, ref: TableRef, pipeline: string, side: string): Promise<DataBridgeError> {
  const all = await connector.introspect().catch(() => undefined);
  const names = all?.tables.flatMap((t) => [t.name, `${t.schema}.${t.name}`]) ?? [];
  const label = ref.schema ? `${ref.schema}.${ref.name}` : ref.name;
  return configError(`${side} table ${label} does not exist${didYouMean(label, names)}`, { pipeline, connection: connector.name, table: label });
}

/**
 * Resolves a pipeline against the live schemas: source and target tables, keys, the columns to
 * read and write, and the mapping problems. `plan` shows the result; `run` executes it.
 */
export async function prepareStage(
  pipeline: Pipeline,
  sourceSpec: SourceSpec,
  connections: ConnectionManager,
  registry: Registry,
  options: { batchSize?: number; strict?: boolean } = {},
): Promise<PreparedStage> {
  const context = { pipeline: pipeline.name };
  const [source, target] = await Promise.all([
    connections.get(sourceSpec.connection).catch((e) => { throw contextualize(e, { ...context, connection: sourceSpec.connection }); }),
    connections.get(pipeline.target.connection).catch((e) => { throw contextualize(e, { ...context, connection: pipeline.target.connection }); }),
  ]);
  if (!target.capabilities.target) {
    throw configError(`connection ${target.name} (${target.type}) cannot be a target; DataBridge loads into PostgreSQL`, { ...context, connection: target.name });
  }

  let from: PreparedStage["from"];
  let sourceTable: TableInfo | undefined;
  let sourceColumns: ResultColumn[];
  let estimatedRows: number | null = null;
  let sourceLabel: string;
  if (sourceSpec.table) {
    const ref = parseTableName(sourceSpec.table);
    const { table } = await lookupTable(source, ref);
    if (!table) throw await unknownTableError(source, ref, pipeline.name, "source");
    sourceTable = table;
    from = { table: { schema: table.schema, name: table.name } };
    sourceColumns = table.columns.map((c) => ({ name: c.name, type: c.type }));
    estimatedRows = table.estimatedRows;
    sourceLabel = `${source.name}:${table.schema ? `${table.schema}.` : ""}${table.name}`;
  } else {
    from = { query: sourceSpec.query! };
    sourceColumns = await source.describeQuery(sourceSpec.query!).catch((e) => {
      throw contextualize(e, { ...context, connection: source.name, fix: "check the source query" });
    });
    sourceLabel = `${source.name}:(query)`;
  }

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

  const deletes = pipeline.deletes === "propagate" ? deletePlan(pipeline, mode, key, targetKey, idMapColumn) : undefined;
  if (typeof deletes === "string") problems.push({ severity: "error", code: "bad-deletes", pipeline: pipeline.name, table: targetLabel, message: deletes });
  const rowPerSourceKey = pipeline.idMap
    ? targetKey.length === 1 && targetKey[0] === idMapColumn && key.length === 1 && key[0] === pipeline.idMap.key
    : mode === "insert" || (sourceKeyTargets.every(Boolean) && sourceKeyTargets.every((c) => targetKey.includes(c!)));

  const cursor = pipeline.incremental?.cursor;
  const pageKey = cursor ? [cursor, ...key.filter((k) => k !== cursor)] : key;
  const readColumns = [...new Set([
    ...pageKey,
    ...key,
    ...(pipeline.idMap ? [pipeline.idMap.key] : []),
    ...mappedColumns.flatMap((c) => mappingColumns(pipeline.columns[c], registry.transforms)),
  ])].filter((c) => sourceColumns.some((s) => s.name === c));
  const keyIndexes = key.map((k) => readColumns.indexOf(k));
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
  const sourceEncoding = passesThrough ? pushDownEncoding(source, sourceTable, readColumns, [
    ...pageKey.map((_, i) => i), ...keyIndexes, ...targetKey.map((k) => targetColumns.indexOf(k)),
  ]) : undefined;

  return {
    pipeline, sourceSpec, tenant: sourceSpec.tenant ?? "", source, target, from, sourceTable, sourceColumns, readColumns, key, pageKey, keyIndexes, incremental, idMapColumn, sourceEncoding,
    tenantColumn, rowPerSourceKey, deletes: typeof deletes === "object" ? deletes : undefined,
    estimatedRows, targetRef, targetTable, createDdl: targetSchema?.createTable, targetSchema, targetColumns, targetKey, mode,
    batchSize: options.batchSize ?? pipeline.batchSize ?? DEFAULT_BATCH_SIZE,
    problems, targetLabel, sourceLabel,
  };
}

/** The tenant column of a consolidating pipeline (several `sources`), decided here for the engine, plan and verify. */
export function tenantColumnOf(pipeline: Pipeline): string | undefined {
  return pipeline.sources ? pipeline.target.tenantColumn ?? "tenant_id" : undefined;
}

/**
 * Which target rows stand for a source key, for `deletes: "propagate"` — or why that cannot be told. The
 * source key's columns must be copied as they are into target key columns, or the id map must own the key.
 */
function deletePlan(pipeline: Pipeline, mode: LoadMode, key: string[], targetKey: string[], idMapColumn: string | undefined): DeletePlan | string {
  if (mode === "replace") return `deletes: "propagate" has nothing to do with mode "replace", which reloads the whole table anyway (remove it)`;
  if (pipeline.idMap && idMapColumn && targetKey.length === 1 && targetKey[0] === idMapColumn) {
    return { kind: "idMap", legacyKeyColumn: pipeline.idMap.key, entity: pipeline.idMap.entity, idColumn: idMapColumn };
  }
  const targetColumns = key.map((k) => Object.entries(pipeline.columns).find(([target, mapping]) => mapping === k && targetKey.includes(target))?.[0]);
  if (targetColumns.every(Boolean)) return { kind: "columns", targetColumns: targetColumns as string[] };
  return `deletes: "propagate" needs each source key column (${key.join(", ")}) copied as is into a target key column, to tell which target rows are gone`;
}

/** True when each target column is the plain source column read at the same position (`columns: { id: "id", … }` in order). */
export function passesRowsThrough(stage: Pick<PreparedStage, "targetColumns" | "readColumns" | "pipeline">): boolean {
  const { targetColumns, readColumns, pipeline } = stage;
  return targetColumns.length === readColumns.length && targetColumns.every((column, i) => pipeline.columns[column] === readColumns[i]);
}

/**
 * When rows pass through untouched, the source can render them as COPY text itself; the engine then
 * reads only the leading columns it needs as values (`needed`: keys, by read position) plus that line.
 * `DATABRIDGE_SOURCE_ENCODING=off` keeps the value path (a diagnostic switch).
 */
function pushDownEncoding(source: Connector, table: TableInfo | undefined, readColumns: string[], needed: number[]): PreparedStage["sourceEncoding"] {
  if (!table || !source.dialect.copyTextRow || process.env.DATABRIDGE_SOURCE_ENCODING === "off") return undefined;
  const columns = readColumns.map((name) => table.columns.find((c) => c.name === name));
  if (columns.some((c) => !c)) return undefined;
  const copyText = source.dialect.copyTextRow(columns as ColumnInfo[]);
  return copyText ? { copyText, valueColumns: Math.max(0, ...needed) + 1 } : undefined;
}

const lagUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `"5m"`, `"30s"`, `"2h"`, `"1d"` → seconds. */
export function parseLag(lag: string | undefined, pipeline: string): number {
  if (lag === undefined) return 0;
  const match = /^(\d+)\s*([smhd])$/.exec(String(lag).trim());
  if (!match) throw configError(`incremental.lag must look like "30s", "5m", "2h" or "1d" (got ${JSON.stringify(lag)})`, { pipeline });
  return Number(match[1]) * lagUnits[match[2]];
}

function contextualize(error: unknown, context: ConstructorParameters<typeof DataBridgeError>[2]): unknown {
  return isDataBridgeError(error) ? error.withContext(context ?? {}) : error;
}

/**
 * The source connector's own PostgreSQL mapping of each target column that is a plain source column
 * (`col: "col"`), when the source has one and the target is PostgreSQL: type, default, identity, enum values.
 */
async function carriedColumns(source: Connector, target: Connector, sourceTable: TableInfo | undefined, pipeline: Pipeline): Promise<Map<string, CarriedColumn>> {
  const carried = new Map<string, CarriedColumn>();
  if (!source.postgresMapping || !sourceTable || !target.capabilities.target) return carried;
  const plain = Object.entries(pipeline.columns).filter((entry): entry is [string, string] => typeof entry[1] === "string");
  if (!plain.length) return carried;
  const { rows } = await target.query<{ postgis: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'geometry') AS postgis");
  const features = { postgis: rows[0]?.postgis === true };
  for (const [column, name] of plain) {
    const from = sourceTable.columns.find((c) => c.name === name);
    if (from) carried.set(column, { from, mapping: source.postgresMapping(from, features) });
  }
  return carried;
}

export interface CompiledMappings {
  /** One function per target column, in `targetColumns` order. */
  mappers: RowFunction[];
  /** Runs the transforms' per-batch work (batched lookups) before a batch's rows are transformed. */
  beforeBatch(rows: readonly (readonly unknown[])[]): Promise<void>;
  idMap: IdMapService;
}

/**
 * Compiles the column mappings once: each target column becomes a function of the source row
 * (an array in `readColumns` order). Transforms run per row; nothing is parsed per row.
 */
export function compileMappings(stage: PreparedStage, registry: Registry, options: { idMap?: IdMapService; createIds?: boolean } = {}): CompiledMappings {
  const index = new Map(stage.readColumns.map((c, i) => [c, i]));
  const types = new Map(stage.sourceColumns.map((c) => [c.name, c.type]));
  const pipelineName = stage.pipeline.name;
  const idMap = options.idMap ?? new IdMapService(stage.target);
  const services: Record<string, unknown> = { idMap };
  const hooks: ((rows: readonly (readonly unknown[])[]) => Promise<void>)[] = [];
  // Each compiled stage evaluates its expressions in a mathjs instance of its own: nothing one
  // pipeline's expressions do can reach another's, in the CLI or a long-lived runner.
  let sandbox: ExpressionSandbox | undefined;
  const compileFor = (targetColumn: string) => {
    const context: TransformContext = {
      pipeline: pipelineName,
      targetColumn,
      tenant: stage.tenant,
      services,
      onBatch: (hook) => hooks.push(hook),
      column(name) {
        const i = index.get(name);
        if (i === undefined) {
          throw configError(`source has no column "${name}"${didYouMean(name, stage.sourceColumns.map((c) => c.name))}`, { pipeline: pipelineName, column: targetColumn });
        }
        return (row) => row[i];
      },
      columnType: (name) => types.get(name),
      mapping(mapping) {
        if (typeof mapping === "string") return context.column(mapping);
        if (!isTransformSpec(mapping)) return () => mapping;
        const definition = registry.transforms.get(mapping.transform);
        if (!definition) throw configError(`unknown transform "${mapping.transform}"${didYouMean(mapping.transform, registry.transforms.keys())}`, { pipeline: pipelineName, column: targetColumn });
        return definition.compile(mapping.args as never, context);
      },
      expression(source) {
        let parsed;
        try {
          parsed = parseExpression(source);
        } catch (error) {
          throw isDataBridgeError(error) ? error.withContext({ pipeline: pipelineName, column: targetColumn }) : error;
        }
        const expressions = (sandbox ??= createExpressionSandbox());
        const compiled = expressions.compile(parsed);
        const bindings = parsed.symbols.map((name) => ({ name, read: context.column(name), numeric: isNumericKind(types.get(name)?.kind) }));
        return {
          compiled,
          hasNullInput(row) {
            for (const binding of bindings) {
              const value = binding.read(row);
              if (value === null || value === undefined) return true;
            }
            return false;
          },
          evaluate(row) {
            const scope: Record<string, unknown> = {};
            for (const binding of bindings) scope[binding.name] = expressions.toValue(binding.read(row), binding.numeric);
            return compiled.evaluate(scope);
          },
        };
      },
    };
    return context;
  };
  const { pipeline } = stage;
  const { tenantColumn } = stage;
  const mappers = stage.targetColumns.map((column): RowFunction => {
    if (pipeline.columns[column] !== undefined) return compileFor(column).mapping(pipeline.columns[column]);
    if (column === tenantColumn) return () => stage.tenant;
    if (column === stage.idMapColumn && pipeline.idMap) return newIdMapper(compileFor(column), pipeline.idMap.entity, pipeline.idMap.key, idMap, options.createIds ?? true);
    throw configError(`no mapping for target column ${column}`, { pipeline: pipelineName, column });
  });
  return {
    mappers,
    idMap,
    async beforeBatch(rows) {
      for (const hook of hooks) await hook(rows);
    },
  };
}

/** The id-map column: the stable new id of the row's legacy key, created on first sight. */
function newIdMapper(context: TransformContext, entity: string, keyColumn: string, idMap: IdMapService, create: boolean): RowFunction {
  const read = context.column(keyColumn);
  let ids = new Map<string, string>();
  context.onBatch(async (rows) => {
    const keys: string[] = [];
    for (const row of rows) {
      const value = read(row);
      if (value !== null && value !== undefined) keys.push(legacyKeyText(value));
    }
    ids = await idMap.resolve(entity, context.tenant, keys, create);
  });
  return (row) => {
    const value = read(row);
    if (value === null || value === undefined) throw dataError(`idMap.key ${keyColumn} is NULL`, { column: keyColumn });
    const id = ids.get(legacyKeyText(value));
    if (!id) throw dataError(`no ${entity} id for legacy key ${JSON.stringify(legacyKeyText(value))}`, { column: keyColumn });
    return id;
  };
}
