/** An event as stored and streamed: `id` orders all events, `seq` orders one run's; `data` is the JSON text sent as SSE `data:`. */
export interface StoredEvent {
  id: number;
  runId: string;
  seq: number;
  type: string;
  data: string;
}

export type EventSubscriber = (event: StoredEvent) => void;

/**
 * In-process fan-out of events that are already committed to the state database. Publishing only
 * after the commit is what lets an SSE stream subscribe first, then replay from the database, without gaps.
 */
export class EventBus {
  private readonly subscribers = new Set<EventSubscriber>();

  subscribe(subscriber: EventSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  publish(events: readonly StoredEvent[]): void {
    for (const event of events) {
      for (const subscriber of this.subscribers) {
        try {
          subscriber(event);
        } catch {
          // one broken subscriber must not starve the others
        }
      }
    }
  }

  get size(): number {
    return this.subscribers.size;
  }
}
