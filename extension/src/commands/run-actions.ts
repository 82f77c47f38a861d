import { isActiveRunStatus, isTerminalRunStatus, runActions, type ReplayAnswer, type RollbackAnswer, type RunView, type VerifyAnswer } from "@databridge/core/runner-protocol";

// What the run commands (Verify, Show/Replay Rejected Rows, Rollback, Pause, Resume) say and offer, as pure
// functions of the runner's answers; src/vscode/commands.ts only shows them.

const plural = (n: number, word: string) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;

/** The run a command was invoked on: a run id, a RunView (the Runs view's item), or nothing (ask). */
export function runIdFromArg(arg: unknown): string | undefined {
  if (typeof arg === "string" && arg) return arg;
  if (arg && typeof arg === "object" && typeof (arg as RunView).id === "string" && Array.isArray((arg as RunView).pipelines)) return (arg as RunView).id;
  return undefined;
}

export type RunAction = "pause" | "resume" | "rollback" | "rejects" | "verify";

/** Which runs each command offers when it has to ask. */
export function offersRun(action: RunAction, run: Pick<RunView, "status" | "rows">): boolean {
  switch (action) {
    case "pause":
      return runActions(run.status).pause;
    case "resume":
      return runActions(run.status).resume;
    case "rollback":
      return isTerminalRunStatus(run.status) && run.rows.written > 0;
    case "rejects":
      return isTerminalRunStatus(run.status) && run.rows.rejected > 0;
    case "verify":
      return !isActiveRunStatus(run.status);
  }
}

/**
 * The Runs view item's context value: space-separated flags the menus match with `viewItem =~ /\brun\.<flag>\b/`
 * (`active`, `retryable`, `pausable`, `resumable`, `rejects`, `rollback`, `ended`).
 */
export function runContextValue(run: Pick<RunView, "status" | "rows">): string {
  const actions = runActions(run.status);
  const flags = [
    "run",
    isTerminalRunStatus(run.status) ? "run.ended" : "run.active",
    actions.retry && "run.retryable",
    actions.pause && "run.pausable",
    actions.resume && "run.resumable",
    offersRun("rejects", run) && "run.rejects",
    offersRun("rollback", run) && "run.rollback",
  ];
  return flags.filter(Boolean).join(" ");
}

/** The modal question before a rollback: which run, what it wrote where, and what rolling it back does. */
export function rollbackConfirmation(run: RunView): { message: string; detail: string; button: string } {
  const wrote = run.stages.filter((s) => s.rows.written > 0);
  const targets = wrote.length
    ? wrote.map((s) => `${plural(s.rows.written, "row")} ${s.mode === "insert" ? "inserted into" : `written (${s.mode ?? "?"}) to`} ${s.target ?? "its target"} by ${s.pipeline}${s.tenant ? ` [${s.tenant}]` : ""}`)
    : [`${plural(run.rows.written, "row")} written`];
  return {
    message: `Roll back run ${run.id} (${run.pipelines.join(", ")}, ${run.status})?`,
    detail: [
      `This removes what the run wrote: ${targets.join("; ")}.`,
      "Rows it inserted are deleted, rows it changed get their values from before the run back, and each pipeline's checkpoint returns to where the run began.",
      "It cannot be undone.",
    ].join("\n\n"),
    button: "Roll Back",
  };
}

export function rollbackMessage(answer: RollbackAnswer): string {
  const tables = [...new Set(answer.stages.map((s) => s.targetTable))].join(", ");
  return `run ${answer.runId} rolled back: ${plural(answer.deleted, "row")} removed${answer.restored ? `, ${plural(answer.restored, "row")} restored` : ""}${tables ? ` (${tables})` : ""}; checkpoints restored`;
}

export function replayMessage(answer: ReplayAnswer): string {
  if (!answer.replayed) return `run ${answer.runId} has no rejected rows to replay`;
  return `run ${answer.runId}: ${plural(answer.replayed, "rejected row")} replayed, ${answer.loaded.toLocaleString("en-US")} loaded, ${answer.stillRejected.toLocaleString("en-US")} still rejected`;
}

export function verifyMessage(answer: VerifyAnswer): string {
  const { passed, failed, skipped, checks } = answer.report.summary;
  const considered = checks - skipped;
  const percent = considered ? Math.round((passed / considered) * 1000) / 10 : 100;
  return `verify ${answer.ok ? "passed" : "failed"}: reconciliation ${percent}% (${passed} passed, ${failed} failed, ${skipped} skipped)`;
}
