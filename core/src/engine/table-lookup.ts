import type { Catalog, TableInfo, TableRef } from "../connectors/connector.js";

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
