import { DiagnosticSeverity, MarkupKind, type Diagnostic, type Hover, type Position } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { parseConfigDocument } from "./config-document.js";
import { DIAGNOSTIC_SOURCE } from "./diagnostics.js";
import { rangeOf, type LanguageContext } from "./language-context.js";

/** In `databridge.config.ts`: a warning on each connection whose database could not be introspected. */
export function configDiagnostics(document: TextDocument, context: LanguageContext): Diagnostic[] {
  const config = parseConfigDocument(document.getText(), document.uri);
  const out: Diagnostic[] = [];
  for (const connection of config.connections) {
    const state = context.schema.connection(connection.name);
    if (state?.status !== "unreachable") continue;
    out.push({
      range: rangeOf(document, connection.start, connection.end), severity: DiagnosticSeverity.Warning, source: DIAGNOSTIC_SOURCE, code: "unreachable-connection",
      message: `connection ${connection.name} is unreachable: ${state.error ?? "unknown error"}${state.catalog ? `; using the schema cached ${state.fetchedAt ?? "earlier"}` : ""}`,
    });
  }
  return out;
}

/** In `databridge.config.ts`: hovering a connection name shows what introspection found. */
export function configHover(document: TextDocument, position: Position, context: LanguageContext): Hover | null {
  const offset = document.offsetAt(position);
  const connection = parseConfigDocument(document.getText(), document.uri).connections.find((c) => offset >= c.start && offset <= c.end);
  if (!connection) return null;
  const state = context.schema.connection(connection.name);
  const lines = [`connection **${connection.name}**`];
  if (!state) lines.push("", "not introspected yet");
  else {
    if (state.catalog) lines.push("", `${state.type ?? state.catalog.type}${state.catalog.serverVersion ? ` ${state.catalog.serverVersion}` : ""}: ${state.catalog.tables.length} tables, default schema \`${state.catalog.defaultSchema}\``);
    if (state.status === "unreachable") lines.push("", `⚠ unreachable: ${state.error ?? "unknown error"}`);
    if (state.fetchedAt) lines.push("", `schema read ${state.fetchedAt}`);
  }
  return { contents: { kind: MarkupKind.Markdown, value: lines.join("\n") }, range: rangeOf(document, connection.start, connection.end) };
}
