import type { RunnerAlerts } from "../alerts/runner-alerts.js";
import type { StateStore } from "../state/store.js";
import type { Clock } from "./clock.js";
import type { ConnectionService } from "./connection-service.js";
import type { EventBus } from "./event-bus.js";
import type { PipelineCatalog } from "./pipeline-catalog.js";
import type { EventRecorder } from "./recorder.js";
import type { RunManager } from "./run-manager.js";
import type { RunOutcomes } from "./run-outcomes.js";
import type { Scheduler } from "./scheduler.js";
import type { SlaMonitor } from "./sla-monitor.js";
import type { RunnerConnections, WorkspaceSource } from "./workspace-source.js";

/** Everything the routes use; built once by `createRunnerServices`. */
export interface RunnerServices {
  workspaces: WorkspaceSource;
  store: StateStore;
  bus: EventBus;
  recorder: EventRecorder;
  catalog: PipelineCatalog;
  connections: RunnerConnections;
  connectionService: ConnectionService;
  runs: RunManager;
  scheduler: Scheduler;
  sla: SlaMonitor;
  alerts: RunnerAlerts;
  outcomes: RunOutcomes;
  clock: Clock;
  log: (line: string) => void;
  startedAt: number;
}

export interface SecurityOptions {
  /** The bearer token every API and SSE request must carry. */
  token: string;
  /** `host:port` values the Host header may have (loopback names with the bound port, by default). */
  allowedHosts: () => readonly string[];
  /** Largest request body accepted (default 1 MiB). */
  maxBodyBytes?: number;
}
