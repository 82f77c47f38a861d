import { isRunStatus, type PipelineSummary, RUN_STATUSES } from "@databridge/core/runner-protocol";
import { formatDuration, formatNumber, formatTime, h, replace, statusBadge, throttle } from "../dom.js";
import type { View, ViewContext } from "./view.js";

/** Run history (live: refreshed on every run event) and a form to start a run. */
export function runsView(ctx: ViewContext): View {
  const { client } = ctx;
  const list = h("div", { "data-testid": "runs" });
  const picker = h("div", { class: "picker" });
  const message = h("div", { class: "message", role: "status" });
  const statusFilter = h("select", { "aria-label": "status filter", onchange: () => void load() },
    ...["", ...RUN_STATUSES].map((s) => h("option", { value: s }, s ? s.replace(/_/g, " ") : "all statuses")));
  let pipelines: PipelineSummary[] = [];
  const selected = new Set<string>();

  const start = h("button", {
    class: "primary", "data-action": "start-run",
    onclick: async () => {
      if (!selected.size) {
        message.textContent = "Pick at least one pipeline.";
        return;
      }
      start.disabled = true;
      try {
        const names = pipelines.map((p) => p.name).filter((n) => selected.has(n));
        const created = await client.startRun({ pipelines: names });
        ctx.navigate({ name: "run", id: created.id });
      } catch (error) {
        message.textContent = error instanceof Error ? error.message : String(error);
      } finally {
        start.disabled = false;
      }
    },
  }, "Start run");

  const renderPicker = () => replace(picker,
    h("span", { class: "picker-label" }, "Pipelines:"),
    pipelines.map((p) => h("label", { class: "check" },
      h("input", {
        type: "checkbox", value: p.name, checked: selected.has(p.name), "data-pipeline": p.name,
        onchange: (e: Event) => {
          const box = e.currentTarget as HTMLInputElement;
          if (box.checked) {
            selected.add(p.name);
            // A run needs the pipelines it depends on.
            const add = (name: string) => pipelines.find((q) => q.name === name)?.dependsOn.forEach((d) => { selected.add(d); add(d); });
            add(p.name);
          } else selected.delete(p.name);
          renderPicker();
        },
      }), p.name)),
    start,
  );

  const load = async () => {
    try {
      const status = statusFilter.value;
      const data = await client.runs({ limit: 50, status: isRunStatus(status) ? [status] : undefined });
      replace(list, data.runs.length ? h("table", { class: "grid runs" },
        h("thead", {}, h("tr", {}, ...["Run", "Status", "Pipelines", "Read", "Written", "Rejected", "Rows/s", "Duration", "Started"].map((t) => h("th", {}, t)))),
        h("tbody", {}, data.runs.map((run) => h("tr", { class: "clickable", "data-run-id": run.id, onclick: () => ctx.navigate({ name: "run", id: run.id }) },
          h("td", {}, h("code", {}, run.id), run.retryOf ? h("span", { class: "hint" }, " retry") : null),
          h("td", {}, statusBadge(run.status)),
          h("td", {}, run.pipelines.join(", ")),
          h("td", { class: "num" }, formatNumber(run.rows.read)),
          h("td", { class: "num" }, formatNumber(run.rows.written)),
          h("td", { class: `num${run.rows.rejected ? " bad" : ""}` }, formatNumber(run.rows.rejected)),
          h("td", { class: "num" }, formatNumber(run.rowsPerSecond)),
          h("td", { class: "num" }, formatDuration(run.durationMs ?? (run.startedAt ? Date.now() - Date.parse(run.startedAt) : null))),
          h("td", {}, formatTime(run.startedAt ?? run.createdAt)),
        ))),
      ) : h("p", { class: "empty" }, "No runs yet. Pick pipelines above and start one."), data.total > data.runs.length ? h("p", { class: "hint" }, `${data.runs.length} of ${formatNumber(data.total)} runs`) : null);
    } catch (error) {
      message.textContent = error instanceof Error ? error.message : String(error);
    }
  };
  const reload = throttle(() => void load(), 500);

  void client.pipelines().then((data) => {
    pipelines = data.pipelines;
    renderPicker();
  }, (error) => (message.textContent = `Pipelines: ${error instanceof Error ? error.message : error}`));
  void load();
  const stream = client.events({
    onMessage: (m) => {
      if (m.event.startsWith("run.") || m.event === "stage.finished" || m.event === "log") reload();
    },
  });

  return {
    element: h("section", { class: "view runs-view" }, h("div", { class: "card" }, h("h3", {}, "Start a run"), picker, message), h("div", { class: "toolbar" }, h("h3", {}, "Runs"), statusFilter), list),
    destroy: () => stream.close(),
  };
}
