import path from "node:path";
import type { Command } from "commander";
import { findPipelineFiles, isDataBridgeError, planPipelines, resolvePipelines, type Problem, type SourceLocation } from "@databridge/core";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";
import { renderProblem, workspacePipelineNames } from "./plan.js";
import { PipelineSources } from "./problem-locations.js";
import { resolveTargets } from "./run.js";
import { type GlobalOptions, withWorkspace } from "./context.js";
import type { CommandRunner } from "./index.js";

export interface CheckProblem extends Problem {
  /** Where in which file (absolute path; 1-based line and column). */
  location?: SourceLocation;
}

const SCHEMA_CODES = new Set(["unknown-source-column", "unknown-target-column", "unknown-table"]);

/**
 * The CI gate: the pipelines against the live schemas first, in DataBridge's words, each placed at its
 * file:line:column; then TypeScript — its checks from `databridge types` said in the same words (and left out
 * when the live check already said them), and genuine TypeScript errors as they are.
 */
export async function checkProblems(targets: string[], global: GlobalOptions, io: CommandIO): Promise<{ problems: CheckProblem[]; files: string[] }> {
  const resolved = resolveTargets(targets, io.cwd);
  return withWorkspace(global, io, resolved.find((t) => path.isAbsolute(t)), async (workspace, connections) => {
    const sources = new PipelineSources();
    const live: CheckProblem[] = [];
    let files: string[];
    try {
      const selected = await resolvePipelines(workspace, resolved);
      files = selected.map((p) => p.file);
      const report = await planPipelines(workspace, selected, connections, { knownPipelines: await workspacePipelineNames(workspace, selected) });
      for (const plan of report.pipelines) for (const problem of plan.problems) live.push({ ...problem, location: sources.locate(problem, plan.file) });
    } catch (error) {
      // A file that does not parse: said where it is; TypeScript then checks the files as they are.
      const location = isDataBridgeError(error) ? error.context.location : undefined;
      if (!location) throw error;
      live.push({ severity: "error", code: "syntax-error", pipeline: path.relative(io.cwd, location.file), message: isDataBridgeError(error) ? error.message : String(error), location });
      files = findPipelineFiles(workspace, resolved.filter((t) => path.isAbsolute(t)));
    }
    // The TypeScript compiler takes a second or more to load: only `check` pays for it.
    const { typecheckFiles } = await import("./typecheck.js");
    const fromTypes: CheckProblem[] = [];
    const typeErrors: CheckProblem[] = [];
    for (const t of typecheckFiles(workspace.rootDir, [workspace.configPath, ...files], sources)) {
      const location = { file: path.resolve(workspace.rootDir, t.file), line: t.line, column: t.column };
      if (t.schema) {
        const { code, subject, pipeline, column } = t.schema;
        const saidLive = live.some((p) => SCHEMA_CODES.has(p.code) && p.location?.file === location.file && (p.subject === subject || p.column === subject || p.table === subject));
        if (!saidLive) fromTypes.push({ severity: "error", code, pipeline: pipeline ?? path.relative(io.cwd, location.file), column, subject, message: t.message, location });
        continue;
      }
      // A syntax error is said once (by the loader, with the line).
      if (live.some((p) => p.code === "syntax-error" && p.location?.file === location.file && p.location.line === location.line)) continue;
      typeErrors.push({ severity: "error", code: "type-error", pipeline: path.relative(io.cwd, location.file), message: t.message, location });
    }
    return { problems: [...live, ...fromTypes, ...typeErrors], files };
  });
}

export function renderCheckProblem(problem: CheckProblem, cwd: string): string {
  const at = problem.location ? `${path.relative(cwd, problem.location.file)}:${problem.location.line}:${problem.location.column}: ` : "";
  return `${at}${problem.code === "type-error" || problem.code === "syntax-error" ? `${problem.severity} [${problem.code}] ${problem.message}` : renderProblem(problem)}`;
}

export async function checkCommand(targets: string[], options: { json?: boolean }, global: GlobalOptions, io: CommandIO): Promise<number> {
  const { problems, files } = await checkProblems(targets, global, io);
  // Notes (`info`) are said but fail nothing; errors and warnings fail the gate.
  const failing = problems.filter((p) => p.severity !== "info");
  if (options.json) {
    const relative = problems.map((p) => (p.location ? { ...p, location: { ...p.location, file: path.relative(io.cwd, p.location.file) } } : p));
    writeLine(io.stdout, JSON.stringify({ ok: failing.length === 0, problems: relative }, null, 2));
  } else {
    for (const problem of problems) writeLine(io.stdout, renderCheckProblem(problem, io.cwd));
    writeLine(io.stdout, failing.length ? `${failing.length} problem${failing.length > 1 ? "s" : ""} found` : `✔ ${files.length} pipeline${files.length === 1 ? "" : "s"} checked: no problems`);
  }
  return failing.length ? ExitCode.failed : ExitCode.ok;
}

export function registerCheck(program: Command, io: CommandIO, run: CommandRunner) {
  program
    .command("check")
    .description("validate pipelines against the live schemas and type-check them; every problem at file:line:column; exit 1 on any (the CI gate)")
    .argument("[targets...]", "pipeline files, folders or names")
    .option("--json", "print problems as JSON")
    .action((targets: string[], options: { json?: boolean }, command: Command) => run(() => checkCommand(targets, options, command.optsWithGlobals(), io)));
}
