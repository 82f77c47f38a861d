import type { Catalog, ColumnInfo, PortableType, TableInfo } from "@databridge/core";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Position } from "vscode-languageserver";
import { createLanguageContext, type LanguageContext, type PipelineInfo } from "../language-context.js";
import { SchemaIndex, type ConnectionSchema } from "../schema-index.js";

/**
 * Prisma's fixture convention: `|` marks the cursor. Throws when a fixture has no cursor (or two), so a
 * test can never silently run at offset 0.
 */
export function findCursorPosition(fixture: string): { text: string; offset: number } {
  const offset = fixture.indexOf("|");
  if (offset < 0) throw new Error("fixture has no cursor: mark it with |");
  if (fixture.indexOf("|", offset + 1) >= 0) throw new Error("fixture has more than one | (only the cursor may use it)");
  return { text: fixture.slice(0, offset) + fixture.slice(offset + 1), offset };
}

let counter = 0;
export function documentOf(text: string, uri = `file:///ws/pipelines/doc${++counter}.etl.ts`): TextDocument {
  return TextDocument.create(uri, "typescript", 1, text);
}

/** A document and the cursor position from a `|` fixture. */
export function fixture(source: string, uri?: string): { document: TextDocument; position: Position; offset: number } {
  const { text, offset } = findCursorPosition(source);
  const document = documentOf(text, uri);
  return { document, position: document.positionAt(offset), offset };
}

/** The text a range covers. */
export function textAt(document: TextDocument, range: { start: Position; end: Position }): string {
  return document.getText(range);
}

const col = (name: string, nativeType: string, type: PortableType, nullable = true, def: string | null = null, generated = false): ColumnInfo =>
  ({ name, nativeType, type, nullable, default: def, generated });

const table = (schema: string, name: string, columns: ColumnInfo[], primaryKey: string[], estimatedRows: number | null, extra: Partial<TableInfo> = {}): TableInfo =>
  ({ schema, name, kind: "table", columns, primaryKey, foreignKeys: [], indexes: [], estimatedRows, ...extra });

/** A MariaDB-like legacy CRM. */
export const legacyCatalog: Catalog = {
  connection: "legacy", type: "mysql", serverVersion: "10.11", defaultSchema: "crm",
  tables: [
    table("crm", "CUSTOMERS", [
      col("CUST_ID", "int(11)", { kind: "integer" }, false),
      col("FIRST_NAME", "varchar(50)", { kind: "string", length: 50 }),
      col("LAST_NAME", "varchar(50)", { kind: "string", length: 50 }),
      col("EMAIL", "varchar(255)", { kind: "string", length: 255 }),
      col("STATUS_CODE", "char(1)", { kind: "string", length: 1 }),
      col("CREDIT_LIMIT", "decimal(12,4)", { kind: "decimal", precision: 12, scale: 4 }),
      col("VISITS", "bigint(20)", { kind: "bigint" }),
      col("CREATED_TXT", "varchar(20)", { kind: "string", length: 20 }),
      col("UPDATED_AT", "datetime", { kind: "timestamp" }, false),
      col("REGION_ID", "int(11)", { kind: "integer" }),
    ], ["CUST_ID"], 12500, {
      foreignKeys: [{ name: "fk_region", columns: ["REGION_ID"], referencedTable: { schema: "crm", name: "REGIONS" }, referencedColumns: ["ID"] }],
    }),
    table("crm", "REGIONS", [col("ID", "int(11)", { kind: "integer" }, false), col("NAME", "varchar(80)", { kind: "string", length: 80 })], ["ID"], 12),
    table("archive", "OLD_CUSTOMERS", [col("ID", "int(11)", { kind: "integer" }, false)], ["ID"], null),
  ],
};

/** A PostgreSQL warehouse. */
export const warehouseCatalog: Catalog = {
  connection: "warehouse", type: "postgres", serverVersion: "15.4", defaultSchema: "public",
  tables: [
    table("public", "customers", [
      col("id", "integer", { kind: "integer" }, false),
      col("full_name", "character varying(200)", { kind: "string", length: 200 }, false),
      col("email", "character varying(100)", { kind: "string", length: 100 }),
      col("status", "character varying(20)", { kind: "string", length: 20 }, false),
      col("credit_limit", "numeric(12,2)", { kind: "decimal", precision: 12, scale: 2 }),
      col("visits", "integer", { kind: "integer" }),
      col("updated_at", "timestamp with time zone", { kind: "timestamptz" }),
      col("created_on", "date", { kind: "date" }),
      col("tier", "text", { kind: "text" }, false, "'basic'::text"),
      col("row_id", "bigint", { kind: "bigint" }, false, null, true),
    ], ["id"], 0),
    table("staging", "customers", [col("id", "integer", { kind: "integer" }, false)], ["id"], 3),
  ],
};

export function schemaIndex(overrides: Partial<Record<string, Partial<ConnectionSchema>>> = {}, names = ["legacy", "warehouse"]): SchemaIndex {
  const schemas: ConnectionSchema[] = [
    { name: "legacy", type: "mysql", status: "ok", catalog: legacyCatalog, fetchedAt: "2025-01-01T00:00:00.000Z", ...overrides.legacy },
    { name: "warehouse", type: "postgres", status: "ok", catalog: warehouseCatalog, fetchedAt: "2025-01-01T00:00:00.000Z", ...overrides.warehouse },
  ];
  return new SchemaIndex(schemas, names);
}

export function context(options: { schema?: SchemaIndex; pipelines?: PipelineInfo[] } = {}): LanguageContext {
  return createLanguageContext({ schema: options.schema ?? schemaIndex(), pipelines: options.pipelines ?? [], transformsComplete: true });
}

export const pipelineInfo = (name: string, dependsOn: string[] = [], uri = `file:///ws/pipelines/${name}.etl.ts`): PipelineInfo =>
  ({ name, uri, dependsOn, range: { start: { line: 4, character: 9 }, end: { line: 4, character: 9 + name.length } } });

/** A pipeline file around the given `columns` body (and optional extra properties). */
export function pipelineSource(columns: string, extra = "", source = `{ connection: "legacy", table: "CUSTOMERS", key: "CUST_ID" }`): string {
  return `import { pipeline, concat, split, lookup, convert, defaultTo, expr, when, constant, remap } from "@databridge/core";

export default pipeline({
  name: "customers",
  source: ${source},
  target: { connection: "warehouse", table: "public.customers", mode: "upsert", key: ["id"] },
  columns: {
${columns}
  },${extra}
});
`;
}
