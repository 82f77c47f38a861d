import path from "node:path";
import * as vscode from "vscode";
import { ensureTypeScriptPluginStub } from "./typescript-plugin/stub.js";
import { registerCommands } from "./vscode/commands.js";
import { ConnectionStore } from "./vscode/connection-store.js";
import { LanguageService } from "./vscode/language-service.js";
import { Logger } from "./vscode/logger.js";
import { DashboardPanel } from "./vscode/panel.js";
import { RunnerService } from "./vscode/runner-service.js";
import { ConnectionsView } from "./vscode/views/connections-view.js";
import { PipelinesView, RunsView } from "./vscode/views/runs-views.js";

const CONFIG_GLOB = "**/databridge.config.{ts,mts,js,mjs}";

let shutdown: (() => Promise<void>) | undefined;

/** Wiring only: every piece lives in src/vscode (VS Code glue) over pure modules in src/*. */
export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const logger = new Logger();
  context.subscriptions.push(logger);
  const started = Date.now();
  logger.info(`DataBridge ${context.extension.packageJSON.version as string} activating (VS Code ${vscode.version}, Node ${process.version})`);
  enableTypeScriptPlugin(context, logger);

  const configUri = await findConfig();
  const folder = configUri ? vscode.workspace.getWorkspaceFolder(configUri) : vscode.workspace.workspaceFolders?.[0];
  const configPath = configUri?.fsPath;
  const workspaceRoot = configPath ? path.dirname(configPath) : folder?.uri.fsPath ?? process.cwd();

  const connections = new ConnectionStore(context.secrets, workspaceRoot, folder?.uri, logger);
  await connections.primeRedactor();
  const language = new LanguageService(context, connections, logger);
  const runner = new RunnerService({ context, workspaceRoot, configPath: configPath ?? path.join(workspaceRoot, "databridge.config.ts"), logger, connections });
  const panel = new DashboardPanel(context, runner, workspaceRoot, logger);
  const views = {
    connections: new ConnectionsView(runner, connections, language),
    pipelines: new PipelinesView(runner, workspaceRoot),
    runs: new RunsView(runner),
  };
  context.subscriptions.push(
    connections,
    panel,
    views.connections,
    views.pipelines,
    views.runs,
    vscode.window.createTreeView("databridge.connections", { treeDataProvider: views.connections, showCollapseAll: true }),
    vscode.window.createTreeView("databridge.pipelines", { treeDataProvider: views.pipelines }),
    vscode.window.createTreeView("databridge.runs", { treeDataProvider: views.runs }),
    ...registerCommands({ context, workspaceRoot, configPath: configPath ?? "", logger, runner, language, connections, panel, views }),
  );
  shutdown = async () => {
    await language.dispose();
    await runner.dispose();
  };

  // Completions first: the language server starts now, the runner (whose first start initializes its state
  // database) right after it, so the two do not compete for the CPU. Activation does not wait for either.
  const lsp = language.start().catch((error: Error) => {
    logger.error(`language server: could not start: ${error.message}`);
    void vscode.window.showErrorMessage(`DataBridge: the language server did not start: ${error.message}`, "Open Log").then((a) => a && logger.show());
  });
  if (configPath) {
    void lsp.then(() => runner.start()).catch((error: Error) => {
      void vscode.window.showErrorMessage(`DataBridge: the runner did not start: ${logger.redactor.redact(error.message)}`, "Open Log", "Retry").then((action) => {
        if (action === "Open Log") logger.show();
        if (action === "Retry") void vscode.commands.executeCommand("databridge.restartRunner");
      });
    });
  } else {
    logger.warn("no databridge.config.ts in this workspace: the runner is not started (run `databridge init` to create one)");
  }
  logger.info(`DataBridge activated in ${Date.now() - started} ms (workspace ${workspaceRoot})`);
}

export async function deactivate(): Promise<void> {
  await shutdown?.();
  shutdown = undefined;
}

/**
 * Types for pipeline files in any workspace: the TypeScript server plugin resolves `@databridge/core` to the
 * declarations shipped here when the workspace has none installed. Done before anything waits, so that a
 * TypeScript server starting with the first opened file already finds the plugin.
 */
function enableTypeScriptPlugin(context: vscode.ExtensionContext, logger: Logger): void {
  try {
    const { written, dir } = ensureTypeScriptPluginStub(context.extensionPath);
    if (!written) return;
    logger.info(`types: TypeScript server plugin installed in ${dir}`);
    // A server already running (a TypeScript file was open first) loaded its plugins without this one.
    if (vscode.extensions.getExtension("vscode.typescript-language-features")?.isActive) void vscode.commands.executeCommand("typescript.restartTsServer");
  } catch (error) {
    logger.warn(`types: could not install the TypeScript server plugin (${(error as Error).message}); without node_modules, imports of @databridge/core show "Cannot find module"`);
  }
}

/** The workspace's databridge.config.ts, the shallowest one when there are several. */
async function findConfig(): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles(CONFIG_GLOB, "**/node_modules/**", 20);
  return found.sort((a, b) => a.fsPath.split(path.sep).length - b.fsPath.split(path.sep).length || a.fsPath.localeCompare(b.fsPath))[0];
}
