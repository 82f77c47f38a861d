import { type ConnectionManager, isDataBridgeError, loadWorkspace, messageOf, openConnections, redactSecrets, type Workspace } from "@databridge/core";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";

export interface GlobalOptions {
  config?: string;
  verbose?: boolean;
}

/** Thrown by commands for a usage error (exit 2) that commander itself did not catch. */
export class UsageError extends Error {}

/** Maps any error to its one-line message and exit code; a stack trace only with --verbose. */
export function reportError(error: unknown, io: CommandIO, verbose = false): number {
  const line = isDataBridgeError(error) ? error.toLine() : messageOf(error);
  writeLine(io.stderr, `error: ${line}`);
  if (verbose && error instanceof Error && error.stack) {
    writeLine(io.stderr, redactSecrets(error.stack));
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.stack) writeLine(io.stderr, redactSecrets(`caused by: ${cause.stack}`));
  }
  if (error instanceof UsageError) return ExitCode.usage;
  if (isDataBridgeError(error) && error.kind === "config") return ExitCode.usage;
  return ExitCode.failed;
}

/** Loads the workspace (config nearest to `from`), opens connections lazily, always closes them. */
export async function withWorkspace<T>(
  global: GlobalOptions,
  io: CommandIO,
  from: string | undefined,
  work: (workspace: Workspace, connections: ConnectionManager) => Promise<T>,
): Promise<T> {
  const workspace = await loadWorkspace({ configPath: global.config, from: from ?? io.cwd });
  const connections = openConnections(workspace, io.env);
  try {
    return await work(workspace, connections);
  } finally {
    await connections.closeAll();
  }
}
