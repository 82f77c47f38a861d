import type { Location, Position } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { pipelineDocument, type LanguageContext } from "./language-context.js";
import { refAt } from "./pipeline-document.js";

/** From a `dependsOn` name to that pipeline's name in its file; from a connection name to its entry in the config. */
export function definition(document: TextDocument, position: Position, context: LanguageContext): Location | null {
  const ref = refAt(pipelineDocument(document, context.transforms), document.offsetAt(position));
  if (ref?.kind === "dependency") {
    const target = context.pipelines.find((p) => p.name === ref.text);
    return target ? { uri: target.uri, range: target.range } : null;
  }
  if (ref?.kind === "connection" && context.config) {
    const entry = context.config.document.connections.find((c) => c.name === ref.text);
    if (!entry) return null;
    const { text, uri } = context.config;
    return { uri, range: { start: positionIn(text, entry.start), end: positionIn(text, entry.end) } };
  }
  return null;
}

function positionIn(text: string, offset: number): Position {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: offset - lineStart };
}
