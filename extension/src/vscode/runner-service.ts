import { type EventStream, parseRunEvent, RunnerClient } from "@databridge/core/runner-protocol";
import type { DiscoveredRunner } from "@databridge/core/runner-protocol/discovery";
import * as vscode from "vscode";
import { runnerConnectionBody } from "../connections/connection-spec.js";
import { RunnerSupervisor, type RunnerState } from "../runner/supervisor.js";
import { progressText, RunTracker } from "../runs/run-tracker.js";
import type { ConnectionStore } from "./connection-store.js";
import type { Logger } from "./logger.js";

export const RUNNER_TOKEN_SECRET = "databridge.runnerToken";

export interface RunnerServiceOptions {
  context: vscode.ExtensionContext;
  workspaceRoot: string;
  configPath: string;
  logger: Logger;
  connections: ConnectionStore;
}

/**
 * The workspace's runner as the rest of the extension sees it: a supervised process (or a configured URL), an
 * API client, the live event stream feeding the run tracker, the status bar item, and the extension's saved
 * connections pushed to the runner whenever it (re)starts or they change.
 */
export class RunnerService implements vscode.Disposable {
  readonly client: RunnerClient;
  readonly tracker = new RunTracker();
  readonly supervisor: RunnerSupervisor;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly stateChanged = new vscode.EventEmitter<RunnerState>();
  readonly onDidChangeState = this.stateChanged.event;
  private readonly eventsReceived = new vscode.EventEmitter<void>();
  /** Fires after run events arrive (views refresh on it, debounced). */
  readonly onDidReceiveEvents = this.eventsReceived.event;
  private events: EventStream | undefined;
  private eventsEndpoint: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private syncing: Promise<void> | undefined;

  constructor(private readonly options: RunnerServiceOptions) {
    const { context, logger } = options;
    this.supervisor = new RunnerSupervisor({
      workspaceRoot: options.workspaceRoot,
      configPath: options.configPath,
      nodePath: process.execPath,
      cliPath: vscode.Uri.joinPath(context.extensionUri, "dist", "runner", "bin", "databridge.mjs").fsPath,
      configuredUrl: () => vscode.workspace.getConfiguration("databridge").get<string>("runnerUrl") ?? "",
      configuredToken: async () => (await context.secrets.get(RUNNER_TOKEN_SECRET)) ?? process.env.DATABRIDGE_RUNNER_TOKEN,
      probe: async (endpoint) => {
        await new RunnerClient(endpoint).health();
      },
      log: (line) => logger.info(line),
      onState: (state) => this.onState(state),
      // The first start of a workspace's runner initializes its state database, which is slow on a busy machine.
      readyTimeoutMs: 180_000,
    });
    this.client = new RunnerClient(() => this.supervisor.endpoint);
    this.statusItem = vscode.window.createStatusBarItem("databridge.runner", vscode.StatusBarAlignment.Left, 20);
    this.statusItem.name = "DataBridge Runner";
    this.statusItem.command = "databridge.openPanel";
    this.render();
    this.statusItem.show();
    this.disposables.push(
      this.statusItem,
      this.stateChanged,
      this.eventsReceived,
      { dispose: this.tracker.onChange(() => this.render()) },
      options.connections.onDidChange(() => void this.syncConnections()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("databridge.runnerUrl")) void this.restart();
      }),
    );
  }

  get state(): RunnerState {
    return this.supervisor.current;
  }

  /** Starts (or adopts) the runner; errors are reported by the caller. */
  start(): Promise<DiscoveredRunner> {
    return this.supervisor.start();
  }

  /** The runner, started on demand, with a progress notification while it comes up. */
  async ready(): Promise<DiscoveredRunner> {
    const state = this.supervisor.current;
    if (state.kind === "running") return state.endpoint;
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "DataBridge: starting the runner…" },
      () => (state.kind === "failed" || state.kind === "stopped" ? this.supervisor.start() : this.supervisor.ready(180_000)),
    );
  }

  async restart(): Promise<void> {
    this.closeEvents();
    try {
      await this.supervisor.reconnect();
    } catch (error) {
      this.options.logger.error(`runner: ${(error as Error).message}`);
    }
  }

  private onState(state: RunnerState): void {
    if (state.kind === "running") {
      this.openEvents(state.endpoint);
      void this.syncConnections();
    } else {
      this.closeEvents();
      if (state.kind === "restarting" || state.kind === "failed") this.tracker.reset();
    }
    this.render();
    this.stateChanged.fire(state);
  }

  private openEvents(endpoint: DiscoveredRunner): void {
    if (this.events && this.eventsEndpoint === `${endpoint.url}#${endpoint.token}`) return;
    this.closeEvents();
    this.eventsEndpoint = `${endpoint.url}#${endpoint.token}`;
    let pending: NodeJS.Timeout | undefined;
    this.events = this.client.events({
      onMessage: (message) => {
        const event = parseRunEvent(message.event, message.data);
        if (!event) return;
        this.tracker.apply(event);
        clearTimeout(pending);
        pending = setTimeout(() => this.eventsReceived.fire(), event.type === "batch.committed" ? 500 : 50);
      },
      onState: (s, detail) => {
        if (s === "closed" && detail) this.options.logger.warn(`runner events: ${detail}`);
      },
      reconnectDelayMs: 1000,
    });
  }

  private closeEvents(): void {
    this.events?.close();
    this.events = undefined;
    this.eventsEndpoint = undefined;
  }

  /** Pushes the extension's connections (with passwords from SecretStorage) to the runner's connection store. */
  syncConnections(): Promise<void> {
    if (this.supervisor.current.kind !== "running") return Promise.resolve();
    this.syncing = (this.syncing ?? Promise.resolve()).then(() => this.doSync()).catch((error: Error) => {
      this.options.logger.error(`runner: could not save connections in the runner: ${error.message}`);
    });
    return this.syncing;
  }

  private async doSync(): Promise<void> {
    const specs = this.options.connections.specs();
    if (!specs.length) return;
    const { connections: existing } = await this.client.connections();
    for (const spec of specs) {
      const password = await this.options.connections.password(spec.name);
      const body = runnerConnectionBody(spec, password);
      const saved = existing.find((c) => c.source === "saved" && c.name === spec.name);
      try {
        if (saved) {
          const { name: _name, ...patch } = body;
          await this.client.updateConnection(saved.id, { ...patch, ...(password ? {} : { password: null }) });
        } else {
          await this.client.createConnection(body);
        }
      } catch (error) {
        this.options.logger.error(`runner: connection ${spec.name}: ${(error as Error).message}`);
      }
    }
  }

  /** Removes a connection the extension saved from the runner's store too. */
  async forgetConnection(name: string): Promise<void> {
    if (this.supervisor.current.kind !== "running") return;
    const saved = (await this.client.connections()).connections.find((c) => c.source === "saved" && c.name === name);
    if (saved) await this.client.deleteConnection(saved.id);
  }

  private render(): void {
    const state = this.supervisor.current;
    const item = this.statusItem;
    item.backgroundColor = undefined;
    switch (state.kind) {
      case "running": {
        const progress = progressText(this.tracker.runs);
        item.text = progress ? `$(sync~spin) DataBridge: ${progress}` : "$(database) DataBridge";
        item.tooltip = new vscode.MarkdownString(
          `**DataBridge runner** at ${state.endpoint.url}${state.endpoint.pid ? ` (pid ${state.endpoint.pid})` : ""}${state.owned ? "" : ", started outside this window"}` +
            (progress ? `\n\nRunning: ${progress}` : "\n\nNo run in progress.") +
            "\n\nClick to open the panel.",
        );
        item.command = "databridge.openPanel";
        break;
      }
      case "starting":
        item.text = "$(loading~spin) DataBridge: starting";
        item.tooltip = state.detail;
        item.command = "databridge.showLog";
        break;
      case "restarting":
        item.text = "$(loading~spin) DataBridge: restarting";
        item.tooltip = `${state.detail} (attempt ${state.attempt})`;
        item.command = "databridge.showLog";
        break;
      case "failed":
        item.text = "$(error) DataBridge: runner stopped";
        item.tooltip = `${state.message}\n\nClick to restart the runner.`;
        item.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
        item.command = "databridge.restartRunner";
        break;
      case "stopped":
        item.text = "$(circle-slash) DataBridge";
        item.tooltip = "The runner is not running. Click to start it.";
        item.command = "databridge.restartRunner";
        break;
    }
  }

  async dispose(): Promise<void> {
    this.closeEvents();
    for (const d of this.disposables) d.dispose();
    await this.supervisor.stop();
  }
}
