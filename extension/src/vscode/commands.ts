import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import { generatedFiles, tableChoices } from "../commands/generate-flow.js";
import { namesForFiles, pipelineTargetFromArgs } from "../commands/pipeline-args.js";
import { runAddConnectionFlow } from "../connections/add-connection-flow.js";
import { connectionEnvVar, describeSpec } from "../connections/connection-spec.js";
import { isTerminalRunStatus, RunnerApiError, type RunFinishedEvent, type RunView, type VerifyRequest } from "@databridge/core/runner-protocol";
import { offersRun, replayMessage, rollbackConfirmation, rollbackMessage, type RunAction, runIdFromArg, verifyMessage } from "../commands/run-actions.js";
import { finishedMessage } from "../runs/run-tracker.js";
import { planMarkdown, previewMarkdown, rejectsMarkdown, verifyReportWebviewHtml } from "../views/reports.js";
import { runDescription } from "../views/tree-model.js";
import { vscodeFlowUi } from "./add-connection-ui.js";
import type { ConnectionStore } from "./connection-store.js";
import type { LanguageService } from "./language-service.js";
import type { Logger } from "./logger.js";
import type { DashboardPanel } from "./panel.js";
import { RUNNER_TOKEN_SECRET, type RunnerService } from "./runner-service.js";
import type { ConnectionNode, ConnectionsView } from "./views/connections-view.js";
import type { PipelinesView, RunsView } from "./views/runs-views.js";

export interface CommandServices {
  context: vscode.ExtensionContext;
  workspaceRoot: string;
  configPath: string;
  logger: Logger;
  runner: RunnerService;
  language: LanguageService;
  connections: ConnectionStore;
  panel: DashboardPanel;
  views: { connections: ConnectionsView; pipelines: PipelinesView; runs: RunsView };
}

/** Every DataBridge command; each reports failures as a notification with an action and a log line. */
export function registerCommands(s: CommandServices): vscode.Disposable[] {
  const { logger, runner, panel } = s;
  const reports = new Reports();

  /** Runs a command body; an error becomes one log line and a notification offering the log (and more). */
  const guarded =
    (name: string, body: (...args: unknown[]) => Promise<unknown>) =>
    async (...args: unknown[]) => {
      try {
        return await body(...args);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        logger.error(`${name}: ${message}`);
        const actions = ["Open Log", ...(error instanceof RunnerApiError && error.code === "not_running" ? ["Restart Runner"] : [])];
        void vscode.window.showErrorMessage(`DataBridge ${name}: ${logger.redactor.redact(message)}`, ...actions).then((action) => {
          if (action === "Open Log") logger.show();
          if (action === "Restart Runner") void vscode.commands.executeCommand("databridge.restartRunner");
        });
        return undefined;
      }
    };

  /** The pipeline names a Run/Preview/Plan invocation means (asking with a list when nothing says). */
  const pipelineNames = async (args: unknown[], options: { many: boolean; title: string }): Promise<string[] | undefined> => {
    const target = pipelineTargetFromArgs(args, vscode.window.activeTextEditor?.document.uri.fsPath);
    if (target.kind === "names") return target.names;
    await runner.ready();
    const list = await runner.client.pipelines();
    if (target.kind === "files") {
      // The runner reads pipeline files from disk: save edits first.
      for (const file of target.files) {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
        if (doc?.isDirty) await doc.save();
      }
      const known = list.pipelines.map((p) => ({ name: p.name, file: path.resolve(s.workspaceRoot, p.file) }));
      const { names, problems } = namesForFiles(target.files, known, (f) => {
        try {
          return fs.readFileSync(f, "utf8");
        } catch {
          return undefined;
        }
      });
      if (problems.length) throw new Error(problems.join("; "));
      return names;
    }
    if (!list.pipelines.length) throw new Error(`no pipelines found in ${s.workspaceRoot} (files ending in .etl.ts)`);
    const byOrder = list.order.map((n) => list.pipelines.find((p) => p.name === n)).filter((p) => p !== undefined);
    const rest = list.pipelines.filter((p) => !list.order.includes(p.name));
    const items = [...byOrder, ...rest].map((p) => ({ label: p.name, description: `${p.source} → ${p.target}`, detail: p.description ?? undefined }));
    if (options.many) {
      const picked = await vscode.window.showQuickPick(items, { title: options.title, canPickMany: true, placeHolder: "Pipelines to run (in dependency order)" });
      return picked?.length ? picked.map((p) => p.label) : undefined;
    }
    const picked = await vscode.window.showQuickPick(items, { title: options.title, placeHolder: "Pipeline" });
    return picked ? [picked.label] : undefined;
  };

  const startRun = async (pipelines: string[]): Promise<void> => {
    await runner.ready();
    const { id } = await runner.client.startRun({ pipelines });
    runner.tracker.expect(id, pipelines);
    logger.info(`run ${id}: started ${pipelines.join(", ")}`);
    if (vscode.workspace.getConfiguration("databridge").get<boolean>("openPanelOnRun", true)) panel.showRun(id, true);
    s.views.runs.refresh();
  };

  const openRun = async (id: unknown) => {
    if (typeof id === "string") panel.showRun(id);
    else if (id && typeof id === "object" && typeof (id as RunView).id === "string") panel.showRun((id as RunView).id);
    else panel.show({ name: "runs" });
  };

  const pickConnection = async (arg: unknown, title: string): Promise<{ name: string; id?: string } | undefined> => {
    const node = arg as ConnectionNode | undefined;
    if (node && typeof node === "object" && node.kind === "connection") return { name: node.name, id: node.runner?.id };
    await runner.ready();
    const { connections } = await runner.client.connections();
    const picked = await vscode.window.showQuickPick(
      connections.map((c) => ({ label: c.name, description: c.url, detail: c.source === "workspace" ? "from databridge.config.ts" : "saved", id: c.id })),
      { title, placeHolder: "Connection" },
    );
    return picked ? { name: picked.label, id: picked.id } : undefined;
  };

  const addOrEdit = async (initialName?: string) => {
    const initial = initialName ? s.connections.get(initialName) : undefined;
    await runner.ready().catch(() => undefined);
    if (runner.state.kind !== "running") {
      void vscode.window.showErrorMessage("DataBridge: the runner is not running, and it lists the databases you can connect to. Run \"DataBridge: Restart Runner\" (see the DataBridge output for why it stopped).");
      return;
    }
    const configNames = (await runner.client.connections().then((list) => list.connections, () => [])).filter((c) => c.source === "workspace").map((c) => c.name);
    const { connectors } = await runner.client.connectors();
    const result = await runAddConnectionFlow(vscodeFlowUi(runner, logger), {
      savedNames: s.connections.specs().map((c) => c.name),
      configNames,
      initial,
      connectors,
    });
    if (!result) return;
    await s.connections.save(result.spec, result.password, initialName);
    s.views.connections.recordTest(
      result.spec.name,
      result.tested.ok ? { ok: true, version: result.tested.version, at: Date.now() } : { ok: false, message: result.tested.message, at: Date.now() },
    );
    logger.info(`connections: saved ${describeSpec(result.spec)}; its password is in VS Code's secret storage`);
    void vscode.window.showInformationMessage(`DataBridge: connection ${result.spec.name} saved. Its password is kept in VS Code's secret storage.`);
  };

  /** The run a run command acts on: the one it was invoked on, or one the user picks among those the action fits. */
  const pickRun = async (arg: unknown, action: RunAction, title: string, none: string): Promise<string | undefined> => {
    const given = runIdFromArg(arg);
    if (given) return given;
    await runner.ready();
    const candidates = (await runner.client.runs({ limit: 50 })).runs.filter((r) => offersRun(action, r));
    if (!candidates.length) {
      void vscode.window.showInformationMessage(`DataBridge: ${none}`);
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      candidates.map((r) => ({ label: r.pipelines.join(", "), description: `${runDescription(r)} · ${r.id}`, detail: r.error ?? undefined, id: r.id })),
      // Kept open when the focus moves (a report or notification opening meanwhile would otherwise close it unanswered).
      { title, placeHolder: "Run (newest first)", ignoreFocusOut: true },
    );
    return picked?.id;
  };

  /** The verify report in a webview (one, reused): the runner's HTML, scripts off. */
  let verifyPanel: vscode.WebviewPanel | undefined;
  const showVerifyReport = (title: string, html: string) => {
    if (!verifyPanel) {
      verifyPanel = vscode.window.createWebviewPanel("databridge.verifyReport", title, vscode.ViewColumn.Active, { enableScripts: false, enableFindWidget: true });
      verifyPanel.onDidDispose(() => (verifyPanel = undefined));
    }
    verifyPanel.title = title;
    verifyPanel.webview.html = verifyReportWebviewHtml(html);
    verifyPanel.reveal();
  };

  const runCommand = (id: string, body: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(id.replace(/^databridge\./, ""), body));

  const disposables: vscode.Disposable[] = [
    reports,
    { dispose: () => verifyPanel?.dispose() },
    vscode.workspace.registerTextDocumentContentProvider(Reports.scheme, reports),
    runCommand("databridge.runPipeline", async (...args) => {
      const names = await pipelineNames(args, { many: true, title: "DataBridge: Run Pipeline" });
      if (names) await startRun(names);
    }),
    runCommand("databridge.runAll", async () => {
      await runner.ready();
      const list = await runner.client.pipelines();
      if (!list.pipelines.length) throw new Error(`no pipelines found in ${s.workspaceRoot} (files ending in .etl.ts)`);
      await startRun(list.order.length ? list.order : list.pipelines.map((p) => p.name));
    }),
    runCommand("databridge.previewPipeline", async (...args) => {
      const names = await pipelineNames(args, { many: false, title: "DataBridge: Preview Pipeline" });
      if (!names?.length) return;
      await runner.ready();
      const preview = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `DataBridge: previewing ${names[0]}…` }, () =>
        runner.client.preview(names[0]!, 20),
      );
      await reports.show(`preview-${names[0]}.md`, previewMarkdown(preview));
    }),
    runCommand("databridge.planPipeline", async (...args) => {
      const names = await pipelineNames(args, { many: true, title: "DataBridge: Plan Pipeline" });
      if (!names?.length) return;
      await runner.ready();
      const plan = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `DataBridge: planning ${names.join(", ")}…` }, () =>
        runner.client.plan(names),
      );
      await reports.show(`plan-${names.join("+")}.md`, planMarkdown(plan));
    }),
    runCommand("databridge.cancelRun", async (arg) => {
      let id = typeof arg === "string" ? arg : arg && typeof arg === "object" && typeof (arg as RunView).id === "string" ? (arg as RunView).id : undefined;
      if (!id) {
        await runner.ready();
        const active = (await runner.client.runs({ limit: 50 })).runs.filter((r) => !isTerminalRunStatus(r.status));
        if (!active.length) {
          void vscode.window.showInformationMessage("DataBridge: no run is in progress.");
          return;
        }
        const picked =
          active.length === 1
            ? { id: active[0]!.id }
            : await vscode.window.showQuickPick(active.map((r) => ({ label: r.pipelines.join(", "), description: runDescription(r), id: r.id })), { title: "Cancel which run?" });
        id = picked?.id;
      }
      if (!id) return;
      await runner.client.cancelRun(id);
      logger.info(`run ${id}: cancel requested (it stops at the next batch boundary)`);
      void vscode.window.showInformationMessage("DataBridge: the run stops at its next batch boundary; nothing is half-written.");
    }),
    runCommand("databridge.retryRun", async (arg) => {
      const id = typeof arg === "string" ? arg : (arg as RunView | undefined)?.id;
      if (!id) throw new Error("no run to retry");
      await runner.ready();
      const retried = await runner.client.retryRun(id);
      logger.info(`run ${retried.id}: retry of ${id}`);
      panel.showRun(retried.id, true);
    }),
    runCommand("databridge.verify", async (...args) => {
      // From the Runs view: that run's pipelines; otherwise the pipelines of the file, the lens or a pick.
      const runId = typeof args[0] === "object" ? runIdFromArg(args[0]) : undefined;
      let request: VerifyRequest;
      if (runId) request = { runId };
      else {
        const names = await pipelineNames(args, { many: true, title: "DataBridge: Verify" });
        if (!names?.length) return;
        request = { pipelines: names };
      }
      await runner.ready();
      const what = runId ? `run ${runId}` : request.pipelines!.join(", ");
      const answer = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `DataBridge: verifying ${what}…` }, () => runner.client.verify(request));
      showVerifyReport(`Verify: ${what}`, await runner.client.verifyReportHtml(answer.id));
      const message = verifyMessage(answer);
      logger.info(`${message}; reports in ${answer.files.html.replace(/[/\\][^/\\]*$/, "")}`);
      const show = answer.ok ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
      void show(`DataBridge: ${message}`, "Open JUnit Report").then((action) => {
        if (action) void vscode.window.showTextDocument(vscode.Uri.file(answer.files.junit));
      });
    }),
    runCommand("databridge.showRejects", async (arg) => {
      const id = await pickRun(arg, "rejects", "DataBridge: Show Rejected Rows of which run?", "no run has rejected rows.");
      if (!id) return;
      const page = await runner.client.rejects(id, { limit: 500 });
      await reports.show(`rejects-${id}.md`, rejectsMarkdown(id, page));
    }),
    runCommand("databridge.replayRejects", async (arg) => {
      const id = await pickRun(arg, "rejects", "DataBridge: Replay the rejected rows of which run?", "no run has rejected rows to replay.");
      if (!id) return;
      const answer = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `DataBridge: replaying the rejected rows of run ${id}…` }, () =>
        runner.client.replayRejects(id),
      );
      const message = replayMessage(answer);
      logger.info(message);
      s.views.runs.refresh();
      const show = answer.stillRejected ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void show(`DataBridge: ${message}`, ...(answer.stillRejected ? ["Show Rejected Rows"] : [])).then((action) => {
        if (action) void vscode.commands.executeCommand("databridge.showRejects", id);
      });
    }),
    runCommand("databridge.rollbackRun", async (arg) => {
      const id = await pickRun(arg, "rollback", "DataBridge: Roll back which run?", "no finished run wrote rows to roll back.");
      if (!id) return;
      const confirm = rollbackConfirmation(await runner.client.run(id));
      const sure = await vscode.window.showWarningMessage(confirm.message, { modal: true, detail: confirm.detail }, confirm.button);
      if (sure !== confirm.button) return;
      const answer = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `DataBridge: rolling back run ${id}…` }, () => runner.client.rollbackRun(id));
      const message = rollbackMessage(answer);
      logger.info(message);
      s.views.runs.refresh();
      s.views.pipelines.refresh();
      void vscode.window.showInformationMessage(`DataBridge: ${message}`);
    }),
    runCommand("databridge.pauseRun", async (arg) => {
      const id = await pickRun(arg, "pause", "DataBridge: Pause which run?", "no run is in progress.");
      if (!id) return;
      await runner.client.pauseRun(id);
      logger.info(`run ${id}: pause requested (it holds at its next batch boundary)`);
      s.views.runs.refresh();
      void vscode.window.showInformationMessage(`DataBridge: run ${id} pauses at its next batch boundary; Resume Run continues it.`);
    }),
    runCommand("databridge.resumeRun", async (arg) => {
      const id = await pickRun(arg, "resume", "DataBridge: Resume which run?", "no run is paused.");
      if (!id) return;
      await runner.client.resumeRun(id);
      logger.info(`run ${id}: resumed`);
      s.views.runs.refresh();
      void vscode.window.showInformationMessage(`DataBridge: run ${id} resumed.`);
    }),
    runCommand("databridge.openPanel", async () => panel.show()),
    runCommand("databridge.openRun", openRun),
    runCommand("databridge.addConnection", async () => addOrEdit()),
    runCommand("databridge.editConnection", async (arg) => {
      const target = await pickConnection(arg, "Edit which connection?");
      if (!target) return;
      if (!s.connections.get(target.name)) throw new Error(`connection ${target.name} is defined in databridge.config.ts or elsewhere; only connections added in VS Code can be edited here`);
      await addOrEdit(target.name);
    }),
    runCommand("databridge.removeConnection", async (arg) => {
      const target = await pickConnection(arg, "Remove which connection?");
      if (!target || !s.connections.get(target.name)) return;
      const sure = await vscode.window.showWarningMessage(`Remove connection ${target.name} and its saved password?`, { modal: true }, "Remove");
      if (sure !== "Remove") return;
      await runner.forgetConnection(target.name).catch((error: Error) => logger.warn(`connections: the runner kept ${target.name}: ${error.message}`));
      await s.connections.remove(target.name);
      logger.info(`connections: removed ${target.name}`);
    }),
    runCommand("databridge.testConnection", async (arg) => {
      const target = await pickConnection(arg, "Test which connection?");
      if (!target?.id) return;
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `DataBridge: testing ${target.name}…` }, () =>
        runner.client.testConnection(target.id!),
      );
      if (result.ok) {
        s.views.connections.recordTest(target.name, { ok: true, version: result.serverVersion ?? "", at: Date.now() });
        logger.info(`connections: ${target.name}: connected (${result.serverVersion ?? ""})`);
        void vscode.window.showInformationMessage(`DataBridge: connected to ${target.name} — ${result.serverVersion ?? ""}`);
      } else {
        s.views.connections.recordTest(target.name, { ok: false, message: result.error ?? "failed", at: Date.now() });
        logger.error(`connections: ${target.name}: ${result.error ?? "failed"}`);
        const actions = s.connections.get(target.name) ? ["Edit Connection", "Open Log"] : ["Open Log"];
        const action = await vscode.window.showErrorMessage(`DataBridge: cannot connect to ${target.name}: ${logger.redactor.redact(result.error ?? "failed")}`, ...actions);
        if (action === "Edit Connection") await addOrEdit(target.name);
        if (action === "Open Log") logger.show();
      }
    }),
    runCommand("databridge.refreshSchema", async () => {
      s.views.connections.forgetSchemas();
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "DataBridge: reading schemas…" }, () => s.language.refreshSchema({}));
      const connections = result.workspaces.flatMap((w) => w.connections);
      const bad = connections.filter((c) => c.status === "unreachable");
      const tables = connections.reduce((n, c) => n + c.tables, 0);
      logger.info(`schema: refreshed ${connections.length} connection(s), ${tables} tables${bad.length ? `; unreachable: ${bad.map((c) => c.name).join(", ")}` : ""}`);
      if (bad.length) {
        const action = await vscode.window.showWarningMessage(
          `DataBridge: could not read ${bad.map((c) => `${c.name} (${c.error ?? "unreachable"})`).join(", ")}`,
          "Open Log",
          "Add Connection",
        );
        if (action === "Open Log") logger.show();
        if (action === "Add Connection") await addOrEdit();
      } else {
        void vscode.window.setStatusBarMessage(`DataBridge: schema refreshed (${tables} tables)`, 5000);
      }
    }),
    runCommand("databridge.generateTypes", async () => {
      const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: "1", NO_COLOR: "1" };
      for (const [name, url] of Object.entries(await s.connections.urls())) env[connectionEnvVar(name)] = url;
      const cli = vscode.Uri.joinPath(s.context.extensionUri, "dist", "runner", "bin", "databridge.mjs").fsPath;
      const output = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "DataBridge: generating types…" }, () =>
        runCli(process.execPath, [cli, "--config", s.configPath, "types"], s.workspaceRoot, env, (line) => logger.info(`types: ${line}`)),
      );
      if (output.code !== 0) throw new Error(`databridge types failed (exit code ${output.code}): ${output.lastLine || "see the DataBridge output"}`);
      void vscode.window.showInformationMessage(`DataBridge: ${output.lastLine || "types generated"}`);
    }),
    runCommand("databridge.generatePipelines", async () => {
      await runner.ready();
      const { connections } = await runner.client.connections();
      if (connections.length < 2) throw new Error("Generate Pipelines needs a source and a target connection: add them first (DataBridge: Add Connection)");
      const item = (c: (typeof connections)[number]) => ({ label: c.name, description: `${c.type} · ${c.url}`, connection: c });
      const source = await vscode.window.showQuickPick(connections.map(item), { title: "Generate Pipelines (1/3): source connection", placeHolder: "The legacy database to read" });
      if (!source) return;
      const target = await vscode.window.showQuickPick(connections.filter((c) => c.id !== source.connection.id).map(item), { title: "Generate Pipelines (2/3): target connection", placeHolder: "The PostgreSQL database to load" });
      if (!target) return;
      const [sourceCatalog, targetCatalog] = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "DataBridge: reading both schemas…" }, () =>
        Promise.all([runner.client.discover(source.connection.id), runner.client.discover(target.connection.id)]));
      const choices = tableChoices(sourceCatalog);
      if (!choices.length) throw new Error(`connection ${source.label} has no tables in schema ${sourceCatalog.defaultSchema}`);
      const tables = await vscode.window.showQuickPick(choices, { title: "Generate Pipelines (3/3): tables", placeHolder: "One pipeline per table", canPickMany: true });
      if (!tables?.length) return;
      const generated = generatedFiles({
        workspaceRoot: s.workspaceRoot, source: { name: source.label, catalog: sourceCatalog }, target: { name: target.label, catalog: targetCatalog },
        tables: tables.map((t) => t.label), read: (file) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined),
      });
      for (const { file, content } of generated.writes) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
      }
      for (const { file, action } of generated.files) logger.info(`generate: ${action} ${path.relative(s.workspaceRoot, file)}`);
      for (const error of generated.errors) logger.error(`generate: ${error}`);
      const first = generated.writes[0]?.file ?? generated.files[0]?.file;
      if (first) await vscode.window.showTextDocument(vscode.Uri.file(first));
      s.views.pipelines.refresh();
      if (generated.errors.length) void vscode.window.showWarningMessage(`DataBridge: ${generated.summary}; ${generated.errors.join("; ")}`, "Open Log").then((a) => a && logger.show());
      else void vscode.window.showInformationMessage(`DataBridge: ${generated.summary}`);
    }),
    runCommand("databridge.showRunHistory", async () => {
      await vscode.commands.executeCommand("databridge.runs.focus");
      await runner.ready();
      const { runs } = await runner.client.runs({ limit: 50 });
      if (!runs.length) {
        void vscode.window.showInformationMessage("DataBridge: no runs yet.");
        return;
      }
      const picked = await vscode.window.showQuickPick(
        runs.map((r) => ({ label: r.pipelines.join(", "), description: runDescription(r), detail: r.error ?? undefined, id: r.id })),
        { title: "DataBridge: Run History", placeHolder: "Open a run in the panel" },
      );
      if (picked) panel.showRun(picked.id);
    }),
    runCommand("databridge.showLog", async () => logger.show()),
    runCommand("databridge.restartRunner", async () => {
      await runner.restart();
      if (runner.state.kind !== "running") throw new Error(runner.state.kind === "failed" ? runner.state.message : "the runner did not start");
    }),
    runCommand("databridge.setRunnerToken", async () => {
      const token = await vscode.window.showInputBox({ title: "DataBridge: runner token", prompt: "Token of the runner at databridge.runnerUrl (kept in VS Code's secret storage)", password: true, ignoreFocusOut: true });
      if (token === undefined) return;
      if (token) await s.context.secrets.store(RUNNER_TOKEN_SECRET, token);
      else await s.context.secrets.delete(RUNNER_TOKEN_SECRET);
      logger.redactor.add(token);
      await runner.restart();
    }),
    runCommand("databridge.refreshViews", async () => {
      s.views.pipelines.refresh();
      s.views.runs.refresh();
      s.views.connections.refresh();
    }),
  ];

  // Notifications when a run ends, with the actions that fit.
  disposables.push({
    dispose: runner.tracker.onFinished((event: RunFinishedEvent) => {
      const message = finishedMessage(event);
      logger.info(`run ${event.runId}: ${message}`);
      const ok = event.status === "succeeded";
      const show = ok ? vscode.window.showInformationMessage : event.status === "succeeded_with_rejects" || event.status === "cancelled" ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
      const actions = ok ? ["Open Panel"] : ["Open Panel", "Open Log", ...(event.status === "failed" || event.status === "interrupted" ? ["Retry"] : [])];
      void show(`DataBridge: ${logger.redactor.redact(message)}`, ...actions).then((action) => {
        if (action === "Open Panel") panel.showRun(event.runId);
        if (action === "Open Log") logger.show();
        if (action === "Retry") void vscode.commands.executeCommand("databridge.retryRun", event.runId);
      });
    }),
  });
  return disposables;
}

/** Read-only Markdown reports (preview, plan) shown in VS Code's Markdown preview. */
class Reports implements vscode.TextDocumentContentProvider {
  static readonly scheme = "databridge-report";
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? "";
  }

  async show(name: string, markdown: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: Reports.scheme, path: `/${name.replace(/[^\w.+-]/g, "_")}` });
    this.contents.set(uri.toString(), markdown);
    this.changed.fire(uri);
    await vscode.commands.executeCommand("markdown.showPreviewToSide", uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function runCli(node: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, onLine: (line: string) => void): Promise<{ code: number; lastLine: string }> {
  return new Promise((resolve) => {
    const child = spawn(node, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let lastLine = "";
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split(/\r?\n/)) {
        if (!line.trim()) continue;
        lastLine = line.trim();
        onLine(line);
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (error) => resolve({ code: -1, lastLine: error.message }));
    child.on("exit", (code) => resolve({ code: code ?? -1, lastLine }));
  });
}
