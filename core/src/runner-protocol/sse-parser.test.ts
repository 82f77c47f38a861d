import { describe, expect, it } from "vitest";
import { SseParser, type SseMessage } from "./sse-parser.js";

/** Feeds `text` cut at the given offsets; returns every message and the parser. */
function parseCut(text: string, cuts: number[], lastEventId?: string) {
  const parser = new SseParser(lastEventId);
  const messages: SseMessage[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    messages.push(...parser.push(text.slice(from, cut)));
    from = cut;
  }
  return { messages, parser };
}

/** A small deterministic PRNG (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("SseParser", () => {
  const stream = ": hello\r\nevent: run.started\r\nid: 1\r\ndata: {\"a\":1}\r\n\r\nevent: log\ndata: line one\ndata:line two\nid: 2\n\nevent: x\rdata: cr only\r\r";
  const expected: SseMessage[] = [
    { event: "run.started", data: '{"a":1}', id: "1" },
    { event: "log", data: "line one\nline two", id: "2" },
    { event: "x", data: "cr only", id: "2" },
  ];

  it("gives the same messages wherever the text is cut: one cut at every offset, and every chunk size", () => {
    for (let at = 0; at <= stream.length; at++) expect(parseCut(stream, [at]).messages, `cut at ${at}`).toEqual(expected);
    for (let size = 1; size <= stream.length; size++) {
      const cuts = [];
      for (let i = size; i < stream.length; i += size) cuts.push(i);
      expect(parseCut(stream, cuts).messages, `chunk size ${size}`).toEqual(expected);
    }
  });

  it("treats a CR at the end of a chunk and a LF at the start of the next as one line end, but CR then CRLF as two", () => {
    const parser = new SseParser();
    expect(parser.push("data: a\r")).toEqual([]);
    expect(parser.push("\n")).toEqual([]);
    expect(parser.push("\r")).toEqual([{ event: "message", data: "a", id: "" }]);
    expect(parser.push("data: b\r")).toEqual([]);
    expect(parser.push("\r\n")).toEqual([{ event: "message", data: "b", id: "" }]);
  });

  it("skips comments (keep-alives), unknown fields, and fields without a colon other than data", () => {
    const { messages } = parseCut(": keep-alive\n\n:\nfoo: bar\nevent\ndata: x\n\n", []);
    expect(messages).toEqual([{ event: "message", data: "x", id: "" }]);
  });

  it("keeps multi-line data, empty data lines, colons in values and a second leading space", () => {
    const { messages } = parseCut('data: {"a":\ndata\ndata:  "b:c"}\n\ndata:\n\n', []);
    expect(messages).toEqual([
      { event: "message", data: '{"a":\n\n "b:c"}', id: "" },
      { event: "message", data: "", id: "" },
    ]);
  });

  it("keeps the last id in effect: across messages, from a message without data, never with NUL, reset by an empty id", () => {
    const parser = new SseParser("7");
    expect(parser.push("data: a\n\nid: 8\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n")).toEqual([
      { event: "message", data: "a", id: "7" },
      { event: "message", data: "b", id: "8" },
      { event: "message", data: "c", id: "8" },
      { event: "message", data: "d", id: "" },
    ]);
    expect(parser.push("id: 9\n\n")).toEqual([]);
    expect(parser.lastEventId).toBe("9");
  });

  it("does not let an unfinished message's id count before its blank line", () => {
    const parser = new SseParser();
    expect(parser.push("id: 3\ndata: half")).toEqual([]);
    expect(parser.lastEventId).toBe("");
    expect(parser.push("\n\n")).toEqual([{ event: "message", data: "half", id: "3" }]);
    expect(parser.lastEventId).toBe("3");
  });

  it("takes retry only when it is all digits; resets the event name after each message", () => {
    const parser = new SseParser();
    expect(parser.push("retry: 15x\nretry: 2500\nevent: a\n\ndata: after\n\n")).toEqual([{ event: "message", data: "after", id: "" }]);
    expect(parser.retryMs).toBe(2500);
  });

  it("round-trips random messages written with random line ends and cut at random places", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed);
      const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
      const sent: SseMessage[] = [];
      let text = "";
      // The id in effect: the last `id:` written (an empty one resets it), carried to later messages.
      let effectiveId = "";
      for (let m = 0; m < 1 + Math.floor(next() * 6); m++) {
        const eol = pick(["\n", "\r\n", "\r"]);
        const lines = Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(["", "{}", " lead", "a:b", "ünïcødé ✓", '{"k":"v"}', "tab\there"]));
        const event = pick(["", "run.started", "batch.committed", "log"]);
        if (next() < 0.3) text += `: comment${eol}`;
        if (event) text += `event: ${event}${eol}`;
        for (const line of lines) text += `data: ${line}${eol}`;
        if (next() < 0.6) {
          effectiveId = next() < 0.1 ? "" : String(Math.floor(next() * 1000));
          text += `id: ${effectiveId}${eol}`;
        }
        text += eol;
        sent.push({ event: event || "message", data: lines.join("\n"), id: effectiveId });
      }
      const cuts = Array.from({ length: Math.floor(next() * 8) }, () => Math.floor(next() * text.length)).sort((a, b) => a - b);
      const { messages } = parseCut(text, cuts);
      expect(messages, `seed ${seed}: ${JSON.stringify(text)} cut at ${cuts}`).toEqual(sent);
    }
  });
});
