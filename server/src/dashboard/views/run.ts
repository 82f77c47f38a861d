import {
  type EventStream, isSuccessfulStatus, isTerminalRunStatus, parseRunEvent, type RejectsPage, runActions, RunnerApiError, type RunEvent, type RunView, type StageView,
} from "@databridge/core/runner-protocol";
import { formatDuration, formatNumber, formatTime, h, replace, showValue, statusBadge, throttle } from "../dom.js";
import type { View, ViewContext } from "./view.js";
import { rateChart, type RatePoint } from "./chart.js";

const stageKey = (pipeline: string, tenant: string | null | undefined) => `${pipeline}|${tenant ?? ""}`;

/** The live view of one run: stage progress bars, rows/s chart, ETA, controls, rejected rows with their source data. */
export function runView(ctx: ViewContext, runId: string): View {
  const { client } = ctx;
  let run: RunView | undefined;
  const stages = new Map<string, StageView>();
  const points: RatePoint[] = [];
  const lastBatchAt = new Map<string, number>();
  const log: RunEvent[] = [];
  let rejects: RejectsPage | undefined;
  let liveRejected = 0;
  let streamState = "connecting";
  let eventsSeen = 0;

  const status = h("span");
  const title = h("h2", {}, "Run ", h("code", {}, runId));
  const meta = h("div", { class: "meta" });
  const metrics = h("div", { class: "metrics" });
  const stageList = h("div", { class: "stages", "data-testid": "stages" });
  const chart = h("div", { class: "chart", "data-testid": "rate-chart" });
  const rejectsBox = h("div", { class: "rejects", "data-testid": "rejects" });
  const errorsBox = h("div", { class: "errors" });
  const logBox = h("ol", { class: "event-log", "data-testid": "event-log" });
  const message = h("div", { class: "message", role: "status" });

  const action = (name: string, label: string, work: () => Promise<unknown>) =>
    h("button", {
      "data-action": name,
      onclick: async (event: Event) => {
        const button = event.currentTarget as HTMLButtonElement;
        button.disabled = true;
        try {
          await work();
          message.textContent = "";
        } catch (error) {
          message.textContent = error instanceof Error ? error.message : String(error);
        } finally {
          await refresh();
        }
      },
    }, label);
  const buttons = {
    pause: action("pause", "Pause", () => client.pauseRun(runId)),
    resume: action("resume", "Resume", () => client.resumeRun(runId)),
    cancel: action("cancel", "Cancel", () => client.cancelRun(runId)),
    retry: action("retry", "Retry from checkpoint", async () => {
      const created = await client.retryRun(runId);
      ctx.navigate({ name: "run", id: created.id });
    }),
  };
  const toolbar = h("div", { class: "toolbar" }, h("button", { class: "link", onclick: () => ctx.navigate({ name: "runs" }) }, "← All runs"), ...Object.values(buttons));

  const element = h("section", { class: "view run-view", "data-run-id": runId },
    toolbar, h("header", { class: "run-header" }, title, status), meta, message, metrics,
    h("h3", {}, "Stages"), stageList,
    h("h3", {}, "Throughput (rows/s)"), chart,
    errorsBox,
    h("h3", {}, "Rejected rows"), rejectsBox,
    h("details", { class: "log" }, h("summary", {}, "Events"), logBox),
  );

  const render = () => {
    if (!run) return;
    const state = run.status;
    replace(status, statusBadge(state, "run-status"));
    const allowed = runActions(state);
    buttons.pause.disabled = !allowed.pause;
    buttons.resume.disabled = !allowed.resume;
    buttons.cancel.disabled = !allowed.cancel;
    buttons.retry.disabled = !allowed.retry;
    replace(meta,
      h("span", {}, "Pipelines: ", h("strong", {}, run.pipelines.join(", "))),
      h("span", {}, `Started ${formatTime(run.startedAt ?? run.createdAt)}`),
      run.retryOf ? h("span", {}, "Retry of ", h("a", { href: "#", onclick: (e: Event) => { e.preventDefault(); ctx.navigate({ name: "run", id: run!.retryOf! }); } }, run.retryOf)) : null,
      h("span", { class: `stream stream-${streamState}`, "data-testid": "stream-state" }, streamState === "live" ? "● live" : streamState),
      state === "paused" ? h("span", { "data-testid": run.heldAtBoundary ? "held" : "pausing" }, run.heldAtBoundary ? "held at a batch boundary" : "pausing at the next batch boundary…") : null,
    );
    const all = [...stages.values()];
    const read = all.reduce((n, s) => n + s.rows.read, 0);
    const written = all.reduce((n, s) => n + s.rows.written, 0);
    const rejected = Math.max(all.reduce((n, s) => n + s.rows.rejected, 0), liveRejected);
    const running = all.filter((s) => s.status === "running");
    const eta = running.length ? Math.max(...running.map((s) => s.etaMs ?? 0)) : null;
    const rate = running.length ? running.reduce((n, s) => n + (s.rowsPerSecond ?? 0), 0) : run.rowsPerSecond;
    const elapsed = run.durationMs ?? (run.startedAt ? Date.now() - Date.parse(run.startedAt) : null);
    replace(metrics,
      metric("Rows read", formatNumber(read), "rows-read"),
      metric("Rows written", formatNumber(written), "rows-written"),
      metric("Rejected", formatNumber(rejected), "rows-rejected"),
      metric("Rows/s", formatNumber(rate ?? null), "rows-per-second"),
      metric("ETA", isTerminalRunStatus(state) ? "done" : formatDuration(eta), "eta"),
      metric(isTerminalRunStatus(state) ? "Duration" : "Elapsed", formatDuration(elapsed), "duration"),
    );
    replace(stageList, all.length ? all.map(stageCard) : h("p", { class: "empty" }, state === "queued" ? "Queued: waiting for a free slot." : "No stage has started yet."));
    replace(chart, rateChart(points));
    const errors = [run.error, ...all.filter((s) => s.error && s.error !== run!.error).map((s) => s.error)].filter(Boolean) as string[];
    replace(errorsBox, errors.length ? [h("h3", {}, "Errors"), h("ul", { class: "error-list", "data-testid": "errors" }, errors.map((e) => h("li", {}, e)))] : null);
    renderRejects();
    replace(logBox, log.slice(-200).map((e) => h("li", {}, h("code", {}, e.type), " ", e.pipeline, " ", describe(e))));
    element.dataset.status = state;
    element.dataset.events = String(eventsSeen);
  };
  const scheduleRender = throttle(render, 150);

  const renderRejects = () => {
    if (!rejects) {
      replace(rejectsBox, h("p", { class: "empty" }, liveRejected ? `${formatNumber(liveRejected)} rejected so far…` : "None."));
      return;
    }
    if (!rejects.rows.length) {
      replace(rejectsBox, h("p", { class: "empty" }, "None."));
      return;
    }
    replace(rejectsBox,
      rejects.warning ? h("p", { class: "warning" }, rejects.warning) : null,
      h("table", { class: "grid" },
        h("thead", {}, h("tr", {}, h("th", {}, "Pipeline"), h("th", {}, "Key"), h("th", {}, "Column"), h("th", {}, "Reason"), h("th", {}, "Source row"))),
        h("tbody", {}, rejects.rows.map((r) => h("tr", { "data-testid": "rejected-row" },
          h("td", {}, r.tenant ? `${r.pipeline} [${r.tenant}]` : r.pipeline),
          h("td", {}, h("code", {}, r.key.map(showValue).join(", "))),
          h("td", {}, r.column ?? "–"),
          h("td", { class: "reason" }, r.message),
          h("td", {}, r.row ? h("dl", { class: "source-row" }, Object.entries(r.row).flatMap(([k, v]) => [h("dt", {}, k), h("dd", { class: k === r.column ? "bad" : "" }, showValue(v))])) : "–"),
        ))),
      ),
      rejects.total > rejects.rows.length ? h("p", { class: "empty" }, `Showing ${rejects.rows.length} of ${formatNumber(rejects.total)}.`) : null,
    );
  };

  let rejectsRequest = 0;
  const loadRejects = throttle(async () => {
    const request = ++rejectsRequest;
    try {
      const result = await client.rejects(runId, { limit: 100 });
      // Responses can arrive out of order; only the newest request's answer is shown.
      if (request !== rejectsRequest) return;
      rejects = result;
      scheduleRender();
    } catch {
      // shown as the live count until the next try
    }
  }, 1000);

  const refresh = async () => {
    try {
      run = await client.run(runId);
      for (const stage of run.stages) {
        if (stage.status === "pending" && stages.has(stageKey(stage.pipeline, stage.tenant))) continue;
        stages.set(stageKey(stage.pipeline, stage.tenant), stage);
      }
      render();
    } catch (error) {
      message.textContent = error instanceof RunnerApiError && error.status === 404 ? `Run ${runId} does not exist.` : error instanceof Error ? error.message : String(error);
    }
  };

  const apply = (event: RunEvent) => {
    eventsSeen++;
    log.push(event);
    const key = stageKey(event.pipeline, "tenant" in event ? event.tenant : undefined);
    const stage = stages.get(key) ?? stages.get(stageKey(event.pipeline, null));
    switch (event.type) {
      case "run.started":
        if (run && run.status === "queued") run.status = "running";
        break;
      case "stage.started":
        stages.set(key, {
          pipeline: event.pipeline, tenant: event.tenant ?? null, status: "running", source: event.source, target: event.target, mode: event.mode,
          estimatedRows: event.estimatedRows, batches: 0, rows: { read: 0, written: 0, rejected: 0 }, progress: event.estimatedRows ? 0 : null,
          rowsPerSecond: null, etaMs: null, resumeAfter: null, startedAt: event.ts, finishedAt: null, durationMs: null, error: null, parity: null,
        });
        if (event.tenant && stages.get(stageKey(event.pipeline, null))?.status === "pending") stages.delete(stageKey(event.pipeline, null));
        break;
      case "batch.committed": {
        if (stage) {
          stage.rows = event.rows;
          stage.batches = event.batch;
          stage.rowsPerSecond = event.rowsPerSecond;
          stage.etaMs = event.etaMs;
          stage.estimatedRows = event.estimatedRows ?? stage.estimatedRows;
          stage.progress = stage.estimatedRows ? Math.min(1, event.rows.read / stage.estimatedRows) : null;
        }
        const at = Date.parse(event.ts);
        const previous = lastBatchAt.get(key);
        const rate = previous !== undefined && at > previous ? (event.batchRows.read * 1000) / (at - previous) : event.rowsPerSecond;
        lastBatchAt.set(key, at);
        points.push({ t: at, rate, pipeline: event.pipeline });
        break;
      }
      case "row.rejected":
        liveRejected++;
        loadRejects();
        break;
      case "stage.finished":
        stages.set(key, {
          ...(stage ?? {
            pipeline: event.pipeline, tenant: event.tenant ?? null, source: null, target: null, mode: null, estimatedRows: null, batches: 0, rowsPerSecond: null,
            resumeAfter: null, startedAt: null, finishedAt: null,
          }),
          status: event.status, rows: event.rows, progress: isSuccessfulStatus(event.status) ? 1 : stage?.progress ?? null, etaMs: null,
          durationMs: event.durationMs, finishedAt: event.ts, error: event.error ?? null, parity: event.parity ?? null,
        });
        break;
      case "run.finished":
        if (run) {
          run.status = event.status;
          run.error = event.error ?? null;
        }
        void refresh();
        loadRejects();
        break;
      case "log":
      case "sla_missed":
        void refresh();
        break;
    }
    scheduleRender();
  };

  let stream: EventStream | undefined;
  void refresh().then(() => {
    stream = client.runEvents(runId, {
      onMessage: (message) => {
        const event = parseRunEvent(message.event, message.data);
        if (event) apply(event);
      },
      onState: (state) => {
        streamState = state === "open" ? "live" : state === "closed" ? "ended" : state;
        scheduleRender();
      },
    });
    if (run && (run.rows.rejected > 0 || isTerminalRunStatus(run.status))) loadRejects();
  });
  const ticker = setInterval(() => {
    if (!run || isTerminalRunStatus(run.status)) return;
    if (run.status === "paused" && !run.heldAtBoundary) void refresh();
    else scheduleRender();
  }, 1000);

  return {
    element,
    destroy: () => {
      stream?.close();
      clearInterval(ticker);
    },
  };
}

function metric(label: string, value: string, testId: string): HTMLElement {
  return h("div", { class: "metric" }, h("div", { class: "metric-value", "data-testid": testId }, value), h("div", { class: "metric-label" }, label));
}

function stageCard(stage: StageView): HTMLElement {
  const pct = stage.progress === null ? null : Math.round(stage.progress * 100);
  return h("article", { class: `stage stage-${stage.status}`, "data-testid": "stage", "data-pipeline": stage.pipeline },
    h("div", { class: "stage-head" },
      h("strong", {}, stage.tenant ? `${stage.pipeline} [${stage.tenant}]` : stage.pipeline), " ", statusBadge(stage.status),
      h("span", { class: "stage-route" }, stage.source && stage.target ? `${stage.source} → ${stage.target} (${stage.mode})` : ""),
    ),
    h("div", {
      class: `progress${pct === null ? " indeterminate" : ""}`, role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100,
      "aria-valuenow": pct ?? undefined, "data-testid": "stage-progress", "data-pipeline": stage.pipeline,
    }, bar(pct ?? 100)),
    h("div", { class: "stage-stats" },
      h("span", { "data-testid": "stage-rows" }, `${formatNumber(stage.rows.read)}${stage.estimatedRows !== null ? ` / ${formatNumber(stage.estimatedRows)}` : ""} rows`),
      h("span", {}, `${formatNumber(stage.rows.written)} written`),
      stage.rows.rejected ? h("span", { class: "bad" }, `${formatNumber(stage.rows.rejected)} rejected`) : null,
      h("span", {}, `${formatNumber(stage.batches)} batches`),
      stage.rowsPerSecond !== null ? h("span", {}, `${formatNumber(stage.rowsPerSecond)} rows/s`) : null,
      stage.status === "running" && stage.etaMs !== null ? h("span", {}, `ETA ${formatDuration(stage.etaMs)}`) : null,
      pct !== null ? h("span", {}, `${pct}%`) : null,
      stage.parity ? h("span", { class: (stage.parity.ok ?? stage.parity.source === stage.parity.target) ? "good" : "bad" }, `parity ${formatNumber(stage.parity.source)} ↔ ${formatNumber(stage.parity.target)}`) : null,
    ),
    stage.error ? h("p", { class: "stage-error" }, stage.error) : null,
  );
}

/** The bar's width is set through the CSSOM: the page's CSP forbids style attributes. */
function bar(percent: number): HTMLElement {
  const element = h("div", { class: "bar" });
  element.style.width = `${percent}%`;
  return element;
}

function describe(event: RunEvent): string {
  switch (event.type) {
    case "batch.committed":
      return `batch ${event.batch}: ${formatNumber(event.rows.read)} rows read`;
    case "row.rejected":
      return `key ${JSON.stringify(event.key)}: ${event.message}`;
    case "stage.finished":
    case "run.finished":
      return `${event.status}${event.error ? `: ${event.error}` : ""}`;
    case "log":
    case "stage.retrying":
      return event.message;
    case "sla_missed":
      return `SLA of ${event.sla} missed: due by ${formatTime(event.deadline)}, the run was ${event.status}`;
    default:
      return "";
  }
}
