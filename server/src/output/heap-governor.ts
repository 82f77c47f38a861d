import v8 from "node:v8";
import vm from "node:vm";

/**
 * Keeps a long run's heap near what one batch needs. V8 lets the old generation grow for a long
 * time before a full collection, so without this a 1M-row run peaks far above a 100k-row run of the
 * same pipeline although both hold the same few batches at once. Called between batches; collects
 * only when the heap passed its allowance, and raises the allowance when the live data is larger.
 */
export function heapGovernor(initialLimitBytes = 64 * 1024 * 1024): () => void {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  let limit = initialLimitBytes;
  return () => {
    if (process.memoryUsage().heapUsed < limit) return;
    gc();
    limit = Math.max(limit, process.memoryUsage().heapUsed * 2);
  };
}
