import fs from "node:fs";
import type { LoadedPipeline, Workspace } from "../workspace/loader.js";
import type { ConnectionManager } from "../workspace/connections.js";
import { formatErrorLine, isDataBridgeError, messageOf } from "../errors.js";
import { orderByDependencies, type Problem } from "./analysis.js";
import { compileMappings } from "./compile-mappings.js";
import { prepareStage } from "./prepare.js";
import { countSourceRows } from "./parity.js";
import { typeCompatibilityProblems } from "../target/type-compatibility.js";
import { effectiveSources } from "../authoring/pipeline.js";
import { scheduleProblems } from "../schedule/schedule-spec.js";

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
  columns: { target: string; mapping: string }[];
  dependsOn: string[];
  problems: Problem[];
}

export interface PlanReport {
  pipelines: PipelinePlan[];
  problems: Problem[];
}

export interface PlanOptions {
  /**
   * Every pipeline name of the workspace: `dependsOn` may name one outside the planned selection (as `run`
   * accepts). Default: the planned pipelines only.
   */
  knownPipelines?: Iterable<string>;
}

/** Resolves pipelines against the live schemas without writing anything: order, mapping and problems. */
export async function planPipelines(workspace: Workspace, pipelines: LoadedPipeline[], connections: ConnectionManager, options: PlanOptions = {}): Promise<PlanReport> {
  const known = options.knownPipelines ? [...options.knownPipelines, ...pipelines.map((p) => p.pipeline.name)] : undefined;
  const { ordered, problems: dependencyProblems } = orderByDependencies(pipelines, known);
  const plans: PipelinePlan[] = [];
  for (const [index, loaded] of ordered.entries()) {
    const { pipeline } = loaded;
    const source = effectiveSources(pipeline)[0];
    const base: PipelinePlan = {
      order: index + 1, pipeline: pipeline.name, file: loaded.file,
      source: `${source.connection}:${source.table ?? "(query)"}${pipeline.sources ? ` (+${pipeline.sources.length - 1} tenants)` : ""}`,
      target: `${pipeline.target.connection}:${pipeline.target.table}`, mode: pipeline.target.mode ?? "insert",
      key: [], targetKey: [], estimatedRows: null,
      columns: Object.entries(pipeline.columns).map(([target, mapping]) => ({ target, mapping: describeMapping(mapping) })),
      dependsOn: [...(pipeline.dependsOn ?? [])],
      problems: [...dependencyProblems.filter((p) => p.pipeline === pipeline.name), ...scheduleProblems(pipeline, readSource(loaded.file))],
    };
    try {
      const stage = await prepareStage(pipeline, source, connections, workspace.registry);
      base.key = stage.key;
      base.targetKey = stage.targetKey;
      // A filtered source's rows are counted: the catalog's estimate is the whole table's.
      const filterRuns = stage.sourceSpec.where !== undefined && !stage.problems.some((p) => p.code === "bad-source-filter");
      base.estimatedRows = filterRuns ? await countSourceRows(stage) : stage.estimatedRows;
      base.ddl = stage.createDdl;
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
    } catch (error) {
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
  return { pipelines: plans, problems: plans.flatMap((p) => p.problems) };
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
