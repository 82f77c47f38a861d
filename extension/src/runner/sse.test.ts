import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openEventStream, SseParser, type SseMessage } from "./sse.js";

describe("SseParser", () => {
  it("parses frames split at every possible position, CRLF and LF alike", () => {
    const stream = ": hello\r\nevent: run.started\r\nid: 1\r\ndata: {\"a\":1}\r\n\r\nevent: log\ndata: line one\ndata:line two\nid: 2\n\n";
    const expected: SseMessage[] = [
      { event: "run.started", data: '{"a":1}', id: "1" },
      { event: "log", data: "line one\nline two", id: "2" },
    ];
    for (let size = 1; size <= stream.length; size++) {
      const parser = new SseParser();
      const got: SseMessage[] = [];
      for (let i = 0; i < stream.length; i += size) got.push(...parser.push(stream.slice(i, i + size)));
      expect(got, `chunk size ${size}`).toEqual(expected);
    }
  });

  it("follows the spec's field rules", () => {
    const parser = new SseParser("7");
    const got = parser.push("data\n\nid: a\0b\nretry: 15x\nretry: 2500\ndata:  two spaces\n\nevent: only-event\n\n");
    // A bare `data` field is an empty data line; a NUL id is ignored; the event with no data is not dispatched.
    expect(got).toEqual([
      { event: "message", data: "", id: "7" },
      { event: "message", data: " two spaces", id: "7" },
    ]);
    expect(parser.retryMs).toBe(2500);
  });
});

interface Frame {
  id: number;
  event: string;
  data: unknown;
}

/** A real HTTP server emitting SSE like the runner: bearer token, Last-Event-ID resume, drop after N frames. */
async function startServer(frames: Frame[], options: { dropAfter?: number; token?: string } = {}) {
  const seen: { lastEventId: string | undefined; authorization: string | undefined }[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    seen.push({ lastEventId: req.headers["last-event-id"] as string | undefined, authorization: req.headers.authorization });
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "unauthorized", message: "missing or wrong bearer token" } }));
      return;
    }
    connections++;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const after = Number(req.headers["last-event-id"] ?? 0);
    const pending = frames.filter((f) => f.id > after);
    const limit = connections === 1 && options.dropAfter !== undefined ? options.dropAfter : pending.length;
    let text = "retry: 20\n\n";
    for (const frame of pending.slice(0, limit)) text += `id: ${frame.id}\nevent: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`;
    // Write in two uneven pieces so frames straddle TCP writes.
    const cut = Math.floor(text.length / 3);
    res.write(text.slice(0, cut));
    setImmediate(() => {
      // A drop: the socket closes after the frames so far have been flushed, without ending the response.
      res.write(text.slice(cut), () => {
        if (limit < pending.length) res.socket?.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/api/v1/runs/r1/events`, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const frames: Frame[] = [
  { id: 1, event: "run.started", data: { type: "run.started", runId: "r1" } },
  { id: 2, event: "batch.committed", data: { type: "batch.committed", runId: "r1", rows: { read: 5, written: 5, rejected: 0 } } },
  { id: 3, event: "batch.committed", data: { type: "batch.committed", runId: "r1", rows: { read: 10, written: 10, rejected: 0 } } },
  { id: 4, event: "run.finished", data: { type: "run.finished", runId: "r1", status: "succeeded" } },
];

describe("openEventStream against a real HTTP server", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it("delivers every frame in order with the bearer token and stops at run.finished", async () => {
    const server = await startServer(frames, { token: "s3cret" });
    cleanups.push(server.close);
    const got: SseMessage[] = [];
    const stream = openEventStream({ url: server.url, token: () => "s3cret", onMessage: (m) => got.push(m), closeOn: (m) => m.event === "run.finished" });
    expect(await stream.done).toEqual({ reason: "completed" });
    expect(got.map((m) => [m.id, m.event])).toEqual([["1", "run.started"], ["2", "batch.committed"], ["3", "batch.committed"], ["4", "run.finished"]]);
    expect(JSON.parse(got[2]!.data).rows.written).toBe(10);
    expect(server.seen[0]!.authorization).toBe("Bearer s3cret");
  });

  it("reconnects with Last-Event-ID after a dropped connection, without gaps or duplicates", async () => {
    const server = await startServer(frames, { dropAfter: 2 });
    cleanups.push(server.close);
    const got: string[] = [];
    const states: string[] = [];
    const stream = openEventStream({
      url: server.url,
      onMessage: (m) => got.push(m.id),
      onState: (s) => states.push(s),
      closeOn: (m) => m.event === "run.finished",
    });
    expect((await stream.done).reason).toBe("completed");
    expect(got).toEqual(["1", "2", "3", "4"]);
    expect(server.seen.map((s) => s.lastEventId)).toEqual([undefined, "2"]);
    expect(states).toContain("reconnecting");
  });

  it("ends with the server's error message on 401 instead of retrying forever", async () => {
    const server = await startServer(frames, { token: "right" });
    cleanups.push(server.close);
    const stream = openEventStream({ url: server.url, token: () => "wrong", onMessage: () => {} });
    expect(await stream.done).toEqual({ reason: "http-error", status: 401, message: "missing or wrong bearer token" });
    expect(server.seen).toHaveLength(1);
  });

  it("gives up after the configured number of refused connections", async () => {
    const server = await startServer(frames);
    const url = server.url;
    await server.close();
    const stream = openEventStream({ url, onMessage: () => {}, reconnectDelayMs: 5, maxConsecutiveFailures: 3 });
    const result = await stream.done;
    expect(result.reason).toBe("failed");
    expect(result.message).toMatch(/ECONNREFUSED/);
  });
});
