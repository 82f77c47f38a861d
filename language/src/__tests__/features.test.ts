import { describe, expect, it } from "vitest";
import { codeLenses } from "../code-lens.js";
import { configDiagnostics, configHover } from "../config-features.js";
import { definition } from "../definition.js";
import { hover } from "../hover.js";
import { createLanguageContext } from "../language-context.js";
import { renderSchemaTypes } from "../schema-types.js";
import { context, documentOf, fixture, legacyCatalog, pipelineInfo, pipelineSource, schemaIndex, textAt } from "./helper.js";

const hoverAt = (source: string, ctx = context()) => {
  const { document, position } = fixture(source);
  const result = hover(document, position, ctx);
  return result && { value: (result.contents as { value: string }).value, text: result.range ? textAt(document, result.range) : undefined };
};

describe("hover", () => {
  it("a source column: full type, nullability, default, key, foreign key, table rows", () => {
    const result = hoverAt(pipelineSource(`    region: "REG|ION_ID",`));
    expect(result?.text).toBe("REGION_ID");
    expect(result?.value).toContain("**REGION_ID** `int(11)` — nullable");
    expect(result?.value).toContain("- table: `CUSTOMERS` on connection `legacy` (~12,500 rows)");
    expect(result?.value).toContain("- default: none");
    expect(result?.value).toContain("- foreign key → `crm.REGIONS(ID)`");
  });

  it("a key column says so; a target column key of columns shows the target's column", () => {
    expect(hoverAt(pipelineSource(`    id: "CUST|_ID",`))?.value).toContain("- primary key");
    const target = hoverAt(pipelineSource(`    ti|er: "STATUS_CODE",`));
    expect(target?.text).toBe("tier");
    expect(target?.value).toContain("**tier** `text` — NOT NULL");
    expect(target?.value).toContain("- default: `'basic'::text`");
  });

  it("a table: kind, rows, primary key, foreign keys and its columns", () => {
    const result = hoverAt(pipelineSource(`    id: "CUST_ID",`, "", `{ connection: "legacy", table: "CUSTO|MERS" }`));
    expect(result?.value).toContain("**CUSTOMERS** — table on `legacy` (mysql), ~12,500 rows");
    expect(result?.value).toContain("- foreign key REGION_ID → `crm.REGIONS(ID)`");
    expect(result?.value).toContain("| CUST_ID 🔑 | int(11) | no |  |");
  });

  it("a column inside an expression, and a mathjs function", () => {
    const column = hoverAt(pipelineSource(`    credit_limit: expr("round(CREDIT_LI|MIT * 0.92, 2)"),`));
    expect(column?.text).toBe("CREDIT_LIMIT");
    expect(column?.value).toContain("`decimal(12,4)`");
    expect(hoverAt(pipelineSource(`    credit_limit: expr("rou|nd(CREDIT_LIMIT * 0.92, 2)"),`))?.value).toBe("mathjs function `round`");
  });

  it("a connection, a schedule's next runs, a dependsOn name", () => {
    expect(hoverAt(pipelineSource(`    id: "CUST_ID",`, "", `{ connection: "leg|acy", table: "CUSTOMERS" }`))?.value)
      .toContain("connection **legacy** — mysql 10.11, 3 tables, default schema `crm`");
    expect(hoverAt(pipelineSource(`    id: "CUST_ID",`, `\n  schedule: "@dai|ly",`))?.value).toMatch(/^schedule `@daily`\n\nnext runs \(the runner's time zone; shown in UTC\): \d{4}-/);
    const zoned = hoverAt(pipelineSource(`    id: "CUST_ID",`, `\n  schedule: { cron: "0 2 * |* *", timezone: "Asia/Tokyo" },`))?.value;
    // 02:00 in Tokyo is 17:00 UTC the day before: the next runs are shown in the schedule's zone, and in UTC.
    expect(zoned).toMatch(/^schedule `0 2 \* \* \*`\n\nnext runs \(Asia\/Tokyo\): \d{4}-\d\d-\d\d 02:00:00 \(\d{4}-\d\d-\d\dT17:00:00\.000Z\), /);
    expect(hoverAt(pipelineSource(`    id: "CUST_ID",`, `\n  schedule: "0 2| * 13 *",`))?.value).toBe('invalid schedule: month "13" (field 4, at character 7) is not valid: 1–12 or JAN–DEC');
    const ctx = context({ pipelines: [pipelineInfo("regions", ["countries"])] });
    expect(hoverAt(pipelineSource(`    id: "CUST_ID",`, `\n  dependsOn: ["reg|ions"],`), ctx)?.value).toBe("pipeline **regions** in `regions.etl.ts`, after countries");
  });

  it("nothing on an unknown column", () => {
    expect(hoverAt(pipelineSource(`    id: "NO|PE",`))).toBeNull();
  });
});

describe("code lenses", () => {
  it("Run · Preview · Plan above each pipeline( call, with the pipeline and file as arguments", () => {
    const document = documentOf(pipelineSource(`    id: "CUST_ID",`), "file:///ws/pipelines/customers.etl.ts");
    const lenses = codeLenses(document);
    expect(lenses.map((l) => [l.command?.title, l.command?.command])).toEqual([
      ["▶ Run", "databridge.runPipeline"], ["Preview", "databridge.previewPipeline"], ["Plan", "databridge.planPipeline"],
    ]);
    expect(textAt(document, lenses[0].range)).toBe("pipeline");
    expect(lenses[0].range.start.line).toBe(2);
    expect(lenses[0].command?.arguments).toEqual([{ pipeline: "customers", uri: "file:///ws/pipelines/customers.etl.ts" }]);
  });
});

describe("go to definition", () => {
  it("from a dependsOn name to that pipeline's file", () => {
    const target = pipelineInfo("regions");
    const { document, position } = fixture(pipelineSource(`    id: "CUST_ID",`, `\n  dependsOn: ["regi|ons"],`));
    expect(definition(document, position, context({ pipelines: [target] }))).toEqual({ uri: target.uri, range: target.range });
  });

  it("from a connection name to its entry in databridge.config.ts", () => {
    const configText = `export default defineConfig({\n  connections: {\n    legacy: { url: "x" },\n  },\n});\n`;
    const ctx = createLanguageContext({ ...context(), config: { uri: "file:///ws/databridge.config.ts", text: configText, document: { connections: [{ name: "legacy", start: configText.indexOf("legacy"), end: configText.indexOf("legacy") + 6 }] } } });
    const { document, position } = fixture(pipelineSource(`    id: "CUST_ID",`, "", `{ connection: "lega|cy", table: "CUSTOMERS" }`));
    expect(definition(document, position, ctx)).toEqual({ uri: "file:///ws/databridge.config.ts", range: { start: { line: 2, character: 4 }, end: { line: 2, character: 10 } } });
  });
});

describe("databridge.config.ts", () => {
  const config = `import { defineConfig } from "@databridge/core";\nexport default defineConfig({\n  connections: {\n    legacy: { url: "mysql://root@db/legacy" },\n    warehouse: { url: "postgres://wh/dw" },\n  },\n});\n`;

  it("a warning on the name of an unreachable connection", () => {
    const document = documentOf(config, "file:///ws/databridge.config.ts");
    const ctx = context({ schema: schemaIndex({ warehouse: { status: "unreachable", error: "connect ECONNREFUSED" } }) });
    const found = configDiagnostics(document, ctx);
    expect(found.map((d) => [textAt(document, d.range), d.message])).toEqual([["warehouse", "connection warehouse is unreachable: connect ECONNREFUSED; using the schema cached 2025-01-01T00:00:00.000Z"]]);
  });

  it("hover on a connection name shows what introspection found", () => {
    const { document, position } = fixture(config.replace("legacy:", "leg|acy:"), "file:///ws/databridge.config.ts");
    expect((configHover(document, position, context())?.contents as { value: string }).value).toContain("mysql 10.11: 3 tables, default schema `crm`");
  });
});

describe("generated types", () => {
  it("declares connections → tables (bare in the default schema, qualified everywhere) → typed columns", () => {
    const text = renderSchemaTypes({ legacy: legacyCatalog });
    expect(text).toContain('declare module "@databridge/core" {\n  interface DataBridgeSchema {\n    "legacy": {');
    expect(text).toContain('      "crm.CUSTOMERS": legacy_CUSTOMERS;\n      "CUSTOMERS": legacy_CUSTOMERS;');
    expect(text).toContain('      "archive.OLD_CUSTOMERS": legacy_archive_OLD_CUSTOMERS;');
    expect(text).not.toContain('"OLD_CUSTOMERS": legacy_archive');
    expect(text).toContain('  /** int(11) · NOT NULL · PK */\n  "CUST_ID": number;');
    expect(text).toContain('  "CREDIT_LIMIT": string | null;');
    expect(text).toContain('  "UPDATED_AT": Date;');
  });
});
