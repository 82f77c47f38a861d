import type { Command } from "commander";
import { findPipelineFiles, type LoadedPipeline, loadPipelineFiles, planPipelines, resolvePipelines, type PlanReport, type Problem, type Workspace } from "@databridge/core";
import { type CommandIO, ExitCode, formatNumber, formatTable, writeLine } from "../output/io.js";
import { resolveTargets } from "./run.js";
import { type GlobalOptions, withWorkspace } from "./context.js";
import path from "node:path";

export async function buildPlan(targets: string[], global: GlobalOptions, io: CommandIO): Promise<PlanReport> {
  const resolved = resolveTargets(targets, io.cwd);
  return withWorkspace(global, io, resolved.find((t) => path.isAbsolute(t)), async (workspace, connections) => {
    const selected = await resolvePipelines(workspace, resolved);
    return planPipelines(workspace, selected, connections, { knownPipelines: await workspacePipelineNames(workspace, selected) });
  });
}

/**
 * Every pipeline name in the workspace, so `dependsOn` may name one outside the selection (as `run` accepts).
 * When some other file does not load, the selection's own dependencies are taken on trust, as `run` does.
 */
export async function workspacePipelineNames(workspace: Workspace, selected: LoadedPipeline[]): Promise<string[]> {
  try {
    return (await loadPipelineFiles(workspace, findPipelineFiles(workspace))).map((p) => p.pipeline.name);
  } catch {
    return selected.flatMap((p) => [p.pipeline.name, ...(p.pipeline.dependsOn ?? [])]);
  }
}

export function renderProblem(problem: Problem, cwd = process.cwd()): string {
  const where = [problem.pipeline && `pipeline ${problem.pipeline}`, problem.table && `table ${problem.table}`, problem.column && `column ${problem.column}`].filter(Boolean).join(", ");
  const at = problem.location ? `${path.relative(cwd, problem.location.file) || problem.location.file}:${problem.location.line}:${problem.location.column}: ` : "";
  return `${at}${problem.severity} [${problem.code}] ${where}: ${problem.message}`;
}

/** `Load order: a, b (after a), c (after a, b)` and the foreign key cycles, which load in any order. */
export function loadOrder(report: PlanReport): string {
  const steps = report.pipelines.map((p) => `${p.pipeline}${p.after.length ? ` (after ${p.after.join(", ")})` : ""}`);
  const cycles = report.cycles.map((c) => `\nForeign key cycle ${c.join(" ⇄ ")}: loaded in any order, foreign keys added after the data`);
  return `Load order: ${steps.join(", ")}${cycles.join("")}`;
}

export function renderPlan(report: PlanReport, io: CommandIO): void {
  writeLine(io.stdout, formatTable(
    ["#", "pipeline", "source", "target", "mode", "est. rows", "problems"],
    report.pipelines.map((p) => [p.order, p.pipeline, p.source, p.target, p.mode, p.estimatedRows === null ? "?" : formatNumber(p.estimatedRows), p.problems.length || ""]),
  ));
  writeLine(io.stdout, `\n${loadOrder(report)}`);
  for (const plan of report.pipelines) {
    const computed = plan.columns.filter((c) => c.computedAt);
    if (computed.some((c) => c.computedAt === "source")) {
      writeLine(io.stdout, `\n${plan.pipeline}: columns computed by the source: ${computed.filter((c) => c.computedAt === "source").map((c) => c.target).join(", ")}` +
        `; in Node: ${computed.filter((c) => c.computedAt === "node").map((c) => c.target).join(", ") || "none"}`);
    }
    if (plan.ddl) {
      writeLine(io.stdout, `\n${plan.pipeline}: target will be created:\n${plan.ddl};`);
      if (plan.afterLoad?.length) writeLine(io.stdout, ["-- after the data is loaded:", ...plan.afterLoad.map((statement) => `${statement};`)].join("\n"));
    }
  }
  if (report.problems.length) {
    writeLine(io.stdout, "");
    for (const problem of report.problems) writeLine(io.stdout, renderProblem(problem, io.cwd));
  }
}

export function registerPlan(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("plan")
    .description("show order, source → target, mode, estimated rows, DDL and mapping problems; writes nothing")
    .argument("[targets...]", "pipeline files, folders or names")
    .option("--json", "print the plan as JSON")
    .action((targets: string[], options: { json?: boolean }, command: Command) =>
      run(async () => {
        const report = await buildPlan(targets, command.optsWithGlobals(), io);
        if (options.json) writeLine(io.stdout, JSON.stringify(report, null, 2));
        else renderPlan(report, io);
        return report.problems.some((p) => p.severity === "error") ? ExitCode.failed : ExitCode.ok;
      }));
}
