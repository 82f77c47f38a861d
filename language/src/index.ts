/**
 * @databridge/language: the language server for `.etl.ts` pipelines, as pure handlers
 * `(document, params, context) → result` plus the shared schema cache and type generator.
 * The server itself: `@databridge/language/server` (`startServer`) or the `databridge-language-server` bin.
 */
export const LANGUAGE_ID = "databridge-etl";

export { completion, resolveCompletion, type CompletionData, type CompletionOptions } from "./completion.js";
export { hover } from "./hover.js";
export { diagnostics, DIAGNOSTIC_SOURCE, type DiagnosticData } from "./diagnostics.js";
export { codeActions, MAP_REMAINING_TITLE } from "./code-actions.js";
export { codeLenses } from "./code-lens.js";
export { definition } from "./definition.js";
export { configDiagnostics, configHover } from "./config-features.js";
export { createLanguageContext, pipelineDocument, type LanguageContext, type PipelineInfo } from "./language-context.js";
export { parsePipelineDocument, refAt, type PipelineDocument, type PipelineModel, type StringRef, type RefKind } from "./pipeline-document.js";
export { parseConfigDocument, type ConfigDocument } from "./config-document.js";
export { SchemaIndex, tableLabel, type ConnectionSchema } from "./schema-index.js";
export { readSchemaCache, writeSchemaCache, updateSchemaCache, schemaCachePath, SCHEMA_CACHE_FILE, type SchemaCache, type CachedConnection } from "./schema-cache.js";
export { introspectConnections, type IntrospectionResult, type IntrospectOptions } from "./introspect.js";
export { renderSchemaTypes, columnTsType, SCHEMA_TYPES_FILE } from "./schema-types.js";
export { CRON_PRESETS } from "./cron.js";
export * from "./protocol.js";
