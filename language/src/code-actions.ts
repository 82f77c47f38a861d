import { normalizeName } from "@databridge/core";
import { CodeActionKind, type CodeAction, type CodeActionParams, type Diagnostic, type TextEdit } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { DIAGNOSTIC_SOURCE, type DiagnosticData } from "./diagnostics.js";
import { pipelineDocument, type LanguageContext } from "./language-context.js";
import { propertyKey, type ColumnsModel, type PipelineModel } from "./pipeline-document.js";
import { sourceTable, targetTable } from "./resolve.js";

/** The title of the refactoring that maps every unmapped target column from the source column of the same (normalized) name. */
export const MAP_REMAINING_TITLE = "Map all remaining target columns by name";

/**
 * Quick fixes for the server's own diagnostics: did-you-mean replacements, and adding a mapping for an
 * unmapped NOT NULL target column (one at a time, or all of a pipeline's at once). On a pipeline's
 * `columns` object (with `context`'s catalogs): mapping every remaining target column by name.
 */
export function codeActions(document: TextDocument, params: CodeActionParams, context?: LanguageContext): CodeAction[] {
  const actions: CodeAction[] = [];
  if (context) actions.push(...mapRemainingColumns(document, params, context));
  const ours = params.context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && d.data);
  const additions = new Map<ColumnsModel, Diagnostic[]>();
  for (const diagnostic of ours) {
    const data = diagnostic.data as DiagnosticData;
    if (data.replacement !== undefined) {
      actions.push({
        title: `Change to "${data.suggestion ?? data.replacement}"`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: true,
        edit: { changes: { [document.uri]: [{ range: diagnostic.range, newText: data.replacement }] } },
      });
    }
    if (data.addMapping) {
      const columns = columnsAt(document, diagnostic);
      if (!columns) continue;
      const { column, source } = data.addMapping;
      actions.push({
        title: source ? `Map ${column} from "${source}"` : `Add a mapping for ${column}`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: !!source,
        edit: { changes: { [document.uri]: [insertMappings(document, columns, [data.addMapping])] } },
      });
      additions.set(columns, [...(additions.get(columns) ?? []), diagnostic]);
    }
  }
  for (const [columns, diagnostics] of additions) {
    if (diagnostics.length < 2) continue;
    const all = diagnostics.map((d) => (d.data as DiagnosticData).addMapping!);
    actions.push({
      title: `Add mappings for all ${all.length} unmapped NOT NULL columns`,
      kind: CodeActionKind.QuickFix,
      diagnostics,
      edit: { changes: { [document.uri]: [insertMappings(document, columns, all)] } },
    });
  }
  return actions;
}

/**
 * On a `columns` object whose pipeline's source and target tables are known: one edit mapping each target
 * column not yet in `columns` from the source column with its name (case and underscores ignored).
 */
function mapRemainingColumns(document: TextDocument, params: CodeActionParams, context: LanguageContext): CodeAction[] {
  const start = document.offsetAt(params.range.start);
  const end = document.offsetAt(params.range.end);
  const pipeline = pipelineDocument(document).pipelines.find((p): p is PipelineModel & { columns: ColumnsModel } =>
    !!p.columns && start <= p.columns.objectEnd && end >= p.columns.keyStart);
  if (!pipeline || pipeline.columns.hasUnknownEntries) return [];
  const from = sourceTable(pipeline, context.schema);
  const to = targetTable(pipeline, context.schema);
  if (!from || !to) return [];
  const mapped = new Set(pipeline.columns.entries.map((e) => e.name));
  const used = new Set(pipeline.columns.entries.flatMap((e) => (typeof e.mapping === "string" ? [e.mapping] : [])));
  const mappings: { column: string; source: string }[] = [];
  for (const column of to.table.columns) {
    if (mapped.has(column.name) || column.computed) continue;
    const source = from.table.columns.find((c) => c.name === column.name && !used.has(c.name))
      ?? from.table.columns.find((c) => !used.has(c.name) && normalizeName(c.name) === normalizeName(column.name));
    if (!source) continue;
    used.add(source.name);
    mappings.push({ column: column.name, source: source.name });
  }
  if (!mappings.length) return [];
  return [{
    title: `${MAP_REMAINING_TITLE} (${mappings.length})`,
    kind: CodeActionKind.RefactorRewrite,
    edit: { changes: { [document.uri]: [insertMappings(document, pipeline.columns, mappings)] } },
  }];
}

function columnsAt(document: TextDocument, diagnostic: Diagnostic): ColumnsModel | undefined {
  const offset = document.offsetAt(diagnostic.range.start);
  return pipelineDocument(document).pipelines.map((p) => p.columns).find((c) => c && c.keyStart === offset);
}

/** One edit adding `column: "source",` lines after the last entry of `columns`, in its indentation. */
function insertMappings(document: TextDocument, columns: ColumnsModel, mappings: { column: string; source?: string }[]): TextEdit {
  const text = document.getText();
  const lines = mappings.map((m) => `${propertyKey(m.column)}: ${JSON.stringify(m.source ?? "")},`);
  const last = columns.node.properties[columns.node.properties.length - 1];
  if (!last) {
    const indent = indentationAt(text, columns.keyStart) + "  ";
    const closeLine = indentationAt(text, columns.keyStart);
    return { range: span(document, columns.objectStart + 1, columns.objectEnd - 1), newText: `\n${lines.map((l) => indent + l).join("\n")}\n${closeLine}` };
  }
  const indent = indentationAt(text, last.getStart());
  let insertAt = last.end;
  let prefix = ",";
  const after = /^\s*,/.exec(text.slice(last.end));
  if (after) {
    insertAt = last.end + after[0].length;
    prefix = "";
  }
  return { range: span(document, insertAt, insertAt), newText: `${prefix}\n${lines.map((l, i) => indent + (i === lines.length - 1 && !after ? l.slice(0, -1) : l)).join("\n")}` };
}

const span = (document: TextDocument, start: number, end: number) => ({ start: document.positionAt(start), end: document.positionAt(end) });

function indentationAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}
