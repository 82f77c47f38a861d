import { cronClock, cronIssue, timezoneIssue } from "@databridge/core";
import { MarkupKind, type Hover, type Position } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { expressionIdentifiers } from "./expression-tokens.js";
import { columnMarkdown, tableMarkdown } from "./format.js";
import { pipelineDocument, rangeOf, type LanguageContext } from "./language-context.js";
import { pipelineAt, refAt, type StringRef } from "./pipeline-document.js";
import { sourceTable, targetTable, type ResolvedTable } from "./resolve.js";

/** Hover on a connection, table or column reference (and on `dependsOn` names and schedules). */
export function hover(document: TextDocument, position: Position, context: LanguageContext): Hover | null {
  const model = pipelineDocument(document, context.transforms);
  const offset = document.offsetAt(position);
  const ref = refAt(model, offset);
  if (ref) {
    const markdown = refMarkdown(document, ref, offset, context);
    if (!markdown) return null;
    return { contents: { kind: MarkupKind.Markdown, value: markdown.value }, range: rangeOf(document, markdown.start ?? ref.start, markdown.end ?? ref.end) };
  }
  const pipeline = pipelineAt(model, offset);
  const entry = pipeline?.columns?.entries.find((e) => offset >= e.nameStart && offset <= e.nameEnd);
  if (pipeline && entry) {
    const target = targetTable(pipeline, context.schema);
    const column = target?.table.columns.find((c) => c.name === entry.name);
    if (!target || !column) return null;
    return { contents: { kind: MarkupKind.Markdown, value: `target column\n\n${columnMarkdown(target.connection, target.catalog, target.table, column)}` }, range: rangeOf(document, entry.nameStart, entry.nameEnd) };
  }
  return null;
}

function refMarkdown(document: TextDocument, ref: StringRef, offset: number, context: LanguageContext): { value: string; start?: number; end?: number } | undefined {
  switch (ref.kind) {
    case "connection": {
      const state = context.schema.connection(ref.text);
      if (!state) return context.schema.isKnownConnection(ref.text) ? { value: `connection **${ref.text}** — not introspected yet` } : undefined;
      const catalog = state.catalog;
      const lines = [`connection **${ref.text}**${catalog ? ` — ${state.type ?? catalog.type}${catalog.serverVersion ? ` ${catalog.serverVersion}` : ""}, ${catalog.tables.length} tables, default schema \`${catalog.defaultSchema}\`` : ""}`];
      if (state.status === "unreachable") lines.push("", `⚠ unreachable: ${state.error ?? "unknown error"}`);
      if (state.fetchedAt) lines.push("", `schema read ${state.fetchedAt}`);
      return { value: lines.join("\n") };
    }
    case "table": {
      const connection = ref.side === "target" ? ref.pipeline.target.connection?.text : ref.pipeline.sources[ref.sourceIndex ?? 0]?.connection?.text;
      if (connection === undefined) return undefined;
      const catalog = context.schema.catalog(connection);
      const table = context.schema.table(connection, ref.text);
      if (!catalog || !table) return undefined;
      return { value: `${ref.side} table\n\n${tableMarkdown(connection, catalog, table)}` };
    }
    case "source-column": {
      const table = sourceTable(ref.pipeline, context.schema, ref.sourceIndex ?? 0);
      return columnHover(table, ref.text, `source column${ref.role ? ` (${ref.role})` : ""}`);
    }
    case "target-column": {
      const table = targetTable(ref.pipeline, context.schema);
      return columnHover(table, ref.text, `target column${ref.role ? ` (${ref.role})` : ""}`);
    }
    case "expression": {
      const raw = document.getText().slice(ref.start, ref.end);
      const identifier = expressionIdentifiers(raw).find((i) => offset - ref.start >= i.start && offset - ref.start <= i.end);
      if (!identifier) return undefined;
      const start = ref.start + identifier.start;
      const end = ref.start + identifier.end;
      if (identifier.isCall) return { value: `mathjs function \`${identifier.name}\``, start, end };
      const hover = columnHover(sourceTable(ref.pipeline, context.schema, ref.sourceIndex ?? 0), identifier.name, "source column (in expression)");
      return hover && { ...hover, start, end };
    }
    case "dependency": {
      const target = context.pipelines.find((p) => p.name === ref.text);
      return target ? { value: `pipeline **${target.name}** in \`${decodeURIComponent(target.uri.slice(target.uri.lastIndexOf("/") + 1))}\`${target.dependsOn.length ? `, after ${target.dependsOn.join(", ")}` : ""}` } : undefined;
    }
    case "schedule": {
      const spec = ref.pipeline.scheduleSpec;
      const issue = cronIssue(ref.text, { seconds: spec?.seconds });
      if (issue) return { value: `invalid schedule: ${issue.message}` };
      const timezone = spec?.timezone && !timezoneIssue(spec.timezone.text) ? spec.timezone.text : null;
      const clock = cronClock(ref.text, { seconds: spec?.seconds }, timezone);
      const next: Date[] = [];
      for (let at = clock.next(new Date()); at && next.length < 3; at = clock.next(at)) next.push(at);
      const shown = next.map((d) => (timezone ? `${d.toLocaleString("sv-SE", { timeZone: timezone })} (${d.toISOString()})` : d.toISOString()));
      return { value: `schedule \`${ref.text}\`\n\nnext runs (${timezone ?? "the runner's time zone; shown in UTC"}): ${shown.join(", ")}` };
    }
    default:
      return undefined;
  }
}

function columnHover(resolved: ResolvedTable | undefined, name: string, heading: string): { value: string } | undefined {
  const column = resolved?.table.columns.find((c) => c.name === name);
  if (!resolved || !column) return undefined;
  return { value: `${heading}\n\n${columnMarkdown(resolved.connection, resolved.catalog, resolved.table, column)}` };
}
