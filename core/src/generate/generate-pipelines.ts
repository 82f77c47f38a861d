import { createHash } from "node:crypto";
import { escape, minimatch } from "minimatch";
import type { Catalog, ColumnInfo, PortableKind, TableInfo } from "../connectors/connector.js";
import { findTable } from "../engine/catalog-lookup.js";
import { normalizeName, styleName, type NameStyle } from "../schema/names.js";
import { didYouMean } from "../util/suggest.js";

export interface GenerateOptions {
  /** The source connection's name (as in the config). */
  source: string;
  /** The target connection's name. */
  target: string;
  /** Table names or globs (`orders`, `order_*`); default every base table of the source schema. */
  tables?: string[];
  /** Globs of tables to leave out. */
  exclude?: string[];
  /** The source schema; default the connection's own. */
  schema?: string;
  /** The target schema; default the target connection's own. */
  targetSchema?: string;
  /** How target tables and columns are named; default `lower`. */
  names?: NameStyle;
  /** Where pipeline files go, relative to the workspace root; default `pipelines`. */
  pipelinesDir?: string;
}

export interface GeneratedPipeline {
  /** The source table, `schema.table`. */
  table: string;
  pipeline: string;
  /** The file, relative to the workspace root (`/`-separated). */
  path: string;
  content: string;
  /** What the file's comments say needs a decision (unmapped columns, a missing key), one line each. */
  notes: string[];
}

export interface GenerateResult {
  pipelines: GeneratedPipeline[];
  /** Why some tables got no file (two tables that would be one pipeline, a table name nothing can hold). */
  errors: string[];
}

/**
 * The pipelines of a whole source schema, one per base table: every column mapped by name, the primary
 * key (or a unique key on NOT NULL columns) as the key, `upsert` so running again writes nothing, and
 * `create: true` where the target table is missing. An existing target table's columns are matched by
 * normalized name (case and underscores ignored); what does not match, or does not fit, is a comment.
 * Pure: the catalogs come from the live databases.
 */
export function generatePipelines(source: Catalog, target: Catalog, options: GenerateOptions): GenerateResult {
  const style = options.names ?? "lower";
  const sourceSchema = options.schema ?? source.defaultSchema;
  const targetSchema = options.targetSchema ?? target.defaultSchema;
  const dir = (options.pipelinesDir ?? "pipelines").replace(/\\/g, "/").replace(/\/+$/, "");
  const errors: string[] = [];
  const tables = selectTables(source, sourceSchema, options, errors);
  const pipelines: GeneratedPipeline[] = [];
  for (const table of tables) {
    const targetName = styleName(table.name, style);
    const existing = findTargetTable(target, targetSchema, targetName);
    const name = pipelineName(existing?.name ?? targetName);
    const clash = pipelines.find((p) => p.pipeline === name);
    if (clash) {
      errors.push(`tables ${clash.table} and ${table.schema}.${table.name} would both be pipeline ${name} (pipelines/${name}.etl.ts): generate one of them with --tables, and rename it`);
      continue;
    }
    // A name holding a dot is always qualified: the first dot separates schema and table.
    const targetTable = existing?.name ?? targetName;
    const body = pipelineSource(table, existing, {
      ...options, style, name,
      sourceTable: qualified(options.schema ?? (table.name.includes(".") ? table.schema : undefined), table.name),
      targetTable: qualified(options.targetSchema ?? (targetTable.includes(".") ? targetSchema : undefined), targetTable),
    });
    pipelines.push({ table: `${table.schema}.${table.name}`, pipeline: name, path: `${dir}/${name}.etl.ts`, content: withHeader(body.text, `${options.source}:${table.schema}.${table.name}`), notes: body.notes });
  }
  return { pipelines, errors };
}

/** A table name as a `tables` pattern that matches only that name (glob characters escaped). */
export const exactTable = (name: string): string => escape(name);

const qualified = (schema: string | undefined, name: string) => (schema ? `${schema}.${name}` : name);

function selectTables(source: Catalog, schema: string, options: GenerateOptions, errors: string[]): TableInfo[] {
  const all = source.tables.filter((t) => t.kind === "table" && t.schema === schema);
  if (!all.length) {
    errors.push(`connection ${options.source} has no tables in schema ${schema}${source.tables.some((t) => t.schema !== schema) ? "" : " (a MySQL/MariaDB connection lists only its own database: point its URL at that database)"}`);
    return [];
  }
  let chosen = all;
  if (options.tables?.length) {
    const wanted = new Set<TableInfo>();
    for (const pattern of options.tables) {
      const matches = all.filter((t) => minimatch(t.name, pattern, { nocase: true, dot: true }));
      if (!matches.length) errors.push(`no table of ${options.source} (schema ${schema}) matches ${JSON.stringify(pattern)}${didYouMean(pattern, all.map((t) => t.name))}`);
      for (const match of matches) wanted.add(match);
    }
    chosen = all.filter((t) => wanted.has(t));
  }
  return chosen.filter((t) => !(options.exclude ?? []).some((pattern) => minimatch(t.name, pattern, { nocase: true, dot: true })));
}

/** The target table a source table goes into: same name (as the engine resolves it), else the one table whose normalized name is the same. */
function findTargetTable(target: Catalog, schema: string, name: string): TableInfo | undefined {
  const found = findTable(target, { schema, name });
  if (found) return found;
  const normalized = target.tables.filter((t) => t.kind === "table" && t.schema === schema && normalizeName(t.name) === normalizeName(name));
  return normalized.length === 1 ? normalized[0] : undefined;
}

/** A pipeline name (letters, digits, `_ . -`, not starting with a digit) from a table name. */
function pipelineName(table: string): string {
  const cleaned = table.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^_+(?=.)/, "");
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

/** The source key: the primary key, else the first unique key whose columns are all NOT NULL (keyset paging needs it unique). */
export function sourceKeyOf(table: TableInfo): string[] | undefined {
  if (table.primaryKey.length) return table.primaryKey;
  const notNull = (name: string) => table.columns.find((c) => c.name === name)?.nullable === false;
  return table.indexes.find((i) => i.unique && i.columns.length > 0 && i.columns.every(notNull))?.columns;
}

interface SourceOptions extends GenerateOptions {
  style: NameStyle;
  name: string;
  sourceTable: string;
  targetTable: string;
}

function pipelineSource(table: TableInfo, existing: TableInfo | undefined, options: SourceOptions): { text: string; notes: string[] } {
  const notes: string[] = [];
  const mapped: [string, string][] = [];
  const comments: string[] = [];
  if (existing) {
    const used = new Set<string>();
    for (const column of table.columns) {
      const match = existing.columns.find((c) => c.name === column.name && !used.has(c.name))
        ?? existing.columns.find((c) => !used.has(c.name) && normalizeName(c.name) === normalizeName(column.name));
      if (!match) {
        comments.push(`${column.name} (${column.nativeType}): ${existing.name} has no column of that name`);
        continue;
      }
      used.add(match.name);
      const why = incompatibility(column, match);
      if (why) comments.push(`${column.name} (${column.nativeType}) → ${match.name} (${match.nativeType}): ${why}`);
      else mapped.push([match.name, column.name]);
    }
    for (const column of existing.columns.filter((c) => !used.has(c.name))) {
      const required = !column.nullable && column.default === null && !column.generated;
      comments.push(`target column ${column.name} (${column.nativeType}) has no source column${required ? ": it is NOT NULL without a default, so map it or the run is refused" : "; it keeps its default"}`);
    }
  } else {
    for (const column of table.columns) mapped.push([styleName(column.name, options.style), column.name]);
  }
  for (const comment of comments) notes.push(`not mapped: ${comment}`);

  const key = sourceKeyOf(table);
  const lines = ["import { pipeline } from \"@databridge/core\";", ""];
  if (!key) {
    const why = `${table.name} has no primary key and no unique key on NOT NULL columns, so DataBridge cannot page through it without skipping or repeating rows`;
    notes.push(`${why}: set source.key to columns that are unique (plan refuses the pipeline until then)`);
    lines.push(`// ${why}.`, "// Set source.key to columns whose values are unique (or give the table a primary key): `databridge plan` refuses this pipeline until then.");
  }
  const keyText = key ? `, key: ${key.length === 1 ? JSON.stringify(key[0]) : `[${key.map((k) => JSON.stringify(k)).join(", ")}]`}` : "";
  lines.push(
    "export default pipeline({",
    `  name: ${JSON.stringify(options.name)},`,
    `  source: { connection: ${JSON.stringify(options.source)}, table: ${JSON.stringify(options.sourceTable)}${keyText} },`,
    `  target: { connection: ${JSON.stringify(options.target)}, table: ${JSON.stringify(options.targetTable)}, mode: "upsert"${existing ? "" : ", create: true"} },`,
    "  columns: {",
    ...mapped.map(([to, from]) => `    ${propertyKey(to)}: ${JSON.stringify(from)},`),
    ...(comments.length ? ["    // Not mapped:", ...comments.map((c) => `    // - ${c}`)] : []),
    "  },",
    "});",
    "",
  );
  return { text: lines.join("\n"), notes };
}

const propertyKey = (name: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name));

/** Kinds a value of the source kind can be written into without a transform. */
const FITS: Record<PortableKind, PortableKind[]> = {
  smallint: ["smallint", "integer", "bigint", "decimal", "float", "string", "text"],
  integer: ["integer", "bigint", "decimal", "float", "string", "text", "smallint"],
  bigint: ["bigint", "decimal", "string", "text", "integer", "smallint"],
  decimal: ["decimal", "float", "string", "text", "bigint", "integer", "smallint"],
  float: ["float", "decimal", "string", "text"],
  string: ["string", "text", "json", "uuid", "date", "time", "timestamp", "timestamptz", "unknown"],
  text: ["string", "text", "json", "unknown"],
  boolean: ["boolean", "smallint", "integer", "bigint", "string", "text"],
  date: ["date", "timestamp", "timestamptz", "string", "text"],
  time: ["time", "string", "text"],
  timestamp: ["timestamp", "timestamptz", "string", "text"],
  timestamptz: ["timestamptz", "timestamp", "string", "text"],
  uuid: ["uuid", "string", "text"],
  json: ["json", "text", "string"],
  binary: ["binary"],
  unknown: ["unknown", "string", "text"],
};

function incompatibility(source: ColumnInfo, target: ColumnInfo): string | undefined {
  if (FITS[source.type.kind]?.includes(target.type.kind)) return undefined;
  return `a ${source.type.kind} does not fit a ${target.type.kind} column without a transform (e.g. convert(...))`;
}

const HEADER = /^\/\/ Generated by `databridge generate` from (\S+) \(sha256 ([0-9a-f]{16})\)\. .*\n/;

const digest = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16);

function withHeader(body: string, from: string): string {
  return `// Generated by \`databridge generate\` from ${from} (sha256 ${digest(body)}). Edit it freely: generate does not overwrite an edited file without --force.\n${body}`;
}

/** A file `generate` wrote and nobody changed since: its header's hash is the hash of the rest. */
export function isUneditedGeneratedFile(content: string): boolean {
  const header = HEADER.exec(content);
  return Boolean(header) && digest(content.slice(header![0].length)) === header![2];
}

/** What `generate` does with a file: write it new, leave it (unchanged, or edited by someone), or replace it (generated and untouched, or --force). */
export type FileAction = "create" | "unchanged" | "update" | "skip-edited";

export function fileAction(existing: string | undefined, generated: string, force: boolean): FileAction {
  if (existing === undefined) return "create";
  if (existing === generated) return "unchanged";
  return force || isUneditedGeneratedFile(existing) ? "update" : "skip-edited";
}
