import { describe, expect, it } from "vitest";
import type { TableInfo } from "@databridge/core";
import type { Catalog, PipelineSummary, RunView, ScheduleView, StageView } from "@databridge/core/runner-protocol";
import { columnDescription, pipelineItems, runDescription, scheduleSummary, schemasOf, tableDescription } from "./tree-model.js";

const table = (schema: string, name: string, extra: Partial<TableInfo> = {}): TableInfo => ({
  schema, name, kind: "table", columns: [], primaryKey: [], foreignKeys: [], indexes: [], estimatedRows: null, ...extra,
});

describe("catalog tree", () => {
  it("puts the default schema first and sorts tables", () => {
    const catalog: Catalog = { connection: "c", type: "postgres", defaultSchema: "public", tables: [table("sales", "b"), table("public", "z"), table("public", "a"), table("audit", "x")] };
    expect(schemasOf(catalog).map((s) => [s.schema, s.tables.map((t) => t.name)])).toEqual([["public", ["a", "z"]], ["audit", ["x"]], ["sales", ["b"]]]);
  });

  it("describes tables with their row estimate and columns with type, key, reference and nullability", () => {
    expect(tableDescription(table("s", "t", { estimatedRows: 123_456 }))).toBe("~123k rows");
    expect(tableDescription(table("s", "v", { kind: "view", estimatedRows: null }))).toBe("view");
    const orders = table("public", "orders", {
      primaryKey: ["id"],
      foreignKeys: [{ name: "fk", columns: ["customer_id"], referencedTable: { schema: "public", name: "customers" }, referencedColumns: ["id"] }],
    });
    const col = (name: string, nativeType: string, nullable: boolean) => ({ name, nativeType, nullable, type: { kind: "integer" as const }, default: null });
    expect(columnDescription(col("id", "integer", false), orders)).toBe("integer · PK · NOT NULL");
    expect(columnDescription(col("customer_id", "integer", true), orders)).toBe("integer · → public.customers");
  });
});

describe("pipelines in dependency order with their last run", () => {
  const p = (name: string): PipelineSummary => ({
    name, description: null, file: `pipelines/${name}.etl.ts`, source: "a:b", sourceConnection: "a", sourceTable: "b", tenants: [], target: "c:d", targetConnection: "c",
    targetTable: "d", mode: "insert", dependsOn: [], batchSize: null,
  });
  const counts = (n: number) => ({ read: n, written: n, rejected: 0 });
  const stage = (pipeline: string, status: StageView["status"], rows: number): StageView => ({
    pipeline, tenant: null, status, source: null, target: null, mode: null, estimatedRows: null, batches: 1, rows: counts(rows), progress: null, rowsPerSecond: null,
    etaMs: null, resumeAfter: null, startedAt: null, finishedAt: null, durationMs: null, error: null, parity: null,
  });
  const run = (id: string, pipelines: string[], createdAt: string, rows: number, stages: StageView[]): RunView => ({
    id, status: "failed", pipelines, resume: false, batchSize: null, retryOf: null, trigger: "api", scheduleId: null, scheduledAt: null, createdAt, startedAt: createdAt, finishedAt: createdAt,
    durationMs: 1, rows: counts(rows), rowsPerSecond: null, etaMs: null, error: "boom", lastEventId: 9, heldAtBoundary: false, stages,
  });
  it("orders by the runner's order, puts unordered ones last, and takes each pipeline's newest run (stage status first)", () => {
    const runs = [
      run("old", ["customers"], "2026-01-01T00:00:00Z", 0, []),
      run("new", ["customers", "orders"], "2026-01-02T00:00:00Z", 9, [stage("customers", "succeeded", 5), stage("orders", "failed", 4)]),
    ];
    const items = pipelineItems([p("orders"), p("zeta"), p("customers")], ["customers", "orders"], runs);
    expect(items.map((i) => [i.position, i.pipeline.name, i.lastRun?.id, i.lastRun?.status, i.lastRun?.rowsWritten])).toEqual([
      [1, "customers", "new", "succeeded", 5],
      [2, "orders", "new", "failed", 4],
      [3, "zeta", undefined, undefined, undefined],
    ]);
  });
});

describe("schedules under their pipelines", () => {
  const schedule = (extra: Partial<ScheduleView>): ScheduleView => ({
    id: "file:orders", name: "orders", source: "file", file: "pipelines/orders.etl.ts", cron: "0 2 * * *", timezone: "Europe/Berlin", seconds: false,
    pipelines: ["orders"], enabled: true, catchUp: "latest", maxActiveRuns: 1, retry: { runs: 3, backoffMs: 300_000 }, sla: "30m", error: null,
    nextRunAt: "2026-01-01T03:00:00Z", lastRunId: null, lastRunAt: null, lastRun: null, lastTickAt: null, pendingRetry: null,
    createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z", ...extra,
  });
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("go with each pipeline they run (a file's with its pipeline, an API schedule with each of its pipelines)", () => {
    const p = (name: string): PipelineSummary => ({
      name, description: null, file: `pipelines/${name}.etl.ts`, source: "a:b", sourceConnection: "a", sourceTable: "b", tenants: [], target: "c:d", targetConnection: "c",
      targetTable: "d", mode: "insert", dependsOn: [], batchSize: null,
    });
    const nightly = schedule({ id: "a1", name: "nightly", source: "api", file: null, pipelines: ["customers", "orders"] });
    const items = pipelineItems([p("customers"), p("orders")], ["customers", "orders"], [], [schedule({}), nightly]);
    expect(items.map((i) => [i.pipeline.name, i.schedules.map((s) => s.id)])).toEqual([["customers", ["a1"]], ["orders", ["file:orders", "a1"]]]);
  });

  it("say when they run next, how the last run went, a retry waiting, or why they are not armed", () => {
    expect(scheduleSummary(schedule({}), now)).toMatchObject({ label: "0 2 * * * (Europe/Berlin)", description: "next in 3 h" });
    const failed = scheduleSummary(schedule({ lastRun: { id: "r1", status: "failed", finishedAt: null }, pendingRetry: { runId: "r1", at: "2026-01-01T00:05:00Z", attempt: 1 } }), now);
    expect(failed.description).toBe("next in 3 h · last: failed · retry 1 of 3 in 5 min");
    expect(failed.tooltip).toEqual([
      "**Schedule orders** — from pipelines/orders.etl.ts", "Next run: 2026-01-01T03:00:00Z", "Last run: r1, failed", "Catch-up latest · at most 1 active · 3 retries · SLA 30m",
    ]);
    expect(scheduleSummary(schedule({ enabled: false }), now).description).toBe("paused");
    const invalid = scheduleSummary(schedule({ cron: "0 25 * * *", timezone: null, error: 'schedule "0 25 * * *" hour "25" …', nextRunAt: null }), now);
    expect(invalid).toMatchObject({ label: "0 25 * * *", description: "not armed" });
    expect(invalid.tooltip[1]).toBe('Not armed: schedule "0 25 * * *" hour "25" …');
  });
});

describe("run descriptions", () => {
  it("say how the run ended, its rows, its duration and when", () => {
    const now = Date.parse("2026-01-01T01:00:00Z");
    expect(runDescription({ status: "succeeded_with_rejects", rows: { read: 10, written: 8, rejected: 2 }, durationMs: 61_000, createdAt: "2026-01-01T00:55:00Z" }, now)).toBe(
      "succeeded with rejected rows · 8 rows (2 rejected) · 1m 01s · 5 min ago",
    );
  });
});
