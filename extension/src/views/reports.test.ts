import { describe, expect, it } from "vitest";
import type { PlanReport, PreviewResult } from "@databridge/core/runner-protocol";
import { planMarkdown, previewMarkdown } from "./reports.js";

describe("previewMarkdown", () => {
  it("puts each source row beside what it becomes and names rejected rows with their reason", () => {
    const result: PreviewResult = {
      pipeline: "parts",
      sourceColumns: ["MATNR", "MAKTX"],
      targetColumns: ["part_no", "description"],
      rows: [
        { key: [1], source: { MATNR: "A-1", MAKTX: " Bolt | M8 " }, target: { part_no: "A-1", description: "Bolt | M8" } },
        { key: [2], source: { MATNR: "A-2", MAKTX: null }, error: { column: "description", message: "NOT NULL" } },
      ],
    };
    const md = previewMarkdown(result);
    expect(md).toContain("| MATNR | MAKTX | → | **part_no** | **description** |");
    expect(md).toContain("| A-1 |  Bolt \\| M8  | → | A-1 | Bolt \\| M8 |");
    expect(md).toContain("| A-2 | NULL | → | ⚠ rejected (description): NOT NULL | ⚠ |");
    expect(md).toContain("**1 of 2 rows would be rejected.**");
  });
});

describe("planMarkdown", () => {
  it("lists pipelines in order with mappings, DDL and problems, and says whether a run would fail", () => {
    const report = {
      pipelines: [
        {
          order: 1, pipeline: "parts", file: "/w/p.etl.ts", source: "legacy:PARTS", target: "warehouse:public.parts", mode: "upsert", key: ["MATNR"], targetKey: ["part_no"],
          estimatedRows: 12000, ddl: "CREATE TABLE public.parts (part_no text)", columns: [{ target: "part_no", mapping: "MATNR" }], dependsOn: [],
          problems: [{ severity: "error", code: "unknown-column", message: "pipeline parts, column x: no source column MATNX", pipeline: "parts" }],
        },
      ],
      problems: [{ severity: "error", code: "unknown-column", message: "pipeline parts, column x: no source column MATNX", pipeline: "parts" }],
    } as unknown as PlanReport;
    const md = planMarkdown(report);
    expect(md).toContain("## 1. parts");
    expect(md).toContain("legacy:PARTS → warehouse:public.parts (upsert), about 12,000 rows");
    expect(md).toContain("| part_no | `MATNR` |");
    expect(md).toContain("CREATE TABLE public.parts");
    expect(md.match(/no source column MATNX/g)).toHaveLength(1);
    expect(md).toContain("**1 error: a run would fail.**");
  });
});
