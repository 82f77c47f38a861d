import { describe, expect, it } from "vitest";
import { DiagnosticSeverity, type Diagnostic } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { codeActions } from "../code-actions.js";
import { diagnostics } from "../diagnostics.js";
import { createLanguageContext, type LanguageContext } from "../language-context.js";
import { context, documentOf, pipelineInfo, pipelineSource, schemaIndex, textAt } from "./helper.js";

/** Every required target column mapped cleanly (tier has a default, row_id is generated). */
const CLEAN = `    id: "CUST_ID",
    full_name: defaultTo(concat(["FIRST_NAME", "LAST_NAME"], " "), "?"),
    status: lookup("STATUS_CODE", { A: "ACTIVE" }, "UNKNOWN"),`;

function check(text: string, ctx: LanguageContext = context()) {
  const document = documentOf(text);
  const found = diagnostics(document, ctx);
  return { document, found, view: found.map((d) => ({ code: d.code, text: textAt(document, d.range), message: d.message, severity: d.severity })) };
}

const applyFix = (document: TextDocument, diagnostic: Diagnostic, title?: string) => {
  const actions = codeActions(document, { textDocument: { uri: document.uri }, range: diagnostic.range, context: { diagnostics: [diagnostic] } });
  const action = title ? actions.find((a) => a.title === title) : actions[0];
  if (!action) throw new Error(`no code action${title ? ` "${title}"` : ""}; got ${actions.map((a) => a.title).join(", ")}`);
  const edits = [...action.edit!.changes![document.uri]].sort((a, b) => document.offsetAt(b.range.start) - document.offsetAt(a.range.start));
  let text = document.getText();
  for (const edit of edits) text = text.slice(0, document.offsetAt(edit.range.start)) + edit.newText + text.slice(document.offsetAt(edit.range.end));
  return { action, text };
};

describe("diagnostics", () => {
  it("a clean pipeline has none", () => {
    expect(check(pipelineSource(CLEAN)).view).toEqual([]);
  });

  it("a source filter (source.where) is SQL of the source, not a column: no diagnostic, and the key beside it is still checked", () => {
    const filtered = `{ connection: "legacy", table: "CUSTOMERS", key: "CUST_ID", where: "STATUS_CODE = 'A' AND NOT_A_COLUMN_NAME IS NULL" }`;
    expect(check(pipelineSource(CLEAN, "", filtered)).view).toEqual([]);
    const misspelled = `{ connection: "legacy", table: "CUSTOMERS", key: "CUST_IDD", where: "STATUS_CODE = 'A'" }`;
    expect(check(pipelineSource(CLEAN, "", misspelled)).view.map((d) => [d.code, d.text])).toEqual([["unknown-source-column", "CUST_IDD"]]);
  });

  it("unknown connection, with a did-you-mean fix", () => {
    const { view, found, document } = check(pipelineSource(CLEAN, "", `{ connection: "legasy", table: "CUSTOMERS", key: "CUST_ID" }`));
    expect(view).toEqual([{ code: "unknown-connection", text: "legasy", message: 'unknown connection "legasy" (did you mean "legacy"?)', severity: DiagnosticSeverity.Error }]);
    expect(applyFix(document, found[0]).text).toContain(`connection: "legacy"`);
  });

  it("an unreachable connection is a warning on its name; the cached schema still checks columns", () => {
    const ctx = context({ schema: schemaIndex({ legacy: { status: "unreachable", error: "connect ECONNREFUSED 10.0.0.9:3306" } }) });
    const { view } = check(pipelineSource(`${CLEAN}\n    email: "EMAIL_ADDR",`), ctx);
    expect(view[0]).toEqual({
      code: "unreachable-connection", text: "legacy", severity: DiagnosticSeverity.Warning,
      message: "connection legacy is unreachable: connect ECONNREFUSED 10.0.0.9:3306; using the schema cached 2025-01-01T00:00:00.000Z",
    });
    expect(view.map((d) => d.code)).toContain("unknown-source-column");
  });

  it("unknown table, with a did-you-mean fix; a missing target with create: true is fine", () => {
    const { view, found, document } = check(pipelineSource(CLEAN, "", `{ connection: "legacy", table: "CUSTOMRS", key: "CUST_ID" }`));
    expect(view).toEqual([{ code: "unknown-table", text: "CUSTOMRS", message: 'source table CUSTOMRS does not exist on connection legacy (did you mean "CUSTOMERS"?)', severity: DiagnosticSeverity.Error }]);
    expect(applyFix(document, found[0]).text).toContain(`table: "CUSTOMERS"`);
    const created = pipelineSource(CLEAN).replace(`table: "public.customers", mode: "upsert"`, `table: "public.clients", create: true, mode: "upsert"`);
    expect(check(created).view).toEqual([]);
  });

  it("a misspelled source column: exact range on the literal, did-you-mean fix; fixing clears it", () => {
    const text = pipelineSource(`    id: "CUST_ID",\n    full_name: concat(["FRIST_NAME", "LAST_NAME"], " "),\n    status: "STATUS_CODE",`);
    const { found, document } = check(text);
    const unknown = found.filter((d) => d.code === "unknown-source-column");
    expect(unknown).toHaveLength(1);
    const start = document.positionAt(text.indexOf("FRIST_NAME"));
    expect(unknown[0].range).toEqual({ start, end: { line: start.line, character: start.character + 10 } });
    expect(unknown[0].message).toBe('source has no column "FRIST_NAME" (did you mean "FIRST_NAME"?)');
    const { action, text: fixed } = applyFix(document, unknown[0]);
    expect(action.title).toBe('Change to "FIRST_NAME"');
    expect(action.isPreferred).toBe(true);
    expect(check(fixed).found.filter((d) => d.code === "unknown-source-column")).toEqual([]);
  });

  it("the column of another table (a target column used as a source) is unknown too", () => {
    const { view } = check(pipelineSource(`${CLEAN}\n    email: "email",`));
    expect(view).toEqual([{ code: "unknown-source-column", text: "email", message: 'source has no column "email" (did you mean "EMAIL"?)', severity: DiagnosticSeverity.Error }]);
  });

  it("a misspelled target column (the key of columns), with a fix", () => {
    const { view, found, document } = check(pipelineSource(`${CLEAN}\n    emial: "EMAIL",`));
    expect(view).toEqual([{ code: "unknown-target-column", text: "emial", message: 'target table public.customers has no column "emial" (did you mean "email"?)', severity: DiagnosticSeverity.Error }]);
    expect(applyFix(document, found[0]).text).toContain(`    email: "EMAIL",`);
  });

  it("NOT NULL target columns without a default left unmapped: on `columns`, with add-mapping fixes that clear them", () => {
    const text = pipelineSource(`    id: "CUST_ID",\n    email: "EMAIL",`);
    const { view, found, document } = check(text);
    expect(view).toEqual([
      { code: "unmapped-not-null", text: "columns", severity: DiagnosticSeverity.Error, message: "target column full_name (character varying(200)) is NOT NULL without a default and is not mapped" },
      { code: "unmapped-not-null", text: "columns", severity: DiagnosticSeverity.Error, message: "target column status (character varying(20)) is NOT NULL without a default and is not mapped" },
      { code: "lossy-length", text: "EMAIL", severity: DiagnosticSeverity.Warning, message: "values may be truncated or rejected: varchar(255) → character varying(100)" },
    ]);
    const one = applyFix(document, found[0]);
    expect(one.action.title).toBe("Add a mapping for full_name");
    expect(one.text).toContain(`    email: "EMAIL",\n    full_name: "",\n  },`);
    const all = codeActions(document, { textDocument: { uri: document.uri }, range: found[0].range, context: { diagnostics: found } });
    const both = all.find((a) => a.title === "Add mappings for all 2 unmapped NOT NULL columns")!;
    expect(both.edit!.changes![document.uri]).toEqual([{ range: { start: document.positionAt(text.indexOf(`"EMAIL",`) + 8), end: document.positionAt(text.indexOf(`"EMAIL",`) + 8) }, newText: `\n    full_name: "",\n    status: "",` }]);
  });

  it("the add-mapping fix picks a source column of the same name, and keeps a no-trailing-comma style", () => {
    const ctx = context();
    const text = pipelineSource(`    id: "CUST_ID",\n    full_name: "FIRST_NAME"`);
    const legacy = ctx.schema.catalog("legacy")!;
    const customers = { ...legacy.tables[0], columns: [...legacy.tables[0].columns, { name: "Status", nativeType: "varchar(10)", type: { kind: "string" as const, length: 10 }, nullable: false, default: null }] };
    const renamed = createLanguageContext({ ...ctx, schema: schemaIndex({ legacy: { catalog: { ...legacy, tables: [customers] } } }) });
    const { found, document } = check(text, renamed);
    const status = found.find((d) => d.code === "unmapped-not-null")!;
    const fix = applyFix(document, status, 'Map status from "Status"');
    expect(fix.text).toContain(`    full_name: "FIRST_NAME",\n    status: "Status"\n  },`);
    expect(check(fix.text, renamed).found.filter((d) => d.code === "unmapped-not-null")).toEqual([]);
  });

  it("lossy mappings: length, scale, integer narrowing, nullable into NOT NULL", () => {
    const { view } = check(pipelineSource(`    id: "CUST_ID",\n    full_name: "FIRST_NAME",\n    status: defaultTo("STATUS_CODE", "X"),\n    email: "EMAIL",\n    credit_limit: "CREDIT_LIMIT",\n    visits: "VISITS",`));
    expect(view.map((d) => [d.code, d.text, d.severity])).toEqual([
      ["lossy-nullability", "FIRST_NAME", DiagnosticSeverity.Warning],
      ["lossy-length", "EMAIL", DiagnosticSeverity.Warning],
      ["lossy-scale", "CREDIT_LIMIT", DiagnosticSeverity.Warning],
      ["lossy-integer", "VISITS", DiagnosticSeverity.Warning],
    ]);
    expect(view[2].message).toBe("decimal scale narrows: decimal(12,4) → numeric(12,2)");
    expect(view[3].message).toBe("integer narrows: bigint(20) → integer");
  });

  it("a mathjs expression that does not parse: at the character mathjs names", () => {
    const { view } = check(pipelineSource(`${CLEAN}\n    credit_limit: expr("CREDIT_LIMIT * "),`));
    expect(view).toHaveLength(1);
    expect(view[0].code).toBe("bad-expression");
    expect(view[0].message).toMatch(/^expression `CREDIT_LIMIT \* ` does not parse: Unexpected end of expression \(char 16\)/);
    expect(view[0].text).toBe(" ");
  });

  it("an expression calling what expressions may not use: on each refused call, naming it and what is allowed", () => {
    const { view } = check(pipelineSource(`${CLEAN}\n    credit_limit: expr("size(ones(1e9))[1] * 0 + round(CREDIT_LIMIT)"),`));
    expect(view.map((d) => [d.code, d.text, d.severity])).toEqual([["bad-expression", "size", DiagnosticSeverity.Error], ["bad-expression", "ones", DiagnosticSeverity.Error]]);
    expect(view[0].message).toMatch(/^expression `size\(ones\(1e9\)\)\[1\] \* 0 \+ round\(CREDIT_LIMIT\)` may not use indexing or properties `x\[…\]`, `x\.y`, `size` or `ones`: expressions compute one value from the row with .*round.* \(do anything else in a query source or a plugin transform\)$/);
    // Without a refused call (an assignment), the whole expression is marked.
    const assignment = check(pipelineSource(`${CLEAN}\n    credit_limit: expr("CREDIT_LIMIT = 1"),`)).view;
    expect(assignment.map((d) => [d.code, d.text])).toEqual([["bad-expression", "CREDIT_LIMIT = 1"]]);
    expect(assignment[0].message).toMatch(/may not use assignments `a = …`/);
  });

  it("an unknown column inside an expression: on the symbol itself, with a fix", () => {
    const text = pipelineSource(`${CLEAN}\n    credit_limit: expr("CREDIT_LIMT * 0.92"),\n    tier: when("VISTS > 10 and VISTS < 99", "HIGH", "LOW"),`);
    const { view, found, document } = check(text);
    expect(view).toEqual([
      { code: "unknown-source-column", text: "CREDIT_LIMT", severity: DiagnosticSeverity.Error, message: 'source has no column "CREDIT_LIMT" (did you mean "CREDIT_LIMIT"?)' },
      { code: "unknown-source-column", text: "VISTS", severity: DiagnosticSeverity.Error, message: 'source has no column "VISTS" (did you mean "VISITS"?)' },
      { code: "unknown-source-column", text: "VISTS", severity: DiagnosticSeverity.Error, message: 'source has no column "VISTS" (did you mean "VISITS"?)' },
    ]);
    expect(applyFix(document, found[0]).text).toContain(`expr("CREDIT_LIMIT * 0.92")`);
    // mathjs functions are not columns
    expect(check(pipelineSource(`${CLEAN}\n    credit_limit: expr("round(CREDIT_LIMIT * 0.92, 2)"),`)).view.filter((d) => d.code === "unknown-source-column")).toEqual([]);
  });

  it("an invalid cron expression, underlined on the field at fault; presets and 5-field crons are fine", () => {
    const { view } = check(pipelineSource(CLEAN, `\n  schedule: "0 25 * * *",`));
    expect(view).toEqual([{ code: "invalid-schedule", text: "25", severity: DiagnosticSeverity.Error, message: 'schedule "0 25 * * *" hour "25" (field 2, at character 3) is not valid: 0–23' }]);
    expect(check(pipelineSource(CLEAN, `\n  schedule: "every day at 2am",`)).view).toEqual([expect.objectContaining({ code: "invalid-schedule", text: "every day at 2am" })]);
    expect(check(pipelineSource(CLEAN, `\n  schedule: "",`)).view).toEqual([expect.objectContaining({ code: "invalid-schedule", text: '""' })]);
    expect(check(pipelineSource(CLEAN, `\n  schedule: "@daily",`)).view).toEqual([]);
    expect(check(pipelineSource(CLEAN, `\n  schedule: "*/5 8-18 * * 1-5",`)).view).toEqual([]);
  });

  it("the long form: a second-level cron only with seconds: true, the time zone and each duration on its own literal", () => {
    expect(check(pipelineSource(CLEAN, `\n  schedule: { cron: "*/10 * * * * *" },`)).view).toEqual([
      expect.objectContaining({ code: "invalid-schedule", text: "*/10 * * * * *", message: expect.stringMatching(/has 6 fields, which makes the first one seconds.*seconds: true/) }),
    ]);
    expect(check(pipelineSource(CLEAN, `\n  schedule: { cron: "*/10 * * * * *", seconds: true, timezone: "Europe/Berlin", sla: "30m", retry: { runs: 3, backoff: "5m" } },\n  sla: "2h",`)).view).toEqual([]);
    const { view } = check(pipelineSource(CLEAN, `\n  schedule: { cron: "0 2 * 13 *", timezone: "Europe/Berln", sla: "half an hour", retry: { runs: 3, backoff: "5 min" } },\n  sla: "1x",`));
    expect(view.map((d) => [d.code, d.text])).toEqual([
      ["invalid-schedule", "13"], ["invalid-timezone", "Europe/Berln"], ["invalid-duration", "half an hour"], ["invalid-duration", "5 min"], ["invalid-duration", "1x"],
    ]);
    expect(view[1].message).toMatch(/did you mean "Europe\/Berlin"/);
  });

  it("unknown dependsOn (with a fix) and cyclic dependsOn", () => {
    const ctx = context({ pipelines: [pipelineInfo("regions"), pipelineInfo("orders", ["customers"])] });
    const { view, found, document } = check(pipelineSource(CLEAN, `\n  dependsOn: ["regoins", "orders"],`), ctx);
    expect(view).toEqual([
      { code: "unknown-dependency", text: "regoins", severity: DiagnosticSeverity.Error, message: 'dependsOn names unknown pipeline "regoins" (did you mean "regions"?)' },
      { code: "cyclic-dependency", text: "orders", severity: DiagnosticSeverity.Error, message: "dependsOn forms a cycle: customers → orders → customers" },
    ]);
    expect(applyFix(document, found[0]).text).toContain(`dependsOn: ["regions", "orders"]`);
  });

  it("keys, cursor and id-map key name real columns", () => {
    const text = pipelineSource(CLEAN, `\n  incremental: { cursor: "UPDATE_AT" },\n  idMap: { entity: "customer", key: "CUSTID" },`, `{ connection: "legacy", table: "CUSTOMERS", key: "CUST_NO" }`)
      .replace(`key: ["id"]`, `key: ["ident"]`);
    const { view } = check(text);
    expect(view.map((d) => [d.code, d.text, d.message])).toEqual([
      ["unknown-source-column", "CUST_NO", 'source has no column "CUST_NO" (did you mean "CUST_ID"?) (source key)'],
      ["unknown-target-column", "ident", 'target table public.customers has no column "ident" (target key)'],
      ["unknown-source-column", "UPDATE_AT", 'source has no column "UPDATE_AT" (did you mean "UPDATED_AT"?) (incremental cursor)'],
      ["unknown-source-column", "CUSTID", 'source has no column "CUSTID" (did you mean "CUST_ID"?) (id-map key)'],
    ]);
  });

  it("a nullable incremental cursor is a warning on the cursor; a NOT NULL one is clean", () => {
    const withCursor = (cursor: string) => pipelineSource(CLEAN, `\n  incremental: { cursor: "${cursor}" },`, `{ connection: "legacy", table: "CUSTOMERS", key: "CUST_ID" }`);
    expect(check(withCursor("CREATED_TXT")).view).toEqual([{
      code: "nullable-cursor", text: "CREATED_TXT", severity: DiagnosticSeverity.Warning,
      message: "incremental cursor CREATED_TXT is nullable: rows where it is NULL are never synced (make it NOT NULL, or backfill it)",
    }]);
    expect(check(withCursor("UPDATED_AT")).view).toEqual([]);
  });

  it("an unregistered transform is an error once the workspace's plugins are known", () => {
    const text = pipelineSource(`${CLEAN}\n    email: transform("maskEmail", "EMAIL"),`).replace("import {", "import { transform,");
    expect(check(text).view).toEqual([{ code: "unknown-transform", text: "maskEmail", severity: DiagnosticSeverity.Error, message: 'unknown transform "maskEmail"' }]);
    expect(check(text, { ...context(), transformsComplete: false }).view).toEqual([]);
  });

  it("without a schema, only schema-free checks run", () => {
    const ctx = createLanguageContext({ pipelines: [] });
    expect(check(pipelineSource(`    id: "NOPE",`, `\n  schedule: "bogus",`), ctx).view.map((d) => d.code)).toEqual(["invalid-schedule"]);
  });

  it("the same pipeline name in another file", () => {
    const ctx = context({ pipelines: [pipelineInfo("customers", [], "file:///ws/pipelines/other.etl.ts")] });
    expect(check(pipelineSource(CLEAN), ctx).view).toEqual([{ code: "duplicate-pipeline", text: "customers", severity: DiagnosticSeverity.Error, message: 'pipeline name "customers" is also used by other.etl.ts' }]);
  });
});
