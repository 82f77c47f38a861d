import type { Api } from "../api.js";

export type Route = { name: "runs" } | { name: "run"; id: string } | { name: "pipelines" } | { name: "connections" };

export interface ViewContext {
  api: Api;
  navigate(route: Route): void;
}

/** A mounted view: its element, and what to stop (streams, timers) when it is replaced. */
export interface View {
  element: HTMLElement;
  destroy(): void;
}
