import { mathFunctionNames } from "@databridge/core";
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

/** What `completionItem/resolve` needs to add documentation to an item. */
export type CompletionData =
  | { kind: "column"; connection: string; table: string; column: string }
  | { kind: "table"; connection: string; table: string };

const EMPTY: CompletionList = { isIncomplete: false, items: [] };

let mathFunctions: string[] | undefined;

/**
 * Completions for a position in a pipeline file: connection, table, column names from the cached
 * catalogs, mathjs functions in expressions, pipeline names in `dependsOn`, cron presets in `schedule`.
 */
export function completion(document: TextDocument, position: Position, context: LanguageContext): CompletionList {
  const model = pipelineDocument(document);
  const offset = document.offsetAt(position);
  const ref = refAt(model, offset);
  if (ref) {
    const range = rangeOf(document, ref.start, ref.end);
    switch (ref.kind) {
      case "connection": return list(connectionItems(range, context));
      case "table": return list(tableItems(ref, range, context));
      case "source-column": {
        const table = sourceTable(ref.pipeline, context.schema, ref.sourceIndex ?? 0);
        return list(table ? columnItems(table, range) : []);
      }
      case "target-column": {
        const table = targetTable(ref.pipeline, context.schema);
        return list(table ? columnItems(table, range) : []);
      }
      case "expression": return list(expressionItems(document, ref, offset, context));
      case "dependency": return list(dependencyItems(ref, range, context));
      case "schedule": return list(CRON_PRESETS.map((preset, i) => ({
        label: preset.value, kind: CompletionItemKind.Value, detail: preset.description,
        sortText: String(i).padStart(2, "0"), textEdit: { range, newText: preset.value },
      })));
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

function tableItems(ref: StringRef, range: Range, context: LanguageContext): CompletionItem[] {
  const source = ref.side === "source" ? ref.pipeline.sources[ref.sourceIndex ?? 0] : undefined;
  const connection = ref.side === "target" ? ref.pipeline.target.connection?.text : source?.connection?.text;
  const catalog = connection === undefined ? undefined : context.schema.catalog(connection);
  if (!catalog || connection === undefined) return [];
  return catalog.tables.map((table) => {
    const label = tableLabel(catalog, table);
    const data: CompletionData = { kind: "table", connection, table: `${table.schema}.${table.name}` };
    return {
      label, kind: table.kind === "view" ? CompletionItemKind.Interface : CompletionItemKind.Class,
      detail: tableDetail(table), textEdit: { range, newText: label }, data,
    };
  });
}

function columnItems(resolved: ResolvedTable, range: Range, quote = false): CompletionItem[] {
  const { table, connection } = resolved;
  return table.columns.map((column, i) => {
    const data: CompletionData = { kind: "column", connection, table: `${table.schema}.${table.name}`, column: column.name };
    return {
      label: column.name,
      labelDetails: { detail: ` ${column.nativeType}`, description: column.nullable ? undefined : "NOT NULL" },
      kind: table.primaryKey.includes(column.name) ? CompletionItemKind.Constant : CompletionItemKind.Field,
      detail: columnDetail(table, column),
      sortText: String(i).padStart(4, "0"),
      textEdit: { range, newText: quote ? JSON.stringify(column.name) : column.name },
      data,
    };
  });
}

function expressionItems(document: TextDocument, ref: StringRef, offset: number, context: LanguageContext): CompletionItem[] {
  const raw = document.getText().slice(ref.start, ref.end);
  const relative = offset - ref.start;
  if (insideExpressionString(raw, relative)) return [];
  const word = wordAt(raw, relative);
  const range = rangeOf(document, ref.start + word.start, ref.start + word.end);
  const table = sourceTable(ref.pipeline, context.schema, ref.sourceIndex ?? 0);
  const columns = table ? columnItems(table, range) : [];
  mathFunctions ??= mathFunctionNames().sort();
  const functions: CompletionItem[] = mathFunctions.map((name) => ({
    label: name, kind: CompletionItemKind.Function, detail: "mathjs function", sortText: `~${name}`, textEdit: { range, newText: name },
  }));
  return [...columns, ...functions];
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
  const text = document.getText();
  for (const entry of columns.entries) {
    if (offset >= entry.nameStart && offset <= entry.nameEnd) range = rangeOf(document, entry.nameStart, entry.nameEnd);
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
      textEdit: { range: range!, newText: `${propertyKey(column.name)}: ` },
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
  const table = context.schema.table(data.connection, data.table);
  if (!catalog || !table) return item;
  if (data.kind === "table") return { ...item, documentation: { kind: MarkupKind.Markdown, value: tableMarkdown(data.connection, catalog, table) } };
  const column = table.columns.find((c) => c.name === data.column);
  return column ? { ...item, documentation: { kind: MarkupKind.Markdown, value: columnMarkdown(data.connection, catalog, table, column) } } : item;
}
