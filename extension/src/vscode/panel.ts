import path from "node:path";
import * as vscode from "vscode";
import { BridgeHost } from "../panel/bridge-host.js";
import { type HostToWebview, type Route, routeOf, type WebviewToHost } from "../panel/bridge-protocol.js";
import { panelHtml } from "../panel/panel-html.js";
import type { Logger } from "./logger.js";
import type { RunnerService } from "./runner-service.js";

export const PANEL_VIEW_TYPE = "databridge.dashboard";

/**
 * The DataBridge panel: a webview hosting the runner's dashboard bundle. Requests go through the extension
 * host (see BridgeHost); the webview is not kept alive while hidden — it comes back at the route it showed
 * (webview state), and VS Code restores it after a reload through the serializer.
 */
export class DashboardPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private bridge: BridgeHost | undefined;
  private route: Route = { name: "runs" };
  private ready = false;
  private queued: HostToWebview[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly runner: RunnerService,
    private readonly workspaceRoot: string,
    private readonly logger: Logger,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const route = routeOf((state as { route?: unknown } | undefined)?.route);
          this.adopt(panel, route);
        },
      }),
      runner.onDidChangeState((state) => {
        // A restarted runner has a new port and token: reload the page so its streams reconnect there.
        if (state.kind === "running" && this.panel) this.render();
      }),
    );
  }

  get visible(): boolean {
    return this.panel?.visible ?? false;
  }

  /** Opens (or reveals) the panel, optionally at a route. */
  show(route?: Route, preserveFocus = false): void {
    if (route) this.route = route;
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      if (route) this.post({ type: "navigate", route });
      return;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, "DataBridge", { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, this.webviewOptions());
    this.adopt(panel, route);
  }

  showRun(id: string, preserveFocus = false): void {
    this.show({ name: "run", id }, preserveFocus);
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, "dist", "dashboard"), vscode.Uri.joinPath(this.context.extensionUri, "dist", "webview")],
    };
  }

  private adopt(panel: vscode.WebviewPanel, route: Route | undefined): void {
    this.panel?.dispose();
    this.panel = panel;
    if (route) this.route = route;
    panel.webview.options = this.webviewOptions();
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, "media", "databridge.svg");
    this.bridge = new BridgeHost({
      endpoint: () => this.runner.supervisor.endpoint,
      post: (message) => this.post(message),
      openFile: (file) => {
        const full = path.resolve(this.workspaceRoot, file);
        if (!full.startsWith(this.workspaceRoot)) return;
        void vscode.window.showTextDocument(vscode.Uri.file(full), { viewColumn: vscode.ViewColumn.One });
      },
      onRoute: (r) => {
        const valid = routeOf(r);
        if (valid) this.route = valid;
      },
    });
    const subscriptions: vscode.Disposable[] = [
      panel.webview.onDidReceiveMessage((message: WebviewToHost) => {
        if (message?.type === "ready") {
          this.ready = true;
          for (const m of this.queued.splice(0)) void panel.webview.postMessage(m);
        }
        void this.bridge?.handle(message);
      }),
      panel.onDidChangeViewState(({ webviewPanel }) => {
        // Hidden: the webview is torn down, so its requests (live streams) end here too; shown: it reloads.
        if (!webviewPanel.visible) {
          this.ready = false;
          this.bridge?.abortAll();
        }
      }),
      panel.onDidDispose(() => {
        this.bridge?.abortAll();
        if (this.panel === panel) {
          this.panel = undefined;
          this.bridge = undefined;
          this.ready = false;
        }
        for (const s of subscriptions) s.dispose();
      }),
    ];
    this.render();
    void this.runner.ready().catch((error: Error) => this.logger.error(`panel: ${error.message}`));
  }

  private render(): void {
    const panel = this.panel;
    if (!panel) return;
    this.ready = false;
    this.bridge?.abortAll();
    const asUri = (...segments: string[]) => panel.webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, "dist", ...segments)).toString();
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      dashboardJs: asUri("dashboard", "dashboard.js"),
      dashboardCss: asUri("dashboard", "dashboard.css"),
      bridgeJs: asUri("webview", "bridge.js"),
      route: this.route,
    });
  }

  private post(message: HostToWebview): void {
    const panel = this.panel;
    if (!panel) return;
    if (message.type === "navigate" && !this.ready) {
      // The page is (re)loading: it will open at this.route anyway, or pick this up once ready.
      this.queued = [...this.queued.filter((m) => m.type !== "navigate"), message];
      return;
    }
    void panel.webview.postMessage(message);
  }

  dispose(): void {
    this.bridge?.abortAll();
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
