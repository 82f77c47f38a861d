import { describe, expect, it } from "vitest";
import { pipeline, type PipelineDefinition } from "../authoring/pipeline.js";
import { DataBridgeError } from "../errors.js";
import { pipelineSlaMs, scheduleIssues, schedulePolicy, scheduleProblems } from "./schedule-spec.js";

const base = (): PipelineDefinition => ({
  name: "nightly",
  source: { connection: "legacy", table: "t", key: "id" },
  target: { connection: "warehouse", table: "public.t" },
  columns: { id: "id" },
});

/** The one-line config error `pipeline()` throws for a definition with `extra`. */
function refusal(extra: Record<string, unknown>): string {
  try {
    pipeline({ ...base(), ...extra } as PipelineDefinition);
  } catch (error) {
    expect(error).toBeInstanceOf(DataBridgeError);
    return (error as DataBridgeError).toLine();
  }
  throw new Error(`pipeline() accepted ${JSON.stringify(extra)}`);
}

describe("schedule shape (checked when pipeline() loads)", () => {
  it("accepts a cron string and the long form with every setting", () => {
    expect(() => pipeline({ ...base(), schedule: "0 2 * * *", sla: "30m" })).not.toThrow();
    expect(() => pipeline({ ...base(), schedule: { cron: "*/10 * * * * *", seconds: true, timezone: "UTC", catchUp: "all", maxActiveRuns: 2, retry: { runs: 3, backoff: "5m" }, sla: "1h" } })).not.toThrow();
  });

  it("refuses schedule settings written beside the schedule, naming where they go", () => {
    expect(refusal({ schedule: "0 2 * * *", timezone: "Europe/Berlin" })).toBe('pipeline nightly: timezone is a setting of the schedule: write schedule: { cron: "…", timezone: "Europe/Berlin" }');
    expect(refusal({ catchUp: "all" })).toMatch(/catchUp is a setting of the schedule/);
    expect(refusal({ retry: { runs: 3, backoff: "5m" } })).toMatch(/^pipeline nightly: retry\.runs retries scheduled runs, so it belongs to the schedule.*schedule: \{ cron: "…", retry: \{ runs: 3, backoff: "5m" \} \}$/);
  });

  it("refuses wrong types, unknown settings (with did-you-mean) and out-of-range numbers", () => {
    expect(refusal({ schedule: 5 })).toMatch(/schedule must be a cron string such as "0 2 \* \* \*" or \{ cron, timezone, … \} \(got 5\)/);
    expect(refusal({ schedule: { cron: "@daily", timeZone: "UTC" } })).toMatch(/schedule\.timeZone is not a schedule setting \(did you mean "timezone"\?\)/);
    expect(refusal({ schedule: { timezone: "UTC" } })).toMatch(/schedule\.cron is required/);
    expect(refusal({ schedule: { cron: "@daily", catchUp: "some" } })).toMatch(/schedule\.catchUp must be "none", "latest", "all" \(got "some"\)/);
    expect(refusal({ schedule: { cron: "@daily", maxActiveRuns: 0 } })).toMatch(/schedule\.maxActiveRuns must be a whole number from 1 to 100 \(got 0\)/);
    expect(refusal({ schedule: { cron: "@daily", retry: { runs: -1 } } })).toMatch(/schedule\.retry\.runs must be a whole number from 0 to 100/);
    expect(refusal({ schedule: { cron: "@daily", retry: { runs: 1, delay: "5m" } } })).toMatch(/schedule\.retry\.delay is not a retry setting/);
    expect(refusal({ schedule: { cron: "@daily", seconds: "yes" } })).toMatch(/schedule\.seconds must be true or false/);
    expect(refusal({ sla: 30 })).toMatch(/sla must be a duration such as "30m" \(got 30\)/);
  });
});

describe("scheduleIssues (check, plan, the editor, the runner)", () => {
  it("finds nothing wrong in a valid schedule", () => {
    expect(scheduleIssues({ schedule: { cron: "0 2 * * 1-5", timezone: "America/New_York", sla: "2h", retry: { runs: 2, backoff: "10m" } }, sla: "1d" })).toEqual([]);
  });

  it("names the path and the part at fault: the cron field, the time zone, each duration", () => {
    expect(scheduleIssues({ schedule: "0 25 * * *" })).toEqual([
      { path: "schedule", code: "invalid-schedule", value: "0 25 * * *", start: 2, end: 4, message: 'schedule "0 25 * * *" hour "25" (field 2, at character 3) is not valid: 0–23' },
    ]);
    const issues = scheduleIssues({ schedule: { cron: "every day at 2am", timezone: "Europe/Berln", sla: "soon", retry: { runs: 1, backoff: "5 minutes" } }, sla: "0s" });
    expect(issues.map((i) => [i.path, i.code])).toEqual([
      ["sla", "invalid-duration"], ["schedule.cron", "invalid-schedule"], ["schedule.timezone", "invalid-timezone"],
      ["schedule.sla", "invalid-duration"], ["schedule.retry.backoff", "invalid-duration"],
    ]);
    expect(issues[2].message).toMatch(/did you mean "Europe\/Berlin"/);
    expect(issues[3].message).toBe('schedule.sla "soon" is not a duration: write "30s", "5m", "2h" or "1d"');
  });

  it("gives check and plan the file position of the field at fault", () => {
    const text = [
      `import { pipeline } from "@databridge/core";`,
      `export default pipeline({`,
      `  name: "nightly",`,
      `  schedule: { cron: "0 2 * 13 *", timezone: 'Mars/Base' },`,
      `});`,
    ].join("\n");
    const problems = scheduleProblems({ name: "nightly", schedule: { cron: "0 2 * 13 *", timezone: "Mars/Base" } }, { file: "/w/pipelines/nightly.etl.ts", text });
    expect(problems.map((p) => [p.code, p.location])).toEqual([
      ["invalid-schedule", { file: "/w/pipelines/nightly.etl.ts", line: 4, column: 28 }],
      ["invalid-timezone", { file: "/w/pipelines/nightly.etl.ts", line: 4, column: 46 }],
    ]);
    // Columns are 1-based: the character at column 28 of line 4 is where "13" starts.
    expect(text.split("\n")[3].slice(27, 29)).toBe("13");
    expect(text.split("\n")[3].slice(45, 54)).toBe("Mars/Base");
    expect(problems[0]).toMatchObject({ severity: "error", pipeline: "nightly", subject: "0 2 * 13 *" });
  });
});

describe("schedulePolicy", () => {
  it("fills in the defaults; the schedule's SLA, else the pipeline's", () => {
    expect(schedulePolicy({ schedule: "@daily" })).toEqual({
      cron: "@daily", timezone: null, seconds: false, catchUp: "latest", maxActiveRuns: 1, retryRuns: 0, retryBackoffMs: 300_000, sla: null, slaMs: null,
    });
    expect(schedulePolicy({ schedule: "@daily", sla: "30m" })).toMatchObject({ sla: "30m", slaMs: 1_800_000 });
    expect(schedulePolicy({ schedule: { cron: "@daily", sla: "1s", retry: { runs: 3, backoff: "2h" } }, sla: "30m" })).toMatchObject({ sla: "1s", slaMs: 1000, retryRuns: 3, retryBackoffMs: 7_200_000 });
    expect(schedulePolicy({ schedule: "bogus" })).toBeUndefined();
    expect(schedulePolicy({})).toBeUndefined();
    expect(pipelineSlaMs({ sla: "2h" })).toBe(7_200_000);
    expect(pipelineSlaMs({})).toBeNull();
  });
});
