import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";

const CONFIG = `import { defineConfig } from "@databridge/core";

// Connection URLs carry no passwords: set DATABRIDGE_CONN_<NAME> in the environment to override a URL
// (e.g. DATABRIDGE_CONN_LEGACY=mysql://user:secret@host:3306/legacy).
export default defineConfig({
  connections: {
    legacy: { url: "pglite:.databridge/legacy" },
    warehouse: { url: "pglite:.databridge/warehouse" },
  },
});
`;

const PIPELINE = `import { pipeline, concat, defaultTo } from "@databridge/core";

export default pipeline({
  name: "customers",
  source: { connection: "legacy", table: "customers", key: "id" },
  target: { connection: "warehouse", table: "public.customers", mode: "upsert", key: ["id"], create: true },
  columns: {
    id: "id",
    full_name: concat(["first_name", "last_name"], " "),
    email: "email",
    status: defaultTo("status", "ACTIVE"),
  },
});
`;

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true,
    "allowImportingTsExtensions": true
  },
  "include": ["databridge.config.ts", "pipelines/**/*.ts", ".databridge/types/**/*.d.ts"]
}
`;

export function initWorkspace(dir: string, force = false): string[] {
  const files: [string, string][] = [
    ["databridge.config.ts", CONFIG],
    [path.join("pipelines", "customers.etl.ts"), PIPELINE],
    ["tsconfig.json", TSCONFIG],
    [".gitignore", ".databridge/\nnode_modules/\n"],
  ];
  const written: string[] = [];
  for (const [relative, content] of files) {
    const file = path.join(dir, relative);
    if (fs.existsSync(file) && !force) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    written.push(relative);
  }
  return written;
}

export function registerInit(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("init")
    .description("scaffold a workspace: databridge.config.ts, one pipeline, tsconfig.json for the editor")
    .argument("[dir]", "folder", ".")
    .option("--force", "overwrite existing files")
    .action((dir: string, options: { force?: boolean }) =>
      run(async () => {
        const target = path.resolve(io.cwd, dir);
        const written = initWorkspace(target, options.force);
        writeLine(io.stdout, written.length ? `Created ${written.join(", ")} in ${target}` : `Nothing to do: files exist in ${target} (use --force to overwrite)`);
        return ExitCode.ok;
      }));
}
