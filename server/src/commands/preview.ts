import path from "node:path";
import type { Command } from "commander";
import { previewPipeline, resolvePipelines } from "@databridge/core";
import { type CommandIO, ExitCode, formatTable, writeLine } from "../output/io.js";
import { withWorkspace } from "./context.js";
import { parsePositiveInt, resolveTargets } from "./run.js";

const show = (value: unknown): string => {
  if (value === null || value === undefined) return "NULL";
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString("hex").slice(0, 16)}…`;
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  const escaped = JSON.stringify(text).slice(1, -1);
  return escaped.length > 40 ? `${escaped.slice(0, 39)}…` : escaped;
};

export function registerPreview(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("preview")
    .description("show source rows and transformed rows side by side; writes nothing")
    .argument("<pipeline>", "pipeline file or name")
    .option("--rows <n>", "how many rows", (v) => parsePositiveInt(v, "--rows"), 10)
    .option("--json", "print rows as JSON")
    .action((target: string, options: { rows: number; json?: boolean }, command: Command) =>
      run(() => {
        const [resolved] = resolveTargets([target], io.cwd);
        return withWorkspace(command.optsWithGlobals(), io, path.isAbsolute(resolved) ? resolved : undefined, async (workspace, connections) => {
          const [loaded] = await resolvePipelines(workspace, [resolved]);
          const preview = await previewPipeline(workspace, loaded, connections, options.rows);
          if (options.json) {
            writeLine(io.stdout, JSON.stringify(preview, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
            return ExitCode.ok;
          }
          writeLine(io.stdout, `${preview.pipeline}: first ${preview.rows.length} rows (source │ transformed)`);
          const headers = [...preview.sourceColumns, "│", ...preview.targetColumns];
          writeLine(io.stdout, formatTable(headers, preview.rows.map((row) => [
            ...preview.sourceColumns.map((c) => show(row.source[c])), "│",
            ...(row.target ? preview.targetColumns.map((c) => show(row.target![c])) : [`✘ ${row.error?.column ?? ""}: ${row.error?.message}`]),
          ])));
          return ExitCode.ok;
        });
      }));
}
