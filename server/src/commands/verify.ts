import path from "node:path";
import type { Command } from "commander";
import { resolvePipelines, verifyPipelines } from "@databridge/core";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";
import { withWorkspace } from "./context.js";
import { parsePositiveInt, resolveTargets } from "./run.js";
import { verifyReportDir, verifyReportId, writeVerifyReports } from "./verify-reports.js";

export function registerVerify(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("verify")
    .description("prove a migration: count parity, keyed row-hash comparison, orphans; JSON, HTML and JUnit reports; exit 1 on any mismatch")
    .argument("[targets...]", "pipeline files, folders or names")
    .option("--sample <n>", "compare a sample of about N rows per table", (v) => parsePositiveInt(v, "--sample"))
    .option("--list <n>", "how many differing keys to list per check (default 20)", (v) => parsePositiveInt(v, "--list"))
    .option("--report-dir <dir>", "where to write verify.json, verify.html, verify.junit.xml (default .databridge/reports/<time>)")
    .option("--json", "print the report as JSON")
    .action((targets: string[], options: { sample?: number; list?: number; reportDir?: string; json?: boolean }, command: Command) =>
      run(() => {
        const resolved = resolveTargets(targets, io.cwd);
        return withWorkspace(command.optsWithGlobals(), io, resolved.find((t) => path.isAbsolute(t)), async (workspace, connections) => {
          const report = await verifyPipelines(workspace, await resolvePipelines(workspace, resolved), connections, { sample: options.sample, listLimit: options.list });
          const dir = options.reportDir ? path.resolve(io.cwd, options.reportDir) : verifyReportDir(workspace.rootDir, verifyReportId(report));
          const files = writeVerifyReports(report, dir);
          if (options.json) writeLine(io.stdout, JSON.stringify(report, null, 2));
          else {
            for (const stage of report.stages) {
              for (const check of stage.checks) {
                const mark = check.status === "passed" ? "✔" : check.status === "failed" ? "✘" : "–";
                writeLine(io.stdout, `${mark} ${stage.pipeline}${stage.tenant ? ` [${stage.tenant}]` : ""} ${check.name}: ${check.message}`);
              }
            }
            const considered = report.summary.checks - report.summary.skipped;
            writeLine(io.stdout, `\n${report.ok ? "✔" : "✘"} reconciliation ${considered ? Math.round((report.summary.passed / considered) * 1000) / 10 : 100}%: ${report.summary.passed} passed, ${report.summary.failed} failed, ${report.summary.skipped} skipped`);
            writeLine(io.stdout, `reports: ${files.html}\n         ${files.json}\n         ${files.junit}`);
          }
          return report.ok ? ExitCode.ok : ExitCode.failed;
        });
      }));
}
