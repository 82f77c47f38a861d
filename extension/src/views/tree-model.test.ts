import { describe, expect, it } from "vitest";
import type { Catalog, TableInfo } from "../../../core/src/connectors/connector.js";
import type { PipelineView, RunView } from "../runner/runner-client.js";
import { columnDescription, pipelineItems, runDescription, schemasOf, tableDescription } from "./tree-model.js";

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
  const p = (name: string): PipelineView => ({ name, file: `pipelines/${name}.etl.ts`, source: "a:b", target: "c:d", mode: "insert", dependsOn: [] });
  it("orders by the runner's order, puts unordered ones last, and takes each pipeline's newest run (stage status first)", () => {
    const runs = [
      { id: "old", status: "failed", pipelines: ["customers"], createdAt: "2026-01-01T00:00:00Z", rows: { read: 0, written: 0, rejected: 0 } },
      {
        id: "new", status: "failed", pipelines: ["customers", "orders"], createdAt: "2026-01-02T00:00:00Z", rows: { read: 9, written: 9, rejected: 0 },
        stages: [{ pipeline: "customers", status: "succeeded", rows: { read: 5, written: 5, rejected: 0 } }, { pipeline: "orders", status: "failed", rows: { read: 4, written: 4, rejected: 0 } }],
      },
    ] as RunView[];
    const items = pipelineItems([p("orders"), p("zeta"), p("customers")], ["customers", "orders"], runs);
    expect(items.map((i) => [i.position, i.pipeline.name, i.lastRun?.id, i.lastRun?.status, i.lastRun?.rowsWritten])).toEqual([
      [1, "customers", "new", "succeeded", 5],
      [2, "orders", "new", "failed", 4],
      [3, "zeta", undefined, undefined, undefined],
    ]);
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
