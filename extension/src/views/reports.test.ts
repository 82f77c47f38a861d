import { describe, expect, it } from "vitest";
import type { PlanReport, PreviewResult } from "@databridge/core/runner-protocol";
import { planMarkdown, previewMarkdown, rejectsMarkdown, verifyReportWebviewHtml } from "./reports.js";

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

describe("rejectsMarkdown", () => {
  it("lists each rejected row with its key, where it failed, why, and its source row", () => {
    const md = rejectsMarkdown("run-9", {
      total: 2, source: "ledger",
      rows: [
        { pipeline: "notes", tenant: null, batch: 1, key: [17], row: { id: 17, body: null }, stage: "load", column: "body", code: "23502", message: "null value in column \"body\" violates not-null constraint", at: null },
        { pipeline: "notes", tenant: null, batch: 2, key: [42], row: null, stage: "transform", column: null, code: null, message: "a | b", at: null },
      ],
    });
    expect(md).toContain("# Rejected rows of run run-9");
    expect(md).toContain("| pipeline | key | batch | stage | column | code | error | source row |");
    expect(md).toContain('| notes | `[17]` | 1 | load | body | 23502 | null value in column "body" violates not-null constraint | {"id":17,"body":null} |');
    expect(md).toContain("| notes | `[42]` | 2 | transform |  |  | a \\| b | _not kept_ |");
    expect(rejectsMarkdown("run-9", { total: 0, rows: [], source: "ledger" })).toContain("This run has no rejected rows");
  });
});

describe("verifyReportWebviewHtml", () => {
  it("puts the runner's policy (no script, inline styles) into the document a webview shows", () => {
    expect(verifyReportWebviewHtml('<!doctype html>\n<html><head><title>x</title></head><body>ok</body></html>'))
      .toBe(`<!doctype html>\n<html><head>\n<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"><title>x</title></head><body>ok</body></html>`);
  });
});
