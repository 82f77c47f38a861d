import { messageOf, type RunFinishedEvent, type SlaMissedEvent, type Workspace } from "@databridge/core";
import type { StateStore } from "../state/store.js";
import type { WorkspaceSource } from "../runner/workspace-source.js";
import { type Alert, type AlertContext, alertOf, tickFailedAlert } from "./alert-message.js";
import { Alerter, type AlerterOptions } from "./alerter.js";
import { resolveAlertSettings } from "./alert-settings.js";

export interface RunnerAlertsOptions {
  workspaces: WorkspaceSource;
  store: StateStore;
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
  delivery?: AlerterOptions;
}

/**
 * The runner's alerts: the workspace's `alerts` settings (re-read when databridge.config.ts changes), sent
 * for runs that end and SLAs that pass; every delivery is recorded in the state store (the dashboard lists
 * them) and a failed one is logged. Nothing here can fail a run.
 */
export class RunnerAlerts {
  private current?: { workspace: Workspace; alerter?: Alerter };
  private dashboardBase?: string;

  constructor(private readonly options: RunnerAlertsOptions) {}

  /** Resolves the settings now: a missing secret stops the runner from starting, naming the variable to set. */
  async check(): Promise<void> {
    const workspace = await this.options.workspaces.get();
    this.current = { workspace, alerter: this.build(workspace) };
  }

  /** Where dashboard links point when the config has no `alerts.dashboardUrl` (the runner's URL). */
  setDashboardBase(url: string): void {
    this.dashboardBase = url.replace(/\/+$/, "");
  }

  /** Alerts for a run that ended, or missed its SLA (when the settings ask for it). */
  async runEvent(event: RunFinishedEvent | SlaMissedEvent, context: Omit<AlertContext, "dashboardBase"> = {}): Promise<void> {
    const alerter = await this.alerter();
    if (!alerter) return;
    await this.deliver(alerter, alertOf(event, { ...context, dashboardBase: alerter.settings.dashboardUrl ?? this.dashboardBase }));
  }

  /** Alerts `failed` for a schedule tick that could not start its run. */
  async tickFailed(pipeline: string, tickAt: Date, error: string): Promise<void> {
    const alerter = await this.alerter();
    if (alerter) await this.deliver(alerter, tickFailedAlert({ pipeline, tickAt, error, at: new Date() }));
  }

  close(): void {
    this.current?.alerter?.close();
    this.current = undefined;
  }

  private async deliver(alerter: Alerter, alert: Alert): Promise<void> {
    if (!alerter.wants(alert.trigger)) return;
    for (const delivery of await alerter.send(alert)) {
      if (!delivery.ok) this.options.log(`error: ${alert.trigger} alert for pipeline ${alert.pipeline}${alert.runId ? ` (run ${alert.runId})` : ""} not delivered by ${delivery.channel} after ${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"}: ${delivery.error}`);
      await this.options.store.recordAlertDelivery(delivery).catch((error) => this.options.log(`error: could not record an alert delivery: ${messageOf(error)}`));
    }
  }

  private async alerter(): Promise<Alerter | undefined> {
    let workspace: Workspace;
    try {
      workspace = await this.options.workspaces.get();
    } catch {
      return this.current?.alerter;
    }
    if (this.current?.workspace !== workspace) {
      try {
        const alerter = this.build(workspace);
        this.current?.alerter?.close();
        this.current = { workspace, alerter };
      } catch (error) {
        this.options.log(`error: alerts of the changed databridge.config.ts not used (the previous ones are): ${messageOf(error)}`);
        if (this.current) this.current.workspace = workspace;
      }
    }
    return this.current?.alerter;
  }

  private build(workspace: Workspace): Alerter | undefined {
    const settings = resolveAlertSettings(workspace.config.alerts, this.options.env);
    return settings && new Alerter(settings, this.options.delivery);
  }
}
