import path from "node:path";
import type { Command } from "commander";
import { findPipelineFiles, loadWorkspace, type Problem } from "@databridge/core";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";
import { buildPlan, renderProblem } from "./plan.js";
import { resolveTargets } from "./run.js";
import type { GlobalOptions } from "./context.js";

/** The CI gate: type-check the pipeline files, then validate them against the live schemas. */
export async function checkCommand(targets: string[], options: { json?: boolean }, global: GlobalOptions, io: CommandIO): Promise<number> {
  const resolved = resolveTargets(targets, io.cwd);
  const workspace = await loadWorkspace({ configPath: global.config, from: resolved.find((t) => path.isAbsolute(t)) ?? io.cwd });
  const files = findPipelineFiles(workspace, resolved.filter((t) => path.isAbsolute(t)));
  // The TypeScript compiler takes a second or more to load: only `check` pays for it.
  const { typecheckFiles } = await import("./typecheck.js");
  const typeProblems = typecheckFiles(workspace.rootDir, [workspace.configPath, ...files]);
  const problems: Problem[] = typeProblems.map((t) => ({ severity: "error", code: "type-error", pipeline: t.file, message: `${t.file}:${t.line}:${t.column} ${t.message}` }));
  if (!typeProblems.length) problems.push(...(await buildPlan(targets, global, io)).problems);
  // Notes (`info`) are said but fail nothing; errors and warnings fail the gate.
  const failing = problems.filter((p) => p.severity !== "info");
  if (options.json) writeLine(io.stdout, JSON.stringify({ ok: failing.length === 0, problems }, null, 2));
  else {
    for (const problem of problems) writeLine(io.stdout, problem.code === "type-error" ? `error [type-error] ${problem.message}` : renderProblem(problem, io.cwd));
    writeLine(io.stdout, failing.length ? `${failing.length} problem${failing.length > 1 ? "s" : ""} found` : `✔ ${files.length} pipeline${files.length === 1 ? "" : "s"} checked: no problems`);
  }
  return failing.length ? ExitCode.failed : ExitCode.ok;
}

export function registerCheck(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("check")
    .description("type-check pipelines and validate them against the live schemas; exit 1 on any problem (the CI gate)")
    .argument("[targets...]", "pipeline files, folders or names")
    .option("--json", "print problems as JSON")
    .action((targets: string[], options: { json?: boolean }, command: Command) => run(() => checkCommand(targets, options, command.optsWithGlobals(), io)));
}
