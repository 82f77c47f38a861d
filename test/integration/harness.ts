import { RUN_EVENT_TYPES, type RunEvent } from "@databridge/core";
import { pipelineFile } from "../support/cli.js";

export {
  CLI, REPO_ROOT, createWorkspace, keyedHash, openConnector, parseEvents as parseEventLines, runCli, spawnCli, waitForLine,
  type CliOptions, type CliResult, type TestWorkspace,
} from "../support/cli.js";

/** A pipeline file from a JSON-able definition (columns as source column names). */
export const pipelineSource = (definition: Record<string, unknown>): string => pipelineFile(definition);

/** Problems with the `--json` event stream as the protocol defines it (empty when it is right). */
export function protocolProblems(events: RunEvent[]): string[] {
  const problems: string[] = [];
  if (!events.length) return ["no events"];
  const runIds = new Set(events.map((e) => e.runId));
  if (runIds.size !== 1) problems.push(`events carry ${runIds.size} run ids`);
  events.forEach((e, i) => {
    if (!RUN_EVENT_TYPES.includes(e.type)) problems.push(`line ${i + 1}: unknown type ${JSON.stringify(e.type)}`);
    if (typeof e.runId !== "string" || !e.runId) problems.push(`line ${i + 1}: no runId`);
    if (typeof e.pipeline !== "string" || !e.pipeline) problems.push(`line ${i + 1}: no pipeline`);
    if (typeof e.ts !== "string" || Number.isNaN(Date.parse(e.ts)) || !e.ts.endsWith("Z")) problems.push(`line ${i + 1}: ts ${JSON.stringify(e.ts)} is not an ISO timestamp`);
  });
  const last = events[events.length - 1];
  if (last.type !== "run.finished") problems.push(`last line is ${last.type}, not run.finished`);
  else {
    if (typeof last.status !== "string") problems.push("run.finished has no status");
    if (typeof last.durationMs !== "number" || last.durationMs < 0) problems.push("run.finished has no durationMs");
    for (const field of ["read", "written", "rejected"] as const) {
      if (typeof last.rows?.[field] !== "number") problems.push(`run.finished rows.${field} is not a number`);
    }
  }
  if (events.filter((e) => e.type === "run.finished").length !== 1) problems.push("run.finished appears more than once");
  return problems;
}

export function lastEvent<T extends RunEvent["type"]>(events: RunEvent[], type: T): Extract<RunEvent, { type: T }> {
  const found = events.filter((e) => e.type === type).at(-1);
  if (!found) throw new Error(`no ${type} event in ${events.map((e) => e.type).join(", ")}`);
  return found as Extract<RunEvent, { type: T }>;
}
