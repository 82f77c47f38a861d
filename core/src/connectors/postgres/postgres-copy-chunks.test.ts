import { describe, expect, it } from "vitest";
import type { EncodedRows } from "../connector.js";
import { COPY_CHUNK_BYTES, CopyChunkWriter, decodeCopyLine, encodeCopyChunks, encodeCopyText, releaseCopyChunks } from "./postgres-copy.js";

const joined = (rows: unknown[][], chunkBytes?: number) => Buffer.concat([...encodeCopyChunks(rows, undefined, chunkBytes)]).toString("utf8");

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
    const chunks = [...encodeCopyChunks(rows, undefined, 4096)];
    expect(chunks.length).toBeGreaterThan(10);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(4096);
    expect([...encodeCopyChunks([])]).toEqual([]);
  });

  it("writes pre-encoded rows as their leading values and the source's line, verbatim", () => {
    // A key ahead of the line (ignored: the line already holds it), and an ordinal in front for staging loads.
    const rows = [[7, "7\tMüller\t\\N\tline\\ttab"], [8, "8\t東京 🚀\t\t"]];
    const insert = { textAt: 1, leading: 0 };
    expect(encodeCopyText(rows, insert)).toBe("7\tMüller\t\\N\tline\\ttab\n8\t東京 🚀\t\t\n");
    for (const size of [1, 5, 4096]) expect(Buffer.concat([...encodeCopyChunks(rows, insert, size)]).toString("utf8")).toBe(encodeCopyText(rows, insert));
    const staged = rows.map((row, i) => [i, ...row]);
    const upsert = { textAt: 2, leading: 1 };
    expect(Buffer.concat([...encodeCopyChunks(staged, upsert)]).toString("utf8")).toBe("0\t7\tMüller\t\\N\tline\\ttab\n1\t8\t東京 🚀\t\t\n");
    expect(encodeCopyText(staged, upsert)).toBe("0\t7\tMüller\t\\N\tline\\ttab\n1\t8\t東京 🚀\t\t\n");
  });

  it("writes a CSV line's leading values as CSV, the same bytes as encodeCopyText, whatever the chunk size", () => {
    const rows = [[7, 'say "hi"\tthere', "7\t\"Müller\"\t\t\"line\ttab\""], [null, "", "8\t\"東京 🚀\"\t\"\"\t"], [Buffer.from([1, 0x22]), new Date(Date.UTC(2020, 0, 1)), ""]];
    const csv = { textAt: 2, leading: 2, format: "csv" as const };
    expect(encodeCopyText(rows, csv)).toBe('7\t"say ""hi""\tthere"\t7\t"Müller"\t\t"line\ttab"\n\t""\t8\t"東京 🚀"\t""\t\n\\x0122\t2020-01-01 00:00:00.000+00\t\n');
    for (const size of [1, 3, 64, 4096]) expect(Buffer.concat([...encodeCopyChunks(rows, csv, size)]).toString("utf8"), `chunk ${size}`).toBe(encodeCopyText(rows, csv));
  });

  it("a batch written in several calls (a page read as a stream) is the same bytes, ordinals counting on across calls", () => {
    const rows = Array.from({ length: 40 }, (_, i) => [i, `row ${i}\t"q"`, i % 3 ? null : "é"]);
    for (const size of [1, 16, 4096]) {
      const writer = new CopyChunkWriter(size);
      for (let from = 0; from < rows.length; from += 7) writer.writeRows(rows.slice(from, from + 7), undefined, from);
      const staged = rows.map((row, i) => [i, ...row]);
      expect(Buffer.concat(writer.end()).toString("utf8"), `chunk ${size}`).toBe(encodeCopyText(staged));
    }
    const writer = new CopyChunkWriter();
    writer.writeRows([[1]]);
    const first = writer.end();
    writer.writeRows([[2]]);
    expect([Buffer.concat(first).toString(), Buffer.concat(writer.end()).toString()]).toEqual(["1\n", "2\n"]); // a chunk handed out is never written again
  });

  it("decodes a CSV line: quoted text with its quotes doubled and tabs kept, empty bare fields as NULL", () => {
    expect(decodeCopyLine('1\t"a ""b""\tc"\t\t""\t"\n"', "csv")).toEqual(["1", 'a "b"\tc', null, "", "\n"]);
    expect(decodeCopyLine("", "csv")).toEqual([null]);
    expect(decodeCopyLine("5\t", "csv")).toEqual(["5", null]);
    expect(() => decodeCopyLine('"open', "csv")).toThrow(/not closed/);
  });

  it("decodes a line back into the fields it was encoded from", () => {
    const fields = ["a\tb\nc\\d\re", null, "", "\\N", "日本 🚀", "NULL", "\\t"];
    expect(decodeCopyLine(encodeCopyText([fields]).slice(0, -1))).toEqual(fields);
  });
});

describe("releaseCopyChunks", () => {
  const rows = Array.from({ length: 6000 }, (_, i) => [i, `name ${i}\t"q"`, "é".repeat(60)]);

  it("a committed batch's chunks are written into again, by one writer each, and the bytes stay exact", () => {
    const committed: EncodedRows = { chunks: [...encodeCopyChunks(rows)], count: rows.length, format: "text" };
    expect(committed.chunks.length).toBeGreaterThan(2);
    expect(committed.chunks.every((c) => c.buffer.byteLength === COPY_CHUNK_BYTES)).toBe(true);
    const released = new Set(committed.chunks.map((c) => c.buffer));
    releaseCopyChunks(committed);
    expect(committed.chunks).toEqual([]); // the batch keeps nothing to give back a second time
    releaseCopyChunks(committed);

    const next = new CopyChunkWriter();
    const other = new CopyChunkWriter();
    next.writeRows(rows);
    other.writeRows(rows.slice(0, 10));
    const [nextChunks, otherChunks] = [next.end(), other.end()];
    const buffers = [...nextChunks, ...otherChunks].map((c) => c.buffer);
    expect(buffers.filter((b) => released.has(b)).length).toBe(released.size); // all reused …
    expect(new Set(buffers).size).toBe(buffers.length); // … none by two writers
    expect(Buffer.concat(nextChunks).toString("utf8")).toBe(encodeCopyText(rows));
    expect(Buffer.concat(otherChunks).toString("utf8")).toBe(encodeCopyText(rows.slice(0, 10)));
  });

  it("keeps only whole chunks of the usual size (a view into a larger buffer is not taken apart)", () => {
    const small: EncodedRows = { chunks: [...encodeCopyChunks(rows, undefined, 4096)], count: rows.length, format: "text" };
    const big = Buffer.allocUnsafe(COPY_CHUNK_BYTES * 2);
    const odd: EncodedRows = { chunks: [big.subarray(0, COPY_CHUNK_BYTES), big.subarray(COPY_CHUNK_BYTES)], count: 1, format: "text" };
    const kept = new Set([...small.chunks, ...odd.chunks].map((c) => c.buffer));
    releaseCopyChunks(small);
    releaseCopyChunks(odd);
    const writer = new CopyChunkWriter();
    writer.writeRows(rows);
    expect(writer.end().some((c) => kept.has(c.buffer))).toBe(false);
  });
});
