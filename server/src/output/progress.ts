import { parityHolds, type RunEvent } from "@databridge/core";
import { type CommandIO, formatDuration, formatNumber, writeLine } from "./io.js";

/**
 * Human output of a run: progress on stderr — on a TTY a live line per running stage (rows, rows/s, ETA,
 * batch) kept below everything else and redrawn in place, pipelines loading in parallel each with theirs;
 * plain lines otherwise — each stage's result, and the run's summary on stdout, so
 * `databridge run > summary.txt` keeps the outcome and a terminal still shows the progress.
 */
export function humanRunRenderer(io: CommandIO, options: { verbose?: boolean } = {}) {
  const out = io.stderr;
  const live = Boolean(out.isTTY);
  /** The progress lines on screen, by stage, in the order the stages started. */
  const progress = new Map<string, string>();
  let drawn = 0;
  const width = () => (out.columns ?? 120) - 1;
  /** Writes lines above the progress block (or plainly), then the block again. */
  const print = (...lines: string[]) => {
    if (!live) {
      for (const line of lines) writeLine(out, line);
      return;
    }
    let text = drawn ? `\x1b[${drawn}F\x1b[0J` : "";
    for (const line of lines) text += `${line}\n`;
    for (const line of progress.values()) text += `${line.slice(0, width())}\n`;
    drawn = progress.size;
    out.write(text);
  };
  const lastPlain = new Map<string, number>();
  const stageOf = (event: { pipeline: string; tenant?: string }) => `${event.pipeline}${event.tenant ? ` [${event.tenant}]` : ""}`;
  return (event: RunEvent) => {
    switch (event.type) {
      case "stage.started":
        print(`▶ ${stageOf(event)}: ${event.source} → ${event.target} (${event.mode}${event.resumeAfter ? `, resuming after key ${JSON.stringify(event.resumeAfter)}` : ""})`);
        break;
      case "batch.committed": {
        const total = event.estimatedRows;
        const done = event.rows.read;
        const fraction = total ? Math.min(1, done / Math.max(total, 1)) : undefined;
        const barWidth = 24;
        const bar = fraction === undefined ? "" : `[${"█".repeat(Math.round(fraction * barWidth))}${"░".repeat(barWidth - Math.round(fraction * barWidth))}] ${Math.round(fraction * 100)}% `;
        const eta = event.etaMs === null ? "" : ` ETA ${formatDuration(event.etaMs)}`;
        const text = `${bar}${formatNumber(done)}${total ? `/${formatNumber(total)}` : ""} rows · ${formatNumber(event.rowsPerSecond)} rows/s · batch ${event.batch}${event.rows.rejected ? ` · ${formatNumber(event.rows.rejected)} rejected` : ""}${eta}`;
        const stage = stageOf(event);
        if (live) {
          progress.set(stage, `  ${stage} ${text}`);
          print();
        } else if (Date.now() - (lastPlain.get(stage) ?? 0) > 2000) {
          lastPlain.set(stage, Date.now());
          writeLine(out, `  ${text}`);
        }
        break;
      }
      case "stage.retrying":
        print(`  ↻ ${event.pipeline}: retry ${event.attempt} in ${formatDuration(event.delayMs)}: ${event.message}`);
        break;
      case "row.rejected":
        if (options.verbose) print(`  ✗ ${stageOf(event)}: rejected row key ${JSON.stringify(event.key)}${event.column ? ` column ${event.column}` : ""}: ${event.message}`);
        break;
      case "stage.finished": {
        progress.delete(stageOf(event));
        const mark = event.status === "succeeded" ? "✔" : event.status === "succeeded_with_rejects" ? "⚠" : event.status === "skipped" ? "–" : "✘";
        const parity = event.parity ? ` · count parity source ${formatNumber(event.parity.source)} / target ${formatNumber(event.parity.target)}${event.parity.rejected ? ` (${formatNumber(event.parity.rejected)} rejected)` : ""}${parityHolds(event.parity) ? " ✔" : " ✘"}` : "";
        const line = `${mark} ${stageOf(event)}: ${event.status} · read ${formatNumber(event.rows.read)} · written ${formatNumber(event.rows.written)} · rejected ${formatNumber(event.rows.rejected)}${event.rows.deleted ? ` · deleted ${formatNumber(event.rows.deleted)}` : ""} · ${formatDuration(event.durationMs)}${parity}`;
        print(...(event.error ? [line, `  ${event.error}`] : [line]));
        break;
      }
      case "log":
        print(`  ${event.message}`);
        break;
      case "sla_missed":
        print(`⚠ ${event.pipeline}: SLA of ${event.sla} missed (due by ${event.deadline}, run still ${event.status})`);
        break;
      case "run.finished":
        progress.clear();
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
