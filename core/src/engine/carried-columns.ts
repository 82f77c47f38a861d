import type { Pipeline } from "../authoring/pipeline.js";
import type { Source, TableInfo, Target } from "../connectors/connector.js";
import type { CarriedColumn } from "../schema/target-schema.js";

/**
 * The source connector's own PostgreSQL mapping of each target column that is a plain source column
 * (`col: "col"`), when the source has one: type, default, identity, enum values.
 */
export async function carriedColumns(source: Source, target: Target, sourceTable: TableInfo | undefined, pipeline: Pipeline): Promise<Map<string, CarriedColumn>> {
  const carried = new Map<string, CarriedColumn>();
  if (!source.postgresMapping || !sourceTable) return carried;
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
