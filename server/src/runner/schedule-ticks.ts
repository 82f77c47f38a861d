import type { CatchUp, CronClock } from "@databridge/core";

/** Ticks that did not get a run of their own, and why. */
export interface SkippedTicks {
  first: Date;
  last: Date;
  /** How many ticks; null when there were too many to count. */
  count: number | null;
  reason: string;
}

export interface TickInput {
  cron: CronClock;
  /** The last tick handled: the ticks after it (up to `now`) are due. */
  since: Date;
  now: Date;
  catchUp: CatchUp;
  maxActiveRuns: number;
  /** Runs of this schedule not ended yet (queued, running, paused). */
  activeRuns: number;
  /** How late a tick may be handled and still count as on time (`catchUp: "none"`). */
  graceMs: number;
  /** `catchUp: "all"`: at most this many missed ticks are run; older ones are skipped. */
  maxBacklog: number;
}

export interface TickDecision {
  /** The tick to start a run for now, if any. */
  run: Date | null;
  skipped: SkippedTicks[];
  /** The last tick handled after this decision. */
  lastTickAt: Date;
  /** Due ticks wait for a run of the schedule to end (`catchUp: "all"` with no free slot). */
  waiting: boolean;
}

/** Counting stops here (croner takes ~0.2 ms a tick): a day of a per-minute cron is not worth more for a message. */
const COUNT_LIMIT = 1_000;

/**
 * What to do with the ticks that are due: the one decision behind timers firing on time, ticks during a
 * run that is still going, and catch-up after the runner was down. Pure.
 *
 * - `latest`: one run for the latest tick covers the missed ones; while `maxActiveRuns` runs are still
 *   going, due ticks are skipped.
 * - `none`: only a tick within `graceMs` runs (when a slot is free); older ones are skipped.
 * - `all`: every due tick runs, oldest first, one per free slot; they wait for a slot rather than being
 *   skipped. Beyond `maxBacklog`, the oldest are skipped.
 */
export function decideTicks(input: TickInput): TickDecision {
  const { cron, since, now, catchUp, maxActiveRuns, activeRuns } = input;
  const first = cron.next(since);
  if (!first || first > now) return { run: null, skipped: [], lastTickAt: since, waiting: false };
  const last = cron.previous(now, 1)[0] ?? first;
  const busy = activeRuns >= maxActiveRuns;
  const window = (from: Date, to: Date, reason: string): SkippedTicks => ({ first: from, last: to, count: countTicks(cron, from, to), reason });
  const tickBefore = (tick: Date) => cron.previous(new Date(tick.getTime() - 1), 1)[0];
  const busyReason = `${activeRuns} run${activeRuns === 1 ? "" : "s"} of this schedule still going (maxActiveRuns ${maxActiveRuns})`;
  const missedReason = (policy: CatchUp) => policy === "latest"
    ? `missed while the runner was not running; the run for ${last.toISOString()} covers them (catchUp "latest")`
    : `missed while the runner was not running (catchUp "${policy}")`;

  if (catchUp === "all") {
    if (busy) return { run: null, skipped: [], lastTickAt: since, waiting: true };
    const recent = cron.previous(now, input.maxBacklog + 1).filter((tick) => tick > since);
    if (recent.length <= input.maxBacklog) return { run: first, skipped: [], lastTickAt: first, waiting: false };
    const oldestKept = recent[input.maxBacklog - 1];
    const skipped = window(first, recent[input.maxBacklog], `more than ${input.maxBacklog} ticks were missed: catchUp "all" runs the latest ${input.maxBacklog}`);
    return { run: oldestKept, skipped: [skipped], lastTickAt: oldestKept, waiting: false };
  }

  if (catchUp === "latest") {
    if (busy) return { run: null, skipped: [window(first, last, busyReason)], lastTickAt: last, waiting: false };
    const skipped = first < last ? [window(first, tickBefore(last), missedReason("latest"))] : [];
    return { run: last, skipped, lastTickAt: last, waiting: false };
  }

  const onTime = now.getTime() - last.getTime() <= input.graceMs;
  const missedUpTo = onTime ? (first < last ? tickBefore(last) : undefined) : last;
  const skipped = missedUpTo ? [window(first, missedUpTo, missedReason("none"))] : [];
  if (!onTime) return { run: null, skipped, lastTickAt: last, waiting: false };
  if (busy) return { run: null, skipped: [...skipped, window(last, last, busyReason)], lastTickAt: last, waiting: false };
  return { run: last, skipped, lastTickAt: last, waiting: false };
}

function countTicks(cron: CronClock, first: Date, last: Date): number | null {
  let count = 1;
  for (let tick = cron.next(first); tick && tick <= last; tick = cron.next(tick)) {
    if (++count > COUNT_LIMIT) return null;
  }
  return count;
}
