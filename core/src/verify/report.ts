import type { VerifyReport } from "./verify.js";

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);

/** JUnit XML: one test suite per pipeline/tenant, one test case per check, so CI systems list each. */
export function verifyReportToJUnit(report: VerifyReport): string {
  const suites = report.stages.map((stage) => {
    const name = `${stage.pipeline}${stage.tenant ? `[${stage.tenant}]` : ""}`;
    const failures = stage.checks.filter((c) => c.status === "failed").length;
    const skipped = stage.checks.filter((c) => c.status === "skipped").length;
    const time = stage.checks.reduce((t, c) => t + c.durationMs, 0) / 1000;
    const cases = stage.checks.map((c) => {
      const body = c.status === "failed" ? `<failure message="${escapeXml(c.message)}">${escapeXml(JSON.stringify(c.details ?? {}, null, 2))}</failure>`
        : c.status === "skipped" ? `<skipped message="${escapeXml(c.message)}"/>` : "";
      return `    <testcase classname="databridge.verify.${escapeXml(name)}" name="${escapeXml(c.name)}" time="${(c.durationMs / 1000).toFixed(3)}">${body}<system-out>${escapeXml(c.message)}</system-out></testcase>`;
    });
    return `  <testsuite name="${escapeXml(name)}" tests="${stage.checks.length}" failures="${failures}" skipped="${skipped}" time="${time.toFixed(3)}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="databridge verify" tests="${report.summary.checks}" failures="${report.summary.failed}" skipped="${report.summary.skipped}">\n${suites.join("\n")}\n</testsuites>\n`;
}

/** A self-contained, readable HTML reconciliation report. */
export function verifyReportToHtml(report: VerifyReport): string {
  const percent = report.summary.checks ? Math.round((report.summary.passed / Math.max(1, report.summary.checks - report.summary.skipped)) * 1000) / 10 : 100;
  const rows = report.stages.flatMap((stage) => stage.checks.map((c) => `
      <tr class="${c.status}">
        <td>${escapeXml(stage.pipeline)}${stage.tenant ? ` <span class="tenant">${escapeXml(stage.tenant)}</span>` : ""}</td>
        <td>${escapeXml(stage.target)}</td>
        <td>${escapeXml(c.name)}</td>
        <td class="status">${c.status === "passed" ? "✔ passed" : c.status === "failed" ? "✘ failed" : "– skipped"}</td>
        <td>${escapeXml(c.message)}</td>
        <td class="num">${c.durationMs} ms</td>
      </tr>`)).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DataBridge reconciliation report</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1f2328; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; } .meta { color: #59636e; margin-bottom: 1.5rem; }
  .score { font-size: 2rem; font-weight: 600; } .ok { color: #1a7f37; } .bad { color: #cf222e; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #d1d9e0; vertical-align: top; }
  th { background: #f6f8fa; } tr.failed td { background: #ffebe9; } tr.skipped td { color: #59636e; }
  .status { white-space: nowrap; font-weight: 600; } tr.passed .status { color: #1a7f37; } tr.failed .status { color: #cf222e; }
  .tenant { background: #ddf4ff; border-radius: 4px; padding: 0 .3rem; font-size: 12px; } .num { text-align: right; white-space: nowrap; }
</style></head>
<body>
  <h1>DataBridge reconciliation report</h1>
  <div class="meta">Generated ${escapeXml(report.generatedAt)} · ${report.sample ? `sample of ~${report.sample} rows per table` : "every row compared"}</div>
  <div class="score ${report.ok ? "ok" : "bad"}">${percent}% of checks passed ${report.ok ? "✔" : "✘"}</div>
  <p>${report.summary.passed} passed · ${report.summary.failed} failed · ${report.summary.skipped} skipped</p>
  <table><thead><tr><th>pipeline</th><th>target</th><th>check</th><th>status</th><th>details</th><th>time</th></tr></thead><tbody>${rows}
  </tbody></table>
</body></html>
`;
}
