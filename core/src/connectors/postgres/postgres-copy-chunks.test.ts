import { describe, expect, it } from "vitest";
import { encodeCopyChunks, encodeCopyText } from "./postgres-copy.js";

const joined = (rows: unknown[][], chunkBytes?: number) => Buffer.concat([...encodeCopyChunks(rows, chunkBytes)]).toString("utf8");

describe("encodeCopyChunks", () => {
  const awkward: unknown[][] = [
    [1, "a\tb\nc\\d\re", null, "", "日本 🚀\t\\", 2.5, 9007199254740993n, true, false, Buffer.from([0, 255, 16]), new Date("2024-01-01T00:00:00Z"), { a: "x\ty" }, undefined, -0, NaN, Infinity],
    ["\\N", "NULL", "x".repeat(1000), `${"é".repeat(300)}\n`, Buffer.alloc(0), "\\\\t"],
  ];

  it("produces exactly the bytes of encodeCopyText, whatever the chunk size (rows may span chunks)", () => {
    for (const size of [1, 2, 7, 64, 1024, 256 * 1024]) expect(joined(awkward, size), `chunk ${size}`).toBe(encodeCopyText(awkward));
  });

  it("escapes backslash, tab, newline and CR next to multi-byte characters", () => {
    expect(joined([["é\t日\n🚀\\\r"]])).toBe("é\\t日\\n🚀\\\\\\r\n");
    expect(joined([["\\N"], [null]])).toBe("\\\\N\n\\N\n");
  });

  it("agrees with encodeCopyText on generated strings of specials and non-ASCII", () => {
    const alphabet = ["a", "\t", "\n", "\r", "\\", "é", "日", "🚀", "N", " "];
    for (let k = 0; k < 500; k++) {
      const row = Array.from({ length: 1 + (k % 5) }, (_, j) =>
        (j + k) % 7 === 0 ? null : Array.from({ length: (k * 7 + j) % 40 }, (_, m) => alphabet[(k * 31 + m * 17 + j) % alphabet.length]).join(""));
      expect(joined([row, row], 1 + (k % 50))).toBe(encodeCopyText([row, row]));
    }
  });

  it("keeps chunks near the requested size and yields nothing for no rows", () => {
    const rows = Array.from({ length: 5000 }, (_, i) => [i, `name ${i}`, "text\twith\ttabs"]);
    const chunks = [...encodeCopyChunks(rows, 4096)];
    expect(chunks.length).toBeGreaterThan(10);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(4096);
    expect([...encodeCopyChunks([])]).toEqual([]);
  });
});
