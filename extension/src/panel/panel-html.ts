import { randomBytes } from "node:crypto";
import type { Route } from "./bridge-protocol.js";

export interface PanelHtmlOptions {
  /** `webview.cspSource`: where the webview may load the extension's files from. */
  cspSource: string;
  /** Webview URIs of the files (asWebviewUri). */
  dashboardJs: string;
  dashboardCss: string;
  bridgeJs: string;
  /** The route to open (else the one saved in the webview state). */
  route?: Route;
  nonce?: string;
}

const escapeAttr = (value: string) => value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export const newNonce = () => randomBytes(18).toString("base64url");

/** The Content-Security-Policy of the panel: only our files and nonce'd scripts; no network at all. */
export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    "connect-src 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

/**
 * The panel's page: the runner's dashboard bundle and stylesheet, the theme bridge (the dashboard's colours
 * follow VS Code's theme variables), and the bridge script that mounts the dashboard with a proxied fetch.
 */
export function panelHtml(options: PanelHtmlOptions): string {
  const nonce = options.nonce ?? newNonce();
  const route = options.route ? `<meta name="databridge-route" content="${escapeAttr(JSON.stringify(options.route))}">` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(panelCsp(options.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
${route}
<title>DataBridge</title>
<link rel="stylesheet" href="${escapeAttr(options.dashboardCss)}">
<style nonce="${nonce}">
  body { padding: 0; background: var(--vscode-editor-background); color: var(--vscode-editor-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
  .databridge-dashboard {
    --db-good: var(--vscode-testing-iconPassed, #16a34a);
    --db-bad: var(--vscode-testing-iconFailed, #dc2626);
    --db-warn: var(--vscode-editorWarning-foreground, #d97706);
    --db-card: var(--vscode-editorWidget-background, var(--vscode-sideBar-background, #ffffff));
  }
</style>
</head>
<body>
<div id="databridge-dashboard"></div>
<script nonce="${nonce}" src="${escapeAttr(options.dashboardJs)}"></script>
<script nonce="${nonce}" src="${escapeAttr(options.bridgeJs)}"></script>
</body>
</html>
`;
}
