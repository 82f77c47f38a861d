import fs from "node:fs";
import path from "node:path";
import { type Command, Option } from "commander";
import { configError, fileAction, generatePipelines, NAME_STYLES, type FileAction, type NameStyle, isTarget } from "@databridge/core";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";
import { type GlobalOptions, withWorkspace } from "./context.js";

export interface GenerateCommandOptions {
  target: string;
  tables?: string;
  exclude?: string;
  schema?: string;
  targetSchema?: string;
  names?: NameStyle;
  force?: boolean;
  dryRun?: boolean;
}

const list = (value: string | undefined) => value?.split(",").map((s) => s.trim()).filter(Boolean);

const VERB: Record<FileAction, [done: string, dry: string]> = {
  create: ["created", "would create"],
  update: ["updated", "would update"],
  unchanged: ["unchanged", "unchanged"],
  "skip-edited": ["skipped (edited since generated; would change — --force overwrites)", "would skip (edited since generated; would change — --force overwrites)"],
};

/** `databridge generate <source> --target <connection>`: one pipeline file per source table, never over a file someone edited. */
export async function generateCommand(sourceName: string, options: GenerateCommandOptions, global: GlobalOptions, io: CommandIO): Promise<number> {
  return withWorkspace(global, io, undefined, async (workspace, connections) => {
    const [source, target] = await Promise.all([connections.get(sourceName), connections.get(options.target)]);
    if (!isTarget(target)) {
      throw configError(`connection ${target.name} (${target.type}) cannot be a target; DataBridge loads into PostgreSQL`, { connection: target.name, fix: "pass a PostgreSQL connection to --target" });
    }
    const [sourceCatalog, targetCatalog] = await Promise.all([source.introspect(), target.introspect()]);
    const result = generatePipelines(sourceCatalog, targetCatalog, {
      source: source.name, target: target.name, tables: list(options.tables), exclude: list(options.exclude),
      schema: options.schema, targetSchema: options.targetSchema, names: options.names, pipelinesDir: workspace.config.pipelinesDir,
    });
    const counts = new Map<FileAction, number>();
    for (const generated of result.pipelines) {
      const file = path.join(workspace.rootDir, generated.path);
      const existing = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
      const action = fileAction(existing, generated.content, Boolean(options.force));
      counts.set(action, (counts.get(action) ?? 0) + 1);
      if (!options.dryRun && (action === "create" || action === "update")) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, generated.content);
      }
      writeLine(io.stdout, `${VERB[action][options.dryRun ? 1 : 0]} ${generated.path} (${generated.table})`);
      for (const note of generated.notes) writeLine(io.stdout, `  ${note}`);
    }
    const summary = (["create", "update", "unchanged", "skip-edited"] as const).filter((a) => counts.get(a)).map((a) => `${counts.get(a)} ${VERB[a][options.dryRun ? 1 : 0].replace(/ \(.*$/, "")}`);
    writeLine(io.stdout, `${result.pipelines.length} pipeline${result.pipelines.length === 1 ? "" : "s"}${summary.length ? `: ${summary.join(", ")}` : ""}`);
    for (const error of result.errors) writeLine(io.stderr, `error: ${error}`);
    if (result.pipelines.length && !options.dryRun && !result.errors.length) writeLine(io.stdout, "Next: databridge plan, then databridge run");
    return result.errors.length ? ExitCode.failed : ExitCode.ok;
  });
}

export function registerGenerate(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("generate")
    .description("write one pipeline per table of a source connection (every column mapped, upsert, create: true where the target table is missing); an edited file is kept")
    .argument("<source>", "source connection name from databridge.config.ts")
    .requiredOption("--target <connection>", "target connection name (PostgreSQL)")
    .option("--tables <names>", "tables to generate, comma-separated names or globs (default: every base table)")
    .option("--exclude <globs>", "tables to leave out, comma-separated globs")
    .option("--schema <schema>", "source schema (default: the connection's own)")
    .option("--target-schema <schema>", "target schema (default: the target connection's own)")
    .addOption(new Option("--names <style>", "target table and column names: as in the source, lower-cased, or snake_case").choices([...NAME_STYLES]).default("lower"))
    .option("--force", "overwrite files edited since they were generated")
    .option("--dry-run", "say what would be written; write nothing")
    .action((source: string, options: GenerateCommandOptions, command: Command) => run(() => generateCommand(source, options, command.optsWithGlobals(), io)));
}
