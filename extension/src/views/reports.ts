import type { PlanReport, PreviewResult, RejectsPage } from "@databridge/core/runner-protocol";

const cell = (value: unknown): string => {
  let text: string;
  if (value === null) text = "NULL";
  else if (value === undefined) text = "";
  else if (typeof value === "string") text = value;
  else if (value instanceof Date) text = value.toISOString();
  else if (typeof value === "object") text = JSON.stringify(value);
  else text = String(value);
  if (text.length > 80) text = `${text.slice(0, 77)}…`;
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ").replace(/</g, "&lt;");
};

const row = (cells: string[]) => `| ${cells.join(" | ")} |`;

/**
 * A preview as Markdown: each source row beside the row it becomes (or the reason it would be rejected),
 * source columns on the left, target columns on the right.
 */
export function previewMarkdown(result: PreviewResult): string {
  const lines = [`# Preview of ${result.pipeline}`, "", `${result.rows.length} source row${result.rows.length === 1 ? "" : "s"}, transformed; nothing is written.`, ""];
  if (!result.rows.length) return [...lines, "_The source has no rows._", ""].join("\n");
  const header = [...result.sourceColumns.map((c) => `${cell(c)}`), "→", ...result.targetColumns.map((c) => `**${cell(c)}**`)];
  lines.push(row(header), row(header.map(() => "---")));
  for (const r of result.rows) {
    const source = result.sourceColumns.map((c) => cell(r.source[c]));
    const target = r.target
      ? result.targetColumns.map((c) => cell(r.target![c]))
      : result.targetColumns.map((c, i) => (i === 0 ? `⚠ rejected${r.error?.column ? ` (${cell(r.error.column)})` : ""}: ${cell(r.error?.message ?? "")}` : c === r.error?.column ? "⚠" : ""));
    lines.push(row([...source, "→", ...target]));
  }
  const rejected = result.rows.filter((r) => !r.target).length;
  if (rejected) lines.push("", `**${rejected} of ${result.rows.length} rows would be rejected.**`);
  return `${lines.join("\n")}\n`;
}

/** A plan as Markdown: the pipelines in run order with their mappings and problems. */
export function planMarkdown(report: PlanReport): string {
  const lines = ["# Plan", ""];
  if (!report.pipelines.length) lines.push("_No pipelines._");
  for (const p of report.pipelines) {
    lines.push(`## ${p.order}. ${p.pipeline}`, "", `${cell(p.source)} → ${cell(p.target)} (${p.mode})${p.estimatedRows !== null ? `, about ${p.estimatedRows.toLocaleString("en-US")} rows` : ""}`, "");
    if (p.after?.length) lines.push(`After: ${p.after.join(", ")}`, "");
    if (p.key.length) lines.push(`Key: ${p.key.join(", ")}${p.targetKey.length ? ` → ${p.targetKey.join(", ")}` : ""}`, "");
    lines.push(row(["target column", "from"]), row(["---", "---"]), ...p.columns.map((c) => row([cell(c.target), `\`${cell(c.mapping)}\``])), "");
    if (p.ddl) lines.push("Creates the target:", "", "```sql", [`${p.ddl};`, ...(p.afterLoad?.length ? ["-- after the data is loaded:", ...p.afterLoad.map((s) => `${s};`)] : [])].join("\n"), "```", "");
    for (const problem of p.problems) lines.push(`- **${problem.severity}** ${cell(problem.message)}`);
    if (p.problems.length) lines.push("");
  }
  const general = report.problems.filter((problem) => !report.pipelines.some((p) => p.pipeline === problem.pipeline));
  if (general.length) lines.push("## Problems", "", ...general.map((problem) => `- **${problem.severity}** ${cell(problem.message)}`), "");
  const errors = report.pipelines.flatMap((p) => p.problems).concat(general).filter((problem) => problem.severity === "error").length;
  lines.push(errors ? `**${errors} error${errors === 1 ? "" : "s"}: a run would fail.**` : "No errors: the pipelines can run.");
  return `${lines.join("\n")}\n`;
}

/** A run's rejected rows as Markdown: one line per row with its key, where it failed and why, and the source row. */
export function rejectsMarkdown(runId: string, page: RejectsPage): string {
  const lines = [`# Rejected rows of run ${runId}`, ""];
  if (!page.total) return [...lines, "_This run has no rejected rows (none were rejected, or all of them have been replayed)._", ""].join("\n");
  lines.push(`${page.total} rejected row${page.total === 1 ? "" : "s"}${page.rows.length < page.total ? ` (the first ${page.rows.length} shown)` : ""}. Fix the data or the pipeline, then **DataBridge: Replay Rejected Rows**.`, "");
  if (page.warning) lines.push(`> ⚠ ${cell(page.warning)}`, "");
  const tenants = page.rows.some((r) => r.tenant);
  const header = ["pipeline", ...(tenants ? ["tenant"] : []), "key", "batch", "stage", "column", "code", "error", "source row"];
  lines.push(row(header), row(header.map(() => "---")));
  for (const r of page.rows) {
    lines.push(row([
      cell(r.pipeline), ...(tenants ? [cell(r.tenant ?? "")] : []), `\`${cell(JSON.stringify(r.key))}\``, cell(r.batch), cell(r.stage), cell(r.column ?? ""), cell(r.code ?? ""),
      cell(r.message), r.row ? cell(r.row) : "_not kept_",
    ]));
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The verify report's HTML as a webview shows it: the runner serves it with a Content-Security-Policy header,
 * which a webview never sees, so the same policy goes into the document (inline styles only, no script).
 */
export function verifyReportWebviewHtml(html: string): string {
  const policy = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`;
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => `${head}\n${policy}`) : `${policy}\n${html}`;
}
