import type { AlertDeliveryView, ScheduleView } from "@databridge/core/runner-protocol";
import { formatTime, h, replace, statusBadge, throttle } from "../dom.js";
import type { View, ViewContext } from "./view.js";

/**
 * Schedules (the pipeline files' and the API's): cron, next run, last run and its status, a retry waiting,
 * why one is not armed; trigger now, pause or resume. Below, alerts that could not be delivered.
 */
export function schedulesView(ctx: ViewContext): View {
  const { client, openFile } = ctx;
  const list = h("div", { "data-testid": "schedules" });
  const alerts = h("div", { "data-testid": "alert-failures" });
  const message = h("div", { class: "message", role: "status" });

  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      await load();
    } catch (error) {
      message.textContent = error instanceof Error ? error.message : String(error);
    }
  };

  const row = (s: ScheduleView) => h("tr", { "data-schedule": s.id },
    h("td", {}, h("strong", {}, s.name), h("div", { class: "hint" },
      s.source === "file" && s.file ? (openFile ? h("a", { href: "#", onclick: (e: Event) => { e.preventDefault(); openFile(s.file!); } }, s.file) : s.file) : "created through the API")),
    h("td", {}, h("code", {}, s.cron), s.timezone ? h("div", { class: "hint" }, s.timezone) : null),
    h("td", { "data-testid": "next-run" }, s.error ? h("span", { class: "bad" }, s.error) : s.enabled ? formatTime(s.nextRunAt) : "paused"),
    h("td", { "data-testid": "last-run" }, s.lastRun
      ? h("a", { href: "#", onclick: (e: Event) => { e.preventDefault(); ctx.navigate({ name: "run", id: s.lastRun!.id }); } }, statusBadge(s.lastRun.status), " ", formatTime(s.lastRun.finishedAt ?? s.lastRunAt))
      : "–",
      s.pendingRetry ? h("div", { class: "hint" }, `retry ${s.pendingRetry.attempt} of ${s.retry.runs} at ${formatTime(s.pendingRetry.at)}`) : null),
    h("td", {}, [`catch-up ${s.catchUp}`, `max ${s.maxActiveRuns} active`, s.retry.runs ? `${s.retry.runs} retries` : "", s.sla ? `SLA ${s.sla}` : ""].filter(Boolean).join(" · ")),
    h("td", {},
      h("button", { "data-action": "trigger", onclick: () => void act(async () => ctx.navigate({ name: "run", id: (await client.triggerSchedule(s.id)).id })) }, "Run now"),
      h("button", { "data-action": "toggle", onclick: () => void act(() => client.updateSchedule(s.id, { enabled: !s.enabled })) }, s.enabled ? "Pause" : "Resume")),
  );

  const failure = (d: AlertDeliveryView) => h("li", { class: "bad" },
    `${formatTime(d.at)} · ${d.trigger} alert for ${d.pipeline}${d.runId ? ` (run ${d.runId})` : ""} by ${d.channel}, ${d.attempts} attempt${d.attempts === 1 ? "" : "s"}: ${d.error ?? "not delivered"}`);

  const load = async () => {
    try {
      const [{ schedules }, { deliveries }] = await Promise.all([client.schedules(), client.alerts({ failed: true, limit: 20 })]);
      replace(list, schedules.length
        ? h("table", { class: "grid schedules" },
          h("thead", {}, h("tr", {}, ...["Schedule", "Cron", "Next run", "Last run", "Policy", ""].map((t) => h("th", {}, t)))),
          h("tbody", {}, schedules.map(row)))
        : h("p", { class: "empty" }, "No schedules. Add schedule: \"0 2 * * *\" to a pipeline file, or create one through the API."));
      replace(alerts, deliveries.length ? h("ul", { class: "error-list" }, deliveries.map(failure)) : h("p", { class: "empty" }, "Every alert was delivered."));
    } catch (error) {
      message.textContent = error instanceof Error ? error.message : String(error);
    }
  };
  const reload = throttle(() => void load(), 500);
  void load();
  // Runs starting and ending change last runs; a minute passing changes next runs.
  const stream = client.events({ onMessage: (m) => (m.event === "run.started" || m.event === "run.finished" || m.event === "sla_missed") && reload() });
  const timer = setInterval(reload, 30_000);

  return {
    element: h("section", { class: "view schedules-view" }, h("div", { class: "toolbar" }, h("h3", {}, "Schedules")), message, list, h("h3", {}, "Alerts not delivered"), alerts),
    destroy: () => {
      stream.close();
      clearInterval(timer);
    },
  };
}
