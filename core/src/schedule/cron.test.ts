import { describe, expect, it } from "vitest";
import { cronClock, cronIssue, timezoneIssue } from "./cron.js";

/** The part of the expression an issue points at. */
const pointed = (expression: string, syntax = {}) => {
  const issue = cronIssue(expression, syntax);
  return issue && { at: expression.slice(issue.start, issue.end), message: issue.message };
};

describe("cronIssue", () => {
  it("accepts 5-field crons, presets in any case, names, L, W, # and ?", () => {
    for (const cron of ["* * * * *", "0 2 * * *", "*/15 8-18 * * 1-5", "0 9 * * MON-FRI", "0 0 L * *", "0 0 1W * *", "0 0 * * 5#2", "0 0 ? * *", "30 0 1 JAN,JUL *", "@daily", "@HOURLY", "@midnight", "@annually"]) {
      expect(cronIssue(cron), cron).toBeUndefined();
    }
  });

  it("points at the field at fault, naming it and what it allows", () => {
    expect(pointed("0 25 * * *")).toEqual({ at: "25", message: 'hour "25" (field 2, at character 3) is not valid: 0–23' });
    expect(pointed("61 * * * *")).toMatchObject({ at: "61", message: expect.stringMatching(/^minute "61" \(field 1, at character 1\) is not valid: 0–59$/) });
    expect(pointed("0 2 * 13 *")).toMatchObject({ at: "13", message: expect.stringMatching(/^month "13" \(field 4, at character 7\).*1–12 or JAN–DEC/) });
    expect(pointed("0 2 * * 8")).toMatchObject({ at: "8", message: expect.stringMatching(/^day of week "8" \(field 5/) });
    expect(pointed("*/0 * * * *")).toMatchObject({ at: "*/0", message: expect.stringContaining("illegal stepping") });
    expect(pointed("0  2 * *  x")).toMatchObject({ at: "x", message: expect.stringMatching(/^day of week "x" \(field 5, at character 11\)/) });
  });

  it("says what a cron looks like when the shape is wrong, and suggests presets", () => {
    expect(pointed("every day at 2am")).toMatchObject({ at: "every day at 2am", message: expect.stringMatching(/^has 4 fields; a cron needs 5 \(minute, hour, day of month, month, day of week\)/) });
    expect(pointed("")?.message).toMatch(/^is empty/);
    expect(pointed("@daly")?.message).toBe('unknown preset "@daly" (did you mean "@daily"?): use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly');
    expect(pointed("@reboot")?.message).toMatch(/^unknown preset "@reboot"/);
    expect(pointed("0 0 31 2 *")?.message).toMatch(/never matches a date/);
    expect(pointed("0 0 0 1 1 * 2030")?.message).toMatch(/^has 7 fields/);
  });

  it("refuses second-level crons unless seconds: true asks for them", () => {
    expect(pointed("*/10 * * * * *")?.message).toMatch(/^has 6 fields, which makes the first one seconds.*schedule: \{ cron: "\*\/10 \* \* \* \* \*", seconds: true \}/);
    expect(cronIssue("*/10 * * * * *", { seconds: true })).toBeUndefined();
    expect(pointed("61 * * * * *", { seconds: true })).toMatchObject({ at: "61", message: expect.stringMatching(/^second "61"/) });
    expect(pointed("0 2 * * *", { seconds: true })?.message).toMatch(/seconds: true asks for 6/);
  });
});

describe("timezoneIssue", () => {
  it("knows IANA names and suggests the closest for a typo", () => {
    for (const zone of ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]) expect(timezoneIssue(zone), zone).toBeUndefined();
    expect(timezoneIssue("Europe/Berln")).toMatch(/^unknown time zone "Europe\/Berln" \(did you mean "Europe\/Berlin"\?\)/);
    expect(timezoneIssue("Mars/Olympus")).toMatch(/^unknown time zone "Mars\/Olympus": use an IANA name/);
  });
});

/** The wall-clock time of an instant in a zone, read through Intl (independent of croner). */
function wallClock(instant: Date, timeZone: string) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(instant).map((p) => [p.type, p.value]));
  return { day: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}:${parts.second}` };
}

describe("cronClock", () => {
  it("agrees with Intl on every tick of a year in a DST zone: 02:30 once a day, also on the autumn day 02:30 happens twice", () => {
    const zone = "Europe/Berlin";
    const clock = cronClock("30 2 * * *", {}, zone);
    const days = new Map<string, string[]>();
    let tick = clock.next(new Date("2026-01-01T00:00:00Z"));
    while (tick && tick < new Date("2027-01-01T00:00:00Z")) {
      const { day, time } = wallClock(tick, zone);
      days.set(day, [...(days.get(day) ?? []), time]);
      tick = clock.next(tick);
    }
    expect(days.size).toBe(365);
    const offTime = [...days.entries()].filter(([, times]) => times.length !== 1 || times[0] !== "02:30:00");
    // 2026-03-29 has no 02:30 in Berlin (clocks jump 02:00 → 03:00): the one run is at the end of the gap.
    expect(offTime).toEqual([["2026-03-29", ["03:00:00"]]]);
  });

  it("previous() includes a tick exactly at the reference; next() is strictly after", () => {
    const clock = cronClock("*/5 * * * *", {}, "UTC");
    const at = new Date("2026-05-01T10:05:00.000Z");
    expect(clock.previous(at, 1)).toEqual([at]);
    expect(clock.previous(new Date(at.getTime() - 1), 2)).toEqual([new Date("2026-05-01T10:00:00Z"), new Date("2026-05-01T09:55:00Z")]);
    expect(clock.next(at)).toEqual(new Date("2026-05-01T10:10:00Z"));
    expect(clock.next(new Date(at.getTime() - 1))).toEqual(at);
  });
});
