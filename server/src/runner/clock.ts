/**
 * Time as the scheduler and the SLA monitor see it. Injected, so tests move a fake clock through days of
 * ticks and deadlines instead of waiting for them.
 */
export interface Clock {
  now(): Date;
  /** Calls `fn` once at `at` (at once when `at` has passed); returns what cancels it. */
  setTimer(at: Date, fn: () => void): () => void;
}

// setTimeout takes at most 2^31 − 1 ms (about 24.8 days); a later time is reached in steps.
const MAX_DELAY_MS = 2 ** 31 - 1;

/** The machine's clock. Its timers do not keep the process alive on their own. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimer(at, fn) {
    let timer: NodeJS.Timeout;
    let cancelled = false;
    const arm = () => {
      const delay = at.getTime() - Date.now();
      if (delay > MAX_DELAY_MS) timer = setTimeout(arm, MAX_DELAY_MS);
      else timer = setTimeout(() => !cancelled && fn(), Math.max(0, delay));
      timer.unref();
    };
    arm();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  },
};
