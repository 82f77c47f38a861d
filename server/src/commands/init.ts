import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { configError, isTarget, loadWorkspace, openConnections } from "@databridge/core";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";
import { packageManifest, packageVersion } from "../package-version.js";

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

/** Versions the workspace's package.json asks for; a package whose version is unknown is left out. */
export interface WorkspaceDependencies {
  /** `@databridge/core`: what pipeline files import, so tsc and the editor find its types. */
  core?: string;
  /** `@databridge/server`: the CLI, so `npm install` in the workspace (as CI does) brings `npx databridge`. */
  server?: string;
  typescript?: string;
}

/** The versions this CLI runs with: a workspace it makes type-checks against the core that runs its pipelines. */
export function cliDependencies(): WorkspaceDependencies {
  const server = packageManifest("@databridge/server");
  return { core: packageVersion("@databridge/core"), server: server?.version, typescript: server?.dependencies?.typescript };
}

type Manifest = Record<string, unknown> & { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

/**
 * The workspace's package.json: a new one, or the existing one with the DataBridge dependencies it lacks
 * (anything already listed, in any section, is kept as is). Undefined when there is nothing to change.
 */
export function workspaceManifest(existing: string | undefined, file: string, versions: WorkspaceDependencies): string | undefined {
  let manifest: Manifest;
  try {
    manifest = existing === undefined
      ? { name: path.basename(path.dirname(file)).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "") || "databridge-workspace", private: true }
      : (JSON.parse(existing) as Manifest);
  } catch (error) {
    throw configError(`${file} is not valid JSON (${(error as Error).message})`, { fix: "correct it and run init again, or add @databridge/core to its dependencies yourself" }, error);
  }
  const listed = (name: string) => Boolean(manifest.dependencies?.[name] ?? manifest.devDependencies?.[name]);
  let changed = existing === undefined;
  const add = (section: "dependencies" | "devDependencies", name: string, version: string | undefined) => {
    if (!version || listed(name)) return;
    manifest[section] = { ...manifest[section], [name]: version };
    changed = true;
  };
  add("dependencies", "@databridge/core", versions.core);
  add("devDependencies", "@databridge/server", versions.server);
  add("devDependencies", "typescript", versions.typescript);
  return changed ? `${JSON.stringify(manifest, null, 2)}\n` : undefined;
}

export function initWorkspace(dir: string, force = false, versions: WorkspaceDependencies = cliDependencies()): string[] {
  const manifestFile = path.join(dir, "package.json");
  const manifest = workspaceManifest(fs.existsSync(manifestFile) ? fs.readFileSync(manifestFile, "utf8") : undefined, manifestFile, versions);
  const files: [string, string, "create" | "update"][] = [
    ["databridge.config.ts", CONFIG, "create"],
    [path.join("pipelines", "customers.etl.ts"), PIPELINE, "create"],
    ["tsconfig.json", TSCONFIG, "create"],
    [".gitignore", ".databridge/\nnode_modules/\n", "create"],
  ];
  // A package.json is never replaced, --force or not: it only gains the dependencies it lacks.
  if (manifest) files.push(["package.json", manifest, "update"]);
  const written: string[] = [];
  for (const [relative, content, kind] of files) {
    const file = path.join(dir, relative);
    if (kind === "create" && fs.existsSync(file) && !force) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    written.push(relative);
  }
  return written;
}

/**
 * How the user runs the CLI from their shell. npx, pnpm exec and package scripts put a bin folder on PATH
 * for this process only, so `databridge` is suggested bare only when the shell itself finds it.
 */
export function cliCommand(env: NodeJS.ProcessEnv): string {
  const viaPnpm = env.npm_config_user_agent?.startsWith("pnpm/") ?? false;
  if (env.npm_command === "exec" || env.npm_lifecycle_event) return viaPnpm ? "pnpm exec databridge" : "npx databridge";
  return onPath("databridge", env) ? "databridge" : "npx databridge";
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  const names = process.platform === "win32" ? [`${command}.cmd`, `${command}.exe`] : [command];
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      try {
        fs.accessSync(path.join(dir, name), fs.constants.X_OK);
        return true;
      } catch {
        // not in this folder
      }
    }
  }
  return false;
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
    .description("scaffold a workspace: databridge.config.ts, one pipeline, package.json and tsconfig.json for tsc and the editor")
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
        const databridge = cliCommand(io.env);
        if (written.length) {
          writeLine(io.stdout, `Next: ${relative ? `cd ${relative} && ` : ""}${databridge} preview customers && ${databridge} run && ${databridge} verify`);
          writeLine(io.stdout, `Column checks for tsc and your editor: ${databridge} types (then tsc --noEmit -p . names any misspelled column)`);
        }
        return ExitCode.ok;
      }));
}
