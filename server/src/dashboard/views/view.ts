import type { RunnerClient } from "@databridge/core/runner-protocol";

export type Route = { name: "runs" } | { name: "run"; id: string } | { name: "pipelines" } | { name: "schedules" } | { name: "connections" };

export interface ViewContext {
  /** The runner protocol's client: every call and live stream of the dashboard goes through it. */
  client: RunnerClient;
  /** Opens a pipeline file (the VS Code host opens the editor); absent in a browser tab. */
  openFile?: (file: string) => void;
  navigate(route: Route): void;
}

/** A mounted view: its element, and what to stop (streams, timers) when it is replaced. */
export interface View {
  element: HTMLElement;
  destroy(): void;
}
