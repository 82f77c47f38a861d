import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { connectionEnvVar, CONFIG_FILE_NAMES, PIPELINE_SUFFIX } from "@databridge/core";
import {
  CodeActionKind, DidChangeWatchedFilesNotification, FileChangeType, ProposedFeatures, TextDocuments, TextDocumentSyncKind,
  createConnection, type Connection, type InitializeResult,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { codeActions } from "./code-actions.js";
import { codeLenses } from "./code-lens.js";
import { completion, resolveCompletion, type CompletionOptions } from "./completion.js";
import { configDiagnostics, configHover } from "./config-features.js";
import { definition } from "./definition.js";
import { diagnostics } from "./diagnostics.js";
import { hover } from "./hover.js";
import { createLanguageContext, type LanguageContext } from "./language-context.js";
import {
  REFRESH_SCHEMA, SCHEMA_UPDATED, SET_CONNECTIONS,
  type InitializationOptions, type RefreshSchemaParams, type RefreshSchemaResult, type SetConnectionsParams,
} from "./protocol.js";
import { WorkspaceService, type WorkspaceState } from "./workspace-service.js";

const version = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

const isPipelineFile = (uri: string) => uri.endsWith(PIPELINE_SUFFIX);
const isConfigFile = (uri: string) => CONFIG_FILE_NAMES.includes(decodeURIComponent(uri.slice(uri.lastIndexOf("/") + 1)));
const DIAGNOSTICS_DELAY_MS = 25;

/**
 * Starts the DataBridge language server on a connection (by default the transport named on the command
 * line: `--stdio`, `--node-ipc` or `--socket=<port>`). Wiring only: every feature is a pure handler.
 */
export function startServer(connection: Connection = createConnection(ProposedFeatures.all)): Connection {
  const documents = new TextDocuments(TextDocument);
  const overrides: Record<string, string> = {};
  const env = () => ({ ...process.env, ...overrides });
  let service: WorkspaceService | undefined;
  let completionOptions: CompletionOptions = {};
  const pending = new Map<string, NodeJS.Timeout>();

  const publish = (document: TextDocument) => {
    const workspace = service?.forUri(document.uri);
    if (!workspace) return;
    const context = workspace.context();
    const found = isPipelineFile(document.uri) ? diagnostics(document, context) : isConfigFile(document.uri) ? configDiagnostics(document, context) : [];
    void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: found });
  };
  const schedule = (document: TextDocument, delay = DIAGNOSTICS_DELAY_MS) => {
    clearTimeout(pending.get(document.uri));
    pending.set(document.uri, setTimeout(() => {
      pending.delete(document.uri);
      const current = documents.get(document.uri);
      if (current) publish(current);
    }, delay));
  };
  const onWorkspaceChange = (workspace: WorkspaceState, schemaChanged: boolean) => {
    for (const document of documents.all()) {
      if ((isPipelineFile(document.uri) || isConfigFile(document.uri)) && service?.forUri(document.uri) === workspace) schedule(document, 0);
    }
    if (schemaChanged) void connection.sendNotification(SCHEMA_UPDATED, workspace.status());
  };

  connection.onInitialize((params): InitializeResult => {
    const options = (params.initializationOptions ?? {}) as InitializationOptions;
    completionOptions = { itemDefaults: params.capabilities.textDocument?.completion?.completionList?.itemDefaults };
    for (const [name, url] of Object.entries(options.connections ?? {})) overrides[connectionEnvVar(name)] = url;
    service = new WorkspaceService({
      env,
      introspect: options.introspect ?? true,
      timeoutMs: options.introspectionTimeoutMs ?? 20_000,
      log: (message) => connection.console.log(message),
      onChange: onWorkspaceChange,
    });
    const roots = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    // Start reading caches and introspecting as soon as the client is ready, before any file is opened.
    connection.onInitialized(() => {
      for (const root of roots) service?.forUri(root.endsWith("/") ? root : `${root}/`);
      if (params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration) {
        void connection.client.register(DidChangeWatchedFilesNotification.type, {
          watchers: [
            { globPattern: `**/*${PIPELINE_SUFFIX}` },
            { globPattern: "**/databridge.config.{ts,mts,js,mjs}" },
            { globPattern: "**/.databridge/schema-cache.json" },
          ],
        });
      }
    });
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: ['"', "'", "`"], resolveProvider: true },
        hoverProvider: true,
        definitionProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite] },
        codeLensProvider: { resolveProvider: false },
      },
      serverInfo: { name: "databridge-language-server", version },
    };
  });

  const pipelineRequest = <T>(uri: string, handle: (document: TextDocument, workspace: WorkspaceState | undefined) => T, fallback: T): T => {
    const document = documents.get(uri);
    if (!document || !isPipelineFile(uri)) return fallback;
    return handle(document, service?.forUri(uri));
  };

  connection.onCompletion((params) =>
    pipelineRequest(params.textDocument.uri, (document, workspace) => completion(document, params.position, contextOf(workspace), completionOptions), null));
  connection.onCompletionResolve((item) => {
    const data = item.data as { connection?: string } | undefined;
    const workspace = data && service?.all().find((w) => w.schemaIndex().connection(data.connection ?? ""));
    return workspace ? resolveCompletion(item, workspace.context()) : item;
  });
  connection.onHover((params) => {
    const document = documents.get(params.textDocument.uri);
    if (document && isConfigFile(document.uri)) {
      const workspace = service?.forUri(document.uri);
      return workspace ? configHover(document, params.position, workspace.context()) : null;
    }
    return pipelineRequest(params.textDocument.uri, (doc, workspace) => hover(doc, params.position, contextOf(workspace)), null);
  });
  connection.onDefinition((params) =>
    pipelineRequest(params.textDocument.uri, (document, workspace) => definition(document, params.position, contextOf(workspace)), null));
  connection.onCodeAction((params) => pipelineRequest(params.textDocument.uri, (document, workspace) => codeActions(document, params, contextOf(workspace)), []));
  connection.onCodeLens((params) => pipelineRequest(params.textDocument.uri, (document) => codeLenses(document), []));

  connection.onRequest(REFRESH_SCHEMA, async (params: RefreshSchemaParams | undefined): Promise<RefreshSchemaResult> => {
    const targets = params?.uri ? [service?.forUri(params.uri)].filter((w): w is WorkspaceState => !!w) : service?.all() ?? [];
    const workspaces = await Promise.all(targets.map((w) => w.refresh({ names: params?.connections, includeEmbedded: true })));
    return { workspaces };
  });
  connection.onRequest(SET_CONNECTIONS, async (params: SetConnectionsParams): Promise<RefreshSchemaResult> => {
    for (const [name, url] of Object.entries(params.connections ?? {})) overrides[connectionEnvVar(name)] = url;
    const workspaces = await Promise.all((service?.all() ?? []).map((w) => w.refresh()));
    return { workspaces };
  });

  documents.onDidOpen(({ document }) => {
    const workspace = service?.forUri(document.uri);
    if (workspace && isPipelineFile(document.uri) && workspace.documentChanged(document.uri, document)) onWorkspaceChange(workspace, false);
    schedule(document, 0);
  });
  documents.onDidChangeContent(({ document }) => {
    const workspace = service?.forUri(document.uri);
    if (workspace && isConfigFile(document.uri)) workspace.configChanged(document.getText());
    if (workspace && isPipelineFile(document.uri) && workspace.documentChanged(document.uri, document)) onWorkspaceChange(workspace, false);
    schedule(document);
  });
  documents.onDidSave(({ document }) => {
    const workspace = service?.forUri(document.uri);
    if (workspace && isConfigFile(document.uri)) void workspace.configSaved();
  });
  documents.onDidClose(({ document }) => {
    clearTimeout(pending.get(document.uri));
    service?.forUri(document.uri)?.documentChanged(document.uri, undefined);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });

  connection.onDidChangeWatchedFiles(({ changes }) => {
    for (const change of changes) {
      if (!change.uri.startsWith("file:")) continue;
      const file = fileURLToPath(change.uri);
      if (isConfigFile(change.uri)) {
        service?.forgetConfigLocations();
        const workspace = service?.all().find((w) => w.configPath === file);
        if (workspace && change.type !== FileChangeType.Deleted) void workspace.configSaved();
        continue;
      }
      const workspace = service?.all().find((w) => w.owns(file));
      if (!workspace) continue;
      if (path.basename(file) === "schema-cache.json") workspace.reloadCache(true) && onWorkspaceChange(workspace, true);
      else if (isPipelineFile(change.uri)) workspace.fileChanged(file, change.type === FileChangeType.Deleted);
    }
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}

function contextOf(workspace: WorkspaceState | undefined): LanguageContext {
  // A pipeline file outside any workspace still gets built-in transforms, schedules and expressions.
  return workspace ? workspace.context() : (outside ??= createLanguageContext());
}
let outside: LanguageContext | undefined;
