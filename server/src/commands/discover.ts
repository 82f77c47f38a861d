import type { Command } from "commander";
import type { Catalog } from "@databridge/core";
import { type CommandIO, ExitCode, formatNumber, formatTable, writeLine } from "../output/io.js";
import { withWorkspace } from "./context.js";

export function renderCatalog(catalog: Catalog, io: CommandIO): void {
  writeLine(io.stdout, `${catalog.connection}: ${catalog.serverVersion ?? catalog.type}, ${catalog.tables.length} tables and views (default schema ${catalog.defaultSchema})`);
  for (const table of catalog.tables) {
    writeLine(io.stdout, `\n${table.kind === "view" ? "view" : "table"} ${table.schema}.${table.name} · ~${table.estimatedRows === null ? "?" : formatNumber(table.estimatedRows)} rows${table.primaryKey.length ? ` · primary key (${table.primaryKey.join(", ")})` : ""}`);
    writeLine(io.stdout, formatTable(["column", "type", "null", "default"], table.columns.map((c) => [c.name, c.nativeType, c.nullable ? "yes" : "no", c.default ?? ""])));
    for (const fk of table.foreignKeys) writeLine(io.stdout, `  foreign key (${fk.columns.join(", ")}) → ${fk.referencedTable.schema ? `${fk.referencedTable.schema}.` : ""}${fk.referencedTable.name} (${fk.referencedColumns.join(", ")})`);
    for (const index of table.indexes) writeLine(io.stdout, `  ${index.unique ? "unique " : ""}index ${index.name} (${index.columns.join(", ")})`);
  }
}

export function registerDiscover(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("discover")
    .description("list a connection's tables and views: columns, keys, indexes, estimated rows")
    .argument("<connection>", "connection name from databridge.config.ts")
    .option("--json", "print the catalog as JSON")
    .action((name: string, options: { json?: boolean }, command: Command) =>
      run(() => withWorkspace(command.optsWithGlobals(), io, undefined, async (_workspace, connections) => {
        const catalog = await (await connections.get(name)).introspect();
        if (options.json) writeLine(io.stdout, JSON.stringify(catalog, null, 2));
        else renderCatalog(catalog, io);
        return ExitCode.ok;
      })));
}
