/** Rows per group a streamed read hands over: small enough to die young, large enough to amortize each hand-over. */
export const READ_GROUP_ROWS = 256;

/**
 * Gathers the rows of a streamed read into groups for `onGroup` (see `Source.readGroups`). A throw from `onGroup`
 * is kept: no later group is handed over, and `end` throws it once the read is over.
 */
export function rowGroups(onGroup: (rows: unknown[][]) => void, size = READ_GROUP_ROWS) {
  let group: unknown[][] = [];
  let count = 0;
  let failure: { error: unknown } | undefined;
  const hand = () => {
    const rows = group;
    group = [];
    if (failure) return;
    try {
      onGroup(rows);
    } catch (error) {
      failure = { error };
    }
  };
  return {
    add(row: unknown[]): void {
      count++;
      group.push(row);
      if (group.length >= size) hand();
    },
    /** The last group handed over; the number of rows read. */
    end(): number {
      if (group.length) hand();
      if (failure) throw failure.error;
      return count;
    },
  };
}
