import * as vscode from "vscode";
import {
  type ConnectionSpec, connectionUrl, parseConnectionSettings, secretKey, settingEntry,
} from "../connections/connection-spec.js";
import type { Logger } from "./logger.js";

/**
 * Connections added in VS Code: everything but the password in the `databridge.connections` setting of the
 * workspace, the password in SecretStorage (the OS keychain on the desktop) and nowhere else.
 */
export class ConnectionStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private reported = new Set<string>();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly workspaceRoot: string,
    private readonly scope: vscode.Uri | undefined,
    private readonly logger: Logger,
  ) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("databridge.connections")) this.changed.fire();
      }),
      secrets.onDidChange((e) => {
        if (e.key.startsWith("databridge.connection.")) this.changed.fire();
      }),
    );
  }

  private config() {
    return vscode.workspace.getConfiguration("databridge", this.scope);
  }

  /** The saved connections (a broken setting entry is reported once in the log and skipped). */
  specs(): ConnectionSpec[] {
    const { specs, problems } = parseConnectionSettings(this.config().get("connections"));
    for (const problem of problems) {
      if (this.reported.has(problem)) continue;
      this.reported.add(problem);
      this.logger.warn(problem);
      void vscode.window.showWarningMessage(`DataBridge: ${problem}`, "Open Settings").then((action) => {
        if (action) void vscode.commands.executeCommand("workbench.action.openWorkspaceSettingsFile");
      });
    }
    return specs;
  }

  get(name: string): ConnectionSpec | undefined {
    return this.specs().find((s) => s.name === name);
  }

  async password(name: string): Promise<string | undefined> {
    const value = await this.secrets.get(secretKey(this.workspaceRoot, name));
    this.logger.redactor.add(value);
    return value;
  }

  /** Saves a connection (renaming `previousName` if given): fields to the setting, password to SecretStorage. */
  async save(spec: ConnectionSpec, password: string | undefined, previousName?: string): Promise<void> {
    this.logger.redactor.add(password);
    const current = { ...((this.config().get("connections") as Record<string, unknown> | undefined) ?? {}) };
    if (previousName && previousName !== spec.name) {
      delete current[previousName];
      await this.secrets.delete(secretKey(this.workspaceRoot, previousName));
    }
    current[spec.name] = settingEntry(spec);
    if (password) await this.secrets.store(secretKey(this.workspaceRoot, spec.name), password);
    else await this.secrets.delete(secretKey(this.workspaceRoot, spec.name));
    await this.config().update("connections", current, this.target());
    this.changed.fire();
  }

  async remove(name: string): Promise<void> {
    const current = { ...((this.config().get("connections") as Record<string, unknown> | undefined) ?? {}) };
    delete current[name];
    await this.secrets.delete(secretKey(this.workspaceRoot, name));
    await this.config().update("connections", current, this.target());
    this.changed.fire();
  }

  /** Connection name → URL with the password, for the language server's initialization options (memory only). */
  async urls(): Promise<Record<string, string>> {
    const urls: Record<string, string> = {};
    for (const spec of this.specs()) urls[spec.name] = connectionUrl(spec, await this.password(spec.name));
    return urls;
  }

  /** Registers every saved password with the redactor, so no log line can show one. */
  async primeRedactor(): Promise<void> {
    for (const spec of this.specs()) await this.password(spec.name);
  }

  private target(): vscode.ConfigurationTarget {
    return (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
