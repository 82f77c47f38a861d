import { mathFunctionNames, type Catalog, type TableInfo } from "@databridge/core";
import {
  CompletionItemKind, MarkupKind, type CompletionItem, type CompletionList, type Position, type Range,
} from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { CRON_PRESETS } from "./cron.js";
import { insideExpressionString, wordAt } from "./expression-tokens.js";
import { columnDetail, columnMarkdown, tableDetail, tableMarkdown } from "./format.js";
import { pipelineDocument, rangeOf, type LanguageContext } from "./language-context.js";
import { pipelineAt, propertyKey, refAt, type PipelineModel, type StringRef } from "./pipeline-document.js";
import { sourceTable, targetTable, type ResolvedTable } from "./resolve.js";
import { tableLabel } from "./schema-index.js";

/**
 * What `completionItem/resolve` needs to add documentation to an item. With list defaults the column (or
 * table) is the item's label.
 */
export type CompletionData =
  | { kind: "column"; connection: string; table: string; column?: string }
  | { kind: "table"; connection: string; table?: string };

export interface CompletionOptions {
  /**
   * The client's `completionList.itemDefaults` support. With `editRange` and `data`, long lists (2,000
   * tables) are sent as shared, cached items plus list-level defaults instead of one edit and one data
   * object per item.
   */
  itemDefaults?: readonly string[];
}

const EMPTY: CompletionList = { isIncomplete: false, items: [] };

let functionItems: CompletionItem[] | undefined;
const tableItemCache = new WeakMap<Catalog, CompletionItem[]>();
const columnItemCache = new WeakMap<TableInfo, CompletionItem[]>();

/**
 * Completions for a position in a pipeline file: connection, table, column names from the cached
 * catalogs, mathjs functions in expressions, pipeline names in `dependsOn`, cron presets in `schedule`.
 */
export function completion(document: TextDocument, position: Position, context: LanguageContext, options: CompletionOptions = {}): CompletionList {
  const model = pipelineDocument(document, context.transforms);
  const offset = document.offsetAt(position);
  const ref = refAt(model, offset);
  const defaults = !!options.itemDefaults?.includes("editRange") && !!options.itemDefaults.includes("data");
  if (ref) {
    const range = rangeOf(document, ref.start, ref.end);
    switch (ref.kind) {
      case "connection": return list(connectionItems(range, context));
      case "table": return tableList(ref, range, context, defaults);
      case "source-column": return columnList(sourceTable(ref.pipeline, context.schema, ref.sourceIndex ?? 0), range, defaults);
      case "target-column": return columnList(targetTable(ref.pipeline, context.schema), range, defaults);
      case "expression": return expressionList(document, ref, offset, context, defaults);
      case "dependency": return list(dependencyItems(ref, range, context));
      case "schedule": return list(CRON_PRESETS.map((preset, i) => ({
        label: preset.value, kind: CompletionItemKind.Value, detail: preset.description,
        sortText: String(i).padStart(2, "0"), textEdit: { range, newText: preset.value },
      })));
      case "timezone": return list(["UTC", ...Intl.supportedValuesOf("timeZone")].map((zone) => ({ label: zone, kind: CompletionItemKind.Value, textEdit: { range, newText: zone } })));
      default: return EMPTY;
    }
  }
  const pipeline = pipelineAt(model, offset);
  if (pipeline) return list(columnKeyItems(document, pipeline, offset, context));
  return EMPTY;
}

const list = (items: CompletionItem[]): CompletionList => ({ isIncomplete: false, items });

function connectionItems(range: Range, context: LanguageContext): CompletionItem[] {
  return context.schema.names().map((name) => {
    const state = context.schema.connection(name);
    const detail = !state ? "not introspected yet"
      : state.status === "unreachable" ? `unreachable${state.catalog ? ` (cached: ${state.catalog.tables.length} tables)` : ""}`
      : state.catalog ? `${state.type ?? state.catalog.type} · ${state.catalog.tables.length} tables` : "introspecting…";
    return { label: name, kind: CompletionItemKind.Module, detail, textEdit: { range, newText: name } };
  });
}

function tableList(ref: StringRef, range: Range, context: LanguageContext, defaults: boolean): CompletionList {
  const source = ref.side === "source" ? ref.pipeline.sources[ref.sourceIndex ?? 0] : undefined;
  const connection = ref.side === "target" ? ref.pipeline.target.connection?.text : source?.connection?.text;
  const catalog = connection === undefined ? undefined : context.schema.catalog(connection);
  if (!catalog || connection === undefined) return EMPTY;
  let items = tableItemCache.get(catalog);
  if (!items) {
    items = catalog.tables.map((table) => ({
      label: tableLabel(catalog, table), kind: table.kind === "view" ? CompletionItemKind.Interface : CompletionItemKind.Class, detail: tableDetail(table),
    }));
    tableItemCache.set(catalog, items);
  }
  const data: CompletionData = { kind: "table", connection };
  if (defaults) return { isIncomplete: false, itemDefaults: { editRange: range, data }, items };
  return list(items.map((item) => ({ ...item, textEdit: { range, newText: item.label }, data })));
}

/** A table's columns as items (cached per catalog table): the label is what gets inserted. */
function baseColumnItems(table: TableInfo): CompletionItem[] {
  let items = columnItemCache.get(table);
  if (!items) {
    items = table.columns.map((column, i) => ({
      label: column.name,
      labelDetails: { detail: ` ${column.nativeType}`, description: column.nullable ? undefined : "NOT NULL" },
      kind: table.primaryKey.includes(column.name) ? CompletionItemKind.Constant : CompletionItemKind.Field,
      detail: columnDetail(table, column),
      sortText: String(i).padStart(4, "0"),
    }));
    columnItemCache.set(table, items);
  }
  return items;
}

const columnData = (resolved: ResolvedTable): CompletionData => ({ kind: "column", connection: resolved.connection, table: `${resolved.table.schema}.${resolved.table.name}` });

function columnList(resolved: ResolvedTable | undefined, range: Range, defaults: boolean): CompletionList {
  if (!resolved) return EMPTY;
  const items = baseColumnItems(resolved.table);
  if (defaults) return { isIncomplete: false, itemDefaults: { editRange: range, data: columnData(resolved) }, items };
  return list(columnItems(resolved, range));
}

function columnItems(resolved: ResolvedTable, range: Range, quote = false): CompletionItem[] {
  const data = columnData(resolved);
  return baseColumnItems(resolved.table).map((item) => ({ ...item, textEdit: { range, newText: quote ? JSON.stringify(item.label) : item.label }, data }));
}

function expressionList(document: TextDocument, ref: StringRef, offset: number, context: LanguageContext, defaults: boolean): CompletionList {
  const raw = document.getText().slice(ref.start, ref.end);
  const relative = offset - ref.start;
  if (insideExpressionString(raw, relative)) return EMPTY;
  const word = wordAt(raw, relative);
  const range = rangeOf(document, ref.start + word.start, ref.start + word.end);
  const table = sourceTable(ref.pipeline, context.schema, ref.sourceIndex ?? 0);
  functionItems ??= mathFunctionNames().sort().map((name) => ({ label: name, kind: CompletionItemKind.Function, detail: "mathjs function", sortText: `~${name}` }));
  if (defaults) {
    const items = [...(table ? baseColumnItems(table.table) : []), ...functionItems];
    return { isIncomplete: false, itemDefaults: { editRange: range, ...(table ? { data: columnData(table) } : {}) }, items };
  }
  const columns = table ? columnItems(table, range) : [];
  return list([...columns, ...functionItems.map((item) => ({ ...item, textEdit: { range, newText: item.label } }))]);
}

function dependencyItems(ref: StringRef, range: Range, context: LanguageContext): CompletionItem[] {
  const own = ref.pipeline.name?.text;
  const listed = new Set(ref.pipeline.dependsOn.filter((d) => d !== ref).map((d) => d.text));
  return context.pipelines
    .filter((p) => p.name !== own && !listed.has(p.name))
    .map((p) => ({ label: p.name, kind: CompletionItemKind.Reference, detail: fileLabel(p.uri), textEdit: { range, newText: p.name } }));
}

const fileLabel = (uri: string) => decodeURIComponent(uri.slice(uri.lastIndexOf("/") + 1));

/** Target column names as keys of `columns`: unmapped ones first, NOT NULL ones marked. */
function columnKeyItems(document: TextDocument, pipeline: PipelineModel, offset: number, context: LanguageContext): CompletionItem[] {
  const columns = pipeline.columns;
  if (!columns || offset <= columns.objectStart || offset >= columns.objectEnd) return [];
  let range: Range | undefined;
  let withColon = true;
  const text = document.getText();
  for (const entry of columns.entries) {
    if (offset >= entry.nameStart && offset <= entry.nameEnd) {
      range = rangeOf(document, entry.nameStart, entry.nameEnd);
      withColon = !entry.hasColon;
    }
    else if (offset > entry.nameEnd && offset <= entry.propertyEnd) return valueItems(document, pipeline, entry.valueMissing, offset, context);
    // `name: |` with nothing typed yet: the property ends at the colon.
    else if (entry.valueMissing && offset > entry.propertyEnd && /^[ \t]*$/.test(text.slice(entry.propertyEnd, offset))) return valueItems(document, pipeline, true, offset, context);
  }
  if (!range) {
    const word = wordAt(text, offset);
    range = rangeOf(document, word.start, word.end);
  }
  const table = targetTable(pipeline, context.schema);
  if (!table) return [];
  const mapped = new Set(columns.entries.map((e) => e.name));
  return table.table.columns.map((column, i) => {
    const required = !column.nullable && column.default === null && !column.generated;
    const isMapped = mapped.has(column.name);
    const data: CompletionData = { kind: "column", connection: table.connection, table: `${table.table.schema}.${table.table.name}`, column: column.name };
    return {
      label: column.name,
      labelDetails: { detail: ` ${column.nativeType}`, description: [required ? "NOT NULL, required" : column.nullable ? undefined : "NOT NULL", isMapped ? "mapped" : undefined].filter(Boolean).join(" · ") || undefined },
      kind: CompletionItemKind.Property,
      detail: `${columnDetail(table.table, column)}${isMapped ? " · already mapped" : ""}`,
      sortText: `${isMapped ? 2 : required ? 0 : 1}${String(i).padStart(4, "0")}`,
      filterText: column.name,
      textEdit: { range: range!, newText: withColon ? `${propertyKey(column.name)}: ` : propertyKey(column.name) },
      data,
    };
  });
}

/** After `name:` with no value yet: source columns, inserted as strings. */
function valueItems(document: TextDocument, pipeline: PipelineModel, valueMissing: boolean, offset: number, context: LanguageContext): CompletionItem[] {
  if (!valueMissing) return [];
  const table = sourceTable(pipeline, context.schema);
  if (!table) return [];
  const word = wordAt(document.getText(), offset);
  return columnItems(table, rangeOf(document, word.start, word.end), true);
}

/** Adds documentation (the hover text) to a column or table item. */
export function resolveCompletion(item: CompletionItem, context: LanguageContext): CompletionItem {
  const data = item.data as CompletionData | undefined;
  if (!data) return item;
  const catalog = context.schema.catalog(data.connection);
  const table = context.schema.table(data.connection, data.table ?? item.label);
  if (!catalog || !table) return item;
  if (data.kind === "table") return { ...item, documentation: { kind: MarkupKind.Markdown, value: tableMarkdown(data.connection, catalog, table) } };
  const name = data.column ?? item.label;
  const column = table.columns.find((c) => c.name === name);
  return column ? { ...item, documentation: { kind: MarkupKind.Markdown, value: columnMarkdown(data.connection, catalog, table, column) } } : item;
}
