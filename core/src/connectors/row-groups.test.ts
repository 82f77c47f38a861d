import { describe, expect, it } from "vitest";
import { rowGroups } from "./row-groups.js";

describe("rowGroups (a streamed read's rows, handed over in groups)", () => {
  it("hands rows over in groups of the size, the rest at the end, and counts them all", () => {
    const groups: number[][] = [];
    const rows = rowGroups((group) => groups.push(group.map((row) => row[0] as number)), 3);
    for (let i = 1; i <= 8; i++) rows.add([i]);
    expect(rows.end()).toBe(8);
    expect(groups).toEqual([[1, 2, 3], [4, 5, 6], [7, 8]]);
  });

  it("after a group throws, hands over nothing more and throws it at the end", () => {
    const seen: number[] = [];
    const rows = rowGroups((group) => {
      seen.push(group.length);
      throw new Error("bad row");
    }, 2);
    for (let i = 0; i < 5; i++) rows.add([i]);
    expect(() => rows.end()).toThrow("bad row");
    expect(seen).toEqual([2]);
  });

  it("an empty read hands over nothing", () => {
    const rows = rowGroups(() => {
      throw new Error("never called");
    });
    expect(rows.end()).toBe(0);
  });
});
