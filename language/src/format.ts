import type { Catalog, ColumnInfo, TableInfo } from "@databridge/core";
import { tableLabel } from "./schema-index.js";

/** `~12,345 rows`, or nothing useful when the database has no estimate. */
export function formatRows(rows: number | null | undefined): string {
  return rows === null || rows === undefined || rows < 0 ? "rows unknown" : `~${rows.toLocaleString("en-US")} rows`;
}

function foreignKeyOf(table: TableInfo, column: ColumnInfo): string | undefined {
  const fk = table.foreignKeys.find((f) => f.columns.includes(column.name));
  if (!fk) return undefined;
  const referenced = fk.referencedColumns[fk.columns.indexOf(column.name)] ?? fk.referencedColumns[0];
  const refTable = fk.referencedTable.schema ? `${fk.referencedTable.schema}.${fk.referencedTable.name}` : fk.referencedTable.name;
  return `${refTable}(${referenced})`;
}

/** One line for a completion item: type, nullability, key, row estimate. */
export function columnDetail(table: TableInfo, column: ColumnInfo): string {
  const parts = [column.nativeType, column.nullable ? "NULL" : "NOT NULL"];
  if (table.primaryKey.includes(column.name)) parts.push("PK");
  const fk = foreignKeyOf(table, column);
  if (fk) parts.push(`FK → ${fk}`);
  if (column.generated) parts.push("generated");
  parts.push(`${table.name} ${formatRows(table.estimatedRows)}`);
  return parts.join(" · ");
}

/** Hover text for a column: full type, nullability, default, key, foreign key, table and its size. */
export function columnMarkdown(connection: string, catalog: Catalog, table: TableInfo, column: ColumnInfo): string {
  const lines = [
    `**${column.name}** \`${column.nativeType}\` — ${column.nullable ? "nullable" : "NOT NULL"}`,
    "",
    `- table: \`${tableLabel(catalog, table)}\` on connection \`${connection}\` (${formatRows(table.estimatedRows)})`,
    `- portable type: \`${portable(column)}\``,
    `- default: ${column.default === null ? "none" : `\`${column.default}\``}${column.generated ? " (filled by the database)" : ""}`,
  ];
  if (table.primaryKey.includes(column.name)) lines.push(`- primary key${table.primaryKey.length > 1 ? ` (${table.primaryKey.join(", ")})` : ""}`);
  const fk = foreignKeyOf(table, column);
  if (fk) lines.push(`- foreign key → \`${fk}\``);
  const unique = table.indexes.find((i) => i.unique && i.columns.length === 1 && i.columns[0] === column.name);
  if (unique && !table.primaryKey.includes(column.name)) lines.push(`- unique (${unique.name})`);
  return lines.join("\n");
}

function portable(column: ColumnInfo): string {
  const t = column.type;
  if (t.length !== undefined) return `${t.kind}(${t.length})`;
  if (t.precision !== undefined) return `${t.kind}(${t.precision}${t.scale !== undefined ? `,${t.scale}` : ""})`;
  return t.kind;
}

export function tableDetail(table: TableInfo): string {
  const parts = [`${table.kind}`, `${table.columns.length} columns`, formatRows(table.estimatedRows)];
  if (table.primaryKey.length) parts.push(`PK ${table.primaryKey.join(", ")}`);
  return parts.join(" · ");
}

export function tableMarkdown(connection: string, catalog: Catalog, table: TableInfo): string {
  const lines = [
    `**${tableLabel(catalog, table)}** — ${table.kind} on \`${connection}\` (${catalog.type}), ${formatRows(table.estimatedRows)}`,
    "",
    `- primary key: ${table.primaryKey.length ? table.primaryKey.map((c) => `\`${c}\``).join(", ") : "none"}`,
  ];
  for (const fk of table.foreignKeys) {
    const ref = fk.referencedTable.schema ? `${fk.referencedTable.schema}.${fk.referencedTable.name}` : fk.referencedTable.name;
    lines.push(`- foreign key ${fk.columns.join(", ")} → \`${ref}(${fk.referencedColumns.join(", ")})\``);
  }
  lines.push("", "| column | type | null | default |", "|---|---|---|---|");
  for (const column of table.columns.slice(0, 60)) {
    const key = table.primaryKey.includes(column.name) ? " 🔑" : "";
    lines.push(`| ${column.name}${key} | ${column.nativeType} | ${column.nullable ? "yes" : "no"} | ${column.default ?? ""} |`);
  }
  if (table.columns.length > 60) lines.push(`| … ${table.columns.length - 60} more | | | |`);
  return lines.join("\n");
}
