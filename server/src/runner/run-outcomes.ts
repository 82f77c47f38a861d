import { messageOf, parseRunEvent, type RunFinishedEvent, type SlaMissedEvent } from "@databridge/core";
import type { RunnerAlerts } from "../alerts/runner-alerts.js";
import type { EventBus } from "./event-bus.js";
import type { Scheduler } from "./scheduler.js";

/**
 * What follows a run's end once it is committed: its schedule decides on a retry (and looks at its due
 * ticks), then alerts go out; an `sla_missed` alerts too. Runs off the event bus, so it sees exactly the
 * events the state database holds.
 */
export class RunOutcomes {
  private readonly pending = new Set<Promise<void>>();
  private readonly unsubscribe: () => void;

  constructor(bus: EventBus, private readonly scheduler: Scheduler, private readonly alerts: RunnerAlerts, private readonly log: (line: string) => void) {
    this.unsubscribe = bus.subscribe((stored) => {
      if (stored.type !== "run.finished" && stored.type !== "sla_missed") return;
      const event = parseRunEvent(stored.type, stored.data) as RunFinishedEvent | SlaMissedEvent | undefined;
      if (!event) return;
      const work = this.handle(event).catch((error) => this.log(`error: after run ${event.runId}: ${messageOf(error)}`));
      this.pending.add(work);
      void work.finally(() => this.pending.delete(work));
    });
  }

  /** Resolves when every retry decision and alert under way is done (or after `timeoutMs`). */
  async settle(timeoutMs = 30_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    while (this.pending.size) {
      const done = await Promise.race([Promise.all([...this.pending]).then(() => false), deadline.then(() => true)]);
      if (done) break;
    }
    clearTimeout(timer);
  }

  stop(): void {
    this.unsubscribe();
  }

  private async handle(event: RunFinishedEvent | SlaMissedEvent): Promise<void> {
    const outcome = event.type === "run.finished" ? await this.scheduler.runFinished(event.runId, event.status) : {};
    await this.alerts.runEvent(event, outcome);
  }
}
