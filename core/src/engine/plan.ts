import fs from "node:fs";
import type { LoadedPipeline, Workspace } from "../workspace/loader.js";
import type { ConnectionManager } from "../workspace/connections.js";
import { formatErrorLine, isDataBridgeError, messageOf } from "../errors.js";
import type { Problem } from "./analysis.js";
import { compileMappings } from "./compile-mappings.js";
import { countSourceRows } from "./parity.js";
import { typeCompatibilityProblems } from "../target/type-compatibility.js";
import { effectiveSources } from "../authoring/pipeline.js";
import { scheduleProblems } from "../schedule/schedule-spec.js";
import { planLoad, workspacePipelines } from "./load-plan.js";

export interface PipelinePlan {
  order: number;
  pipeline: string;
  file: string;
  source: string;
  target: string;
  mode: string;
  key: string[];
  targetKey: string[];
  estimatedRows: number | null;
  /** DDL run first when the target is created (`create: true`). */
  ddl?: string;
  /** What is built on a created target once the data is in: unique keys, indexes, foreign keys, identity sequences, triggers. */
  afterLoad?: string[];
  /** Each target column's mapping, and where its value is computed: by the source in the SQL that reads it, or in Node. */
  columns: { target: string; mapping: string; computedAt?: "source" | "node" }[];
  dependsOn: string[];
  /** The pipelines this one waits for: its `dependsOn` and those loading the tables its foreign keys reference. */
  after: string[];
  problems: Problem[];
}

export interface PlanReport {
  pipelines: PipelinePlan[];
  /** Pipelines whose tables reference each other in a cycle: loaded in any order, foreign keys added after the data. */
  cycles: string[][];
  problems: Problem[];
}

export interface PlanOptions {
  /**
   * Every pipeline name of the workspace: `dependsOn` may name one outside the planned selection (as `run`
   * accepts), and a name no pipeline has is still an error. Default: whatever `dependsOn` names is taken as known.
   */
  knownPipelines?: Iterable<string>;
}

/** Resolves pipelines against the live schemas without writing anything: load order, mappings, the DDL of tables to create, and problems. */
export async function planPipelines(workspace: Workspace, pipelines: LoadedPipeline[], connections: ConnectionManager, options: PlanOptions = {}): Promise<PlanReport> {
  const known = options.knownPipelines ? [...options.knownPipelines, ...pipelines.map((p) => p.pipeline.name)] : undefined;
  const load = await planLoad(workspace, pipelines, connections, { context: () => workspacePipelines(workspace), known });
  const plans: PipelinePlan[] = [];
  for (const [index, loaded] of load.order.ordered.entries()) {
    const { pipeline } = loaded;
    const source = effectiveSources(pipeline)[0];
    const base: PipelinePlan = {
      order: index + 1, pipeline: pipeline.name, file: loaded.file,
      source: `${source.connection}:${source.table ?? "(query)"}${pipeline.sources ? ` (+${pipeline.sources.length - 1} tenants)` : ""}`,
      target: `${pipeline.target.connection}:${pipeline.target.table}`, mode: pipeline.target.mode ?? "insert",
      key: [], targetKey: [], estimatedRows: null,
      columns: Object.entries(pipeline.columns).map(([target, mapping]) => ({ target, mapping: describeMapping(mapping) })),
      dependsOn: [...(pipeline.dependsOn ?? [])],
      after: load.order.after.get(pipeline.name) ?? [],
      problems: [...[...load.order.problems, ...load.problems].filter((p) => p.pipeline === pipeline.name), ...scheduleProblems(pipeline, readSource(loaded.file))],
    };
    const stage = load.stages.get(pipeline.name);
    if (stage) {
      base.key = stage.key;
      base.targetKey = stage.targetKey;
      base.columns = stage.targetColumns.map((target, i) => ({
        target, mapping: describeMapping(stage.pipeline.columns[target] ?? (target === stage.tenantColumn ? "(tenant)" : "(id map)")), computedAt: stage.computedAt?.[i] ?? "node",
      }));
      // A filtered source's rows are counted: the catalog's estimate is the whole table's.
      const filterRuns = stage.sourceSpec.where !== undefined && !stage.problems.some((p) => p.code === "bad-source-filter");
      base.estimatedRows = filterRuns ? await countSourceRows(stage) : stage.estimatedRows;
      const schema = load.schemas.get(pipeline.name);
      base.ddl = schema?.createTable ?? stage.createDdl;
      if (schema?.steps.length) base.afterLoad = schema.steps.flatMap((s) => s.sql);
      base.source = stage.sourceLabel + (pipeline.sources ? ` (+${pipeline.sources.length - 1} tenants)` : "");
      base.target = `${stage.target.name}:${stage.targetLabel}`;
      base.problems.push(...stage.problems, ...(await typeCompatibilityProblems(stage, workspace.registry)));
      if (!stage.problems.some((p) => p.severity === "error")) {
        try {
          compileMappings(stage, workspace.registry);
        } catch (error) {
          base.problems.push({ severity: "error", code: "type-error", pipeline: pipeline.name, message: messageOf(error) });
        }
      }
    } else {
      const error = load.failures.get(pipeline.name);
      const context = isDataBridgeError(error) ? error.context : {};
      const message = isDataBridgeError(error) ? error.message : messageOf(error);
      // A connection that did not open: say which, its role, where its URL is set, and the fix.
      const connectionLine = isDataBridgeError(error) && context.urlFrom
        ? formatErrorLine(message, { connection: context.connection, connectionRole: context.connectionRole, urlFrom: context.urlFrom, fix: context.fix })
        : undefined;
      const code = /^unknown connection/.test(message) ? "unknown-connection"
        : context.table ? "unknown-table"
        : isDataBridgeError(error) && error.kind === "config" ? "type-error"
        : "unreachable-connection";
      base.problems.push({
        severity: "error", code, pipeline: pipeline.name, table: context.table,
        // What the problem is about: the connection, or the table that does not exist.
        subject: code === "unknown-table" ? context.table : code === "type-error" ? undefined : context.connection,
        message: connectionLine ?? message,
      });
    }
    plans.push(base);
  }
  return { pipelines: plans, cycles: load.order.cycles, problems: plans.flatMap((p) => p.problems) };
}

function readSource(file: string): { file: string; text: string } | undefined {
  try {
    return { file, text: fs.readFileSync(file, "utf8") };
  } catch {
    return undefined;
  }
}

export function describeMapping(mapping: unknown): string {
  if (typeof mapping === "string") return mapping;
  const spec = mapping as { transform: string; args: unknown[] };
  return `${spec.transform}(${spec.args.map((a) => JSON.stringify(a)).join(", ")})`;
}
