// Authoring API
export { defineConfig, type WorkspaceConfig, type ConnectionConfig } from "./authoring/config.js";
export {
  pipeline, isPipeline, isTransformSpec, keyList, DEFAULT_BATCH_SIZE,
  type Pipeline, type PipelineDefinition, type ColumnMapping, type TransformSpec, type SourceSpec, type TargetSpec,
  effectiveSources, type SourceTemplate, type LoadMode, type OnError, type RetryPolicy, type IncrementalSpec, type IdMapSpec,
  type DataBridgeSchema, type PipelineCheck, type MappingColumns, type UnknownColumn, type UnknownTable,
} from "./authoring/pipeline.js";
export { concat, split, lookup, expr, when, convert, defaultTo, constant, coalesce, trim, upper, lower, remap, transform } from "./authoring/transforms.js";
export { definePlugin, type Plugin, type TransformDefinition, type TransformContext, type RowFunction } from "./authoring/plugin.js";

// Errors
export {
  DataBridgeError, configError, dataError, terminalError, transientError, isDataBridgeError, messageOf, redactSecrets, registerSecret, formatErrorLine, formatKey,
  type ErrorKind, type ErrorContext,
} from "./errors.js";

// Run events and statuses (CLI --json, runner SSE, dashboard, extension); the whole runner protocol is
// `@databridge/core/runner-protocol`.
export * from "./runner-protocol/events.js";
export * from "./runner-protocol/statuses.js";

// Connectors
export type {
  Connector, ConnectorFactory, ConnectorCapabilities, ConnectionOptions, SqlDialect, TargetSession, ReadRequest, RowBatch, ResultColumn,
  Catalog, TableInfo, ColumnInfo, ForeignKeyInfo, IndexInfo, TableRef, PortableType, PortableKind, PostgresColumnMapping, PostgresTargetFeatures,
} from "./connectors/connector.js";
export { buildKeysetSelect } from "./connectors/keyset.js";
export * as postgres from "./connectors/postgres/index.js";
export * as mysql from "./connectors/mysql/index.js";
export * as pglite from "./connectors/pglite/index.js";
export * as mssql from "./connectors/mssql/index.js";
export * as oracle from "./connectors/oracle/index.js";

// Workspace
export { loadWorkspace, importWorkspaceModule, findConfigFile, findPipelineFiles, loadPipelineFiles, resolvePipelines, openConnections, CONFIG_FILE_NAMES, PIPELINE_SUFFIX, type Workspace, type LoadedPipeline } from "./workspace/loader.js";
export { ConnectionManager, connectionEnvVar, resolveConnectionUrl, describeConnectionUrl } from "./workspace/connections.js";
export { createRegistry, builtinPlugin, type Registry } from "./workspace/registry.js";

// Engine
export { runPipelines, newRunId, defaultParallelism, type RunOptions, type RunResult } from "./engine/run.js";
export { prepareStage, compileMappings, parseTableName, findTable, parseLag, type PreparedStage, type CompiledMappings } from "./engine/prepare.js";
export { IdMapService, type IdMapping } from "./engine/id-map.js";
export type { RemapOptions } from "./transforms/remap.js";
export { analyzeMapping, lossyProblems, orderByDependencies, orderPipelines, foreignKeyParents, type LoadOrder, type PipelineTables, type Problem, type ProblemCode, type MappingAnalysisInput } from "./engine/analysis.js";
export { Ledger, LEDGER_DDL, type Checkpoint, type RejectedRow } from "./engine/ledger.js";
export { inTransaction, backoffDelay, type StageOutcome } from "./engine/run-stage.js";
export { BoundedQueue } from "./engine/bounded-queue.js";

// Transforms internals useful to tools (language server, plan)
export { parseExpression, mathFunctionNames, type ParsedExpression } from "./transforms/expression.js";
export { makeConverter, convertTypes, roundHalfUp, type ConvertType, type ConvertOptions } from "./transforms/convert.js";
export { mappingColumns, builtinTransforms } from "./transforms/builtin-transforms.js";
export { closestMatch, didYouMean } from "./util/suggest.js";
export { planPipelines, describeMapping, type PlanReport, type PipelinePlan } from "./engine/plan.js";
export { previewPipeline, type PreviewResult, type PreviewRow } from "./engine/preview.js";

// Whole-database migration: pipelines generated from a live schema, the schema of created tables
export { generatePipelines, fileAction, isUneditedGeneratedFile, sourceKeyOf, exactTable, type GenerateOptions, type GenerateResult, type GeneratedPipeline, type FileAction } from "./generate/generate-pipelines.js";
export { styleName, normalizeName, NAME_STYLES, type NameStyle } from "./schema/names.js";
export { buildTargetSchema, resolveForeignKeys, type TargetTableSchema, type SchemaStep } from "./schema/target-schema.js";

// Verification (checksums that compare tables across databases)
export { hashTable, diffTableHashes, normalizeValue, normalizeDecimal, type TableHash, type TableHashOptions, type TableHashDiff } from "./verify/table-hash.js";
export { rollbackRun, type RollbackStage } from "./engine/rollback.js";
export { listRejects, replayRejects, type RejectedRowRecord, type ReplayResult } from "./engine/rejects.js";
export { verifyPipelines, type VerifyReport, type VerifyCheck, type VerifyStageResult, type VerifyOptions, type CheckStatus } from "./verify/verify.js";
export { verifyReportToHtml, verifyReportToJUnit } from "./verify/report.js";
