import { Cron } from "croner";
import { closestMatch } from "../util/suggest.js";

/** What is wrong with a cron expression, and where: `start`/`end` are offsets into the expression. */
export interface CronIssue {
  message: string;
  start: number;
  end: number;
}

interface CronField {
  name: string;
  allowed: string;
}

const MINUTE_FIELDS: readonly CronField[] = [
  { name: "minute", allowed: "0–59" },
  { name: "hour", allowed: "0–23" },
  { name: "day of month", allowed: "1–31, L or nW" },
  { name: "month", allowed: "1–12 or JAN–DEC" },
  { name: "day of week", allowed: "0–7 (0 and 7 are Sunday) or SUN–SAT, L, n#k" },
];
const SECOND_FIELDS: readonly CronField[] = [{ name: "second", allowed: "0–59" }, ...MINUTE_FIELDS];

/** The presets croner runs (`@reboot` is not a time). */
export const CRON_PRESET_NAMES = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"] as const;

/** A 6-field cron runs every second it matches: only with `seconds: true` (`schedule: { cron, seconds: true }`). */
export interface CronSyntax {
  seconds?: boolean;
}

/**
 * Validates a cron expression as the runner's scheduler (croner) reads it: 5 fields (minute hour day
 * month weekday) or a preset; 6 fields with seconds first only when `seconds` is set. The issue points
 * at the field at fault, so editors underline it and `check` names it.
 */
export function cronIssue(expression: string, syntax: CronSyntax = {}): CronIssue | undefined {
  const whole = (message: string): CronIssue => ({ message, start: 0, end: expression.length });
  const trimmed = expression.trim();
  if (!trimmed) return whole(`is empty: write 5 fields (minute hour day-of-month month day-of-week), e.g. "0 2 * * *", or a preset such as "@daily"`);
  if (trimmed.startsWith("@")) {
    const preset = trimmed.toLowerCase();
    if ((CRON_PRESET_NAMES as readonly string[]).includes(preset)) return undefined;
    const suggestion = closestMatch(preset, CRON_PRESET_NAMES);
    return whole(`unknown preset "${trimmed}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}: use one of ${CRON_PRESET_NAMES.join(", ")}`);
  }
  const parts = splitFields(expression);
  const fields = syntax.seconds ? SECOND_FIELDS : MINUTE_FIELDS;
  if (parts.length !== fields.length) {
    if (!syntax.seconds && parts.length === 6) {
      return whole(`has 6 fields, which makes the first one seconds (a run every matching second): write 5 fields (minute hour day-of-month month day-of-week), or schedule: { cron: "${trimmed}", seconds: true } if you mean it`);
    }
    if (syntax.seconds && parts.length === 5) {
      return whole(`has 5 fields but seconds: true asks for 6 (second minute hour day-of-month month day-of-week)`);
    }
    return whole(`has ${parts.length} field${parts.length === 1 ? "" : "s"}; a cron needs ${fields.length} (${fields.map((f) => f.name).join(", ")}), e.g. ${syntax.seconds ? `"0 */5 * * * *"` : `"0 2 * * *"`}, or a preset such as "@daily"`);
  }
  // Each field alone, the others wildcards: croner names a problem, this names the field.
  for (const [index, part] of parts.entries()) {
    const probe = parts.map((p, i) => (i === index ? p.text : "*")).join(" ");
    const reason = croner(probe, syntax);
    if (reason) {
      const field = fields[index];
      const detail = /^Invalid value for /.test(reason) ? "" : ` (${reason})`;
      return {
        message: `${field.name} "${part.text}" (field ${index + 1}, at character ${part.start + 1}) is not valid: ${field.allowed}${detail}`,
        start: part.start, end: part.start + part.text.length,
      };
    }
  }
  const reason = croner(expression, syntax);
  if (reason) return whole(reason);
  if (!nextTick(expression, syntax, null, new Date())) return whole("never matches a date (e.g. the 31st of a month that has 30 days)");
  return undefined;
}

function splitFields(expression: string): { text: string; start: number }[] {
  const out: { text: string; start: number }[] = [];
  for (const match of expression.matchAll(/\S+/g)) out.push({ text: match[0], start: match.index ?? 0 });
  return out;
}

const cronOptions = (syntax: CronSyntax, timezone: string | null) => ({
  paused: true, mode: syntax.seconds ? ("6-part" as const) : ("5-part" as const), timezone: timezone ?? undefined,
});

function croner(expression: string, syntax: CronSyntax): string | undefined {
  try {
    new Cron(expression.trim(), cronOptions(syntax, null)).stop();
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern:\s*/, "");
  }
}

/** A cron expression read once, for tick arithmetic in its time zone (no timer). */
export interface CronClock {
  /** The first tick strictly after `after`, or null when there is none. */
  next(after: Date): Date | null;
  /** Up to `count` ticks at or before `atOrBefore`, newest first. */
  previous(atOrBefore: Date, count: number): Date[];
}

/** Tick arithmetic for a valid expression (see `cronIssue`); throws for an invalid one. */
export function cronClock(expression: string, syntax: CronSyntax, timezone: string | null): CronClock {
  // Paused and without a function, a job schedules nothing (and a stopped one no longer answers nextRun).
  const job = new Cron(expression.trim(), cronOptions(syntax, timezone));
  return {
    next: (after) => job.nextRun(after),
    // croner counts a tick earlier in the same second as the reference, and not one at the reference itself.
    previous: (atOrBefore, count) => job.previousRuns(count, new Date(atOrBefore.getTime() + 1)),
  };
}

function nextTick(expression: string, syntax: CronSyntax, timezone: string | null, after: Date): Date | null {
  try {
    return cronClock(expression, syntax, timezone).next(after);
  } catch {
    return null;
  }
}

/** Why a time zone name is not one this machine knows (IANA names such as `Europe/Berlin`), or undefined. */
export function timezoneIssue(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return undefined;
  } catch {
    const suggestion = closestMatch(timezone, Intl.supportedValuesOf("timeZone"));
    return `unknown time zone "${timezone}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}: use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC"`;
  }
}
