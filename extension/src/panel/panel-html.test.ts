import { describe, expect, it } from "vitest";
import { panelCsp, panelHtml } from "./panel-html.js";

describe("panel HTML", () => {
  const html = panelHtml({
    cspSource: "https://file+.vscode-resource.vscode-cdn.net",
    dashboardJs: "https://x/dist/dashboard/dashboard.js",
    dashboardCss: "https://x/dist/dashboard/dashboard.css",
    bridgeJs: "https://x/dist/webview/bridge.js",
    route: { name: "run", id: 'r"1<' },
    nonce: "abc123",
  });

  it("has a strict CSP: nonce'd scripts only, no network, no inline script without the nonce", () => {
    const csp = panelCsp("vscode-resource:", "N");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'nonce-N'");
    expect(csp).toContain("connect-src 'none'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(html).toContain(`content="default-src 'none'; script-src 'nonce-abc123'`);
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts).toHaveLength(2);
    for (const tag of scripts) expect(tag).toContain('nonce="abc123"');
  });

  it("loads the dashboard before the bridge and escapes the route it passes on", () => {
    expect(html.indexOf("dashboard/dashboard.js")).toBeLessThan(html.indexOf("webview/bridge.js"));
    expect(html).toContain('content="{&quot;name&quot;:&quot;run&quot;,&quot;id&quot;:&quot;r\\&quot;1&lt;&quot;}"');
  });
});
