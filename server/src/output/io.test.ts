import { describe, it, expect } from "vitest";
import { Writable } from "node:stream";
import { ExitCode, formatDuration, formatNumber, formatTable, writeLine } from "./io.js";

describe("formatTable", () => {
  it("aligns columns to the widest cell, with a rule under the header and no trailing blanks", () => {
    expect(formatTable(["pipeline", "rows"], [["parts", 20000], ["customers", null], ["x", undefined]])).toBe([
      "pipeline   rows",
      "─────────  ─────",
      "parts      20000",
      "customers",
      "x",
    ].join("\n"));
  });

  it("measures non-ASCII text by characters, not UTF-16 units or bytes", () => {
    const table = formatTable(["name", "n"], [["Zürich", 1], ["𝔘nicode", 2]]);
    const lines = table.split("\n");
    expect(lines[2]).toBe("Zürich   1");
    expect(lines[3]).toBe("𝔘nicode  2");
  });

  it("renders a header alone when there are no rows", () => {
    expect(formatTable(["a", "bb"], [])).toBe("a  bb\n─  ──");
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0 ms"],
    [999, "999 ms"],
    [1000, "1.0 s"],
    [1049, "1.0 s"],
    [12_345, "12.3 s"],
    [59_940, "59.9 s"],
    [59_960, "1m 0s"],
    [61_000, "1m 1s"],
    [119_600, "2m 0s"],
    [3_599_400, "59m 59s"],
    [3_600_000, "1h 0m 0s"],
    [3_723_000, "1h 2m 3s"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("formatNumber, writeLine, exit codes", () => {
  it("groups thousands the same way on every machine", () => {
    expect(formatNumber(1_000_000)).toBe("1,000,000");
    expect(formatNumber(999)).toBe("999");
  });

  it("writeLine ends each line with one newline", () => {
    let text = "";
    const stream = new Writable({ write: (chunk, _e, done) => { text += chunk; done(); } });
    writeLine(stream, "a");
    writeLine(stream);
    expect(text).toBe("a\n\n");
  });

  it("exit codes: 0 ok, 1 failed, 2 usage/config, 3 rejects", () => {
    expect(ExitCode).toEqual({ ok: 0, failed: 1, usage: 2, rejects: 3 });
  });
});
