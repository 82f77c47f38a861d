import { effectiveSources, type Pipeline } from "../authoring/pipeline.js";
import type { TableInfo } from "../connectors/connector.js";
import { resolveForeignKeys, type LoadedTable, type TargetTableSchema } from "../schema/target-schema.js";
import type { ConnectionManager } from "../workspace/connections.js";
import { findPipelineFiles, loadPipelineFiles, type LoadedPipeline, type Workspace } from "../workspace/loader.js";
import { foreignKeyParents, orderPipelines, type LoadOrder, type Problem } from "./analysis.js";
import { parseTableName } from "./catalog-lookup.js";
import { prepareStage, type PreparedStage } from "./prepare.js";

/** The pipelines of a plan or run resolved together: each one's first source prepared, their order, the schemas to create. */
export interface LoadPlan {
  order: LoadOrder<LoadedPipeline>;
  /** Each pipeline's first source, prepared against the live schemas (without refusing on problems). */
  stages: Map<string, PreparedStage>;
  /** Why a pipeline could not be prepared. */
  failures: Map<string, unknown>;
  /** Target tables to create, with their foreign keys resolved across the pipelines. */
  schemas: Map<string, TargetTableSchema>;
  /** Problems of the whole (ordering, foreign keys, names), by pipeline. */
  problems: Problem[];
}

/** Pipelines prepared at once: introspection waits on the network, not on this process. */
const PREPARE_CONCURRENCY = 4;

/**
 * Prepares every pipeline's first source, orders the pipelines by `dependsOn` and foreign keys, and
 * resolves the foreign keys of tables to create against the pipelines that load the referenced tables —
 * those of the selection, and the workspace's other pipelines (`context`, loaded only when a key references
 * a table the selection does not load), so a table created by a run of one pipeline still gets its keys to
 * tables another pipeline loads.
 */
export async function planLoad(
  workspace: Workspace,
  pipelines: LoadedPipeline[],
  connections: ConnectionManager,
  options: {
    batchSize?: number;
    context?: () => Promise<LoadedPipeline[]>;
    /** Pipeline names `dependsOn` may name (default: the selection and whatever it names, as `run` accepts). */
    known?: Iterable<string>;
  } = {},
): Promise<LoadPlan> {
  const stages = new Map<string, PreparedStage>();
  const failures = new Map<string, unknown>();
  const prepare = async (loaded: LoadedPipeline) => {
    try {
      stages.set(loaded.pipeline.name, await prepareStage(loaded.pipeline, effectiveSources(loaded.pipeline)[0], connections, workspace.registry, { batchSize: options.batchSize }));
    } catch (error) {
      failures.set(loaded.pipeline.name, error);
    }
  };
  await forEachLimited(pipelines, PREPARE_CONCURRENCY, prepare);

  // Pipelines outside the selection that load a table a created one references.
  const selected = new Set(pipelines.map((p) => p.pipeline.name));
  const loadedHere = new Set([...stages.values()].flatMap((s) => (s.sourceTable ? [s.sourceTable.name.toLowerCase()] : [])));
  const referenced = [...stages.values()].flatMap((s) => s.targetSchema?.foreignKeys.map((fk) => fk.referencedTable.name.toLowerCase()) ?? []);
  const missing = referenced.filter((name) => !loadedHere.has(name));
  const context = missing.length && options.context ? await options.context() : [];
  const others = context.filter((p) => !selected.has(p.pipeline.name) && missing.includes(sourceTableName(p.pipeline)));
  const contextStages = new Map<string, PreparedStage>();
  await forEachLimited(others, PREPARE_CONCURRENCY, async (loaded) => {
    const stage = await prepareStage(loaded.pipeline, effectiveSources(loaded.pipeline)[0], connections, workspace.registry).catch(() => undefined);
    if (stage) contextStages.set(loaded.pipeline.name, stage);
  });

  const all = [...stages.values(), ...contextStages.values()];
  const tables = all.map(loadedTable);
  const target = all.find((s) => s.targetSchema)?.target;
  const problems = target ? resolveForeignKeys(tables, target.dialect, target.capabilities.maxIdentifierLength) : [];
  const schemas = new Map([...stages].filter(([, s]) => s.targetSchema).map(([name, s]) => [name, s.targetSchema!]));

  const parents = foreignKeyParents(pipelines.map(({ pipeline }) => {
    const stage = stages.get(pipeline.name);
    return {
      pipeline: pipeline.name,
      sources: effectiveSources(pipeline).map((s) => ({ connection: s.connection, table: stage?.sourceTable })),
      target: { connection: pipeline.target.connection, label: stage?.targetLabel ?? pipeline.target.table, table: stage?.targetTable },
    };
  }));
  const known = options.known ? [...options.known] : [...selected, ...pipelines.flatMap((p) => p.pipeline.dependsOn ?? [])];
  const order = orderPipelines(pipelines, { known, foreignKeyParents: parents });
  return { order, stages, failures, schemas, problems };
}

/** The workspace's pipelines, for resolving references outside a selection; none when a file does not load (the selection's own errors are reported elsewhere). */
export async function workspacePipelines(workspace: Workspace): Promise<LoadedPipeline[]> {
  try {
    return await loadPipelineFiles(workspace, findPipelineFiles(workspace));
  } catch {
    return [];
  }
}

function sourceTableName(pipeline: Pipeline): string {
  const table = effectiveSources(pipeline)[0]?.table;
  return table ? parseTableName(table).name.toLowerCase() : "";
}

function loadedTable(stage: PreparedStage): LoadedTable {
  const plain = new Map<string, string>();
  for (const [column, mapping] of Object.entries(stage.pipeline.columns)) if (typeof mapping === "string" && !plain.has(mapping)) plain.set(mapping, column);
  return {
    pipeline: stage.pipeline.name,
    sourceConnection: stage.source.name,
    sourceTable: stage.sourceTable,
    targetConnection: stage.target.name,
    targetLabel: stage.targetLabel,
    targetRef: stage.targetRef,
    targetColumnOf: (column) => plain.get(column),
    uniqueKeys: stage.targetSchema?.uniqueKeys ?? uniqueKeysOf(stage.targetTable),
    targetTypeOf: (column) => stage.targetTable?.columns.find((c) => c.name === column)?.nativeType,
    schema: stage.targetSchema,
  };
}

function uniqueKeysOf(table: TableInfo | undefined): string[][] {
  if (!table) return [];
  return [table.primaryKey, ...table.indexes.filter((i) => i.unique).map((i) => i.columns)].filter((k) => k.length);
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  }));
}
