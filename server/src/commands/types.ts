import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { loadWorkspace, type Catalog } from "@databridge/core";
import type { CachedConnection } from "@databridge/language";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";
import type { GlobalOptions } from "./context.js";

export interface TypesOptions {
  out?: string;
  timeout?: string;
}

/**
 * `databridge types`: introspects every connection, refreshes `.databridge/schema-cache.json` (the
 * language server's cache) and writes a declaration file that makes `tsc` check pipelines' tables and columns.
 */
export async function typesCommand(options: TypesOptions, global: GlobalOptions, io: CommandIO): Promise<number> {
  // Loaded here, not at CLI start: the language package brings the TypeScript compiler.
  const { introspectConnections, readSchemaCache, renderSchemaTypes, schemaCachePath, updateSchemaCache, SCHEMA_TYPES_FILE } = await import("@databridge/language");
  const workspace = await loadWorkspace({ configPath: global.config, from: io.cwd });
  const timeoutMs = options.timeout ? Number(options.timeout) * 1000 : 60_000;
  const results = await introspectConnections(workspace, { env: io.env, includeEmbedded: true, timeoutMs });
  const cached = readSchemaCache(workspace.rootDir).connections;
  const fresh: Record<string, CachedConnection> = {};
  const catalogs: Record<string, Catalog> = {};
  let failed = 0;
  for (const result of results) {
    if (result.catalog) {
      fresh[result.name] = { type: result.type ?? result.catalog.type, fetchedAt: result.fetchedAt!, catalog: result.catalog };
      catalogs[result.name] = result.catalog;
      writeLine(io.stdout, `✔ ${result.name}: ${result.catalog.tables.length} tables (${result.type})`);
      continue;
    }
    failed++;
    const previous = cached[result.name];
    if (previous) {
      catalogs[result.name] = previous.catalog;
      writeLine(io.stderr, `warning: connection ${result.name}: ${result.error}; using its schema cached ${previous.fetchedAt}`);
    } else {
      writeLine(io.stderr, `error: connection ${result.name}: ${result.error}; its tables are left out of the types`);
    }
  }
  updateSchemaCache(workspace.rootDir, fresh, results.map((r) => r.name));
  const out = path.resolve(workspace.rootDir, options.out ?? SCHEMA_TYPES_FILE);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, renderSchemaTypes(catalogs));
  const tables = Object.values(catalogs).reduce((n, c) => n + c.tables.length, 0);
  const relative = (file: string) => path.relative(io.cwd, file) || file;
  writeLine(io.stdout, `Wrote ${relative(out)} (${Object.keys(catalogs).length} connections, ${tables} tables) and ${relative(schemaCachePath(workspace.rootDir))}`);
  const tsconfig = path.join(workspace.rootDir, "tsconfig.json");
  if (fs.existsSync(tsconfig) && !fs.readFileSync(tsconfig, "utf8").includes(".databridge/types")) {
    writeLine(io.stderr, `hint: add ".databridge/types/**/*.d.ts" to "include" in ${relative(tsconfig)} so tsc reads the types`);
  }
  return failed ? ExitCode.failed : ExitCode.ok;
}

export function registerTypes(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("types")
    .description("introspect the connections, refresh the schema cache and write table/column types so tsc checks pipelines")
    .option("--out <file>", `declaration file to write (default .databridge/types/databridge-schema.d.ts)`)
    .option("--timeout <seconds>", "give up on a connection after this long", "60")
    .action((options: TypesOptions, command: Command) => run(() => typesCommand(options, command.optsWithGlobals(), io)));
}
