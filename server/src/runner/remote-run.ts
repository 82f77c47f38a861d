import { configError, type DataBridgeError, type RunEvent, type RunFinishedEvent, terminalError } from "@databridge/core";
import { RunnerApiError, RunnerClient, type RunnerEndpoint } from "@databridge/core/runner-protocol";
import { decideRunner, readRunnerFile } from "@databridge/core/runner-protocol/discovery";

/**
 * Where `--runner [url]` points: the given URL (or, without one, the workspace's running runner from
 * `.databridge/runner.json`), with the token from that file when it describes the same runner, else from
 * `DATABRIDGE_RUNNER_TOKEN`. The decision is the protocol's (`decideRunner`), shared with VS Code.
 */
export function resolveRunnerTarget(options: { url?: string; workspaceRoot: string; env: NodeJS.ProcessEnv }): RunnerEndpoint {
  let file;
  try {
    file = readRunnerFile(options.workspaceRoot);
  } catch (error) {
    throw configError((error as Error).message);
  }
  const decision = decideRunner({
    configuredUrl: options.url,
    configuredFrom: "--runner",
    configuredToken: options.env.DATABRIDGE_RUNNER_TOKEN?.trim() || undefined,
    tokenHint: "set DATABRIDGE_RUNNER_TOKEN (that runner's .databridge/runner.json holds it), or leave out the URL to use this workspace's runner",
    file,
  });
  switch (decision.action) {
    case "connect":
      return { url: decision.endpoint.url, token: decision.endpoint.token };
    case "error":
      throw configError(decision.message);
    case "wait":
      throw configError(`this workspace's runner (pid ${decision.pid}) is still starting`, { fix: "run the command again in a moment" });
    case "spawn":
      throw configError(decision.reason, { fix: "start one with `databridge serve`, or pass --runner <url>" });
  }
}

/** The CLI's one-line error for a failed runner call: a refused request is the user's to fix, the rest is terminal. */
function cliError(error: unknown): unknown {
  if (!(error instanceof RunnerApiError)) return error;
  const failure: DataBridgeError = error.status === 400
    ? configError(`runner: ${error.message}`, {}, error)
    : error.status === 0
      ? terminalError(error.message, error.code === "unreachable" ? { fix: "is `databridge serve` running?" } : {}, error)
      : terminalError(`runner (${error.status} ${error.code}): ${error.message}`, {}, error);
  return failure;
}

/**
 * Submits pipelines to a runner and follows the run to its end, passing each event on (the CLI renders them
 * like a local run). An abort (Ctrl+C) cancels the run on the runner; following goes on until its
 * `run.finished` (status `cancelled`) arrives.
 */
export async function runOnRunner(options: {
  target: RunnerEndpoint;
  pipelines: string[];
  resume?: boolean;
  batchSize?: number;
  fullRefresh?: boolean;
  signal?: AbortSignal;
  onEvent: (event: RunEvent) => void;
}): Promise<RunFinishedEvent> {
  const client = new RunnerClient(options.target);
  let runId: string;
  try {
    ({ id: runId } = await client.startRun({ pipelines: options.pipelines, resume: options.resume, batchSize: options.batchSize, fullRefresh: options.fullRefresh }));
  } catch (error) {
    throw cliError(error);
  }
  const cancel = () => void client.cancelRun(runId).catch(() => {});
  options.signal?.addEventListener("abort", cancel, { once: true });
  try {
    return await client.followRun(runId, options.onEvent);
  } catch (error) {
    throw cliError(error);
  } finally {
    options.signal?.removeEventListener("abort", cancel);
  }
}
