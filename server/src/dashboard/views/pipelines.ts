import { h, replace, showValue } from "../dom.js";
import { dependencyGraph } from "./graph.js";
import type { View, ViewContext } from "./view.js";

/** The workspace's pipelines: dependency graph, list, plan (problems) and preview (source vs transformed rows). */
export function pipelinesView(ctx: ViewContext): View {
  const { client, openFile } = ctx;
  const graph = h("div", { class: "graph-box" });
  const table = h("div");
  const detail = h("div", { class: "detail" });
  const message = h("div", { class: "message", role: "status" });

  const preview = async (name: string) => {
    replace(detail, h("p", { class: "empty" }, `Previewing ${name}…`));
    try {
      const result = await client.preview(name, 10);
      replace(detail, h("h3", {}, `Preview: ${name}`), h("div", { class: "scroll" }, h("table", { class: "grid preview" },
        h("thead", {}, h("tr", {}, ...result.sourceColumns.map((c) => h("th", { class: "src" }, c)), ...result.targetColumns.map((c) => h("th", { class: "dst" }, `→ ${c}`)))),
        h("tbody", {}, result.rows.map((row) => h("tr", {},
          ...result.sourceColumns.map((c) => h("td", { class: "src" }, showValue(row.source[c]))),
          ...(row.target ? result.targetColumns.map((c) => h("td", { class: "dst" }, showValue(row.target![c]))) : [h("td", { class: "bad", colspan: result.targetColumns.length }, `${row.error?.column ?? ""}: ${row.error?.message ?? "rejected"}`)]),
        ))),
      )));
    } catch (error) {
      replace(detail, h("p", { class: "bad" }, error instanceof Error ? error.message : String(error)));
    }
  };

  const plan = async () => {
    replace(detail, h("p", { class: "empty" }, "Planning against the live schemas…"));
    try {
      const report = await client.plan();
      replace(detail, h("h3", {}, "Plan"),
        h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ...["#", "Pipeline", "Source", "Target", "Mode", "Est. rows"].map((t) => h("th", {}, t)))),
          h("tbody", {}, report.pipelines.map((p) => h("tr", {}, h("td", {}, p.order), h("td", {}, p.pipeline), h("td", {}, p.source), h("td", {}, p.target), h("td", {}, p.mode), h("td", { class: "num" }, p.estimatedRows ?? "–"))))),
        report.problems.length
          ? h("ul", { class: "error-list" }, report.problems.map((p) => h("li", { class: p.severity === "error" ? "bad" : p.severity === "warning" ? "warn" : "info" }, `${p.severity}: ${p.pipeline}${p.column ? `.${p.column}` : ""}: ${p.message}`)))
          : h("p", { class: "good" }, "No problems found."));
    } catch (error) {
      replace(detail, h("p", { class: "bad" }, error instanceof Error ? error.message : String(error)));
    }
  };

  void client.pipelines().then((data) => {
    replace(graph, data.pipelines.length ? dependencyGraph(data.pipelines.map((p) => ({ name: p.name, dependsOn: p.dependsOn, detail: `${p.mode} → ${p.target.split(":").pop()}` })), (name) => void preview(name)) : h("p", { class: "empty" }, "No pipelines (files ending in .etl.ts)."));
    replace(table, h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ...["Pipeline", "Source", "Target", "Mode", "Depends on", "File", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, data.pipelines.map((p) => h("tr", { "data-pipeline": p.name },
        h("td", {}, h("strong", {}, p.name), p.description ? h("div", { class: "hint" }, p.description) : null),
        h("td", {}, p.source), h("td", {}, p.target), h("td", {}, p.mode), h("td", {}, p.dependsOn.join(", ") || "–"),
        h("td", {}, openFile ? h("a", { href: "#", onclick: (e: Event) => { e.preventDefault(); openFile(p.file); } }, p.file) : h("code", {}, p.file)),
        h("td", {}, h("button", { onclick: () => void preview(p.name) }, "Preview")),
      ))),
    ), data.problems.length ? h("ul", { class: "error-list" }, data.problems.map((p) => h("li", { class: "bad" }, `${p.pipeline}: ${p.message}`))) : null);
  }, (error) => (message.textContent = error instanceof Error ? error.message : String(error)));

  return {
    element: h("section", { class: "view pipelines-view" },
      h("div", { class: "toolbar" }, h("h3", {}, "Dependency graph"), h("button", { "data-action": "plan", onclick: () => void plan() }, "Plan all")),
      message, graph, h("h3", {}, "Pipelines"), table, detail),
    destroy: () => {},
  };
}
