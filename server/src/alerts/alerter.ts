import type { createTransport } from "nodemailer";
import type { AlertDeliveryView } from "@databridge/core/runner-protocol";
import { type DataBridgeError, isDataBridgeError, messageOf, terminalError, transientError } from "@databridge/core";
import { type Alert, emailMessage, webhookBody } from "./alert-message.js";
import type { AlertSettings } from "./alert-settings.js";

/** How one alert went through one channel (what `GET /alerts` lists, before it is stored). */
export type AlertDelivery = Omit<AlertDeliveryView, "id" | "at" | "trigger"> & { trigger: Alert["trigger"] };

export interface AlerterOptions {
  /** Tries per channel (default 5); only transient failures (network, 5xx, 429, SMTP 4xx) are tried again. */
  attempts?: number;
  /** Backoff before the 2nd try, doubling up to `maxDelayMs` (defaults 1 s and 30 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Per try (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

type Transport = ReturnType<typeof createTransport>;

/**
 * Sends alerts through the configured webhook and e-mail. Delivery is retried with backoff; a failure is
 * reported in what `send` returns and never thrown, so an alert can never fail a run.
 */
export class Alerter {
  private transport?: Transport;

  constructor(readonly settings: AlertSettings, private readonly options: AlerterOptions = {}) {}

  wants(trigger: Alert["trigger"]): boolean {
    return this.settings.on.has(trigger);
  }

  /** Delivers through every channel at once; resolves when each delivered or gave up. */
  async send(alert: Alert): Promise<AlertDelivery[]> {
    const deliveries: Promise<AlertDelivery>[] = [];
    const { webhook, email } = this.settings;
    if (webhook) deliveries.push(this.deliver(alert, "webhook", () => this.postWebhook(webhook.url, alert)));
    if (email) deliveries.push(this.deliver(alert, "email", () => this.sendEmail(email, alert)));
    return Promise.all(deliveries);
  }

  close(): void {
    this.transport?.close();
    this.transport = undefined;
  }

  private async deliver(alert: Alert, channel: AlertDelivery["channel"], attempt: () => Promise<void>): Promise<AlertDelivery> {
    const maxAttempts = Math.max(1, this.options.attempts ?? 5);
    const base = { trigger: alert.trigger, channel, runId: alert.runId, pipeline: alert.pipeline };
    for (let tries = 1; ; tries++) {
      try {
        await attempt();
        return { ...base, ok: true, attempts: tries, error: null };
      } catch (error) {
        const transient = isDataBridgeError(error) && error.kind === "transient";
        if (!transient || tries >= maxAttempts) return { ...base, ok: false, attempts: tries, error: messageOf(error) };
        const delay = Math.min(this.options.maxDelayMs ?? 30_000, (this.options.initialDelayMs ?? 1000) * 2 ** (tries - 1));
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async postWebhook(url: URL, alert: Alert): Promise<void> {
    const where = `webhook at ${url.host}`;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(webhookBody(alert)),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw transientError(`${where} could not be reached: ${networkReason(error)}`, {}, error);
    }
    await response.body?.cancel().catch(() => {});
    if (response.ok) return;
    const message = `${where} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    throw response.status === 429 || response.status >= 500 || response.status === 408 ? transientError(message) : terminalError(message, { fix: "check the webhook URL" });
  }

  private async sendEmail(email: NonNullable<AlertSettings["email"]>, alert: Alert): Promise<void> {
    const { smtp } = email;
    // Loaded when a first email goes out: most runs send none, and nodemailer is slow to load.
    const { createTransport: openTransport } = await import("nodemailer");
    this.transport ??= openTransport({
      host: smtp.hostname.replace(/^\[|\]$/g, ""),
      port: smtp.port ? Number(smtp.port) : smtp.protocol === "smtps:" ? 465 : 587,
      secure: smtp.protocol === "smtps:",
      auth: smtp.username ? { user: decodeURIComponent(smtp.username), pass: decodeURIComponent(smtp.password) } : undefined,
      connectionTimeout: this.options.timeoutMs ?? 10_000,
      greetingTimeout: this.options.timeoutMs ?? 10_000,
      socketTimeout: this.options.timeoutMs ?? 10_000,
    });
    const message = emailMessage(alert);
    try {
      await this.transport.sendMail({ from: email.from, to: email.to, subject: message.subject, text: message.text });
    } catch (error) {
      throw smtpError(error, smtp.host);
    }
  }
}

/** SMTP replies 4xx and lost connections are worth another try; 5xx (a refused login, a refused address) are not. */
function smtpError(error: unknown, host: string): DataBridgeError {
  const { responseCode, code } = (error ?? {}) as { responseCode?: number; code?: string };
  const message = `SMTP server ${host}: ${messageOf(error)}`;
  if (code === "EAUTH") return terminalError(message, { fix: `check the SMTP user and DATABRIDGE_ALERT_SMTP_PASSWORD` }, error);
  if (typeof responseCode === "number") return responseCode >= 500 ? terminalError(message, {}, error) : transientError(message, {}, error);
  return transientError(message, {}, error);
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if ((error as Error)?.name === "TimeoutError") return "no answer in time";
  return cause?.code ?? cause?.message ?? messageOf(error);
}
