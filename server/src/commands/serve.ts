import path from "node:path";
import type { Command } from "commander";
import { findConfigFile } from "@databridge/core";
import { type CommandIO, ExitCode, writeLine } from "../output/io.js";
import { findRunningRunner } from "@databridge/core/runner-protocol/discovery";
import type { GlobalOptions } from "./context.js";
import { parsePositiveInt } from "./run.js";

export interface ServeOptions {
  port?: number;
  host?: string;
  allowRemote?: boolean;
  allowHost?: string[];
  maxRuns?: number;
}

/**
 * `databridge serve`: the runner for this workspace until SIGINT/SIGTERM. Prints its URL and the
 * dashboard link (token in the URL fragment, which the browser never sends); `.databridge/runner.json`
 * (mode 0600) tells editor clients where it is. A second `serve` reports the running one.
 */
export async function serveCommand(options: ServeOptions, global: GlobalOptions, io: CommandIO, stop: Promise<void>): Promise<number> {
  // Loaded here, not at CLI start: the runner brings hono, drizzle and the embedded state database.
  const { isLoopback, RunnerAlreadyRunning, startRunner } = await import("../runner/runner.js");
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host)) {
    if (!options.allowRemote) {
      writeLine(io.stderr, `error: --host ${host} would expose the runner beyond this machine (fix: keep the default 127.0.0.1, or add --allow-remote)`);
      return ExitCode.usage;
    }
    writeLine(io.stderr, `WARNING: the runner is bound to ${host} and reachable from other machines; anyone with the token controls your databases.`);
    writeLine(io.stderr, "WARNING: traffic is plain HTTP (no TLS). Prefer 127.0.0.1 with an SSH tunnel.");
  }
  const configPath = global.config ? path.resolve(io.cwd, global.config) : findConfigFile(io.cwd);
  let runner;
  try {
    runner = await startRunner({
      configPath, from: io.cwd, host, port: options.port ?? 0, allowRemote: options.allowRemote, allowHosts: options.allowHost,
      maxConcurrentRuns: options.maxRuns, env: io.env,
      log: (line) => {
        // Request lines only with --verbose; run lifecycle and errors always.
        if (global.verbose || !/^[A-Z]+ \/\S* \d{3} \d+ms$/.test(line)) writeLine(io.stderr, `[${new Date().toISOString()}] ${line}`);
      },
    });
  } catch (error) {
    if (!(error instanceof RunnerAlreadyRunning)) throw error;
    const root = path.dirname(configPath ?? path.join(io.cwd, "x"));
    const found = await findRunningRunner(root);
    if (found?.healthy) {
      writeLine(io.stdout, `A runner is already running for this workspace: ${found.info.url} (pid ${found.info.pid})`);
      writeLine(io.stdout, "Its token is in .databridge/runner.json.");
      return ExitCode.ok;
    }
    writeLine(io.stderr, `error: ${error.message}, but it does not answer yet (fix: wait, or stop pid ${error.info.pid})`);
    return ExitCode.failed;
  }
  writeLine(io.stdout, `DataBridge runner for ${runner.workspaceRoot}`);
  writeLine(io.stdout, `  API:        ${runner.url}/api/v1  (bearer token in .databridge/runner.json)`);
  writeLine(io.stdout, `  Dashboard:  ${runner.dashboardUrl}`);
  writeLine(io.stdout, `  State:      ${runner.services.store.database.location}`);
  writeLine(io.stdout, "Press Ctrl+C to stop (runs in flight stop at a batch boundary and can be retried).");
  await stop;
  writeLine(io.stderr, "stopping: runs in flight stop at their next batch boundary…");
  await runner.close();
  return ExitCode.ok;
}

export function registerServe(program: Command, io: CommandIO, run: (work: () => Promise<number>) => Promise<void>) {
  program
    .command("serve")
    .description("start the local runner (API, live events, dashboard) for this workspace")
    .option("--port <n>", "port to listen on (default: any free port)", (v) => parsePort(v))
    .option("--host <address>", "interface to bind (default 127.0.0.1)")
    .option("--allow-remote", "allow binding to a non-loopback address (prints a warning)")
    .option("--allow-host <name>", "extra Host header value to accept (repeatable), e.g. this machine's name", (v, all: string[] = []) => [...all, v])
    .option("--max-runs <n>", "runs executing at once; more wait queued (default 8)", (v) => parsePositiveInt(v, "--max-runs"))
    .action((options: ServeOptions, command: Command) => {
      let resolveStop!: () => void;
      const stop = new Promise<void>((resolve) => (resolveStop = resolve));
      const onSignal = () => resolveStop();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      return run(() => serveCommand(options, command.optsWithGlobals(), io, stop)).finally(() => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      });
    });
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port needs a port number 0-65535 (got ${JSON.stringify(value)})`);
  return n;
}
