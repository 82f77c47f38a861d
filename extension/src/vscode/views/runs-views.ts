import path from "node:path";
import * as vscode from "vscode";
import type { RunView } from "@databridge/core/runner-protocol";
import { runContextValue } from "../../commands/run-actions.js";
import { STATUS_LABEL } from "../../runs/run-tracker.js";
import type { ScheduleView } from "@databridge/core/runner-protocol";
import { type PipelineItem, pipelineItems, runDescription, scheduleSummary, statusIcon } from "../../views/tree-model.js";
import type { RunnerService } from "../runner-service.js";

const themeIcon = (status: string) => {
  const icon = statusIcon(status);
  return new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
};

type Message = { kind: "message"; text: string; detail?: string };
const isMessage = (node: object): node is Message => (node as { kind?: unknown }).kind === "message";
type ScheduleNode = { kind: "schedule"; schedule: ScheduleView };
const isSchedule = (node: object): node is ScheduleNode => (node as { kind?: unknown }).kind === "schedule";
type PipelinesNode = PipelineItem | ScheduleNode | Message;

/** Pipelines in dependency order, each with its last run's status and, under it, the schedules that run it. */
export class PipelinesView implements vscode.TreeDataProvider<PipelinesNode>, vscode.Disposable {
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

  async getChildren(node?: PipelinesNode): Promise<PipelinesNode[]> {
    if (node) return !isMessage(node) && !isSchedule(node) ? node.schedules.map((schedule) => ({ kind: "schedule", schedule })) : [];
    if (this.runner.state.kind !== "running") return [];
    try {
      const [list, { runs }, schedules] = await Promise.all([
        this.runner.client.pipelines(), this.runner.client.runs({ limit: 100 }),
        // A runner without schedules (an older one) still lists its pipelines.
        this.runner.client.schedules().then((answer) => answer.schedules, () => []),
      ]);
      return pipelineItems(list.pipelines, list.order, runs, schedules);
    } catch (error) {
      return [{ kind: "message", text: "Could not list pipelines", detail: (error as Error).message }];
    }
  }

  getTreeItem(node: PipelinesNode): vscode.TreeItem {
    if (isSchedule(node)) return this.scheduleItem(node.schedule);
    if (isMessage(node)) {
      const item = new vscode.TreeItem(node.text);
      item.iconPath = new vscode.ThemeIcon("error");
      item.description = node.detail;
      item.tooltip = node.detail;
      return item;
    }
    const { pipeline, lastRun } = node;
    const item = new vscode.TreeItem(pipeline.name, node.schedules.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
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

  private scheduleItem(schedule: ScheduleView): vscode.TreeItem {
    const summary = scheduleSummary(schedule);
    const item = new vscode.TreeItem(summary.label, vscode.TreeItemCollapsibleState.None);
    item.id = `schedule:${schedule.id}`;
    item.description = summary.description;
    item.tooltip = new vscode.MarkdownString(summary.tooltip.join("\n\n"));
    item.iconPath = schedule.error ? new vscode.ThemeIcon("warning", new vscode.ThemeColor("list.warningForeground")) : new vscode.ThemeIcon(schedule.enabled ? "watch" : "debug-pause");
    item.contextValue = "schedule";
    if (schedule.lastRun) item.command = { command: "databridge.openRun", title: "Open Last Run", arguments: [schedule.lastRun.id] };
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
    item.contextValue = runContextValue(node);
    item.command = { command: "databridge.openRun", title: "Open Run", arguments: [node.id] };
    return item;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
