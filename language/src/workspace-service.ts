import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  findConfigFile, isDataBridgeError, loadWorkspace, messageOf, openConnections, redactSecrets, PIPELINE_SUFFIX,
  type TransformDefinition, type Workspace,
} from "@databridge/core";
import { parseConfigDocument, type ConfigDocument } from "./config-document.js";
import { introspectConnections } from "./introspect.js";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { createLanguageContext, pipelineDocument, type LanguageContext, type PipelineInfo } from "./language-context.js";
import { BUILTIN_TRANSFORMS, parsePipelineDocument, type PipelineDocument } from "./pipeline-document.js";
import type { ConnectionStatus, SchemaStatus } from "./protocol.js";
import { readSchemaCache, schemaCachePath, updateSchemaCache, type CachedConnection } from "./schema-cache.js";
import { SchemaIndex, type ConnectionSchema } from "./schema-index.js";

export interface WorkspaceServiceOptions {
  /** The environment connection URLs resolve in (process env plus the client's overrides). */
  env(): NodeJS.ProcessEnv;
  /** Introspect in the background when a workspace is first seen. */
  introspect: boolean;
  timeoutMs: number;
  log(message: string): void;
  /** A workspace's schema (or its set of pipelines) changed: re-check its open documents. */
  onChange(workspace: WorkspaceState, schemaChanged: boolean): void;
}

/** Pipelines declared in a file's text (or parsed model), as the workspace index keeps them. */
export function pipelineInfos(uri: string, source: string | PipelineDocument): PipelineInfo[] {
  const document = typeof source === "string" ? parsePipelineDocument(source, uri) : source;
  return document.pipelines.flatMap((p) => {
    if (!p.name) return [];
    const start = document.sourceFile.getLineAndCharacterOfPosition(p.name.start);
    const end = document.sourceFile.getLineAndCharacterOfPosition(p.name.end);
    return [{ name: p.name.text, uri, range: { start, end }, dependsOn: p.dependsOn.map((d) => d.text) }];
  });
}

const toPath = (uri: string) => (uri.startsWith("file:") ? fileURLToPath(uri) : uri);
const oneLine = (error: unknown) => redactSecrets(isDataBridgeError(error) ? error.toLine() : messageOf(error)).split("\n")[0];

/** One DataBridge workspace (a folder with `databridge.config.ts`): its schemas, pipelines and config. */
export class WorkspaceState {
  readonly configUri: string;
  private readonly schemas = new Map<string, ConnectionSchema>();
  private staticConfig: ConfigDocument = { connections: [] };
  private configText = "";
  private loaded?: Workspace;
  private loadedNames?: string[];
  private index?: SchemaIndex;
  private readonly diskPipelines = new Map<string, PipelineInfo[]>();
  private readonly openPipelines = new Map<string, PipelineInfo[]>();
  private refreshing: Promise<unknown> = Promise.resolve();
  private cacheMtime = 0;
  private lastCacheCheck = 0;

  constructor(readonly rootDir: string, readonly configPath: string, private readonly options: WorkspaceServiceOptions) {
    this.configUri = pathToFileURL(configPath).href;
  }

  /** Cache and config first (instant), then the config module and, in the background, the databases. */
  start(): void {
    this.readStaticConfig();
    this.reloadCache(true);
    this.scanPipelines();
    void this.loadConfig().then(() => {
      this.scanPipelines();
      this.options.onChange(this, true);
      if (this.options.introspect) void this.refresh().catch((error) => this.options.log(`schema refresh failed: ${oneLine(error)}`));
    });
  }

  private readStaticConfig(text?: string): void {
    try {
      this.configText = text ?? fs.readFileSync(this.configPath, "utf8");
      this.staticConfig = parseConfigDocument(this.configText, this.configPath);
    } catch {
      this.staticConfig = { connections: [] };
    }
    this.index = undefined;
  }

  /** Runs the config with the CLI's loader: plugins (transforms) and the definitive connection names. */
  private async loadConfig(): Promise<Workspace | undefined> {
    try {
      this.loaded = await loadWorkspace({ configPath: this.configPath });
      this.loadedNames = openConnections(this.loaded, this.options.env()).names();
    } catch (error) {
      this.options.log(`cannot load ${path.basename(this.configPath)}: ${oneLine(error)}`);
    }
    this.index = undefined;
    return this.loaded;
  }

  /** The config file was edited (open buffer or disk). */
  configChanged(text?: string): void {
    this.readStaticConfig(text);
    this.options.onChange(this, true);
  }

  /** The config file was saved: reload it and introspect again. */
  async configSaved(): Promise<void> {
    this.readStaticConfig();
    await this.loadConfig();
    this.options.onChange(this, true);
    if (this.options.introspect) await this.refresh();
  }

  /** Reads `.databridge/schema-cache.json` when it changed on disk (e.g. after `databridge types`). */
  reloadCache(force = false): boolean {
    const now = Date.now();
    if (!force && now - this.lastCacheCheck < 1000) return false;
    this.lastCacheCheck = now;
    let mtime = 0;
    try {
      mtime = fs.statSync(schemaCachePath(this.rootDir)).mtimeMs;
    } catch {
      return false;
    }
    if (mtime === this.cacheMtime) return false;
    this.cacheMtime = mtime;
    const cache = readSchemaCache(this.rootDir);
    let changed = false;
    for (const [name, cached] of Object.entries(cache.connections)) {
      const current = this.schemas.get(name);
      if (current?.fetchedAt && current.fetchedAt >= cached.fetchedAt) continue;
      this.schemas.set(name, { name, type: cached.type, status: "ok", catalog: cached.catalog, fetchedAt: cached.fetchedAt });
      changed = true;
    }
    if (changed) {
      this.index = undefined;
      if (!force) this.options.onChange(this, true);
    }
    return changed;
  }

  /** Introspects (some) connections now; unreachable ones keep their cached catalog and get a reason. */
  refresh(options: { names?: string[]; includeEmbedded?: boolean } = {}): Promise<SchemaStatus> {
    const run = this.refreshing.then(async () => {
      const workspace = this.loaded ?? (await this.loadConfig());
      if (!workspace) return this.status();
      // Names again: the client may have added connections (credentials) since the config was loaded.
      this.loadedNames = openConnections(workspace, this.options.env()).names();
      const results = await introspectConnections(workspace, {
        env: this.options.env(), names: options.names, timeoutMs: this.options.timeoutMs, includeEmbedded: options.includeEmbedded,
      });
      const fresh: Record<string, CachedConnection> = {};
      for (const result of results) {
        const previous = this.schemas.get(result.name);
        if (result.catalog) {
          this.schemas.set(result.name, { name: result.name, type: result.type, status: "ok", catalog: result.catalog, fetchedAt: result.fetchedAt });
          fresh[result.name] = { type: result.type ?? result.catalog.type, fetchedAt: result.fetchedAt!, catalog: result.catalog };
        } else if (result.error) {
          this.schemas.set(result.name, { ...previous, name: result.name, status: "unreachable", error: result.error });
          this.options.log(`connection ${result.name}: ${result.error}`);
        } else if (!previous) {
          this.schemas.set(result.name, { name: result.name, type: result.type, status: "pending", error: result.skipped });
        }
      }
      if (Object.keys(fresh).length) {
        try {
          updateSchemaCache(this.rootDir, fresh, this.connectionNames());
          this.cacheMtime = fs.statSync(schemaCachePath(this.rootDir)).mtimeMs;
        } catch (error) {
          this.options.log(`cannot write the schema cache: ${oneLine(error)}`);
        }
      }
      this.index = undefined;
      this.options.onChange(this, true);
      return this.status();
    });
    this.refreshing = run.catch(() => {});
    return run;
  }

  connectionNames(): string[] | undefined {
    const names = new Set([...this.staticConfig.connections.map((c) => c.name), ...(this.loadedNames ?? [])]);
    return names.size || this.loaded ? [...names] : undefined;
  }

  status(): SchemaStatus {
    const names = new Set([...(this.connectionNames() ?? []), ...this.schemas.keys()]);
    const connections: ConnectionStatus[] = [...names].map((name) => {
      const state = this.schemas.get(name);
      return {
        name, type: state?.type, status: state?.status ?? "pending", tables: state?.catalog?.tables.length ?? 0,
        error: state?.error, fetchedAt: state?.fetchedAt,
      };
    });
    return { root: this.rootDir, connections };
  }

  schemaIndex(): SchemaIndex {
    this.index ??= new SchemaIndex(this.schemas.values(), this.connectionNames());
    return this.index;
  }

  /** Everything the pure handlers need, from memory. */
  context(): LanguageContext {
    this.reloadCache();
    const pipelines: PipelineInfo[] = [];
    for (const [uri, infos] of this.diskPipelines) if (!this.openPipelines.has(uri)) pipelines.push(...infos);
    for (const infos of this.openPipelines.values()) pipelines.push(...infos);
    return createLanguageContext({
      schema: this.schemaIndex(),
      pipelines,
      transforms: this.transforms(),
      transformsComplete: !!this.loaded,
      config: { uri: this.configUri, document: this.staticConfig, text: this.configText },
    });
  }

  /** The workspace's transforms (its plugins' included) once its config is loaded; the built-ins until then. */
  private transforms(): ReadonlyMap<string, TransformDefinition<never>> {
    return this.loaded?.registry.transforms ?? BUILTIN_TRANSFORMS;
  }

  /** An open pipeline document's current pipelines (they override the file on disk); undefined when closed. */
  documentChanged(uri: string, document: TextDocument | undefined): boolean {
    const before = JSON.stringify(this.openPipelines.get(uri)?.map((p) => [p.name, p.dependsOn]));
    if (document === undefined) this.openPipelines.delete(uri);
    // Parsed with the transforms the handlers use next, so this version is parsed once.
    else this.openPipelines.set(uri, pipelineInfos(uri, pipelineDocument(document, this.transforms())));
    return before !== JSON.stringify(this.openPipelines.get(uri)?.map((p) => [p.name, p.dependsOn]));
  }

  /** A pipeline file changed on disk. */
  fileChanged(file: string, deleted: boolean): void {
    const uri = pathToFileURL(file).href;
    if (deleted) this.diskPipelines.delete(uri);
    else {
      try {
        this.diskPipelines.set(uri, pipelineInfos(uri, fs.readFileSync(file, "utf8")));
      } catch {
        this.diskPipelines.delete(uri);
      }
    }
    this.options.onChange(this, false);
  }

  owns(file: string): boolean {
    return file.startsWith(this.rootDir + path.sep);
  }

  private scanPipelines(): void {
    const dir = path.join(this.rootDir, this.loaded?.config.pipelinesDir ?? this.staticConfig.pipelinesDir ?? "pipelines");
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { recursive: true, withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith(PIPELINE_SUFFIX) || entry.parentPath.includes("node_modules")) continue;
      const file = path.join(entry.parentPath, entry.name);
      try {
        const uri = pathToFileURL(file).href;
        this.diskPipelines.set(uri, pipelineInfos(uri, fs.readFileSync(file, "utf8")));
      } catch {
        // unreadable file: skipped
      }
    }
  }
}

/** The workspaces the server has seen, found from documents (the nearest `databridge.config.ts` upward). */
export class WorkspaceService {
  private readonly byConfig = new Map<string, WorkspaceState>();
  private readonly configOfDir = new Map<string, string | null>();

  constructor(readonly options: WorkspaceServiceOptions) {}

  /** The workspace a document (or folder) belongs to, started on first sight; undefined without a config. */
  forUri(uri: string): WorkspaceState | undefined {
    const file = toPath(uri);
    const dir = uri.endsWith("/") || !path.extname(file) ? file : path.dirname(file);
    let configPath = this.configOfDir.get(dir);
    if (configPath === undefined) {
      configPath = findConfigFile(dir) ?? null;
      this.configOfDir.set(dir, configPath);
    }
    if (!configPath) return undefined;
    let state = this.byConfig.get(configPath);
    if (!state) {
      state = new WorkspaceState(path.dirname(configPath), configPath, this.options);
      this.byConfig.set(configPath, state);
      state.start();
    }
    return state;
  }

  all(): WorkspaceState[] {
    return [...this.byConfig.values()];
  }

  /** A config file appeared or went away: forget where configs are. */
  forgetConfigLocations(): void {
    this.configOfDir.clear();
  }
}
