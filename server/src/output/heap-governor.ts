import v8 from "node:v8";
import vm from "node:vm";

/** The young generation may grow to this (V8 reports both semi-spaces); V8's own ceiling is 32 MB. */
const YOUNG_GENERATION_CAP_BYTES = 8 * 1024 * 1024;

/**
 * Keeps a long run's heap near what one batch needs. V8 lets the old generation grow for a long
 * time before a full collection, so without this a 1M-row run peaks far above a 100k-row run of the
 * same pipeline although both hold the same few batches at once. Called between batches; collects
 * only when the heap passed its allowance, and raises the allowance when the live data is larger.
 *
 * It also stops the young generation at {@link YOUNG_GENERATION_CAP_BYTES}: rows that live for a
 * batch or two make V8 double it up to 32 MB, which costs memory and buys no measurable speed.
 * `--max-semi-space-size` can only be given on the command line; the growth factor is read at each
 * growth, so setting it to 1 once the cap is reached freezes the size.
 */
export function heapGovernor(initialLimitBytes = 40 * 1024 * 1024): () => void {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  let limit = initialLimitBytes;
  capYoungGeneration();
  return () => {
    if (process.memoryUsage().heapUsed < limit) return;
    gc();
    limit = Math.max(limit, process.memoryUsage().heapUsed * 2);
  };
}

function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0;
}

function capYoungGeneration(): void {
  const freeze = () => {
    if (youngGenerationBytes() < YOUNG_GENERATION_CAP_BYTES) return false;
    v8.setFlagsFromString("--semi-space-growth-factor=1");
    return true;
  };
  if (freeze()) return;
  // Growth happens at scavenges, a few per batch at first; polling finds the cap within one doubling.
  const poll = setInterval(() => freeze() && clearInterval(poll), 2);
  poll.unref();
}
