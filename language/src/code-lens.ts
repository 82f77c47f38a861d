import type { CodeLens } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { pipelineDocument, rangeOf } from "./language-context.js";
import { COMMANDS, type PipelineCommandArgs } from "./protocol.js";

/** Run · Preview · Plan above each `pipeline(` call (the client implements the commands). */
export function codeLenses(document: TextDocument): CodeLens[] {
  const lenses: CodeLens[] = [];
  for (const pipeline of pipelineDocument(document).pipelines) {
    if (!pipeline.name) continue;
    const range = rangeOf(document, pipeline.callStart, pipeline.callStart + "pipeline".length);
    const args: PipelineCommandArgs = { pipeline: pipeline.name.text, uri: document.uri };
    lenses.push(
      { range, command: { title: "▶ Run", command: COMMANDS.run, arguments: [args] } },
      { range, command: { title: "Preview", command: COMMANDS.preview, arguments: [args] } },
      { range, command: { title: "Plan", command: COMMANDS.plan, arguments: [args] } },
    );
  }
  return lenses;
}
