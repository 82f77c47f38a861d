import { describe, expect, it } from "vitest";
import { SseParser } from "./sse-parser.js";

const frames = 'event: run.started\ndata: {"a":1}\nid: 1\n\n: keep-alive\n\nevent: batch.committed\ndata: {"b":2}\nid: 2\n\n';

describe("SSE parser", () => {
  it("parses whole frames, skipping comments", () => {
    const parser = new SseParser();
    expect(parser.push(frames)).toEqual([
      { event: "run.started", data: '{"a":1}', id: "1" },
      { event: "batch.committed", data: '{"b":2}', id: "2" },
    ]);
    expect(parser.lastEventId).toBe("2");
  });

  it("gives the same messages however the text is chunked", () => {
    for (let size = 1; size <= 7; size++) {
      const parser = new SseParser();
      const out = [];
      for (let i = 0; i < frames.length; i += size) out.push(...parser.push(frames.slice(i, i + size)));
      expect(out.map((m) => m.id)).toEqual(["1", "2"]);
      expect(out[1].data).toBe('{"b":2}');
    }
  });

  it("handles CRLF and CR line ends, multi-line data and a missing event name", () => {
    const parser = new SseParser();
    expect(parser.push("data: line 1\r\ndata: line 2\r\n\r\n")).toEqual([{ event: "message", data: "line 1\nline 2", id: undefined }]);
    expect(parser.push("event: x\rdata:no-space\r")).toEqual([]);
    expect(parser.push("\r\n")).toEqual([{ event: "x", data: "no-space", id: undefined }]);
  });

  it("keeps an incomplete frame until it ends", () => {
    const parser = new SseParser();
    expect(parser.push("event: log\ndata: {}")).toEqual([]);
    expect(parser.push("\nid: 9\n")).toEqual([]);
    expect(parser.push("\n")).toEqual([{ event: "log", data: "{}", id: "9" }]);
  });
});
