import { messageOf, type RunEvent, type RunStatus } from "@databridge/core";
import type { EventToAppend, StateStore } from "../state/store.js";
import type { EventBus } from "./event-bus.js";

/** JSON text of an event: bigints as decimal text, bytes as `\x…` hex, so every key survives the trip. */
export function serializeEvent(event: RunEvent): string {
  return JSON.stringify(event, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    if (typeof raw === "bigint") return raw.toString();
    if (raw instanceof Uint8Array) return `\\x${Buffer.from(raw).toString("hex")}`;
    return value;
  });
}

/**
 * The single writer of run progress: events get their per-run `seq` synchronously (in emit order),
 * are appended to the state database in batches by one loop (so global ids grow in commit order),
 * and are published to live subscribers only once committed.
 */
export class EventRecorder {
  private pending: EventToAppend[] = [];
  private loop?: Promise<void>;
  private readonly seqs = new Map<string, number>();
  private readonly idle = new Set<() => void>();
  private readonly observers = new Set<(event: RunEvent) => void>();

  constructor(
    private readonly store: StateStore,
    private readonly bus: EventBus,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts numbering a run's events after `lastSeq` (0 for a new run). */
  track(runId: string, lastSeq = 0): void {
    if (!this.seqs.has(runId)) this.seqs.set(runId, lastSeq);
  }

  forget(runId: string): void {
    this.seqs.delete(runId);
  }

  /**
   * Sees every event synchronously as it is recorded, in order, before it is committed (what runs ahead of
   * the state database: the SLA monitor must know a run finished before its deadline timer can fire).
   */
  observe(observer: (event: RunEvent) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Queues an event; returns its per-run sequence number. */
  record(event: RunEvent, status?: { to: RunStatus; from: RunStatus[] }): number {
    const seq = (this.seqs.get(event.runId) ?? 0) + 1;
    this.seqs.set(event.runId, seq);
    const data = serializeEvent(event);
    this.pending.push({ runId: event.runId, seq, event: JSON.parse(data) as RunEvent, data, status });
    this.loop ??= this.drain();
    for (const observer of this.observers) {
      try {
        observer(event);
      } catch (error) {
        this.log(`error: event observer: ${messageOf(error)}`);
      }
    }
    return seq;
  }

  /** Resolves once everything recorded so far is committed and published. */
  flush(): Promise<void> {
    if (!this.loop && !this.pending.length) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private async drain(): Promise<void> {
    while (this.pending.length) {
      const items = this.pending;
      this.pending = [];
      for (let attempt = 1; ; attempt++) {
        try {
          const appended = await this.store.appendEvents(items);
          this.bus.publish(appended);
          break;
        } catch (error) {
          if (attempt >= 5) {
            this.log(`error: could not save ${items.length} run event(s) to the state database: ${messageOf(error)}`);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
        }
      }
    }
    this.loop = undefined;
    for (const resolve of this.idle) resolve();
    this.idle.clear();
  }
}
