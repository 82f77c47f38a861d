import path from "node:path";
import type { Command } from "commander";
import {
  configError, didYouMean, findPipelineFiles, isDataBridgeError, type LoadedPipeline, loadPipelineFiles, planPipelines, type Problem, type SourceLocation, type Workspace,
} from "@databridge/core";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";
import { renderProblem, workspacePipelineNames } from "./plan.js";
import type { PipelineSources } from "./problem-locations.js";
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
    // problem-locations parses with the TypeScript compiler (through @databridge/language): loaded here, so other commands never load it.
    const sources: PipelineSources = new (await import("./problem-locations.js")).PipelineSources();
    const { selected, failures } = await selectPipelines(workspace, resolved);
    const live: CheckProblem[] = [];
    const report = await planPipelines(workspace, selected, connections, { knownPipelines: await workspacePipelineNames(workspace, selected) });
    for (const plan of report.pipelines) for (const problem of plan.problems) live.push({ ...problem, location: problem.location ?? sources.locate(problem, plan.file) });
    const files = [...selected.map((p) => p.file), ...failures.map((f) => f.file)];

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
      // A file with a syntax error is said once, by the loader (with the line): what TypeScript makes of the rest is noise.
      if (failures.some((f) => f.location?.file === location.file)) continue;
      typeErrors.push({ severity: "error", code: "type-error", pipeline: path.relative(io.cwd, location.file), message: t.message, location });
    }
    // A file that did not load: its syntax error where it is; any other reason unless TypeScript already said what is wrong in it.
    const notLoaded = failures
      .filter((f) => f.location || !typeErrors.some((t) => t.location?.file === f.file))
      .map((f): CheckProblem => ({
        severity: "error", code: f.location ? "syntax-error" : "type-error", pipeline: path.relative(io.cwd, f.file),
        message: f.location ? f.message : `${path.relative(io.cwd, f.file)}: ${f.message}`, location: f.location,
      }));
    return { problems: [...notLoaded, ...live, ...fromTypes, ...typeErrors], files };
  });
}

interface LoadFailure {
  file: string;
  message: string;
  location?: SourceLocation;
}

/**
 * The pipelines to check, loading each file on its own so one that does not load (a syntax error) is a
 * problem of that file rather than the end of the check. Names select among the workspace's pipelines.
 */
async function selectPipelines(workspace: Workspace, targets: string[]): Promise<{ selected: LoadedPipeline[]; failures: LoadFailure[] }> {
  const paths = targets.filter((t) => path.isAbsolute(t));
  const names = targets.filter((t) => !path.isAbsolute(t));
  const loadEach = async (files: string[]) => {
    const loaded: LoadedPipeline[] = [];
    const failures: LoadFailure[] = [];
    for (const file of files) {
      try {
        loaded.push(...(await loadPipelineFiles(workspace, [file])));
      } catch (error) {
        if (!isDataBridgeError(error) || error.kind !== "config") throw error;
        // The location leads the rendered line already.
        failures.push({ file, message: error.toLine().replace(/^cannot load \w+ \S+:\d+:\d+: /, ""), location: error.context.location });
      }
    }
    return { loaded, failures };
  };
  const explicit = paths.length || !names.length ? await loadEach(findPipelineFiles(workspace, paths)) : { loaded: [], failures: [] };
  if (!names.length) {
    if (!explicit.loaded.length && !explicit.failures.length) throw configError("no pipelines found (files ending in .etl.ts)");
    return { selected: explicit.loaded, failures: explicit.failures };
  }
  const all = await loadEach(findPipelineFiles(workspace));
  const selected = [...explicit.loaded];
  let unresolved = false;
  for (const name of names) {
    const match = all.loaded.find((p) => p.pipeline.name === name);
    if (match && !selected.some((p) => p.pipeline.name === name)) selected.push(match);
    if (match) continue;
    // The name may be in a file that does not load: then that file's problem is the answer.
    if (!all.failures.length) throw configError(`no pipeline file or pipeline named "${name}"${didYouMean(name, all.loaded.map((p) => p.pipeline.name))}`);
    unresolved = true;
  }
  return { selected, failures: [...explicit.failures, ...(unresolved ? all.failures.filter((f) => !explicit.failures.some((e) => e.file === f.file)) : [])] };
}

export function renderCheckProblem(problem: CheckProblem, cwd: string): string {
  const at = problem.location ? `${path.relative(cwd, problem.location.file)}:${problem.location.line}:${problem.location.column}: ` : "";
  // Syntax and type errors carry their own words (and a file that did not load names itself).
  return `${at}${problem.code === "type-error" || problem.code === "syntax-error" ? `${problem.severity} [${problem.code}] ${problem.message}` : renderProblem({ ...problem, location: undefined })}`;
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
