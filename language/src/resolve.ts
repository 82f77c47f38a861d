import type { Catalog, TableInfo } from "@databridge/core";
import type { PipelineModel } from "./pipeline-document.js";
import type { SchemaIndex } from "./schema-index.js";

export interface ResolvedTable {
  connection: string;
  catalog: Catalog;
  table: TableInfo;
}

/** The source table a pipeline reads (`sources[index]`, or `source`), when its catalog has it. */
export function sourceTable(pipeline: PipelineModel, schema: SchemaIndex, index = 0): ResolvedTable | undefined {
  const source = pipeline.sources[index] ?? pipeline.sources[0];
  if (!source?.connection || !source.table || source.hasQuery) return undefined;
  return resolved(schema, source.connection.text, source.table.text);
}

/** The target table, when it exists in the target's catalog. */
export function targetTable(pipeline: PipelineModel, schema: SchemaIndex): ResolvedTable | undefined {
  const { connection, table } = pipeline.target;
  if (!connection || !table) return undefined;
  return resolved(schema, connection.text, table.text);
}

function resolved(schema: SchemaIndex, connection: string, name: string): ResolvedTable | undefined {
  const catalog = schema.catalog(connection);
  const table = schema.table(connection, name);
  return catalog && table ? { connection, catalog, table } : undefined;
}
