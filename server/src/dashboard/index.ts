import { RunnerClient } from "@databridge/core/runner-protocol";
import { h, replace } from "./dom.js";
import { connectionsView } from "./views/connections.js";
import { pipelinesView } from "./views/pipelines.js";
import { runView } from "./views/run.js";
import { runsView } from "./views/runs.js";
import { schedulesView } from "./views/schedules.js";
import type { Route, View } from "./views/view.js";

export type { Route } from "./views/view.js";

/**
 * What the page hosting the dashboard provides. In a browser tab (served by the runner) it is the
 * runner's own origin and the token from the link; in the VS Code panel the extension passes a
 * `fetch` that forwards requests over postMessage. The bundle assumes nothing else about its host.
 */
export interface DashboardHost {
  /** The runner's base URL, e.g. `http://127.0.0.1:4711`; `""` means the page's own origin. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`, never in a URL. */
  token: string;
  /** The fetch to use (default: the page's). It must stream response bodies for live events. */
  fetch?: typeof fetch;
  /** Opens a pipeline file (the VS Code host opens the editor); hidden when absent. */
  openFile?: (file: string) => void;
}

export interface DashboardHandle {
  navigate(route: Route): void;
  destroy(): void;
}

/**
 * Mounts the dashboard into `element`. The host page supplies how to reach the runner; the bundle
 * has no other assumption about it (a browser tab and the VS Code webview host the same file).
 *
 * @example
 * DataBridgeDashboard.mount(document.getElementById("app"), { baseUrl: "http://127.0.0.1:4711", token, fetch: proxiedFetch });
 */
export function mount(element: HTMLElement, host: DashboardHost & { initialRoute?: Route; onNavigate?: (route: Route) => void }): DashboardHandle {
  const client = new RunnerClient({ url: host.baseUrl, token: host.token }, { fetch: host.fetch });
  const content = h("main", { class: "content" });
  const health = h("span", { class: "health", "data-testid": "health" });
  const tabs: [Route["name"], string][] = [["runs", "Runs"], ["pipelines", "Pipelines"], ["schedules", "Schedules"], ["connections", "Connections"]];
  const nav = h("nav", { class: "tabs" }, ...tabs.map(([name, label]) => h("button", { "data-tab": name, onclick: () => navigate({ name } as Route) }, label)));
  element.classList.add("databridge-dashboard");
  replace(element, h("header", { class: "topbar" }, h("span", { class: "logo" }, "DataBridge"), nav, health), content);
  let current: View | undefined;

  const navigate = (route: Route) => {
    current?.destroy();
    const ctx = { client, openFile: host.openFile, navigate };
    current = route.name === "run" ? runView(ctx, route.id) : route.name === "pipelines" ? pipelinesView(ctx) : route.name === "schedules" ? schedulesView(ctx)
      : route.name === "connections" ? connectionsView(ctx) : runsView(ctx);
    for (const tab of nav.querySelectorAll("button")) tab.classList.toggle("active", tab.dataset.tab === (route.name === "run" ? "runs" : route.name));
    replace(content, current.element);
    host.onNavigate?.(route);
  };

  void client.health().then(
    (info) => (health.textContent = `${info.workspace.root} · state: ${info.state.kind}`),
    (error) => (health.textContent = `runner unreachable: ${error instanceof Error ? error.message : error}`),
  );
  navigate(host.initialRoute ?? { name: "runs" });
  return {
    navigate,
    destroy: () => {
      current?.destroy();
      replace(element);
    },
  };
}

const TOKEN_KEY = "databridge.token";

function routeFromHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, "");
  const [first, second] = path.split("/");
  if (first === "runs" && second) return { name: "run", id: decodeURIComponent(second) };
  if (first === "pipelines" || first === "schedules" || first === "connections") return { name: first };
  return { name: "runs" };
}

function hashOf(route: Route): string {
  return route.name === "run" ? `#/runs/${encodeURIComponent(route.id)}` : `#/${route.name}`;
}

/**
 * Browser boot (the page the runner serves): the token comes from the link's fragment
 * (`#token=…`, never sent to the server), is kept in sessionStorage and removed from the address bar.
 */
function autoboot(): void {
  const script = document.currentScript as HTMLScriptElement | null;
  if (!script?.hasAttribute("data-databridge-autoboot")) return;
  const start = () => {
    const root = document.getElementById("databridge-dashboard") ?? document.body.appendChild(h("div", { id: "databridge-dashboard" }));
    const fromHash = /(?:^#|&)token=([^&]+)/.exec(location.hash)?.[1];
    if (fromHash) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(fromHash));
      history.replaceState(null, "", `${location.pathname}#/runs`);
    }
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) {
      const input = h("input", { type: "password", placeholder: "token from .databridge/runner.json", "aria-label": "token" });
      replace(root, h("div", { class: "login card" }, h("h2", {}, "DataBridge runner"),
        h("p", {}, "Open the dashboard link `databridge serve` printed, or paste the token from ", h("code", {}, ".databridge/runner.json"), "."),
        h("form", { onsubmit: (e: Event) => { e.preventDefault(); sessionStorage.setItem(TOKEN_KEY, input.value.trim()); location.reload(); } }, input, h("button", { class: "primary", type: "submit" }, "Open"))));
      return;
    }
    const dashboard = mount(root, { baseUrl: "", token, initialRoute: routeFromHash(location.hash), onNavigate: (route) => history.replaceState(null, "", hashOf(route)) });
    window.addEventListener("hashchange", () => dashboard.navigate(routeFromHash(location.hash)));
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}

autoboot();
