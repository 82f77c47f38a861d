import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { createJiti } from "jiti";
import { alertsConfigError, type WorkspaceConfig } from "../authoring/config.js";
import { isPipeline, type Pipeline } from "../authoring/pipeline.js";
import { configError, isDataBridgeError, messageOf, type SourceLocation } from "../errors.js";
import { didYouMean } from "../util/suggest.js";
import { ConnectionManager } from "./connections.js";
import { createRegistry, type Registry } from "./registry.js";

export const CONFIG_FILE_NAMES = ["databridge.config.ts", "databridge.config.mts", "databridge.config.js", "databridge.config.mjs"];
export const PIPELINE_SUFFIX = ".etl.ts";

export interface Workspace {
  /** The folder holding the config; relative paths (pglite folders, `.databridge/`) resolve against it. */
  rootDir: string;
  configPath: string;
  config: WorkspaceConfig;
  registry: Registry;
}

export interface LoadedPipeline {
  pipeline: Pipeline;
  file: string;
}

/** This package's entry, which `@databridge/core` imports in pipeline files resolve to when the workspace has none. */
const coreEntry = fileURLToPath(new URL("../index.js", import.meta.url));

function createLoader(rootDir: string) {
  let alias: Record<string, string> | undefined;
  try {
    createRequire(path.join(rootDir, "noop.js")).resolve("@databridge/core");
  } catch {
    alias = { "@databridge/core": coreEntry };
  }
  return createJiti(import.meta.url, { alias, moduleCache: false, interopDefault: true });
}

/** The nearest config file at or above `start` (a file or a folder). */
export function findConfigFile(start: string): string | undefined {
  let dir = fs.existsSync(start) && fs.statSync(start).isFile() ? path.dirname(start) : path.resolve(start);
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = path.join(dir, name);
      if (fs.existsSync(candidate)) return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Loads `databridge.config.ts` (explicit path, or the nearest one upward from `from`). */
export async function loadWorkspace(options: { configPath?: string; from?: string } = {}): Promise<Workspace> {
  const configPath = options.configPath ? path.resolve(options.configPath) : findConfigFile(options.from ?? process.cwd());
  if (!configPath) {
    throw configError(`no databridge.config.ts found in ${options.from ?? process.cwd()} or any folder above it`, { fix: "run `databridge init`, or pass --config <path>" });
  }
  if (!fs.existsSync(configPath)) throw configError(`config file ${configPath} does not exist`);
  const rootDir = path.dirname(configPath);
  const config = await importDefault<WorkspaceConfig>(createLoader(rootDir), configPath, "config");
  if (typeof config !== "object" || config === null || typeof config.connections !== "object") {
    throw configError(`${path.basename(configPath)} must export default defineConfig({ connections: { … } })`);
  }
  for (const [name, connection] of Object.entries(config.connections)) {
    if (typeof connection !== "string" && (typeof connection !== "object" || connection === null || typeof connection.url !== "string")) {
      throw configError(`connections.${name} needs a url`, { connection: name });
    }
  }
  const alertsError = alertsConfigError(config.alerts);
  if (alertsError) throw configError(`${path.basename(configPath)}: ${alertsError}`);
  if (config.queue !== undefined && (typeof config.queue !== "object" || config.queue === null || typeof config.queue.url !== "string")) {
    throw configError(`${path.basename(configPath)}: queue must be { url: "redis://host:6379/db" }`);
  }
  return { rootDir, configPath, config, registry: createRegistry(config.plugins ?? []) };
}

async function importDefault<T>(jiti: ReturnType<typeof createJiti>, file: string, what: string): Promise<T> {
  try {
    return (await jiti.import(file, { default: true })) as T;
  } catch (error) {
    if (isDataBridgeError(error)) throw error.withContext({});
    const shown = path.relative(process.cwd(), file) || file;
    const failure = describeLoadFailure(error, file);
    if (!failure.location) throw configError(`cannot load ${what} ${shown}: ${failure.message}`, {}, error);
    const { line, column } = failure.location;
    const text = sourceLine(file, line);
    throw configError(`cannot load ${what} ${shown}:${line}:${column}: ${failure.message}${text ? ` at \`${text}\`` : ""}`, { location: failure.location }, error);
  }
}

const firstLine = (text: string) => text.split("\n")[0];

/**
 * What went wrong loading a workspace file, and where in it when that is known: a syntax error's position
 * (jiti's parser appends ` <file>:<line>:<column>`, the column 0-based). An error thrown while the module ran
 * is placed by its first stack frame in the file — by line only, since the frame's column counts in the
 * transformed code.
 */
export function describeLoadFailure(error: unknown, file: string): { message: string; location?: SourceLocation } {
  const text = messageOf(error);
  const parse = /^(?:ParseError: )?([\s\S]*?)\s*\n\s*(\S.*):(\d+):(\d+)\s*$/.exec(text);
  if (parse && path.resolve(parse[2]) === path.resolve(file)) {
    return { message: `syntax error: ${firstLine(parse[1]).trim()}`, location: { file, line: Number(parse[3]), column: Number(parse[4]) + 1 } };
  }
  const stack = error instanceof Error ? error.stack ?? "" : "";
  const frame = stack.split("\n").map((l) => /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):\d+\)?\s*$/.exec(l.trim()))
    .find((m) => m && path.resolve(m[1].replace(/^file:\/\//, "")) === path.resolve(file));
  return { message: frame ? `${firstLine(text)} (line ${frame[2]})` : firstLine(text) };
}

/** A line of a file, trimmed and shortened for a one-line message. */
function sourceLine(file: string, line: number): string | undefined {
  try {
    const text = fs.readFileSync(file, "utf8").split(/\r?\n/)[line - 1]?.trim();
    return text ? (text.length > 120 ? `${text.slice(0, 117)}…` : text) : undefined;
  } catch {
    return undefined;
  }
}

/** Every `*.etl.ts` under the given files or folders (default: the workspace's pipelines folder). */
export function findPipelineFiles(workspace: Workspace, targets: string[] = []): string[] {
  const roots = targets.length ? targets.map((t) => path.resolve(t)) : [path.join(workspace.rootDir, workspace.config.pipelinesDir ?? "pipelines")];
  const files: string[] = [];
  for (const root of roots) {
    if (!fs.existsSync(root)) throw configError(`no such file or folder: ${root}`);
    if (fs.statSync(root).isFile()) {
      files.push(root);
      continue;
    }
    for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith(PIPELINE_SUFFIX) && !entry.parentPath.includes("node_modules")) files.push(path.join(entry.parentPath, entry.name));
    }
  }
  return [...new Set(files)].sort();
}

/** Loads pipeline files; each must `export default pipeline({...})`. */
export async function loadPipelineFiles(workspace: Workspace, files: string[]): Promise<LoadedPipeline[]> {
  const jiti = createLoader(workspace.rootDir);
  const loaded: LoadedPipeline[] = [];
  for (const file of files) {
    const value = await importDefault<unknown>(jiti, file, "pipeline");
    if (!isPipeline(value)) throw configError(`${path.relative(process.cwd(), file)} must \`export default pipeline({...})\``);
    const duplicate = loaded.find((p) => p.pipeline.name === value.name);
    if (duplicate) throw configError(`pipeline name "${value.name}" is used by both ${duplicate.file} and ${file}`, { pipeline: value.name });
    loaded.push({ pipeline: value, file });
  }
  return loaded;
}

/**
 * Resolves command-line targets to pipelines: files, folders, or pipeline names found in the workspace.
 */
export async function resolvePipelines(workspace: Workspace, targets: string[]): Promise<LoadedPipeline[]> {
  const paths = targets.filter((t) => fs.existsSync(t));
  const names = targets.filter((t) => !fs.existsSync(t));
  const selected = paths.length || !names.length ? await loadPipelineFiles(workspace, findPipelineFiles(workspace, paths)) : [];
  if (names.length) {
    const all = await loadPipelineFiles(workspace, findPipelineFiles(workspace));
    for (const name of names) {
      const match = all.find((p) => p.pipeline.name === name);
      if (!match) throw configError(`no pipeline file or pipeline named "${name}"${didYouMean(name, all.map((p) => p.pipeline.name))}`);
      if (!selected.some((p) => p.pipeline.name === name)) selected.push(match);
    }
  }
  if (!selected.length) throw configError("no pipelines found (files ending in .etl.ts)");
  return selected;
}

export function openConnections(workspace: Workspace, env: NodeJS.ProcessEnv = process.env): ConnectionManager {
  return new ConnectionManager(workspace.config, workspace.registry, workspace.rootDir, env, path.basename(workspace.configPath));
}

/** Imports a TypeScript module of the workspace (a seed script, a plugin) the way pipelines are loaded. */
export async function importWorkspaceModule<T = unknown>(workspace: Workspace, file: string): Promise<T> {
  return importDefault<T>(createLoader(workspace.rootDir), file, "module");
}
