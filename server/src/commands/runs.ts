import { type Command, InvalidArgumentError } from "commander";
import { didYouMean, LEDGER_RUN_STATUSES, listRuns, type RunRecord } from "@databridge/core";
import { type CommandIO, ExitCode, formatNumber, formatTable, writeLine } from "../output/io.js";
import type { CommandRunner } from "./index.js";
import { withLedgers } from "./ledger-context.js";
import { parsePositiveInt } from "./run.js";

export interface RunsOptions {
  pipeline?: string;
  status?: string;
  limit: number;
  json?: boolean;
}

const DEFAULT_LIMIT = 20;

/** `2026-12-01T15:51:06.123Z` → `2026-12-01 15:51:06` (the column header says UTC). */
const shortTime = (iso: string | null) => (iso === null ? "" : iso.replace("T", " ").replace(/\.\d+Z$/, ""));

export function renderRuns(runs: RunRecord[], io: CommandIO): void {
  writeLine(io.stdout, formatTable(
    ["run", "pipelines", "status", "started (UTC)", "finished (UTC)", "read", "written", "rejected", "deleted", "error"],
    runs.map((r) => [
      r.runId, r.pipelines.join(", "), r.status, shortTime(r.startedAt), shortTime(r.finishedAt),
      formatNumber(r.rows.read), formatNumber(r.rows.written), formatNumber(r.rows.rejected), formatNumber(r.rows.deleted), r.error?.slice(0, 100) ?? "",
    ]),
  ));
}

function parseStatus(value: string): string {
  if (LEDGER_RUN_STATUSES.includes(value)) return value;
  throw new InvalidArgumentError(`--status must be one of ${LEDGER_RUN_STATUSES.join(", ")} (got ${JSON.stringify(value)})${didYouMean(value, LEDGER_RUN_STATUSES)}`);
}

export function registerRuns(program: Command, io: CommandIO, run: CommandRunner) {
  program
    .command("runs")
    .description("list runs from the targets' ledgers, newest first: pipelines, status, times, rows, error")
    .option("--pipeline <name>", "only runs that loaded this pipeline")
    .option("--status <status>", `only runs with this status (${LEDGER_RUN_STATUSES.join(", ")})`, parseStatus)
    .option("--limit <n>", `at most n runs (default ${DEFAULT_LIMIT})`, (v) => parsePositiveInt(v, "--limit"), DEFAULT_LIMIT)
    .option("--json", "print the runs as one JSON document")
    .action((options: RunsOptions, command: Command) =>
      run(() => withLedgers(command.optsWithGlobals(), io, async ({ targets }) => {
        const runs = await listRuns(targets, { pipeline: options.pipeline, status: options.status, limit: options.limit });
        if (options.json) writeLine(io.stdout, JSON.stringify(runs, null, 2));
        else if (!runs.length) {
          const filters = [options.pipeline && `of pipeline ${options.pipeline}`, options.status && `with status ${options.status}`].filter(Boolean).join(" ");
          writeLine(io.stdout, `no runs${filters ? ` ${filters}` : ""} in the ledger of ${targets.map((t) => t.name).join(", ") || "any target"}`);
        } else renderRuns(runs, io);
        return ExitCode.ok;
      })));
}
