import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RunnerApiError, RunnerClient } from "./client.js";
import type { RunEvent } from "./events.js";
import type { EventStreamState } from "./event-stream.js";
import type { SseMessage } from "./sse-parser.js";

const TOKEN = "s3cret-token";

const event = (seq: number, type: RunEvent["type"], extra: Record<string, unknown> = {}) => ({
  seq, type, data: JSON.stringify({ type, runId: "r1", pipeline: "p", ts: "2026-01-01T00:00:00.000Z", ...extra }),
});
const EVENTS = [
  event(1, "run.started", { pipelines: ["p"], resume: false }),
  event(2, "batch.committed", { batch: 1, rows: { read: 5, written: 5, rejected: 0 } }),
  event(3, "log", { level: "info", message: "two\nlines" }),
  event(4, "batch.committed", { batch: 2, rows: { read: 10, written: 10, rejected: 0 } }),
  event(5, "run.finished", { status: "succeeded", rows: { read: 10, written: 10, rejected: 0 }, durationMs: 1, stages: [] }),
];
const frame = (e: (typeof EVENTS)[number]) => `event: ${e.type}\ndata: ${e.data}\nid: ${e.seq}\n\n`;

interface Seen {
  lastEventId: string | undefined;
  authorization: string | undefined;
}

/**
 * A real HTTP server speaking the runner's SSE: bearer token, replay after Last-Event-ID, and scripted
 * misbehaviour per connection (answer with a status, or drop the socket in the middle of a frame).
 */
async function sseServer(script: (connection: number) => { status?: number; body?: string; dropAfterBytes?: number } = () => ({})) {
  const seen: Seen[] = [];
  const closed: Promise<void>[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ lastEventId: req.headers["last-event-id"] as string | undefined, authorization: req.headers.authorization });
    closed.push(new Promise((resolve) => res.on("close", () => resolve())));
    const plan = script(seen.length);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "unauthorized", message: "missing or wrong bearer token" } }));
      return;
    }
    if (plan.status) {
      res.writeHead(plan.status, { "content-type": "application/json" }).end(plan.body ?? "");
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const after = Number(req.headers["last-event-id"] ?? 0);
    const text = `: connected\n\nretry: 10\n\n${EVENTS.filter((e) => e.seq > after).map(frame).join("")}`;
    if (plan.dropAfterBytes !== undefined) {
      // Flush part of the stream, then cut the connection without ending the response (a network drop).
      res.write(text.slice(0, plan.dropAfterBytes), () => res.socket?.destroy());
      return;
    }
    // Uneven writes, so frames straddle packets; the server ends after run.finished like the runner.
    res.write(text.slice(0, 37));
    setImmediate(() => res.end(text.slice(37)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    closed,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe("RunnerClient event streams against a real HTTP server", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  const start = async (script?: Parameters<typeof sseServer>[0]) => {
    const server = await sseServer(script);
    cleanups.push(server.close);
    return server;
  };

  it("delivers every event in order with the bearer token, and completes at run.finished", async () => {
    const server = await start();
    const got: SseMessage[] = [];
    const stream = new RunnerClient({ url: server.url, token: TOKEN }).runEvents("r1", { onMessage: (m) => got.push(m) });
    expect(await stream.done).toEqual({ reason: "completed" });
    expect(got.map((m) => [m.id, m.event])).toEqual(EVENTS.map((e) => [String(e.seq), e.type]));
    expect(got.map((m) => m.data)).toEqual(EVENTS.map((e) => e.data));
    expect(server.seen).toEqual([{ lastEventId: undefined, authorization: `Bearer ${TOKEN}` }]);
  });

  it("after a drop in the middle of a frame, reconnects with Last-Event-ID: no event missed, none twice, no half frame", async () => {
    const full = `: connected\n\nretry: 10\n\n${EVENTS.map(frame).join("")}`;
    // Cut inside the third event's data line.
    const cutAt = full.indexOf('"level"');
    const server = await start((n) => (n === 1 ? { dropAfterBytes: cutAt } : {}));
    const got: string[] = [];
    const states: EventStreamState[] = [];
    const stream = new RunnerClient({ url: server.url, token: TOKEN }).runEvents("r1", { onMessage: (m) => got.push(m.id), onState: (s) => states.push(s) });
    expect((await stream.done).reason).toBe("completed");
    expect(got).toEqual(["1", "2", "3", "4", "5"]);
    expect(server.seen.map((s) => s.lastEventId)).toEqual([undefined, "2"]);
    expect(states).toEqual(["connecting", "open", "reconnecting", "open", "closed"]);
  });

  it("starts after a given lastEventId", async () => {
    const server = await start();
    const got: string[] = [];
    const stream = new RunnerClient({ url: server.url, token: TOKEN }).runEvents("r1", { lastEventId: "3", onMessage: (m) => got.push(m.id) });
    await stream.done;
    expect(got).toEqual(["4", "5"]);
    expect(server.seen[0]!.lastEventId).toBe("3");
  });

  it("ends on a refusal (401) with the runner's code and message, without retrying", async () => {
    const server = await start();
    const stream = new RunnerClient({ url: server.url, token: "wrong" }).events({ onMessage: () => {} });
    expect(await stream.done).toEqual({ reason: "http-error", status: 401, code: "unauthorized", message: "missing or wrong bearer token" });
    expect(server.seen).toHaveLength(1);
  });

  it("retries while the runner answers 503, then follows the stream", async () => {
    const server = await start((n) => (n <= 2 ? { status: 503, body: JSON.stringify({ error: { code: "shutting_down", message: "busy" } }) } : {}));
    const got: string[] = [];
    const stream = new RunnerClient({ url: server.url, token: TOKEN }).runEvents("r1", { reconnectDelayMs: 5, onMessage: (m) => got.push(m.id) });
    expect((await stream.done).reason).toBe("completed");
    expect(got).toEqual(["1", "2", "3", "4", "5"]);
    expect(server.seen).toHaveLength(3);
  });

  it("gives up after the configured number of refused connections, naming the reason", async () => {
    const server = await start();
    const url = server.url;
    await server.close();
    const stream = new RunnerClient({ url, token: TOKEN }).events({ onMessage: () => {}, reconnectDelayMs: 5, maxConsecutiveFailures: 3 });
    const end = await stream.done;
    expect(end.reason).toBe("failed");
    expect(end.message).toMatch(/^cannot reach the runner at http:\/\/127\.0\.0\.1:\d+ \(GET \/api\/v1\/events\): fetch failed \(ECONNREFUSED\)$/);
  });

  it("close() ends the stream and the connection", async () => {
    const server = await start();
    const got: string[] = [];
    const stream = new RunnerClient({ url: server.url, token: TOKEN }).events({ onMessage: (m) => {
      got.push(m.id);
      if (m.id === "2") stream.close();
    } });
    expect(await stream.done).toEqual({ reason: "closed" });
    expect(got).toEqual(["1", "2"]);
    expect(stream.lastEventId).toBe("2");
    await Promise.all(server.closed);
  });

  it("ends as http-error when a 200 answer is not an event stream", async () => {
    const server = await start(() => ({ status: 200, body: "{}" }));
    const stream = new RunnerClient({ url: server.url, token: TOKEN }).events({ onMessage: () => {} });
    expect(await stream.done).toMatchObject({ reason: "http-error", status: 200, code: "not_an_event_stream" });
  });

  it("followRun resolves with run.finished, parsing each event once", async () => {
    const server = await start((n) => (n === 1 ? { dropAfterBytes: 200 } : {}));
    const events: RunEvent[] = [];
    const finished = await new RunnerClient({ url: server.url, token: TOKEN }).followRun("r1", (e) => events.push(e));
    expect(finished).toMatchObject({ type: "run.finished", status: "succeeded" });
    expect(events.map((e) => e.type)).toEqual(EVENTS.map((e) => e.type));
    expect(events[2]).toMatchObject({ type: "log", message: "two\nlines" });
  });

  it("followRun rejects with a RunnerApiError when the runner refuses", async () => {
    const server = await start((n) => (n === 1 ? { status: 404, body: JSON.stringify({ error: { code: "not_found", message: "run r1 not found" } }) } : {}));
    const error = await new RunnerClient({ url: server.url, token: TOKEN }).followRun("r1", () => {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunnerApiError);
    expect(error).toMatchObject({ status: 404, code: "not_found" });
    expect((error as Error).message).toContain("run r1 not found");
  });
});
