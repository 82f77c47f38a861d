import { type AlertsConfig, type AlertTrigger, configError, DEFAULT_ALERT_TRIGGERS, registerSecret } from "@databridge/core";

/** Where alert secrets come from: never from a committed file, never printed. */
export const ALERT_ENV = {
  webhookUrl: "DATABRIDGE_ALERT_WEBHOOK_URL",
  smtpUrl: "DATABRIDGE_ALERT_SMTP_URL",
  smtpPassword: "DATABRIDGE_ALERT_SMTP_PASSWORD",
} as const;

/** `alerts` of databridge.config.ts with its secrets from the environment, ready to send. */
export interface AlertSettings {
  on: ReadonlySet<AlertTrigger>;
  webhook?: { url: URL };
  email?: { smtp: URL; from: string; to: string[] };
  /** Links point here (`alerts.dashboardUrl`), else at the runner. */
  dashboardUrl?: string;
}

/**
 * Resolves the alerts of a workspace: a channel is on when the config names it; its secret comes from the
 * environment (`DATABRIDGE_ALERT_WEBHOOK_URL`, `DATABRIDGE_ALERT_SMTP_URL`, `DATABRIDGE_ALERT_SMTP_PASSWORD`)
 * or the config, and is registered so that no output, log or error ever shows it.
 */
export function resolveAlertSettings(config: AlertsConfig | undefined, env: NodeJS.ProcessEnv = process.env): AlertSettings | undefined {
  if (!config) return undefined;
  const settings: AlertSettings = { on: new Set(config.on ?? DEFAULT_ALERT_TRIGGERS), dashboardUrl: config.dashboardUrl?.replace(/\/+$/, "") };
  if (config.webhook) {
    const raw = env[ALERT_ENV.webhookUrl] || config.webhook.url;
    if (!raw) throw configError(`alerts.webhook has no URL`, { fix: `set ${ALERT_ENV.webhookUrl} (a webhook URL is a secret: keep it out of databridge.config.ts)` });
    registerSecret(raw);
    const url = parseUrl(raw, `alerts.webhook.url (or ${ALERT_ENV.webhookUrl})`, ["http:", "https:"]);
    registerSecret(url.href);
    registerSecret(`${url.pathname}${url.search}`.length > 1 ? `${url.pathname}${url.search}` : undefined);
    if (url.password) registerSecret(decodeURIComponent(url.password));
    settings.webhook = { url };
  }
  if (config.email) {
    const raw = env[ALERT_ENV.smtpUrl] || config.email.smtp;
    if (!raw) throw configError(`alerts.email has no SMTP server`, { fix: `set alerts.email.smtp (e.g. smtp://alerts@mail.example.com:587) or ${ALERT_ENV.smtpUrl}` });
    const smtp = parseUrl(raw, `alerts.email.smtp (or ${ALERT_ENV.smtpUrl})`, ["smtp:", "smtps:"]);
    const password = env[ALERT_ENV.smtpPassword];
    if (password) smtp.password = encodeURIComponent(password);
    if (smtp.password) registerSecret(decodeURIComponent(smtp.password));
    settings.email = { smtp, from: config.email.from, to: Array.isArray(config.email.to) ? [...config.email.to] : [config.email.to] };
  }
  return settings;
}

function parseUrl(raw: string, field: string, protocols: string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(`${field} is not a valid URL`, { fix: `use ${protocols.map((p) => `${p}//…`).join(" or ")}` });
  }
  if (!protocols.includes(url.protocol)) throw configError(`${field} must be a ${protocols.map((p) => p.replace(":", "")).join(" or ")} URL (got ${url.protocol}//…)`);
  return url;
}
