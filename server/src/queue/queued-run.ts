import { runDistributed, type ConnectionManager, type LoadedPipeline, type RunEvent, type RunResult, type Workspace } from "@databridge/core";
import { parseQueueUrl } from "./queue-url.js";
import { openUnitQueue } from "./unit-queue.js";

/** `run --queue`: the run planned here, its units executed by the queue's workers, its events followed until it ends. */
export async function runOnQueue(
  workspace: Workspace,
  pipelines: LoadedPipeline[],
  options: { queue: string; runId?: string; resume?: boolean; fullRefresh?: boolean; batchSize?: number; connections: ConnectionManager; env?: NodeJS.ProcessEnv; onEvent: (event: RunEvent) => void },
): Promise<RunResult> {
  const queue = await openUnitQueue(parseQueueUrl(options.queue));
  try {
    return await runDistributed(workspace, pipelines, { ...options, execute: queue.execute });
  } finally {
    await queue.close();
  }
}
