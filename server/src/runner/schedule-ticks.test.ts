import { describe, expect, it } from "vitest";
import { cronClock } from "@databridge/core";
import { decideTicks, type TickInput } from "./schedule-ticks.js";

const hourly = cronClock("0 * * * *", {}, "UTC");
const at = (iso: string) => new Date(`2026-06-01T${iso}Z`);

/** A decision for an hourly cron last handled at 02:00, with what changes per case. */
const decide = (change: Partial<TickInput>) => decideTicks({
  cron: hourly, since: at("02:00:00"), now: at("02:00:30"), catchUp: "latest", maxActiveRuns: 1, activeRuns: 0, graceMs: 60_000, maxBacklog: 100, ...change,
});
const windows = (decision: ReturnType<typeof decideTicks>) => decision.skipped.map((s) => [s.first.toISOString().slice(11, 16), s.last.toISOString().slice(11, 16), s.count]);

describe("decideTicks", () => {
  it("nothing is due before the next tick", () => {
    expect(decide({ now: at("02:59:59.999") })).toEqual({ run: null, skipped: [], lastTickAt: at("02:00:00"), waiting: false });
  });

  it("a tick on time runs (any catch-up policy)", () => {
    for (const catchUp of ["none", "latest", "all"] as const) {
      expect(decide({ catchUp, now: at("03:00:00.004") }), catchUp).toEqual({ run: at("03:00:00"), skipped: [], lastTickAt: at("03:00:00"), waiting: false });
    }
  });

  it("latest: after downtime, one run for the newest missed tick covers the older ones", () => {
    const decision = decide({ now: at("07:20:00") });
    expect(decision.run).toEqual(at("07:00:00"));
    expect(decision.lastTickAt).toEqual(at("07:00:00"));
    expect(windows(decision)).toEqual([["03:00", "06:00", 4]]);
    expect(decision.skipped[0].reason).toMatch(/the run for 2026-06-01T07:00:00.000Z covers them \(catchUp "latest"\)/);
  });

  it("none: missed ticks are skipped, none runs late; a tick within the grace runs", () => {
    const late = decide({ catchUp: "none", now: at("07:20:00") });
    expect(late.run).toBeNull();
    expect(windows(late)).toEqual([["03:00", "07:00", 5]]);
    expect(late.lastTickAt).toEqual(at("07:00:00"));
    const justInTime = decide({ catchUp: "none", now: at("07:00:40") });
    expect(justInTime.run).toEqual(at("07:00:00"));
    expect(windows(justInTime)).toEqual([["03:00", "06:00", 4]]);
  });

  it("all: every missed tick runs, oldest first, one per free slot; they wait for a slot instead of being skipped", () => {
    const first = decide({ catchUp: "all", now: at("07:20:00") });
    expect(first).toEqual({ run: at("03:00:00"), skipped: [], lastTickAt: at("03:00:00"), waiting: false });
    const busy = decide({ catchUp: "all", since: at("03:00:00"), now: at("07:20:00"), activeRuns: 1 });
    expect(busy).toEqual({ run: null, skipped: [], lastTickAt: at("03:00:00"), waiting: true });
    const next = decide({ catchUp: "all", since: at("03:00:00"), now: at("07:20:00"), activeRuns: 1, maxActiveRuns: 2 });
    expect(next.run).toEqual(at("04:00:00"));
  });

  it("all: beyond the backlog limit the oldest ticks are skipped and recorded", () => {
    const decision = decide({ catchUp: "all", now: at("07:20:00"), maxBacklog: 2 });
    expect(decision.run).toEqual(at("06:00:00"));
    expect(windows(decision)).toEqual([["03:00", "05:00", 3]]);
    expect(decision.skipped[0].reason).toMatch(/more than 2 ticks were missed/);
  });

  it("maxActiveRuns: a tick while the previous run is still going is skipped with the reason", () => {
    const decision = decide({ now: at("03:00:01"), activeRuns: 1 });
    expect(decision.run).toBeNull();
    expect(decision.lastTickAt).toEqual(at("03:00:00"));
    expect(decision.skipped).toEqual([{ first: at("03:00:00"), last: at("03:00:00"), count: 1, reason: "1 run of this schedule still going (maxActiveRuns 1)" }]);
    expect(decide({ now: at("03:00:01"), activeRuns: 1, maxActiveRuns: 2 }).run).toEqual(at("03:00:00"));
    expect(windows(decide({ catchUp: "none", now: at("03:00:01"), activeRuns: 2, maxActiveRuns: 2 }))).toEqual([["03:00", "03:00", 1]]);
  });

  it("counts a huge window only up to a limit", () => {
    const everySecond = cronClock("* * * * * *", { seconds: true }, "UTC");
    const decision = decideTicks({ cron: everySecond, since: at("00:00:00"), now: at("06:00:00"), catchUp: "latest", maxActiveRuns: 1, activeRuns: 0, graceMs: 60_000, maxBacklog: 100 });
    expect(decision.run).toEqual(at("06:00:00"));
    expect(decision.skipped[0].count).toBeNull();
  });
});
