// Authoring API
export {
  defineConfig, alertsConfigError, ALERT_TRIGGERS, DEFAULT_ALERT_TRIGGERS, type WorkspaceConfig, type ConnectionConfig, type AlertsConfig, type AlertTrigger,
} from "./authoring/config.js";
export {
  pipeline, isPipeline, isTransformSpec, keyList, DEFAULT_BATCH_SIZE,
  type Pipeline, type PipelineDefinition, type ColumnMapping, type TransformSpec, type SourceSpec, type TargetSpec,
  effectiveSources, type SourceTemplate, type LoadMode, type OnError, type RetryPolicy, type IncrementalSpec, type IdMapSpec, type ScheduleSpec, type CatchUp,
  type DataBridgeSchema, type PipelineCheck, type MappingColumns,
} from "./authoring/pipeline.js";
export { concat, split, lookup, expr, when, convert, defaultTo, constant, coalesce, trim, upper, lower, remap, transform } from "./authoring/transforms.js";
export {
  definePlugin, ARGUMENT_ROLES,
  type Plugin, type TransformDefinition, type TransformArgument, type ArgumentRole, type TransformContext, type RowFunction, type IdMapLookup,
} from "./authoring/plugin.js";
export { convertTypes, type ConvertType, type ConvertOptions, type RemapOptions } from "./authoring/transform-options.js";

// Errors
export {
  DataBridgeError, configError, dataError, terminalError, transientError, isDataBridgeError, messageOf, redactSecrets, registerSecret, formatErrorLine, formatKey,
  type ErrorKind, type ErrorContext, type SourceLocation,
} from "./errors.js";

// Run events and statuses (CLI --json, runner SSE, dashboard, extension); the whole runner protocol is
// `@databridge/core/runner-protocol`.
export * from "./runner-protocol/events.js";
export * from "./runner-protocol/statuses.js";

// Connectors
export type {
  Connector, Source, Target, ConnectorDescription, ConnectorRole, ConnectorFactory, ConnectorCapabilities, ConnectionOptions, EmbeddedStorage, SqlDialect, TargetSession, ReadRequest, RowBatch, ResultColumn,
  Catalog, TableInfo, ColumnInfo, ForeignKeyInfo, IndexInfo, TableRef, PortableType, PortableKind, PostgresColumnMapping, PostgresTargetFeatures, ConnectFailure,
} from "./connectors/connector.js";
export { isTarget, describeConnector } from "./connectors/connector.js";
export { connectionFields, connectionUrl, type ConnectionFields } from "./connectors/connection-url.js";
export { builtinConnectors } from "./connectors/index.js";
export { buildKeysetSelect } from "./connectors/keyset.js";
export * as postgres from "./connectors/postgres/index.js";
export * as mysql from "./connectors/mysql/index.js";
export * as pglite from "./connectors/pglite/index.js";
export * as mssql from "./connectors/mssql/index.js";
export * as oracle from "./connectors/oracle/index.js";

// Workspace
export { loadWorkspace, importWorkspaceModule, findConfigFile, findPipelineFiles, loadPipelineFiles, resolvePipelines, openConnections, CONFIG_FILE_NAMES, PIPELINE_SUFFIX, type Workspace, type LoadedPipeline } from "./workspace/loader.js";
export { ConnectionManager, connectionEnvVar, connectionUrlOrigin, connectionError, connectionFix, resolveConnectionUrl, describeConnectionUrl } from "./workspace/connections.js";
export { createRegistry, builtinPlugin, type Registry } from "./workspace/registry.js";

// Engine
export { runPipelines, newRunId, defaultParallelism, buildSchemaSteps, runStatus, type RunOptions, type RunResult } from "./engine/run.js";
export { runDistributed, StageProgress, type UnitExecutor, type DistributedRunOptions } from "./engine/distributed-run.js";
export { planWorkUnits, runWorkUnit, type WorkUnit, type WorkUnitOutcome, type WorkPlan } from "./engine/work-unit.js";
export { partitioningProblem, partitionCount, integerBounds, dateBounds, splitAt, type KeyRangePartition } from "./engine/partitions.js";
export { prepareStage, type PreparedStage } from "./engine/prepare.js";
export { compileMappings, type CompiledMappings } from "./engine/compile-mappings.js";
export { parseTableName, findTable } from "./engine/catalog-lookup.js";
export { parseLag } from "./engine/stage-decisions.js";
export { IdMapService, type IdMapping } from "./target/id-map.js";
export { analyzeMapping, lossyProblems, conflictKeyProblems, orderByDependencies, orderPipelines, foreignKeyParents, type LoadOrder, type PipelineTables, type Problem, type ProblemCode, type MappingAnalysisInput } from "./engine/analysis.js";
export { Ledger, LEDGER_DDL, type Checkpoint, type RejectedRow } from "./target/ledger.js";
export { acquireRunLock, type RunLock } from "./target/run-lock.js";
export { inTransaction, backoffDelay, type StageOutcome } from "./engine/run-stage.js";
export { BoundedQueue } from "./engine/bounded-queue.js";

// Transforms internals useful to tools (language server, plan)
export { parseExpression, mathFunctionNames, type ParsedExpression } from "./transforms/expression.js";
export { makeConverter, roundHalfUp } from "./transforms/convert.js";
export { builtinTransforms } from "./transforms/builtin-transforms.js";
export {
  mappingColumns, transformExpressions, expressionColumns, argumentRole, type DescribedTransform, type TransformsByName,
} from "./transforms/argument-roles.js";
export { closestMatch, didYouMean } from "./util/suggest.js";
export { makePrivateDir, restrictToOwner } from "./util/private-files.js";
export { parseDuration, formatDurationMs, DURATION_FORMAT } from "./util/duration.js";

// Schedules: one validation for the runner, check/plan and the language server
export { cronIssue, cronClock, timezoneIssue, CRON_PRESET_NAMES, type CronIssue, type CronClock, type CronSyntax } from "./schedule/cron.js";
export {
  scheduleIssues, scheduleProblems, schedulePolicy, scheduleShapeError, scheduleSpecOf, pipelineSlaMs, locateValue, CATCH_UP_MODES, SCHEDULE_DEFAULTS,
  type SchedulePolicy, type ScheduleIssue, type SchedulePath,
} from "./schedule/schedule-spec.js";
export { planPipelines, describeMapping, type PlanReport, type PipelinePlan, type PlanOptions } from "./engine/plan.js";
export { typeCompatibilityProblems } from "./target/type-compatibility.js";
export { previewPipeline, type PreviewResult, type PreviewRow } from "./engine/preview.js";

// Whole-database migration: pipelines generated from a live schema, the schema of created tables
export { generatePipelines, fileAction, isUneditedGeneratedFile, sourceKeyOf, exactTable, type GenerateOptions, type GenerateResult, type GeneratedPipeline, type FileAction } from "./generate/generate-pipelines.js";
export { styleName, normalizeName, NAME_STYLES, type NameStyle } from "./schema/names.js";
export { buildTargetSchema, resolveForeignKeys, type TargetTableSchema, type SchemaStep } from "./schema/target-schema.js";

// Verification (checksums that compare tables across databases)
export { hashTable, diffTableHashes, normalizeValue, normalizeDecimal, type TableHash, type TableHashOptions, type TableHashDiff } from "./verify/table-hash.js";
export { columnMeaning, type ComparedColumn, type ValueMeaning } from "./verify/value-meaning.js";
export { rollbackRun, ledgerTargets, type RollbackStage } from "./target/rollback.js";
export { listRuns, resolveRunId, foldRunStatus, LAST_RUN, LEDGER_RUN_STATUSES, type RunRecord, type RunFilter } from "./target/run-history.js";
export { listRejects, replayRejects, type ReplayResult } from "./engine/rejects.js";
export type { RejectedRowRecord } from "./target/ledger.js";
export { verifyPipelines, type VerifyReport, type VerifyCheck, type VerifyStageResult, type VerifyOptions, type CheckStatus } from "./verify/verify.js";
export { verifyReportToHtml, verifyReportToJUnit } from "./verify/report.js";
