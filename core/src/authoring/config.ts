import type { Plugin } from "./plugin.js";

export interface ConnectionConfig {
  /** `postgres://…`, `mysql://…`, `pglite:folder` or `pglite:memory:`. Put passwords in the environment, not here. */
  url: string;
  description?: string;
}

/** What can alert: how a run ended, or a run past its SLA. */
export const ALERT_TRIGGERS = ["failed", "sla_missed", "succeeded_with_rejects", "succeeded", "cancelled", "interrupted"] as const;
export type AlertTrigger = (typeof ALERT_TRIGGERS)[number];
export const DEFAULT_ALERT_TRIGGERS: readonly AlertTrigger[] = ["failed", "sla_missed"];

/**
 * Who hears about runs. Secrets stay out of this file: the webhook URL (a Slack URL is a credential) comes
 * from `DATABRIDGE_ALERT_WEBHOOK_URL`, the SMTP password from `DATABRIDGE_ALERT_SMTP_PASSWORD` (or the whole
 * URL from `DATABRIDGE_ALERT_SMTP_URL`); either overrides what is written here, and neither is ever printed.
 */
export interface AlertsConfig {
  /** POSTs Slack-compatible JSON (`text`, plus the run's pipeline, id, status, counts, duration and dashboard link). */
  webhook?: { url?: string };
  /** Mail through SMTP: `smtp://user@host:587` (STARTTLS when offered) or `smtps://user@host:465`. */
  email?: { smtp?: string; from: string; to: string | string[] };
  /** What alerts (default `["failed", "sla_missed"]`). */
  on?: AlertTrigger[];
  /** The dashboard address used in links (default: the runner's own URL). */
  dashboardUrl?: string;
}

export interface WorkspaceConfig {
  connections: Record<string, ConnectionConfig>;
  /** Connector and transform plugins (see `definePlugin`). */
  plugins?: Plugin[];
  /** Folder (relative to the config) holding `*.etl.ts` pipelines; default `pipelines`. */
  pipelinesDir?: string;
  /** Webhook and e-mail alerts for runs of the runner (`databridge serve`) and of `databridge run`. */
  alerts?: AlertsConfig;
  /**
   * Runs the runner (`databridge serve`) starts go to the workers of this Redis queue (`databridge worker
   * --queue <url>`), as `databridge run --queue <url>` does: `redis://host:6379[/db]`.
   */
  queue?: { url: string };
}

/**
 * Declares the workspace config (`databridge.config.ts`).
 *
 * @example
 * export default defineConfig({
 *   connections: {
 *     legacy: { url: "mysql://root@127.0.0.1:3306/legacy" },
 *     warehouse: { url: "postgres://postgres@127.0.0.1:5432/warehouse" },
 *   },
 * });
 */
export function defineConfig<const T extends WorkspaceConfig>(config: T): T {
  return config;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** What is wrong with the shape of `alerts` (one line naming the field), or undefined. */
export function alertsConfigError(alerts: unknown): string | undefined {
  if (alerts === undefined) return undefined;
  if (!isObject(alerts)) return "alerts must be an object: { webhook: { url }, email: { smtp, from, to }, on: [...] }";
  const known = ["webhook", "email", "on", "dashboardUrl"];
  const unknown = Object.keys(alerts).find((k) => !known.includes(k));
  if (unknown) return `alerts.${unknown} is not an alerts setting; the settings are ${known.join(", ")}`;
  const { webhook, email, on, dashboardUrl } = alerts;
  if (webhook !== undefined && (!isObject(webhook) || (webhook.url !== undefined && typeof webhook.url !== "string"))) {
    return "alerts.webhook must be { url } (or {} with the URL in DATABRIDGE_ALERT_WEBHOOK_URL)";
  }
  if (email !== undefined) {
    if (!isObject(email)) return "alerts.email must be { smtp, from, to }";
    if (email.smtp !== undefined && typeof email.smtp !== "string") return "alerts.email.smtp must be a URL such as smtp://user@mail.example.com:587";
    if (typeof email.from !== "string" || !email.from.includes("@")) return `alerts.email.from must be an address such as "databridge@example.com" (got ${JSON.stringify(email.from)})`;
    const to = Array.isArray(email.to) ? email.to : [email.to];
    if (!to.length || to.some((address) => typeof address !== "string" || !address.includes("@"))) {
      return `alerts.email.to must be an address or a list of addresses (got ${JSON.stringify(email.to)})`;
    }
  }
  if (on !== undefined) {
    if (!Array.isArray(on) || !on.length) return `alerts.on must be a non-empty list of ${ALERT_TRIGGERS.join(", ")}`;
    const bad = on.find((t) => !(ALERT_TRIGGERS as readonly unknown[]).includes(t));
    if (bad !== undefined) return `alerts.on: ${JSON.stringify(bad)} is not something that alerts; use ${ALERT_TRIGGERS.join(", ")}`;
  }
  if (dashboardUrl !== undefined && (typeof dashboardUrl !== "string" || !/^https?:\/\//.test(dashboardUrl))) {
    return `alerts.dashboardUrl must be an http(s) URL (got ${JSON.stringify(dashboardUrl)})`;
  }
  if (webhook === undefined && email === undefined) return "alerts needs a webhook or an email channel";
  return undefined;
}
