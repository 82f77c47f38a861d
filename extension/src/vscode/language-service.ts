import * as vscode from "vscode";
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from "vscode-languageclient/node";
import {
  type InitializationOptions, REFRESH_SCHEMA, type RefreshSchemaParams, type RefreshSchemaResult, SCHEMA_UPDATED, type SchemaStatus, SET_CONNECTIONS,
  type SetConnectionsParams,
} from "@databridge/language/protocol";
import type { ConnectionStore } from "./connection-store.js";
import type { Logger } from "./logger.js";

/**
 * The language client for `.etl.ts` pipelines and `databridge.config.ts`. The connection credentials it
 * needs come from SecretStorage through `initializationOptions` (and `databridge/setConnections` when they
 * change) — in memory only, never on disk.
 */
export class LanguageService implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly schemaChanged = new vscode.EventEmitter<SchemaStatus>();
  readonly onDidUpdateSchema = this.schemaChanged.event;
  private readonly disposables: vscode.Disposable[] = [this.schemaChanged];
  private lastStatus: SchemaStatus[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly connections: ConnectionStore,
    private readonly logger: Logger,
  ) {
    this.disposables.push(connections.onDidChange(() => void this.pushConnections()));
  }

  get status(): readonly SchemaStatus[] {
    return this.lastStatus;
  }

  async start(): Promise<void> {
    const module = vscode.Uri.joinPath(this.context.extensionUri, "dist", "language-server.mjs").fsPath;
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.stdio, options: { env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" } } },
      debug: { module, transport: TransportKind.stdio, options: { env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" }, execArgv: ["--inspect=6019"] } },
    };
    const initializationOptions: InitializationOptions = { connections: await this.connections.urls() };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "typescript", pattern: "**/*.etl.ts" },
        { scheme: "file", language: "typescript", pattern: "**/databridge.config.{ts,mts}" },
        { scheme: "file", language: "javascript", pattern: "**/databridge.config.{js,mjs}" },
      ],
      initializationOptions,
      outputChannel: this.logger.languageClientChannel(),
      traceOutputChannel: this.logger.languageClientChannel(),
      diagnosticCollectionName: "databridge",
    };
    this.client = new LanguageClient("databridge", "DataBridge Language Server", serverOptions, clientOptions);
    this.disposables.push(
      this.client.onNotification(SCHEMA_UPDATED, (status: SchemaStatus) => {
        this.lastStatus = [...this.lastStatus.filter((s) => s.root !== status.root), status];
        for (const connection of status.connections) {
          if (connection.status === "unreachable") this.logger.warn(`schema: connection ${connection.name} is unreachable: ${connection.error ?? "no detail"}`);
        }
        this.schemaChanged.fire(status);
      }),
    );
    await this.client.start();
    this.logger.info("language server: started");
  }

  /** Sends changed credentials to the running server (it re-introspects those connections). */
  private async pushConnections(): Promise<void> {
    if (!this.client?.isRunning()) return;
    try {
      const params: SetConnectionsParams = { connections: await this.connections.urls() };
      const result = await this.client.sendRequest<RefreshSchemaResult>(SET_CONNECTIONS, params);
      this.remember(result);
    } catch (error) {
      this.logger.error(`language server: could not pass the connections on: ${(error as Error).message}`);
    }
  }

  /** `databridge/refreshSchema`: re-introspects and rewrites the schema cache. */
  async refreshSchema(params: RefreshSchemaParams = {}): Promise<RefreshSchemaResult> {
    if (!this.client?.isRunning()) throw new Error("the DataBridge language server is not running (see the DataBridge output)");
    const result = await this.client.sendRequest<RefreshSchemaResult>(REFRESH_SCHEMA, params);
    this.remember(result);
    return result;
  }

  private remember(result: RefreshSchemaResult | undefined): void {
    for (const status of result?.workspaces ?? []) {
      this.lastStatus = [...this.lastStatus.filter((s) => s.root !== status.root), status];
      this.schemaChanged.fire(status);
    }
  }

  async dispose(): Promise<void> {
    for (const d of this.disposables) d.dispose();
    await this.client?.stop().catch(() => {});
  }
}
