import fs from "node:fs";
import { type ConnectionManager, loadWorkspace, openConnections, type Workspace } from "@databridge/core";
import { type EmbeddedPlaces, guardRegistry } from "./embedded-places.js";

/**
 * The runner's workspace: loaded once, reloaded when `databridge.config.ts` changes on disk.
 * Pipelines are resolved from disk on every request, so edits to `.etl.ts` files show up at once.
 */
export class WorkspaceSource {
  private current?: { workspace: Workspace; mtimeMs: number };
  private loading?: Promise<Workspace>;
  private readonly listeners = new Set<() => void>();

  constructor(readonly configPath: string, readonly rootDir: string, initial?: Workspace) {
    if (initial) this.current = { workspace: initial, mtimeMs: mtime(configPath) };
  }

  static async load(configPath: string): Promise<WorkspaceSource> {
    const workspace = await loadWorkspace({ configPath });
    return new WorkspaceSource(workspace.configPath, workspace.rootDir, workspace);
  }

  async get(): Promise<Workspace> {
    const now = mtime(this.configPath);
    if (this.current && this.current.mtimeMs === now) return this.current.workspace;
    this.loading ??= loadWorkspace({ configPath: this.configPath }).then(
      (workspace) => {
        this.current = { workspace, mtimeMs: now };
        this.loading = undefined;
        for (const listener of this.listeners) listener();
        return workspace;
      },
      (error) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }

  onReload(listener: () => void): void {
    this.listeners.add(listener);
  }
}

const mtime = (file: string) => {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
};

interface Generation {
  manager: ConnectionManager;
  workspace: Workspace;
  users: number;
  stale: boolean;
}

/**
 * Connection managers for runs and requests. Concurrent users share one (one pool per database);
 * it closes when the last user is done, so an idle runner holds no connections and no embedded
 * database folders open. Saved connections reach the engine as `DATABRIDGE_CONN_<NAME>` in the
 * manager's environment (never in `process.env`, never printed).
 */
export class RunnerConnections {
  private current?: Generation;

  constructor(
    private readonly workspaces: WorkspaceSource,
    private readonly overlay: () => Promise<Record<string, string>>,
    /** Where embedded databases may be: no run opens the runner's own state database. */
    private readonly places: EmbeddedPlaces,
    private readonly baseEnv: NodeJS.ProcessEnv = process.env,
  ) {
    workspaces.onReload(() => this.invalidate());
  }

  async acquire(): Promise<{ workspace: Workspace; manager: ConnectionManager; release: () => Promise<void> }> {
    const workspace = await this.workspaces.get();
    let generation = this.current;
    if (!generation || generation.stale || generation.workspace !== workspace) {
      const env = { ...this.baseEnv, ...(await this.overlay()) };
      if (this.current && this.current === generation) this.retire(this.current);
      const guarded = { ...workspace, registry: guardRegistry(workspace.registry, this.places) };
      generation = { manager: openConnections(guarded, env), workspace, users: 0, stale: false };
      this.current = generation;
    }
    const acquired = generation;
    acquired.users++;
    let released = false;
    return {
      workspace,
      manager: acquired.manager,
      release: async () => {
        if (released) return;
        released = true;
        acquired.users--;
        if (acquired.users === 0) {
          if (this.current === acquired) this.current = undefined;
          await acquired.manager.closeAll();
        }
      },
    };
  }

  /** Saved connections or the config changed: new users get a new manager; the old one closes after its last user. */
  invalidate(): void {
    if (this.current) this.retire(this.current);
  }

  private retire(generation: Generation): void {
    generation.stale = true;
    if (this.current === generation) this.current = undefined;
    if (generation.users === 0) void generation.manager.closeAll();
  }
}
