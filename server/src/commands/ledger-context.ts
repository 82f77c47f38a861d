import { type ConnectionManager, type Target, findPipelineFiles, ledgerTargets, type LoadedPipeline, loadPipelineFiles, resolveRunId, type Workspace } from "@databridge/core";
import type { CommandIO } from "../output/io.js";
import { type GlobalOptions, withWorkspace } from "./context.js";

export interface LedgerContext {
  workspace: Workspace;
  connections: ConnectionManager;
  /** Every pipeline of the workspace (errors, replay and rollback act on any of them). */
  pipelines: LoadedPipeline[];
  /** The targets of those pipelines: where the ledgers (`databridge.runs`, …) live. */
  targets: Target[];
  /** A run id argument as the ledgers know it (`last`: the newest run); an unknown one is a usage error. */
  resolveRun(runId: string): Promise<string>;
}

/** The workspace with its pipelines and the ledgers of their targets, for the commands that read runs. */
export function withLedgers<T>(global: GlobalOptions, io: CommandIO, work: (ledgers: LedgerContext) => Promise<T>): Promise<T> {
  return withWorkspace(global, io, undefined, async (workspace, connections) => {
    const pipelines = await loadPipelineFiles(workspace, findPipelineFiles(workspace));
    const targets = await ledgerTargets(pipelines, connections);
    return work({ workspace, connections, pipelines, targets, resolveRun: (runId) => resolveRunId(runId, targets) });
  });
}
