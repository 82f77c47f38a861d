import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { isTarget, loadWorkspace, openConnections } from "@databridge/core";
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

/** A few legacy customers (non-ASCII names, a NULL and an empty value) so the scaffolded pipeline runs at once. */
const SAMPLE_CUSTOMERS: [number, string | null, string, string | null, string | null][] = [
  [1, "Jürgen", "Müller", "juergen.mueller@example.com", "A"],
  [2, "Zoë", "Ødegård", "zoe@example.no", null],
  [3, "José", "Núñez", null, "I"],
  [4, null, "Łukasiewicz", "", "A"],
  [5, "Ada", "Lovelace", "ada@example.org", "A"],
];

/**
 * Creates the sample `customers` table in the workspace's `legacy` connection when that connection is
 * embedded (PGlite) and has no such table yet: a real database server is never written to.
 * Returns the number of rows seeded (0 when nothing was done).
 */
export async function seedSampleLegacy(dir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const workspace = await loadWorkspace({ configPath: path.join(dir, "databridge.config.ts") });
  const connections = openConnections(workspace, env);
  try {
    if (!workspace.config.connections.legacy || connections.url("legacy").protocol !== "pglite:") return 0;
    const legacy = await connections.get("legacy");
    if (!isTarget(legacy)) return 0;
    const { rows } = await legacy.query<{ exists: boolean }>("SELECT to_regclass('public.customers') IS NOT NULL AS exists");
    if (rows[0]?.exists) return 0;
    const session = await legacy.session();
    try {
      await session.query("BEGIN");
      await session.query("CREATE TABLE public.customers (id integer PRIMARY KEY, first_name varchar(50), last_name varchar(50) NOT NULL, email varchar(200), status char(1))");
      await session.bulkLoad({ schema: "public", name: "customers" }, ["id", "first_name", "last_name", "email", "status"], SAMPLE_CUSTOMERS);
      await session.query("COMMIT");
    } catch (error) {
      await session.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      await session.release();
    }
    return SAMPLE_CUSTOMERS.length;
  } finally {
    await connections.closeAll();
  }
}

export function registerInit(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("init")
    .description("scaffold a workspace: databridge.config.ts, one pipeline, tsconfig.json for the editor")
    .argument("[dir]", "folder", ".")
    .option("--force", "overwrite existing files")
    .option("--no-sample", "do not create the sample customers table in the embedded legacy database")
    .action((dir: string, options: { force?: boolean; sample: boolean }) =>
      run(async () => {
        const target = path.resolve(io.cwd, dir);
        const written = initWorkspace(target, options.force);
        writeLine(io.stdout, written.length ? `Created ${written.join(", ")} in ${target}` : `Nothing to do: files exist in ${target} (use --force to overwrite)`);
        const seeded = options.sample ? await seedSampleLegacy(target, io.env) : 0;
        if (seeded) writeLine(io.stdout, `Created a sample legacy table customers (${seeded} rows) in the embedded database .databridge/legacy`);
        const relative = path.relative(io.cwd, target);
        if (written.length) writeLine(io.stdout, `Next: ${relative ? `cd ${relative} && ` : ""}databridge preview customers && databridge run`);
        return ExitCode.ok;
      }));
}
