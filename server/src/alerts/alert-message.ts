import { type AlertTrigger, formatDurationMs, type RowCounts, type RunFinishedEvent, type RunStatus, type SlaMissedEvent } from "@databridge/core";

/** One alert: what happened to which run, in the words and fields every channel shows. */
export interface Alert {
  trigger: AlertTrigger;
  pipeline: string;
  runId: string | null;
  /** The run's status (for `sla_missed`: its status at the deadline). */
  status: RunStatus | "not_started";
  rows: RowCounts | null;
  durationMs: number | null;
  error: string | null;
  sla?: { sla: string; since: string; deadline: string };
  /** A failed scheduled run that will be retried. */
  retry?: { at: string; attempt: number; of: number };
  dashboardUrl: string | null;
  at: string;
}

export interface AlertContext {
  /** The dashboard's base URL; the alert links to the run in it. */
  dashboardBase?: string;
  retry?: { at: Date; attempt: number; of: number };
}

/** The alert an event raises (the trigger is the run's status, or `sla_missed`). */
export function alertOf(event: RunFinishedEvent | SlaMissedEvent, context: AlertContext = {}): Alert {
  const dashboardUrl = context.dashboardBase ? `${context.dashboardBase}/#/runs/${encodeURIComponent(event.runId)}` : null;
  const retry = context.retry ? { at: context.retry.at.toISOString(), attempt: context.retry.attempt, of: context.retry.of } : undefined;
  if (event.type === "sla_missed") {
    return {
      trigger: "sla_missed", pipeline: event.pipeline, runId: event.runId, status: event.status, rows: null, durationMs: Date.parse(event.ts) - Date.parse(event.since),
      error: null, sla: { sla: event.sla, since: event.since, deadline: event.deadline }, dashboardUrl, at: event.ts,
    };
  }
  return {
    trigger: event.status as AlertTrigger, pipeline: event.pipeline, runId: event.runId, status: event.status, rows: event.rows, durationMs: event.durationMs,
    error: event.error ?? null, retry, dashboardUrl, at: event.ts,
  };
}

const count = (n: number) => n.toLocaleString("en-US");

/** A schedule's tick that could not start its run (a pipeline file that fails to load, a missing dependency). */
export function tickFailedAlert(input: { pipeline: string; tickAt: Date; error: string; at: Date }): Alert {
  return {
    trigger: "failed", pipeline: input.pipeline, runId: null, status: "not_started", rows: null, durationMs: null,
    error: `the run due at ${input.tickAt.toISOString()} could not start: ${input.error}`, dashboardUrl: null, at: input.at.toISOString(),
  };
}

/** "pipeline customers failed (run 2026…)": the first line of every channel. */
export function alertHeadline(alert: Alert): string {
  const run = alert.runId ? ` (run ${alert.runId})` : "";
  if (alert.status === "not_started") return `DataBridge: pipeline ${alert.pipeline} did not start`;
  if (alert.trigger === "sla_missed") {
    return `DataBridge: pipeline ${alert.pipeline} missed its SLA of ${alert.sla?.sla}${run}: ${alert.status === "queued" ? "not started" : `still ${alert.status}`} at ${alert.sla?.deadline}`;
  }
  return `DataBridge: pipeline ${alert.pipeline} ${alert.status.replace(/_/g, " ")}${run}`;
}

/** The readable text of an alert: headline, counts, duration, error, retry, link. */
export function alertText(alert: Alert): string {
  const lines = [alertHeadline(alert)];
  if (alert.rows) {
    lines.push(`${count(alert.rows.read)} rows read, ${count(alert.rows.written)} written, ${count(alert.rows.rejected)} rejected${alert.durationMs !== null ? ` in ${formatDurationMs(alert.durationMs)}` : ""}`);
  }
  if (alert.error) lines.push(`Error: ${alert.error}`);
  if (alert.retry) lines.push(`Retry ${alert.retry.attempt} of ${alert.retry.of} at ${alert.retry.at}, from its checkpoint`);
  if (alert.dashboardUrl) lines.push(`Dashboard: ${alert.dashboardUrl}`);
  return lines.join("\n");
}

/** What a webhook receives: Slack-compatible (`text`, `blocks`), plus the alert's fields for programs. */
export interface WebhookBody {
  text: string;
  blocks: unknown[];
  trigger: AlertTrigger;
  pipeline: string;
  runId: string | null;
  status: string;
  rows: RowCounts | null;
  durationMs: number | null;
  error: string | null;
  sla: Alert["sla"] | null;
  retry: Alert["retry"] | null;
  dashboardUrl: string | null;
  at: string;
}

export function webhookBody(alert: Alert): WebhookBody {
  const fields = [
    ["Pipeline", alert.pipeline], ["Run", alert.runId ?? "—"], ["Status", alert.status],
    ...(alert.rows ? [["Rows", `${count(alert.rows.read)} read · ${count(alert.rows.written)} written · ${count(alert.rows.rejected)} rejected`]] : []),
    ...(alert.durationMs !== null ? [["Duration", formatDurationMs(alert.durationMs)]] : []),
  ];
  return {
    text: alertText(alert),
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: alertText(alert) } },
      { type: "section", fields: fields.map(([title, value]) => ({ type: "mrkdwn", text: `*${title}*\n${value}` })) },
    ],
    trigger: alert.trigger, pipeline: alert.pipeline, runId: alert.runId, status: alert.status, rows: alert.rows, durationMs: alert.durationMs,
    error: alert.error, sla: alert.sla ?? null, retry: alert.retry ?? null, dashboardUrl: alert.dashboardUrl, at: alert.at,
  };
}

export function emailMessage(alert: Alert): { subject: string; text: string } {
  return { subject: alertHeadline(alert).replace(/^DataBridge: /, "[DataBridge] "), text: `${alertText(alert)}\n` };
}
