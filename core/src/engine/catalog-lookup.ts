import type { SourceSpec } from "../authoring/pipeline.js";
import type { Catalog, Connector, ResultColumn, Source, TableInfo, TableRef } from "../connectors/connector.js";
import { asDerivedTable } from "../connectors/keyset.js";
import { configError, isDataBridgeError, messageOf, type DataBridgeError } from "../errors.js";
import { didYouMean } from "../util/suggest.js";
import type { Problem } from "./analysis.js";
import type { PreparedStage } from "./prepare.js";

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

export async function lookupTable(connector: Connector, ref: TableRef): Promise<{ table?: TableInfo; catalog: Catalog }> {
  const catalog = await connector.introspect({ tables: [ref] });
  return { table: findTable(catalog, ref), catalog };
}

export async function unknownTableError(connector: Connector, ref: TableRef, pipeline: string, side: string): Promise<DataBridgeError> {
  const all = await connector.introspect().catch(() => undefined);
  const names = all?.tables.flatMap((t) => [t.name, `${t.schema}.${t.name}`]) ?? [];
  const label = ref.schema ? `${ref.schema}.${ref.name}` : ref.name;
  return configError(`${side} table ${label} does not exist${didYouMean(label, names)}`, { pipeline, connection: connector.name, table: label });
}

/**
 * `source.where` is SQL of the source's own dialect, put inside every read: checked up front by having the
 * source describe `SELECT * FROM … WHERE (…)` without reading a row, so a typo or an unknown column is a
 * `plan`/`check` error naming the pipeline instead of a run that fails on its first page.
 */
export async function sourceFilterProblem(source: Connector, from: PreparedStage["from"], where: string, pipeline: string, sourceLabel: string): Promise<Problem | undefined> {
  const problem = (message: string): Problem => ({ severity: "error", code: "bad-source-filter", pipeline, table: sourceLabel, message });
  if (source.dialect.placeholder(1) === "?" && where.includes("?")) {
    return problem(`source.where ${JSON.stringify(where)} contains "?", which the ${source.type} driver takes for a parameter; write the condition without it (CHAR(63) is the character)`);
  }
  const relation = "table" in from ? source.dialect.quoteTable(from.table) : asDerivedTable(from.query, source.dialect.quoteIdentifier("databridge_source"));
  try {
    await source.describeQuery(`SELECT * FROM ${relation} WHERE (${where}\n)`);
    return undefined;
  } catch (error) {
    if (source.classifyError(error) === "transient") throw error;
    return problem(`source.where ${JSON.stringify(where)} is not a valid condition on ${sourceLabel}: ${messageOf(error).replace(/\s+/g, " ").trim()} (write it in the ${source.type} source's own SQL, as after WHERE)`);
  }
}

/** An error with where it happened added, when it is one of DataBridge's (a driver's own error passes as it is). */
export function contextualize(error: unknown, context: ConstructorParameters<typeof DataBridgeError>[2]): unknown {
  return isDataBridgeError(error) ? error.withContext(context ?? {}) : error;
}

/** What a stage reads: a source table from the catalog (refused with did-you-mean when missing), or a query's result columns. */
export async function describeSource(source: Source, sourceSpec: SourceSpec, pipeline: string): Promise<{
  from: PreparedStage["from"]; sourceTable?: TableInfo; sourceColumns: ResultColumn[]; estimatedRows: number | null; sourceLabel: string;
}> {
  if (sourceSpec.table) {
    const ref = parseTableName(sourceSpec.table);
    const { table } = await lookupTable(source, ref);
    if (!table) throw await unknownTableError(source, ref, pipeline, "source");
    return {
      from: { table: { schema: table.schema, name: table.name } },
      sourceTable: table,
      sourceColumns: table.columns.map((c) => ({ name: c.name, type: c.type })),
      estimatedRows: table.estimatedRows,
      sourceLabel: `${source.name}:${table.schema ? `${table.schema}.` : ""}${table.name}`,
    };
  }
  const sourceColumns = await source.describeQuery(sourceSpec.query!).catch((e) => {
    throw contextualize(e, { pipeline, connection: source.name, fix: "check the source query" });
  });
  return { from: { query: sourceSpec.query! }, sourceColumns, estimatedRows: null, sourceLabel: `${source.name}:(query)` };
}
