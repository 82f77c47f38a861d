import { parityHolds, type RunEvent } from "@databridge/core";
import { type CommandIO, formatDuration, formatNumber, writeLine } from "./io.js";

/**
 * Human output of a run: progress on stderr — a live line per stage on a TTY (rows, rows/s, ETA, batch),
 * plain lines otherwise, and each stage's result — and the run's summary on stdout, so
 * `databridge run > summary.txt` keeps the outcome and a terminal still shows the progress.
 */
export function humanRunRenderer(io: CommandIO, options: { verbose?: boolean } = {}) {
  const out = io.stderr;
  const live = Boolean(out.isTTY);
  let lineOpen = false;
  const clearLine = () => {
    if (lineOpen) out.write("\r\x1b[2K");
    lineOpen = false;
  };
  let lastPlain = 0;
  return (event: RunEvent) => {
    switch (event.type) {
      case "stage.started":
        clearLine();
        writeLine(out, `▶ ${event.pipeline}${event.tenant ? ` [${event.tenant}]` : ""}: ${event.source} → ${event.target} (${event.mode}${event.resumeAfter ? `, resuming after key ${JSON.stringify(event.resumeAfter)}` : ""})`);
        break;
      case "batch.committed": {
        const total = event.estimatedRows;
        const done = event.rows.read;
        const fraction = total ? Math.min(1, done / Math.max(total, 1)) : undefined;
        const width = 24;
        const bar = fraction === undefined ? "" : `[${"█".repeat(Math.round(fraction * width))}${"░".repeat(width - Math.round(fraction * width))}] ${Math.round(fraction * 100)}% `;
        const eta = event.etaMs === null ? "" : ` ETA ${formatDuration(event.etaMs)}`;
        const text = `  ${bar}${formatNumber(done)}${total ? `/${formatNumber(total)}` : ""} rows · ${formatNumber(event.rowsPerSecond)} rows/s · batch ${event.batch}${event.rows.rejected ? ` · ${formatNumber(event.rows.rejected)} rejected` : ""}${eta}`;
        if (live) {
          out.write(`\r\x1b[2K${text.slice(0, (out.columns ?? 120) - 1)}`);
          lineOpen = true;
        } else if (Date.now() - lastPlain > 2000) {
          lastPlain = Date.now();
          writeLine(out, text);
        }
        break;
      }
      case "stage.retrying":
        clearLine();
        writeLine(out, `  ↻ retry ${event.attempt} in ${formatDuration(event.delayMs)}: ${event.message}`);
        break;
      case "row.rejected":
        if (options.verbose) {
          clearLine();
          writeLine(out, `  ✗ rejected row key ${JSON.stringify(event.key)}${event.column ? ` column ${event.column}` : ""}: ${event.message}`);
        }
        break;
      case "stage.finished": {
        clearLine();
        const mark = event.status === "succeeded" ? "✔" : event.status === "succeeded_with_rejects" ? "⚠" : event.status === "skipped" ? "–" : "✘";
        const parity = event.parity ? ` · count parity source ${formatNumber(event.parity.source)} / target ${formatNumber(event.parity.target)}${event.parity.rejected ? ` (${formatNumber(event.parity.rejected)} rejected)` : ""}${parityHolds(event.parity) ? " ✔" : " ✘"}` : "";
        writeLine(out, `${mark} ${event.pipeline}${event.tenant ? ` [${event.tenant}]` : ""}: ${event.status} · read ${formatNumber(event.rows.read)} · written ${formatNumber(event.rows.written)} · rejected ${formatNumber(event.rows.rejected)}${event.rows.deleted ? ` · deleted ${formatNumber(event.rows.deleted)}` : ""} · ${formatDuration(event.durationMs)}${parity}`);
        if (event.error) writeLine(out, `  ${event.error}`);
        break;
      }
      case "log":
        clearLine();
        writeLine(out, `  ${event.message}`);
        break;
      case "sla_missed":
        clearLine();
        writeLine(out, `⚠ ${event.pipeline}: SLA of ${event.sla} missed (due by ${event.deadline}, run still ${event.status})`);
        break;
      case "run.finished":
        clearLine();
        writeLine(io.stdout, `Run ${event.runId} ${event.status}: read ${formatNumber(event.rows.read)}, written ${formatNumber(event.rows.written)}, rejected ${formatNumber(event.rows.rejected)} in ${formatDuration(event.durationMs)}`);
        break;
      default:
        break;
    }
  };
}

/** `--json`: one JSON object per line on stdout. */
export function jsonRunRenderer(io: CommandIO) {
  return (event: RunEvent) => writeLine(io.stdout, JSON.stringify(event));
}
