import { isTransformSpec, keyList, DEFAULT_BATCH_SIZE, type LoadMode, type Pipeline, type SourceSpec } from "../authoring/pipeline.js";
import type { RowFunction, TransformContext } from "../authoring/plugin.js";
import type { Catalog, Connector, PortableType, ResultColumn, TableInfo, TableRef } from "../connectors/connector.js";
import { configError, DataBridgeError, isDataBridgeError } from "../errors.js";
import { compileExpression, isNumericKind, parseExpression, toMathValue } from "../transforms/expression.js";
import { mappingColumns } from "../transforms/builtin-transforms.js";
import { didYouMean } from "../util/suggest.js";
import type { ConnectionManager } from "../workspace/connections.js";
import type { Registry } from "../workspace/registry.js";
import { analyzeMapping, type Problem } from "./analysis.js";

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
  /** The columns actually read, in order: keys first, then what the mappings use. */
  readColumns: string[];
  key: string[];
  estimatedRows: number | null;
  targetRef: TableRef & { schema: string };
  targetTable?: TableInfo;
  /** DDL that creates the target (when it is missing and `create: true`). */
  createDdl?: string;
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

/** Splits `schema.table` (or `table`) into a reference. */
export function parseTableName(name: string): TableRef {
  const dot = name.indexOf(".");
  return dot > 0 ? { schema: name.slice(0, dot), name: name.slice(dot + 1) } : { name };
}

/** Finds a table in a catalog: exact name first, then a unique case-insensitive match. */
export function findTable(catalog: Catalog, ref: TableRef): TableInfo | undefined {
  const schema = ref.schema ?? catalog.defaultSchema;
  const exact = catalog.tables.find((t) => t.name === ref.name && t.schema === schema);
  if (exact) return exact;
  const loose = catalog.tables.filter((t) => t.name.toLowerCase() === ref.name.toLowerCase() && t.schema.toLowerCase() === schema.toLowerCase());
  return loose.length === 1 ? loose[0] : undefined;
}

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

  const tenantColumn = pipeline.sources ? pipeline.target.tenantColumn ?? "tenant_id" : undefined;
  const mappedColumns = Object.keys(pipeline.columns);
  const targetColumns = tenantColumn && !mappedColumns.includes(tenantColumn) ? [...mappedColumns, tenantColumn] : mappedColumns;

  const problems = analyzeMapping({
    pipeline,
    sourceColumns: sourceTable?.columns ?? sourceColumns.map((c) => ({ ...c, nullable: true, nativeType: c.type.kind })),
    targetTable,
    transforms: registry.transforms,
    engineColumns: tenantColumn ? [tenantColumn] : [],
  });

  const mode = pipeline.target.mode ?? "insert";
  const sourceKeyTargets = key.map((k) => Object.entries(pipeline.columns).find(([, m]) => m === k)?.[0]);
  const targetKey = keyList(pipeline.target.key).length
    ? keyList(pipeline.target.key)
    : targetTable?.primaryKey.length ? targetTable.primaryKey
    : sourceKeyTargets.every(Boolean) ? [...(sourceKeyTargets as string[]), ...(tenantColumn ? [tenantColumn] : [])] : [];
  if ((mode === "upsert" || mode === "update") && !targetKey.length) {
    problems.push({ severity: "error", code: "missing-key", pipeline: pipeline.name, table: targetLabel, message: `${mode} needs a target key: set target.key or give ${targetLabel} a primary key` });
  }
  for (const column of targetKey) {
    if (!targetColumns.includes(column)) {
      problems.push({ severity: "error", code: "missing-key", pipeline: pipeline.name, column, table: targetLabel, message: `target key column ${column} is not mapped in columns` });
    }
  }

  const readColumns = [...new Set([...key, ...(pipeline.incremental ? [pipeline.incremental.cursor] : []), ...mappedColumns.flatMap((c) => mappingColumns(pipeline.columns[c], registry.transforms))])]
    .filter((c) => sourceColumns.some((s) => s.name === c));

  const createDdl = targetTable ? undefined : buildCreateDdl(target, targetRef, targetColumns, pipeline, sourceColumns, registry, targetKey, tenantColumn);

  if (options.strict) {
    const errors = problems.filter((p) => p.severity === "error");
    if (errors.length) {
      const first = errors[0];
      throw configError(first.message + (errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? "s" : ""}; see \`databridge plan\`)` : ""),
        { pipeline: pipeline.name, table: first.table, column: first.column });
    }
  }

  if (estimatedRows === null && sourceTable) {
    estimatedRows = null;
  }

  return {
    pipeline, sourceSpec, tenant: sourceSpec.tenant ?? "", source, target, from, sourceTable, sourceColumns, readColumns, key,
    estimatedRows, targetRef, targetTable, createDdl, targetColumns, targetKey, mode,
    batchSize: options.batchSize ?? pipeline.batchSize ?? DEFAULT_BATCH_SIZE,
    problems, targetLabel, sourceLabel,
  };
}

function contextualize(error: unknown, context: ConstructorParameters<typeof DataBridgeError>[2]): unknown {
  return isDataBridgeError(error) ? error.withContext(context ?? {}) : error;
}

function buildCreateDdl(
  target: Connector, ref: TableRef & { schema: string }, columns: string[], pipeline: Pipeline,
  sourceColumns: ResultColumn[], registry: Registry, key: string[], tenantColumn?: string,
): string {
  const typeOf = (name: string) => sourceColumns.find((c) => c.name === name)?.type;
  const q = target.dialect.quoteIdentifier;
  const definitions = columns.map((column) => {
    const mapping = pipeline.columns[column];
    let type: PortableType | undefined;
    if (column === tenantColumn && mapping === undefined) type = { kind: "text" };
    else if (typeof mapping === "string") type = typeOf(mapping);
    else if (isTransformSpec(mapping)) type = registry.transforms.get(mapping.transform)?.outputType?.(mapping.args as never, typeOf);
    const notNull = key.includes(column) ? " NOT NULL" : "";
    return `  ${q(column)} ${target.nativeType(type ?? { kind: "text" })}${notNull}`;
  });
  if (key.length) definitions.push(`  PRIMARY KEY (${key.map(q).join(", ")})`);
  return `CREATE TABLE ${target.dialect.quoteTable(ref)} (\n${definitions.join(",\n")}\n)`;
}

/**
 * Compiles the column mappings once: each target column becomes a function of the source row
 * (an array in `readColumns` order). Transforms run per row; nothing is parsed per row.
 */
export function compileMappings(stage: PreparedStage, registry: Registry, services: Record<string, unknown> = {}): RowFunction[] {
  const index = new Map(stage.readColumns.map((c, i) => [c, i]));
  const types = new Map(stage.sourceColumns.map((c) => [c.name, c.type]));
  const pipelineName = stage.pipeline.name;
  const compileFor = (targetColumn: string) => {
    const context: TransformContext = {
      pipeline: pipelineName,
      targetColumn,
      services,
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
          throw configError(`expression \`${source}\` does not parse: ${(error as Error).message}`, { pipeline: pipelineName, column: targetColumn });
        }
        const compiled = compileExpression(parsed);
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
            for (const binding of bindings) scope[binding.name] = toMathValue(binding.read(row), binding.numeric);
            return compiled.evaluate(scope);
          },
        };
      },
    };
    return context;
  };
  const tenantColumn = stage.pipeline.sources ? stage.pipeline.target.tenantColumn ?? "tenant_id" : undefined;
  return stage.targetColumns.map((column) => {
    if (column === tenantColumn && stage.pipeline.columns[column] === undefined) return () => stage.tenant;
    return compileFor(column).mapping(stage.pipeline.columns[column]);
  });
}
