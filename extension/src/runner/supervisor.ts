import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import {
  decideRunner, type DiscoveredRunner, isProcessAlive, readRunnerFile, runnerFilePath, type RunnerFile,
} from "@databridge/core/runner-protocol/discovery";

export type RunnerState =
  | { kind: "stopped" }
  | { kind: "starting"; detail: string }
  | { kind: "running"; endpoint: DiscoveredRunner; owned: boolean }
  | { kind: "restarting"; detail: string; attempt: number }
  | { kind: "failed"; message: string };

export interface SupervisorOptions {
  /** The folder holding databridge.config.ts (where `.databridge/runner.json` lives). */
  workspaceRoot: string;
  configPath: string;
  /** How to start `databridge serve`: the Node binary and the CLI script. */
  nodePath: string;
  cliPath: string;
  /** Extra `serve` arguments (e.g. ["--port", "0"]). */
  serveArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** The `databridge.runnerUrl` setting and a token for it. */
  configuredUrl?: () => string | undefined;
  configuredToken?: () => Promise<string | undefined> | string | undefined;
  /** Answers when the runner at the endpoint is up (GET /api/v1/health). */
  probe: (endpoint: DiscoveredRunner) => Promise<void>;
  log: (line: string) => void;
  onState?: (state: RunnerState) => void;
  /** How long `serve` may take to write runner.json and answer. */
  readyTimeoutMs?: number;
  /** How often an adopted (not spawned) runner is checked for life. */
  watchIntervalMs?: number;
  /** Restarts allowed within `restartWindowMs` before giving up. */
  maxRestarts?: number;
  restartWindowMs?: number;
  restartDelayMs?: (attempt: number) => number;
}

/**
 * Keeps one runner available for the workspace: adopts the one runner.json describes when it is alive (or the
 * configured `databridge.runnerUrl`), else starts `databridge serve`, waits until it has written runner.json and
 * answers, and restarts it when it dies (with backoff, giving up after too many deaths in a short time).
 */
export class RunnerSupervisor {
  private state: RunnerState = { kind: "stopped" };
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts: number[] = [];
  private watchTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private starting: Promise<DiscoveredRunner> | undefined;
  private readonly waiters = new Set<{ resolve: (e: DiscoveredRunner) => void; reject: (e: Error) => void }>();

  constructor(private readonly options: SupervisorOptions) {}

  get current(): RunnerState {
    return this.state;
  }

  get endpoint(): DiscoveredRunner | undefined {
    return this.state.kind === "running" ? this.state.endpoint : undefined;
  }

  /** Starts (or adopts) the runner; resolves with its endpoint once it answers. */
  start(): Promise<DiscoveredRunner> {
    this.stopping = false;
    if (this.state.kind === "running") return Promise.resolve(this.state.endpoint);
    this.starting ??= this.bringUp().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** The endpoint once the runner is up (waits through a restart), or the reason it is not. */
  ready(timeoutMs = 60_000): Promise<DiscoveredRunner> {
    if (this.state.kind === "running") return Promise.resolve(this.state.endpoint);
    if (this.state.kind === "failed") return Promise.reject(new Error(this.state.message));
    if (this.state.kind === "stopped") return this.start();
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (e: DiscoveredRunner) => {
          clearTimeout(timer);
          resolve(e);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`the runner did not come up within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Stops watching; kills the runner only if this supervisor started it. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchTimer);
    clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    this.setState({ kind: "stopped" });
  }

  /** Forgets the current runner and brings one up again (e.g. after the runnerUrl setting changed). */
  async reconnect(): Promise<DiscoveredRunner> {
    await this.stop();
    this.restarts = [];
    return this.start();
  }

  private setState(state: RunnerState): void {
    this.state = state;
    this.options.onState?.(state);
    if (state.kind === "running") {
      for (const w of this.waiters) w.resolve(state.endpoint);
      this.waiters.clear();
    } else if (state.kind === "failed") {
      for (const w of this.waiters) w.reject(new Error(state.message));
      this.waiters.clear();
    }
  }

  private async bringUp(): Promise<DiscoveredRunner> {
    try {
      this.setState(this.state.kind === "restarting" ? this.state : { kind: "starting", detail: "looking for a running runner" });
      let file: RunnerFile | undefined;
      try {
        file = readRunnerFile(this.options.workspaceRoot);
      } catch (error) {
        this.options.log(`runner: ${(error as Error).message}; starting a new runner`);
      }
      const decision = decideRunner({
        configuredUrl: this.options.configuredUrl?.(),
        configuredFrom: "setting databridge.runnerUrl",
        configuredToken: await this.options.configuredToken?.(),
        tokenHint: `run "DataBridge: Set Runner Token" (or set DATABRIDGE_RUNNER_TOKEN), or clear databridge.runnerUrl to start the workspace's own runner`,
        file,
      });
      if (decision.action === "error") throw new Error(decision.message);
      if (decision.action === "wait") {
        this.options.log(`runner: a runner (pid ${decision.pid}) is starting for this workspace; waiting for it`);
        const endpoint = await this.waitForRunnerFile(decision.pid, () => isProcessAlive(decision.pid));
        this.setState({ kind: "running", endpoint, owned: false });
        this.watch(endpoint);
        return endpoint;
      }
      if (decision.action === "connect") {
        try {
          await this.options.probe(decision.endpoint);
          this.options.log(`runner: connected to ${decision.endpoint.url}${decision.endpoint.pid ? ` (pid ${decision.endpoint.pid})` : ""}`);
          this.setState({ kind: "running", endpoint: decision.endpoint, owned: false });
          this.watch(decision.endpoint);
          return decision.endpoint;
        } catch (error) {
          if (decision.endpoint.source === "configured" || this.options.configuredUrl?.()) {
            throw new Error(`the runner at ${decision.endpoint.url} does not answer: ${(error as Error).message}`);
          }
          if (decision.endpoint.pid && isProcessAlive(decision.endpoint.pid)) {
            throw new Error(`the runner in ${runnerFilePath(this.options.workspaceRoot)} (pid ${decision.endpoint.pid}) is alive but does not answer: ${(error as Error).message}`);
          }
          this.options.log(`runner: the runner in runner.json does not answer (${(error as Error).message}); starting a new one`);
        }
      } else {
        this.options.log(`runner: ${decision.reason}; starting databridge serve`);
      }
      return await this.spawnRunner();
    } catch (error) {
      const message = (error as Error).message;
      this.options.log(`runner: ${message}`);
      this.setState({ kind: "failed", message });
      throw error;
    }
  }

  private async spawnRunner(): Promise<DiscoveredRunner> {
    const { nodePath, cliPath, workspaceRoot, configPath } = this.options;
    const args = [cliPath, "--config", configPath, "serve", ...(this.options.serveArgs ?? [])];
    if (this.state.kind !== "restarting") this.setState({ kind: "starting", detail: "starting databridge serve" });
    const child = spawn(nodePath, args, {
      cwd: workspaceRoot,
      env: { ...process.env, ...this.options.env, ELECTRON_RUN_AS_NODE: "1", NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    const lines = (prefix: string) => {
      let partial = "";
      return (chunk: Buffer) => {
        const text = partial + chunk.toString("utf8");
        const parts = text.split(/\r?\n/);
        partial = parts.pop() ?? "";
        for (const line of parts) if (line.trim()) this.options.log(`${prefix}${line}`);
      };
    };
    child.stdout?.on("data", lines("runner: "));
    child.stderr?.on("data", lines("runner: "));
    let exitInfo: string | undefined;
    const exited = new Promise<never>((_, reject) => {
      child.once("error", (error) => reject(new Error(`cannot start the runner: ${error.message}`)));
      child.once("exit", (code, signal) => {
        exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
        reject(new Error(`databridge serve stopped before it was ready (${exitInfo}); see the DataBridge output`));
      });
    });
    exited.catch(() => {});
    child.once("exit", (code, signal) => this.onChildExit(child, code, signal));
    const endpoint = await Promise.race([
      this.waitForRunnerFile(child.pid!, () => child.exitCode === null && child.signalCode === null).catch((error: Error) => {
        child.kill("SIGTERM");
        throw error;
      }),
      exited,
    ]);
    this.setState({ kind: "running", endpoint, owned: true });
    this.options.log(`runner: started databridge serve at ${endpoint.url} (pid ${endpoint.pid})`);
    return endpoint;
  }

  /** Waits until runner.json names this process (ready, with url and token) and the runner answers. */
  private async waitForRunnerFile(pid: number, alive: () => boolean): Promise<DiscoveredRunner> {
    const file = runnerFilePath(this.options.workspaceRoot);
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 60_000);
    let lastProblem = "runner.json was not written";
    let watcher: fs.FSWatcher | undefined;
    let wake: (() => void) | undefined;
    const nudge = () => wake?.();
    try {
      fs.mkdirSync(`${this.options.workspaceRoot}/.databridge`, { recursive: true });
      watcher = fs.watch(`${this.options.workspaceRoot}/.databridge`, nudge);
    } catch {
      watcher = undefined;
    }
    try {
      while (Date.now() < deadline) {
        if (!alive()) throw new Error(`the runner process ${pid} exited before it was ready`);
        try {
          const info = readRunnerFile(this.options.workspaceRoot);
          if (info && info.pid === pid && !info.starting) {
            const endpoint: DiscoveredRunner = { url: info.url, token: info.token, pid: info.pid, source: "runner.json" };
            await this.options.probe(endpoint);
            return endpoint;
          }
          lastProblem = !info ? "runner.json was not written" : info.pid !== pid ? `runner.json names pid ${info.pid}, not ${pid}` : "the runner is still starting";
        } catch (error) {
          lastProblem = (error as Error).message;
        }
        // Wake on a change in .databridge/ or after a short interval (the health check may need another try).
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 250);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      watcher?.close();
    }
    throw new Error(`the runner did not become ready within ${Math.round((this.options.readyTimeoutMs ?? 60_000) / 1000)} s (${lastProblem}; ${file})`);
  }

  private onChildExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.stopping) return;
    this.options.log(`runner: databridge serve exited (${signal ? `signal ${signal}` : `exit code ${code}`})`);
    if (this.state.kind === "running") this.scheduleRestart("the runner stopped");
  }

  private watch(endpoint: DiscoveredRunner): void {
    clearInterval(this.watchTimer);
    let checking = false;
    this.watchTimer = setInterval(async () => {
      if (checking || this.stopping || this.state.kind !== "running") return;
      checking = true;
      try {
        if (endpoint.pid && !isProcessAlive(endpoint.pid)) throw new Error(`process ${endpoint.pid} is gone`);
        await this.options.probe(endpoint);
      } catch (error) {
        clearInterval(this.watchTimer);
        this.options.log(`runner: the runner at ${endpoint.url} stopped answering (${(error as Error).message})`);
        this.scheduleRestart("the runner stopped answering");
      } finally {
        checking = false;
      }
    }, this.options.watchIntervalMs ?? 5_000);
    this.watchTimer.unref?.();
  }

  private scheduleRestart(why: string): void {
    const now = Date.now();
    const window = this.options.restartWindowMs ?? 5 * 60_000;
    this.restarts = this.restarts.filter((t) => now - t < window);
    const max = this.options.maxRestarts ?? 5;
    if (this.restarts.length >= max) {
      this.setState({ kind: "failed", message: `${why}, and it died ${max} times within ${Math.round(window / 60_000)} min; not restarting (see the DataBridge output)` });
      return;
    }
    this.restarts.push(now);
    const attempt = this.restarts.length;
    const delay = this.options.restartDelayMs?.(attempt) ?? Math.min(500 * 2 ** (attempt - 1), 10_000);
    this.setState({ kind: "restarting", detail: why, attempt });
    this.options.log(`runner: ${why}; restarting in ${delay} ms (attempt ${attempt} of ${max})`);
    this.restartTimer = setTimeout(() => {
      this.start().catch(() => {
        if (!this.stopping) this.scheduleRestart("the runner could not be restarted");
      });
    }, delay);
  }
}
