/**
 * Runs work items at most `parallel` at a time, each once everything it waits for (`after`) has finished —
 * whatever the outcome: what a finished predecessor means for an item is the work's own decision. Items
 * are started in the given order as they become ready; `stop()` prevents further starts.
 */
export async function runInOrder<T>(
  items: readonly T[],
  options: { name: (item: T) => string; after: ReadonlyMap<string, readonly string[]>; parallel: number; stop?: () => boolean },
  work: (item: T) => Promise<void>,
): Promise<void> {
  const finished = new Set<string>();
  const waiting = [...items];
  const parallel = Math.max(1, options.parallel);
  let running = 0;
  await new Promise<void>((resolve, reject) => {
    const launch = () => {
      const stopped = options.stop?.() ?? false;
      while (!stopped && running < parallel) {
        const index = waiting.findIndex((item) => (options.after.get(options.name(item)) ?? []).every((name) => finished.has(name) || !items.some((i) => options.name(i) === name)));
        if (index < 0) break;
        const [item] = waiting.splice(index, 1);
        running++;
        work(item).then(() => {
          running--;
          finished.add(options.name(item));
          launch();
        }, reject);
      }
      if (running === 0 && (stopped || !waiting.length)) resolve();
      // Nothing running and nothing ready means `after` has a cycle: the order must come from orderPipelines.
      else if (running === 0) reject(new Error(`cannot order ${waiting.map(options.name).join(", ")}: they wait for each other`));
    };
    launch();
  });
}
