import type { TransformDefinition, TransformsByName } from "@databridge/core";
import type { Range } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { ConfigDocument } from "./config-document.js";
import { BUILTIN_TRANSFORMS, parsePipelineDocument, type PipelineDocument } from "./pipeline-document.js";
import { SchemaIndex } from "./schema-index.js";

/** A pipeline somewhere in the workspace (for `dependsOn` completion, checks and go-to-definition). */
export interface PipelineInfo {
  name: string;
  uri: string;
  /** The range of the name's string literal. */
  range: Range;
  dependsOn: string[];
}

/**
 * Everything a handler may read besides the document: all in memory, so no handler waits on a database.
 * Handlers are pure functions `(document, params, context) → result`.
 */
export interface LanguageContext {
  schema: SchemaIndex;
  /** Every pipeline of the workspace, the current document's included. */
  pipelines: readonly PipelineInfo[];
  transforms: ReadonlyMap<string, TransformDefinition<never>>;
  /** True when `transforms` includes the workspace's plugins, so an unknown name is an error. */
  transformsComplete: boolean;
  /** The workspace config (for go-to-definition on connection names). */
  config?: { uri: string; document: ConfigDocument; text: string };
}

export function createLanguageContext(partial: Partial<LanguageContext> = {}): LanguageContext {
  return {
    schema: partial.schema ?? new SchemaIndex(),
    pipelines: partial.pipelines ?? [],
    transforms: partial.transforms ?? BUILTIN_TRANSFORMS,
    transformsComplete: partial.transformsComplete ?? false,
    config: partial.config,
  };
}

const parsed = new WeakMap<TextDocument, { version: number; transforms: TransformsByName; model: PipelineDocument }>();

/**
 * The parsed pipeline model of a document, parsed once per version and set of transforms (whose argument
 * roles say which arguments are columns); without `transforms`, any parse of this version does (for callers
 * that read only names and positions). A new version of the same document object (as an LSP server's
 * documents are) is parsed incrementally from the previous syntax tree.
 */
export function pipelineDocument(document: TextDocument, transforms?: TransformsByName): PipelineDocument {
  const cached = parsed.get(document);
  if (cached && cached.version === document.version && (transforms === undefined || transforms === cached.transforms)) return cached.model;
  const roles = transforms ?? BUILTIN_TRANSFORMS;
  const model = parsePipelineDocument(document.getText(), document.uri, cached?.model.sourceFile, roles);
  parsed.set(document, { version: document.version, transforms: roles, model });
  return model;
}

/** The LSP range of [start, end) offsets. */
export function rangeOf(document: TextDocument, start: number, end: number): Range {
  return { start: document.positionAt(start), end: document.positionAt(end) };
}
