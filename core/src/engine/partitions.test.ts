import { describe, expect, it } from "vitest";
import { dateBounds, integerBounds, partitioningProblem, splitAt } from "./partitions.js";

describe("key ranges for parallelism", () => {
  it("splits integers into ranges of nearly equal width that meet exactly, bigints included", () => {
    expect(integerBounds("1", "200000", 4)).toEqual(["50001", "100001", "150001"]);
    expect(integerBounds("9223372036854775000", "9223372036854775807", 2)).toEqual(["9223372036854775404"]);
    // Fewer keys than ranges: some ranges are empty, none overlaps.
    expect(integerBounds("5", "6", 4)).toEqual(["5", "6", "6"]);
  });

  it("leaves the outer ranges open, so rows beyond the bounds seen at planning still belong to one range", () => {
    expect(splitAt(["50001", "100001"], "id")).toEqual([
      { id: "1/3", column: "id", to: "50001" },
      { id: "2/3", column: "id", from: "50001", to: "100001" },
      { id: "3/3", column: "id", from: "100001" },
    ]);
  });

  it("splits dates and times as naive text the source compares as its own type", () => {
    expect(dateBounds("2020-01-01", "2020-01-09", 2, true)).toEqual(["2020-01-05"]);
    expect(dateBounds("2020-01-01 00:00:00", "2020-01-01 00:00:09.999", 2, false)).toEqual(["2020-01-01 00:00:05.000"]);
  });

  it("refuses modes and options a split would break, and leaves multi-source pipelines (tenants in parallel) alone", () => {
    const base = { parallelism: 4, target: { connection: "w", table: "t" } };
    expect(partitioningProblem(base)).toBeUndefined();
    expect(partitioningProblem({ ...base, target: { ...base.target, mode: "replace" } })).toMatch(/mode "replace" swaps in one whole table/);
    expect(partitioningProblem({ ...base, deletes: "propagate" })).toMatch(/deletes: "propagate"/);
    expect(partitioningProblem({ ...base, incremental: { cursor: "updated_at" } })).toMatch(/incremental/);
    expect(partitioningProblem({ ...base, target: { ...base.target, mode: "replace" }, sources: [{ connection: "a", tenant: "a" }] })).toBeUndefined();
  });
});
