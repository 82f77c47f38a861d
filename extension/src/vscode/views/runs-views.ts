import path from "node:path";
import * as vscode from "vscode";
import { isRetryableRunStatus, isTerminalRunStatus, type RunView } from "@databridge/core/runner-protocol";
import { STATUS_LABEL } from "../../runs/run-tracker.js";
import { type PipelineItem, pipelineItems, runDescription, statusIcon } from "../../views/tree-model.js";
import type { RunnerService } from "../runner-service.js";

const themeIcon = (status: string) => {
  const icon = statusIcon(status);
  return new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
};

type Message = { kind: "message"; text: string; detail?: string };
const isMessage = (node: object): node is Message => (node as { kind?: unknown }).kind === "message";

/** Pipelines in dependency order, each with its last run's status. */
export class PipelinesView implements vscode.TreeDataProvider<PipelineItem | Message>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly runner: RunnerService,
    private readonly workspaceRoot: string,
  ) {
    this.disposables.push(
      runner.onDidChangeState(() => this.refresh()),
      runner.onDidReceiveEvents(() => this.refresh()),
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (d.fileName.endsWith(".etl.ts")) this.refresh();
      }),
    );
  }

  refresh(): void {
    this.changed.fire();
  }

  async getChildren(node?: PipelineItem | Message): Promise<(PipelineItem | Message)[]> {
    if (node) return [];
    if (this.runner.state.kind !== "running") return [];
    try {
      const [list, { runs }] = await Promise.all([this.runner.client.pipelines(), this.runner.client.runs({ limit: 100 })]);
      return pipelineItems(list.pipelines, list.order, runs);
    } catch (error) {
      return [{ kind: "message", text: "Could not list pipelines", detail: (error as Error).message }];
    }
  }

  getTreeItem(node: PipelineItem | Message): vscode.TreeItem {
    if (isMessage(node)) {
      const item = new vscode.TreeItem(node.text);
      item.iconPath = new vscode.ThemeIcon("error");
      item.description = node.detail;
      item.tooltip = node.detail;
      return item;
    }
    const { pipeline, lastRun } = node;
    const item = new vscode.TreeItem(pipeline.name, vscode.TreeItemCollapsibleState.None);
    item.id = `pipeline:${pipeline.name}`;
    item.description = `${node.position}. ${pipeline.source} → ${pipeline.target}${lastRun ? ` · ${STATUS_LABEL[lastRun.status] ?? lastRun.status}` : ""}`;
    item.iconPath = lastRun ? themeIcon(lastRun.status) : new vscode.ThemeIcon("symbol-event");
    const lines = [`**${pipeline.name}** (${pipeline.mode})`, `${pipeline.source} → ${pipeline.target}`];
    if (pipeline.description) lines.push(String(pipeline.description));
    if (pipeline.dependsOn.length) lines.push(`Depends on: ${pipeline.dependsOn.join(", ")}`);
    if (lastRun) lines.push(`Last run: ${STATUS_LABEL[lastRun.status] ?? lastRun.status}, ${lastRun.rowsWritten.toLocaleString("en-US")} rows written`);
    item.tooltip = new vscode.MarkdownString(lines.join("\n\n"));
    item.contextValue = "pipeline";
    const file = vscode.Uri.file(path.resolve(this.workspaceRoot, pipeline.file));
    item.resourceUri = file;
    item.command = { command: "vscode.open", title: "Open Pipeline", arguments: [file] };
    return item;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Run history; selecting a run opens it in the panel. */
export class RunsView implements vscode.TreeDataProvider<RunView | Message>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly runner: RunnerService) {
    this.disposables.push(runner.onDidChangeState(() => this.refresh()), runner.onDidReceiveEvents(() => this.refresh()));
  }

  refresh(): void {
    this.changed.fire();
  }

  async getChildren(node?: RunView | Message): Promise<(RunView | Message)[]> {
    if (node) return [];
    if (this.runner.state.kind !== "running") return [];
    try {
      return (await this.runner.client.runs({ limit: 50 })).runs;
    } catch (error) {
      return [{ kind: "message", text: "Could not list runs", detail: (error as Error).message }];
    }
  }

  getTreeItem(node: RunView | Message): vscode.TreeItem {
    if (isMessage(node)) {
      const item = new vscode.TreeItem(node.text);
      item.iconPath = new vscode.ThemeIcon("error");
      item.description = node.detail;
      return item;
    }
    const item = new vscode.TreeItem(node.pipelines.join(", "), vscode.TreeItemCollapsibleState.None);
    item.id = `run:${node.id}`;
    item.description = runDescription(node);
    item.iconPath = themeIcon(node.status);
    item.tooltip = new vscode.MarkdownString(
      [`**Run ${node.id}**`, runDescription(node), node.error ? `Error: ${node.error}` : "", node.retryOf ? `Retry of ${node.retryOf}` : ""].filter(Boolean).join("\n\n"),
    );
    item.contextValue = !isTerminalRunStatus(node.status) ? "run.active" : isRetryableRunStatus(node.status) ? "run.retryable" : "run";
    item.command = { command: "databridge.openRun", title: "Open Run", arguments: [node.id] };
    return item;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
