import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Catalog } from "@databridge/core/runner-protocol";

type TableInfo = Catalog["tables"][number];
import { generatedFiles, tableChoices } from "./generate-flow.js";

const table = (name: string, extra: Partial<TableInfo> = {}): TableInfo => ({
  schema: "legacy", name, kind: "table", primaryKey: ["id"], foreignKeys: [], indexes: [], estimatedRows: 1234,
  columns: [{ name: "id", nativeType: "int(11)", type: { kind: "integer" }, nullable: false, default: null }], ...extra,
});
const source: Catalog = { connection: "legacy", type: "mysql", defaultSchema: "legacy", tables: [
  table("orders"), table("a*b", { estimatedRows: null }), table("v_orders", { kind: "view" }), table("other", { schema: "archive" }),
] };
const target: Catalog = { connection: "warehouse", type: "postgres", defaultSchema: "public", tables: [] };

describe("Generate Pipelines…", () => {
  it("offers the source schema's base tables, sorted, with row estimates, all picked", () => {
    expect(tableChoices(source)).toEqual([
      { label: "a*b", description: "rows unknown", picked: true },
      { label: "orders", description: "~1,234 rows", picked: true },
    ]);
  });

  it("writes the chosen tables only (names taken literally), leaves an edited file alone, and says so in one line", () => {
    const root = path.join(path.sep, "ws");
    const first = generatedFiles({ workspaceRoot: root, source: { name: "legacy", catalog: source }, target: { name: "warehouse", catalog: target }, tables: ["a*b"], read: () => undefined });
    expect(first.files.map((f) => [path.relative(root, f.file), f.action])).toEqual([[path.join("pipelines", "a_b.etl.ts"), "create"]]);
    expect(first.summary).toBe("1 pipeline from legacy into warehouse: 1 created");

    const ordersFile = path.join(root, "pipelines", "orders.etl.ts");
    const generated = generatedFiles({ workspaceRoot: root, source: { name: "legacy", catalog: source }, target: { name: "warehouse", catalog: target }, tables: ["orders"], read: () => undefined }).writes[0].content;
    const edited = generated.replace('id: "id"', 'id: "id", // reviewed');
    const again = generatedFiles({
      workspaceRoot: root, source: { name: "legacy", catalog: source }, target: { name: "warehouse", catalog: target }, tables: ["orders", "a*b"],
      read: (file) => (file === ordersFile ? edited : undefined),
    });
    expect(again.writes.map((w) => path.basename(w.file))).toEqual(["a_b.etl.ts"]);
    expect(again.summary).toBe("2 pipelines from legacy into warehouse: 1 created, 1 left alone (edited since generated; `databridge generate --force` overwrites)");
  });
});
