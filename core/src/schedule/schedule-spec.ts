import type { CatchUp, PipelineDefinition, ScheduleSpec } from "../authoring/pipeline.js";
import type { Problem, ProblemCode } from "../engine/analysis.js";
import { DURATION_FORMAT, parseDuration } from "../util/duration.js";
import { closestMatch } from "../util/suggest.js";
import { cronIssue, timezoneIssue } from "./cron.js";

export const CATCH_UP_MODES: readonly CatchUp[] = ["none", "latest", "all"];

/** What a schedule leaves unsaid. */
export const SCHEDULE_DEFAULTS = { catchUp: "latest" as CatchUp, maxActiveRuns: 1, retryRuns: 0, retryBackoff: "5m" } as const;

const MAX_ACTIVE_RUNS = 100;
const MAX_RETRY_RUNS = 100;

/** A pipeline's schedule with every default filled in, as the runner keeps it. */
export interface SchedulePolicy {
  cron: string;
  timezone: string | null;
  seconds: boolean;
  catchUp: CatchUp;
  maxActiveRuns: number;
  retryRuns: number;
  retryBackoffMs: number;
  /** The schedule's own SLA, or else the pipeline's; measured from the tick. */
  sla: string | null;
  slaMs: number | null;
}

/** Where in a pipeline definition a schedule value is wrong. */
export type SchedulePath = "schedule" | "schedule.cron" | "schedule.timezone" | "schedule.sla" | "schedule.retry.backoff" | "sla";

/**
 * A schedule value that is well-formed but wrong: a cron that does not parse, an unknown time zone, a
 * duration that is not one. `start`/`end` are offsets into the string at `path` (the field at fault).
 */
export interface ScheduleIssue {
  path: SchedulePath;
  code: Extract<ProblemCode, "invalid-schedule" | "invalid-timezone" | "invalid-duration">;
  /** The string value at `path`. */
  value: string;
  message: string;
  start: number;
  end: number;
}

const SPEC_KEYS: readonly (keyof ScheduleSpec)[] = ["cron", "timezone", "seconds", "catchUp", "maxActiveRuns", "retry", "sla"];
/** Settings of a schedule that are easy to write beside it instead of inside it. */
const MISPLACED_KEYS = ["timezone", "catchUp", "maxActiveRuns", "seconds"] as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isWhole = (value: unknown, min: number, max: number) => typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;

/**
 * The shape of `schedule` and `sla` (types, known keys, enums, ranges), checked when `pipeline()` runs.
 * Whether the cron, time zone and durations mean something is `scheduleIssues`' job: those are problems
 * with a position for `check`, `plan` and the editor, and a pipeline with one still loads (and runs by hand).
 */
export function scheduleShapeError(p: Pick<PipelineDefinition, "schedule" | "sla" | "retry">): string | undefined {
  const raw = p as Record<string, unknown>;
  for (const key of MISPLACED_KEYS) {
    if (raw[key] !== undefined) return `${key} is a setting of the schedule: write schedule: { cron: "…", ${key}: ${JSON.stringify(raw[key])} }`;
  }
  const retry = raw.retry;
  if (isObject(retry)) {
    for (const key of ["runs", "backoff"]) {
      if (retry[key] !== undefined) {
        return `retry.${key} retries scheduled runs, so it belongs to the schedule (retry here is the in-run retry of transient errors): write schedule: { cron: "…", retry: { runs: 3, backoff: "5m" } }`;
      }
    }
  }
  if (p.sla !== undefined && typeof p.sla !== "string") return `sla must be a duration such as "30m" (got ${JSON.stringify(p.sla)})`;
  const schedule = p.schedule as unknown;
  if (schedule === undefined || typeof schedule === "string") return undefined;
  if (!isObject(schedule)) return `schedule must be a cron string such as "0 2 * * *" or { cron, timezone, … } (got ${JSON.stringify(schedule)})`;
  for (const key of Object.keys(schedule)) {
    if (!(SPEC_KEYS as readonly string[]).includes(key)) {
      const suggestion = closestMatch(key, SPEC_KEYS);
      return `schedule.${key} is not a schedule setting${suggestion ? ` (did you mean "${suggestion}"?)` : ""}; the settings are ${SPEC_KEYS.join(", ")}`;
    }
  }
  if (typeof schedule.cron !== "string") return `schedule.cron is required: a cron string such as "0 2 * * *" or a preset such as "@daily"`;
  if (schedule.timezone !== undefined && typeof schedule.timezone !== "string") return `schedule.timezone must be an IANA time zone name such as "Europe/Berlin" (got ${JSON.stringify(schedule.timezone)})`;
  if (schedule.seconds !== undefined && typeof schedule.seconds !== "boolean") return `schedule.seconds must be true or false (got ${JSON.stringify(schedule.seconds)})`;
  if (schedule.catchUp !== undefined && !(CATCH_UP_MODES as readonly unknown[]).includes(schedule.catchUp)) {
    return `schedule.catchUp must be ${CATCH_UP_MODES.map((m) => `"${m}"`).join(", ")} (got ${JSON.stringify(schedule.catchUp)})`;
  }
  if (schedule.maxActiveRuns !== undefined && !isWhole(schedule.maxActiveRuns, 1, MAX_ACTIVE_RUNS)) {
    return `schedule.maxActiveRuns must be a whole number from 1 to ${MAX_ACTIVE_RUNS} (got ${JSON.stringify(schedule.maxActiveRuns)})`;
  }
  if (schedule.sla !== undefined && typeof schedule.sla !== "string") return `schedule.sla must be a duration such as "30m" (got ${JSON.stringify(schedule.sla)})`;
  if (schedule.retry !== undefined) {
    const spec = schedule.retry;
    if (!isObject(spec)) return `schedule.retry must be { runs: 3, backoff: "5m" } (got ${JSON.stringify(spec)})`;
    const unknown = Object.keys(spec).find((k) => k !== "runs" && k !== "backoff");
    if (unknown) return `schedule.retry.${unknown} is not a retry setting; the settings are runs and backoff`;
    if (!isWhole(spec.runs, 0, MAX_RETRY_RUNS)) return `schedule.retry.runs must be a whole number from 0 to ${MAX_RETRY_RUNS} (got ${JSON.stringify(spec.runs)})`;
    if (spec.backoff !== undefined && typeof spec.backoff !== "string") return `schedule.retry.backoff must be a duration such as "5m" (got ${JSON.stringify(spec.backoff)})`;
  }
  return undefined;
}

/** The long form of a schedule (a string is its cron). */
export function scheduleSpecOf(schedule: string | ScheduleSpec): ScheduleSpec {
  return typeof schedule === "string" ? { cron: schedule } : schedule;
}

/**
 * What is wrong with a pipeline's schedule and SLA values, each with the place at fault. Pure: the
 * runner (which arms no invalid schedule), `check`/`plan` and the language server call this one function.
 */
export function scheduleIssues(p: Pick<PipelineDefinition, "schedule" | "sla">): ScheduleIssue[] {
  const issues: ScheduleIssue[] = [];
  const duration = (path: SchedulePath, value: string | undefined, what: string) => {
    if (value === undefined) return;
    const ms = parseDuration(value);
    if (ms === undefined || ms === 0) {
      issues.push({ path, code: "invalid-duration", value, start: 0, end: value.length, message: `${what} ${JSON.stringify(value)} is not a duration: write ${DURATION_FORMAT}` });
    }
  };
  duration("sla", p.sla, "sla");
  if (p.schedule === undefined) return issues;
  const spec = scheduleSpecOf(p.schedule);
  const cronPath: SchedulePath = typeof p.schedule === "string" ? "schedule" : "schedule.cron";
  const cron = cronIssue(spec.cron, { seconds: spec.seconds });
  if (cron) issues.push({ path: cronPath, code: "invalid-schedule", value: spec.cron, start: cron.start, end: cron.end, message: `schedule ${JSON.stringify(spec.cron)} ${cron.message}` });
  if (spec.timezone !== undefined) {
    const problem = timezoneIssue(spec.timezone);
    if (problem) issues.push({ path: "schedule.timezone", code: "invalid-timezone", value: spec.timezone, start: 0, end: spec.timezone.length, message: `schedule.timezone: ${problem}` });
  }
  duration("schedule.sla", spec.sla, "schedule.sla");
  duration("schedule.retry.backoff", spec.retry?.backoff, "schedule.retry.backoff");
  return issues;
}

/**
 * The same issues as `Problem`s (errors), for `plan` and `check`; given the pipeline file's text, each
 * carries the line and column of the field at fault.
 */
export function scheduleProblems(p: Pick<PipelineDefinition, "name" | "schedule" | "sla">, source?: { file: string; text: string }): Problem[] {
  return scheduleIssues(p).map((issue) => {
    const problem: Problem = { severity: "error", code: issue.code, pipeline: p.name, subject: issue.value, message: issue.message };
    const at = source && locateValue(source.text, issue);
    if (source && at) problem.location = { file: source.file, ...at };
    return problem;
  });
}

/**
 * Line and column (1-based) of an issue in a pipeline file: the string literal that follows its key
 * (`cron:`, `schedule:`, `timezone:`, …) and holds its value, plus the offset of the part at fault.
 */
export function locateValue(text: string, issue: Pick<ScheduleIssue, "path" | "value" | "start">): { line: number; column: number } | undefined {
  const key = issue.path.slice(issue.path.lastIndexOf(".") + 1);
  for (const match of text.matchAll(new RegExp(`\\b${key}\\s*:\\s*(["'\`])`, "g"))) {
    const quote = match[1];
    const valueStart = (match.index ?? 0) + match[0].length;
    if (text.startsWith(issue.value, valueStart) && text[valueStart + issue.value.length] === quote) {
      const offset = valueStart + issue.start;
      const before = text.slice(0, offset);
      const line = before.split("\n").length;
      return { line, column: offset - before.lastIndexOf("\n") };
    }
  }
  return undefined;
}

/** A pipeline's schedule with its defaults, or undefined when it has none or it has issues (`scheduleIssues`). */
export function schedulePolicy(p: Pick<PipelineDefinition, "schedule" | "sla">): SchedulePolicy | undefined {
  if (p.schedule === undefined || scheduleIssues(p).length) return undefined;
  const spec = scheduleSpecOf(p.schedule);
  const sla = spec.sla ?? p.sla ?? null;
  return {
    cron: spec.cron.trim(),
    timezone: spec.timezone ?? null,
    seconds: spec.seconds ?? false,
    catchUp: spec.catchUp ?? SCHEDULE_DEFAULTS.catchUp,
    maxActiveRuns: spec.maxActiveRuns ?? SCHEDULE_DEFAULTS.maxActiveRuns,
    retryRuns: spec.retry?.runs ?? SCHEDULE_DEFAULTS.retryRuns,
    retryBackoffMs: parseDuration(spec.retry?.backoff ?? SCHEDULE_DEFAULTS.retryBackoff)!,
    sla,
    slaMs: sla === null ? null : parseDuration(sla)!,
  };
}

/** A pipeline's own SLA in milliseconds (for runs that no schedule started), or null. */
export function pipelineSlaMs(p: Pick<PipelineDefinition, "sla">): number | null {
  const ms = parseDuration(p.sla);
  return ms ? ms : null;
}
