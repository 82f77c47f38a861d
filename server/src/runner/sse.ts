import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { badRequest } from "./errors.js";
import type { EventBus, StoredEvent } from "./event-bus.js";

export const KEEP_ALIVE_MS = 15_000;
const PAGE = 500;

/** `Last-Event-ID` as a number (absent → undefined; anything else than a whole number → 400). */
export function lastEventId(c: Context): number | undefined {
  const raw = c.req.header("last-event-id");
  if (raw === undefined || raw.trim() === "") return undefined;
  if (!/^\d+$/.test(raw.trim())) throw badRequest("Last-Event-ID: must be the id of an event (a whole number)");
  return Number(raw.trim());
}

export interface EventStreamOptions {
  bus: EventBus;
  /** Send events after this id. */
  after: number;
  /** The id the stream uses (`seq` for one run, `id` for all runs). */
  idOf: (event: StoredEvent) => number;
  /** Only these events (e.g. of one run). */
  filter: (event: StoredEvent) => boolean;
  /** Committed events after an id, oldest first, at most `limit`. */
  backlog: (after: number, limit: number) => Promise<StoredEvent[]>;
  /** Close the stream after this event (a run's `run.finished`). */
  last?: (event: StoredEvent) => boolean;
  /** Whether the stream should close when the backlog is replayed without reaching `last` (a finished run with no final event). */
  finishedAfterBacklog?: () => Promise<boolean>;
}

/**
 * An SSE stream of stored events: `event:` is the event type, `data:` its JSON, `id:` its id.
 * It subscribes to live events first, then replays the backlog from the database, then sends live
 * events it has not sent yet: a reconnect with `Last-Event-ID` gets every event after it, once.
 */
export function eventStream(c: Context, options: EventStreamOptions): Response {
  c.header("X-Accel-Buffering", "no");
  return streamSSE(c, async (stream) => {
    const buffer: StoredEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = options.bus.subscribe((event) => {
      if (!options.filter(event)) return;
      buffer.push(event);
      wake?.();
    });
    stream.onAbort(() => {
      unsubscribe();
      wake?.();
    });
    let sent = options.after;
    const send = async (event: StoredEvent) => {
      await stream.writeSSE({ event: event.type, data: event.data, id: String(options.idOf(event)) });
      sent = options.idOf(event);
    };
    const replay = async (): Promise<boolean> => {
      for (;;) {
        const page = await options.backlog(sent, PAGE);
        for (const event of page) {
          await send(event);
          if (options.last?.(event)) return true;
        }
        if (page.length < PAGE) return false;
      }
    };
    try {
      if (await replay()) return;
      if (options.finishedAfterBacklog && (await options.finishedAfterBacklog())) {
        // The run ended: its final event is committed (with its status), so one more replay has it.
        await replay();
        return;
      }
      while (!stream.aborted) {
        const event = buffer.shift();
        if (!event) {
          let timer: NodeJS.Timeout | undefined;
          const woke = await new Promise<boolean>((resolve) => {
            wake = () => resolve(true);
            timer = setTimeout(() => resolve(false), KEEP_ALIVE_MS);
          });
          wake = undefined;
          clearTimeout(timer);
          if (!woke && !stream.aborted) await stream.write(": keep-alive\n\n");
          continue;
        }
        if (options.idOf(event) <= sent) continue;
        await send(event);
        if (options.last?.(event)) return;
      }
    } finally {
      unsubscribe();
    }
  });
}
