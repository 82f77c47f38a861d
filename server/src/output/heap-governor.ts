import v8 from "node:v8";
import vm from "node:vm";

/** The young generation may grow to this (V8 reports both semi-spaces); V8's own ceiling is 32 MB. */
const YOUNG_GENERATION_CAP_BYTES = 8 * 1024 * 1024;
/** Garbage allowed above the live data before the next collection between batches. */
const HEADROOM_BYTES = 16 * 1024 * 1024;

/**
 * Keeps a long run's heap near what one batch needs. V8 lets the old generation grow for a long
 * time before a full collection, so without this a 1M-row run peaks far above a 100k-row run of the
 * same pipeline although both hold the same few batches at once. `betweenBatches` collects only when
 * the heap passed its allowance, and raises the allowance when the live data is larger.
 *
 * It also holds the young generation at {@link YOUNG_GENERATION_CAP_BYTES}: rows that live for a
 * batch or two make V8 double it up to 32 MB, which costs memory and buys no measurable speed.
 * `--max-semi-space-size` can only be given on the command line, but the growth factor is read at
 * each growth: it is 1 (no growth) while the workspace loads — compiling TypeScript the first time
 * allocates in one synchronous stretch that would grow it to the maximum before any timer runs — and
 * from `running()` on the young generation may grow until it reaches the cap.
 */
export function heapGovernor(initialLimitBytes = 40 * 1024 * 1024): { running(): void; betweenBatches(): void } {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  let limit = initialLimitBytes;
  v8.setFlagsFromString("--semi-space-growth-factor=1");
  let released = false;
  return {
    running() {
      if (released) return;
      released = true;
      growYoungGenerationToCap();
    },
    betweenBatches() {
      if (process.memoryUsage().heapUsed < limit) return;
      gc();
      limit = Math.max(limit, process.memoryUsage().heapUsed + HEADROOM_BYTES);
    },
  };
}

function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0;
}

function growYoungGenerationToCap(): void {
  const reached = () => youngGenerationBytes() >= YOUNG_GENERATION_CAP_BYTES;
  if (reached()) return;
  v8.setFlagsFromString("--semi-space-growth-factor=2");
  // Growth happens at scavenges, a few per batch at first; polling finds the cap within one doubling.
  const poll = setInterval(() => {
    if (!reached()) return;
    v8.setFlagsFromString("--semi-space-growth-factor=1");
    clearInterval(poll);
  }, 2);
  poll.unref();
}
