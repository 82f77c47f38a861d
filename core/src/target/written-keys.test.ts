import { describe, expect, it } from "vitest";
import { compactWrittenKeys, isKeyRanges, keyRangesApply, writtenKeysOfRows } from "./written-keys.js";

describe("written keys of an insert batch", () => {
  it("keeps runs of integer keys as inclusive ranges (numbers, bigint text beyond 2^53, bigint)", () => {
    expect(compactWrittenKeys([[1], [2], [3], [7], [8], [10]])).toEqual({ ranges: [["1", "3"], ["7", "8"], ["10", "10"]] });
    expect(compactWrittenKeys([["9007199254740992"], ["9007199254740993"], ["9007199254740994"]])).toEqual({ ranges: [["9007199254740992", "9007199254740994"]] });
    expect(compactWrittenKeys([[-2n], [-1n], [0n]])).toEqual({ ranges: [["-2", "0"]] });
  });

  it("keeps the keys as they are when they are not integers or do not form runs", () => {
    const scattered = [[1], [3], [5], [7], [9], [11]];
    expect(compactWrittenKeys(scattered)).toBe(scattered);
    const text = [["a"], ["b"]];
    expect(compactWrittenKeys(text)).toBe(text);
    const fractional = [[1.5], [2.5]];
    expect(compactWrittenKeys(fractional)).toBe(fractional);
    const unsafe = [[2 ** 53 + 2], [2 ** 53 + 3]];
    expect(compactWrittenKeys(unsafe)).toBe(unsafe);
    expect(isKeyRanges(compactWrittenKeys([[1], [2]]))).toBe(true);
    expect(isKeyRanges(scattered)).toBe(false);
    expect(compactWrittenKeys([])).toEqual([]); // nothing written: nothing to record
  });

  it("a run continues across 2^53, from numbers to bigint text", () => {
    expect(compactWrittenKeys([[2 ** 53 - 2], [2 ** 53 - 1], ["9007199254740992"], [9007199254740993n]])).toEqual({ ranges: [["9007199254740990", "9007199254740993"]] });
  });

  it("reads the keys straight from rows, the same as compacting the key arrays", () => {
    const rows = [["a", 5, "x"], ["b", 6, "y"], ["c", 8, "z"], ["d", 9, "w"]];
    expect(writtenKeysOfRows(rows, [1], true)).toEqual({ ranges: [["5", "6"], ["8", "9"]] });
    expect(writtenKeysOfRows(rows, [1], false)).toEqual([[5], [6], [8], [9]]);
    expect(writtenKeysOfRows(rows, [0, 1], false)).toEqual([["a", 5], ["b", 6], ["c", 8], ["d", 9]]);
    expect(writtenKeysOfRows(rows, [0], true)).toEqual([["a"], ["b"], ["c"], ["d"]]);
    expect(writtenKeysOfRows([], [0], true)).toEqual([]);
  });

  it("applies only to a single key column of an integer type", () => {
    const types: Record<string, string> = { id: "bigint", code: "text", n: "integer", small: "smallint", amount: "numeric(10,0)" };
    const typeOf = (c: string) => types[c];
    expect(keyRangesApply(["id"], typeOf)).toBe(true);
    expect(keyRangesApply(["n"], typeOf)).toBe(true);
    expect(keyRangesApply(["small"], typeOf)).toBe(true);
    expect(keyRangesApply(["code"], typeOf)).toBe(false);
    expect(keyRangesApply(["amount"], typeOf)).toBe(false);
    expect(keyRangesApply(["id", "n"], typeOf)).toBe(false);
    expect(keyRangesApply(["missing"], typeOf)).toBe(false);
  });
});
