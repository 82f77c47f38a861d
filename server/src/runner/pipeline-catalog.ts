import fs from "node:fs";
import path from "node:path";
import { didYouMean, effectiveSources, findPipelineFiles, type LoadedPipeline, loadPipelineFiles, orderByDependencies, type Workspace } from "@databridge/core";
import type { PipelineSummary } from "@databridge/core/runner-protocol";
import { badRequest, notFound } from "./errors.js";
import type { WorkspaceSource } from "./workspace-source.js";

/**
 * The workspace's `.etl.ts` pipelines, loaded from disk and reloaded only when a file is added,
 * removed or changed (20 runs submitted at once do not transpile every pipeline 20 times).
 */
export class PipelineCatalog {
  private cache?: { signature: string; workspace: Workspace; pipelines: Promise<LoadedPipeline[]> };

  constructor(private readonly workspaces: WorkspaceSource) {}

  async all(): Promise<{ workspace: Workspace; pipelines: LoadedPipeline[] }> {
    const workspace = await this.workspaces.get();
    const files = findPipelineFiles(workspace);
    const signature = files.map((f) => `${f}@${mtime(f)}`).join("|");
    if (!this.cache || this.cache.signature !== signature || this.cache.workspace !== workspace) {
      const pipelines = loadPipelineFiles(workspace, files);
      this.cache = { signature, workspace, pipelines };
      pipelines.catch(() => {
        if (this.cache?.pipelines === pipelines) this.cache = undefined;
      });
    }
    return { workspace, pipelines: await this.cache.pipelines };
  }

  async get(name: string): Promise<LoadedPipeline> {
    const { pipelines } = await this.all();
    const match = pipelines.find((p) => p.pipeline.name === name);
    if (!match) throw notFound(`pipeline "${name}"${didYouMean(name, pipelines.map((p) => p.pipeline.name))}`);
    return match;
  }

  /**
   * The pipelines a run asks for, checked: every name exists, and every dependency is part of the
   * run (the engine orders them; it cannot run a pipeline whose dependency it was not given).
   */
  async select(names: string[], field = "pipelines"): Promise<{ workspace: Workspace; pipelines: LoadedPipeline[] }> {
    const { workspace, pipelines: all } = await this.all();
    const allNames = all.map((p) => p.pipeline.name);
    const selected: LoadedPipeline[] = [];
    for (const [index, name] of names.entries()) {
      const match = all.find((p) => p.pipeline.name === name);
      if (!match) throw badRequest(`${field}[${index}]: no pipeline named "${name}"${didYouMean(name, allNames)}`, "unknown_pipeline");
      if (!selected.includes(match)) selected.push(match);
    }
    const { problems } = orderByDependencies(selected, allNames);
    if (problems.length) throw badRequest(`${field}: pipeline ${problems[0].pipeline}: ${problems[0].message}`, "invalid_dependencies");
    for (const { pipeline } of selected) {
      const missing = (pipeline.dependsOn ?? []).filter((d) => !selected.some((s) => s.pipeline.name === d));
      if (missing.length) {
        throw badRequest(`${field}: pipeline ${pipeline.name} depends on ${missing.join(", ")}, which ${missing.length > 1 ? "are" : "is"} not in this run; add ${missing.length > 1 ? "them" : "it"}`, "missing_dependency");
      }
    }
    return { workspace, pipelines: selected };
  }

  /** A pipeline and what it depends on, transitively: what a run of it alone needs (the engine orders them). */
  async withDependencies(name: string): Promise<string[]> {
    const { pipelines } = await this.all();
    const byName = new Map(pipelines.map((p) => [p.pipeline.name, p.pipeline]));
    const out: string[] = [];
    const visit = (current: string) => {
      if (out.includes(current)) return;
      out.push(current);
      for (const dependency of byName.get(current)?.dependsOn ?? []) visit(dependency);
    };
    visit(name);
    return out.reverse();
  }

  summary(workspace: Workspace, loaded: LoadedPipeline): PipelineSummary {
    const { pipeline } = loaded;
    const first = effectiveSources(pipeline)[0];
    return {
      name: pipeline.name,
      description: pipeline.description ?? null,
      file: path.relative(workspace.rootDir, loaded.file),
      source: `${first.connection}:${first.table ?? "(query)"}`,
      sourceConnection: first.connection,
      sourceTable: first.table ?? null,
      tenants: (pipeline.sources ?? []).map((s) => s.tenant ?? s.connection),
      target: `${pipeline.target.connection}:${pipeline.target.table}`,
      targetConnection: pipeline.target.connection,
      targetTable: pipeline.target.table,
      mode: pipeline.target.mode ?? "insert",
      dependsOn: [...(pipeline.dependsOn ?? [])],
      batchSize: pipeline.batchSize ?? null,
    };
  }
}

const mtime = (file: string) => {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
};
