import { describe, expect, it } from "vitest";
import type { CompletionItem } from "vscode-languageserver";
import { completion, resolveCompletion } from "../completion.js";
import { TextDocument } from "vscode-languageserver-textdocument";
import { context, documentOf, findCursorPosition, fixture, pipelineInfo, pipelineSource, schemaIndex, textAt } from "./helper.js";

const complete = (source: string, ctx = context()) => {
  const { document, position } = fixture(source);
  return { items: completion(document, position, ctx).items, document };
};
const labels = (items: CompletionItem[]) => items.map((i) => i.label);
const LEGACY_CUSTOMER_COLUMNS = ["CUST_ID", "FIRST_NAME", "LAST_NAME", "EMAIL", "STATUS_CODE", "CREDIT_LIMIT", "VISITS", "CREATED_TXT", "UPDATED_AT", "REGION_ID"];

describe("fixtures", () => {
  it("findCursorPosition throws when the cursor is missing", () => {
    expect(() => findCursorPosition(`columns: { id: "id" }`)).toThrow(/no cursor/);
    expect(findCursorPosition(`a|b`)).toEqual({ text: "ab", offset: 1 });
  });
});

describe("completion: connections and tables", () => {
  it('connection names in connection: "…", with type and table count', () => {
    const { items } = complete(pipelineSource(`    id: "CUST_ID",`, "", `{ connection: "|", table: "CUSTOMERS" }`));
    expect(labels(items)).toEqual(["legacy", "warehouse"]);
    expect(items[0].detail).toBe("mysql · 3 tables");
    expect(items[1].detail).toBe("postgres · 2 tables");
  });

  it("an unreachable connection says so (and what the cache still has)", () => {
    const ctx = context({ schema: schemaIndex({ legacy: { status: "unreachable", error: "connect ECONNREFUSED" } }) });
    const { items } = complete(pipelineSource(`    id: "CUST_ID",`, "", `{ connection: "le|", table: "CUSTOMERS" }`), ctx);
    expect(items.find((i) => i.label === "legacy")?.detail).toBe("unreachable (cached: 3 tables)");
  });

  it('tables of the source connection in table: "…", schema-qualified outside the default schema, with row estimates', () => {
    const { items, document } = complete(pipelineSource(`    id: "CUST_ID",`, "", `{ connection: "legacy", table: "CUS|T" }`));
    expect(labels(items)).toEqual(["CUSTOMERS", "REGIONS", "archive.OLD_CUSTOMERS"]);
    expect(items[0].detail).toBe("table · 10 columns · ~12,500 rows · PK CUST_ID");
    expect(items[2].detail).toBe("table · 1 columns · rows unknown · PK ID");
    // The edit replaces the whole string content, not just the part before the cursor.
    expect(textAt(document, (items[0].textEdit as { range: never }).range)).toBe("CUST");
  });

  it("tables of the target connection in target.table", () => {
    const source = pipelineSource(`    id: "CUST_ID",`).replace(`table: "public.customers"`, `table: "|"`);
    expect(labels(complete(source).items)).toEqual(["customers", "staging.customers"]);
  });

  it("no tables when the connection has no schema yet", () => {
    const { items } = complete(pipelineSource(`    id: "CUST_ID",`, "", `{ connection: "nowhere", table: "|" }`));
    expect(items).toEqual([]);
  });
});

describe("completion: source columns wherever the API takes one", () => {
  const columnsAt = (body: string, extra = "") => complete(pipelineSource(body, extra)).items;

  it('the "…" shorthand in columns, each item with type, nullability, key and rows in its detail', () => {
    const items = columnsAt(`    id: "|",`);
    expect(labels(items)).toEqual(LEGACY_CUSTOMER_COLUMNS);
    const byLabel = Object.fromEntries(items.map((i) => [i.label, i]));
    expect(byLabel.CUST_ID.detail).toBe("int(11) · NOT NULL · PK · CUSTOMERS ~12,500 rows");
    expect(byLabel.EMAIL.detail).toBe("varchar(255) · NULL · CUSTOMERS ~12,500 rows");
    expect(byLabel.REGION_ID.detail).toBe("int(11) · NULL · FK → crm.REGIONS(ID) · CUSTOMERS ~12,500 rows");
    expect(byLabel.EMAIL.labelDetails).toEqual({ detail: " varchar(255)", description: undefined });
    expect(byLabel.UPDATED_AT.labelDetails).toEqual({ detail: " datetime", description: "NOT NULL" });
  });

  it.each([
    ["concat([\"…\"])", `    full_name: concat(["|"], " "),`],
    ["concat([\"… (unterminated, as typed)", `    full_name: concat(["|\n    email: "EMAIL",`],
    ["concat second part", `    full_name: concat(["FIRST_NAME", "L|"], " "),`],
    ["split", `    given: split("|", ", ", 1),`],
    ["lookup", `    status: lookup("|", { A: "ACTIVE" }, "UNKNOWN"),`],
    ["convert", `    created_on: convert("|", "date", { format: "yyyy-MM-dd" }),`],
    ["defaultTo", `    status: defaultTo("|", "ACTIVE"),`],
    ["nested defaultTo(convert(…))", `    visits: defaultTo(convert("|", "integer"), 0),`],
    ["remap", `    region_id: remap("|", "region"),`],
    ["a transform inside a when branch", `    tier: when("VISITS > 10", concat(["|"]), "LOW"),`],
  ])("%s", (_name, body) => {
    expect(labels(columnsAt(body))).toEqual(LEGACY_CUSTOMER_COLUMNS);
  });

  it("source.key", () => {
    const { items } = complete(pipelineSource(`    id: "CUST_ID",`, "", `{ connection: "legacy", table: "CUSTOMERS", key: ["|"] }`));
    expect(labels(items)).toEqual(LEGACY_CUSTOMER_COLUMNS);
  });

  it("incremental.cursor and idMap.key", () => {
    expect(labels(columnsAt(`    id: "CUST_ID",`, `\n  incremental: { cursor: "|" },`))).toEqual(LEGACY_CUSTOMER_COLUMNS);
    expect(labels(columnsAt(`    id: "CUST_ID",`, `\n  idMap: { entity: "customer", key: "|" },`))).toEqual(LEGACY_CUSTOMER_COLUMNS);
  });

  it("a when() branch string is a literal, not a column: no completion there", () => {
    expect(columnsAt(`    tier: when("VISITS > 10", "HI|GH", "LOW"),`)).toEqual([]);
  });

  it("sources: [...] with a source template reads the template's table", () => {
    const source = pipelineSource(`    id: "|",`).replace(
      `source: { connection: "legacy", table: "CUSTOMERS", key: "CUST_ID" },`,
      `source: { table: "CUSTOMERS", key: "CUST_ID" },\n  sources: [{ connection: "legacy", tenant: "a" }, { connection: "legacy", tenant: "b" }],`,
    );
    expect(labels(complete(source).items)).toEqual(LEGACY_CUSTOMER_COLUMNS);
  });

  it("a value position after `name:` offers the columns as quoted strings", () => {
    const { items } = complete(pipelineSource(`    email: |\n`));
    expect(items.find((i) => i.label === "EMAIL")?.textEdit?.newText).toBe('"EMAIL"');
  });

  it("resolve adds the hover text as documentation", () => {
    const { items } = complete(pipelineSource(`    id: "|",`));
    const resolved = resolveCompletion(items.find((i) => i.label === "REGION_ID")!, context());
    expect((resolved.documentation as { value: string }).value).toContain("foreign key → `crm.REGIONS(ID)`");
  });
});

describe("completion: long lists with the client's list defaults", () => {
  it("tables come as shared items with itemDefaults.editRange and data; resolve still finds each table", () => {
    const { document, position } = fixture(pipelineSource(`    id: "CUST_ID",`, "", `{ connection: "legacy", table: "CU|" }`));
    const result = completion(document, position, context(), { itemDefaults: ["editRange", "data", "commitCharacters"] });
    expect(textAt(document, result.itemDefaults!.editRange as never)).toBe("CU");
    expect(result.itemDefaults!.data).toEqual({ kind: "table", connection: "legacy" });
    expect(result.items.every((i) => i.textEdit === undefined && i.data === undefined)).toBe(true);
    expect(labels(result.items)).toEqual(["CUSTOMERS", "REGIONS", "archive.OLD_CUSTOMERS"]);
    // The client merges the defaults into the item it resolves.
    const resolved = resolveCompletion({ ...result.items[2], data: result.itemDefaults!.data }, context());
    expect((resolved.documentation as { value: string }).value).toContain("**archive.OLD_CUSTOMERS** — table on `legacy`");
  });

  it("columns too; the same (cached) items come back for the next request", () => {
    const first = fixture(pipelineSource(`    id: "|",`));
    const a = completion(first.document, first.position, context(), { itemDefaults: ["editRange", "data"] });
    const second = fixture(pipelineSource(`    full_name: concat(["FIRST_NAME", "|"]),`));
    const b = completion(second.document, second.position, context(), { itemDefaults: ["editRange", "data"] });
    expect(b.items).toBe(a.items);
    expect(b.itemDefaults!.data).toEqual({ kind: "column", connection: "legacy", table: "crm.CUSTOMERS" });
    expect((resolveCompletion({ ...b.items[9], data: b.itemDefaults!.data }, context()).documentation as { value: string }).value).toContain("**REGION_ID**");
  });
});

describe("completion: edits to the same document", () => {
  it("a new version is re-parsed (incrementally) and completes for the new text", () => {
    const { text, offset } = findCursorPosition(pipelineSource(`    id: "|",`));
    const document = documentOf(text);
    expect(labels(completion(document, document.positionAt(offset), context()).items)).toEqual(LEGACY_CUSTOMER_COLUMNS);
    const edited = text.replace(`table: "CUSTOMERS"`, `table: "REGIONS"`);
    TextDocument.update(document, [{ text: edited }], 2);
    const moved = edited.indexOf(`id: "`) + 5;
    expect(labels(completion(document, document.positionAt(moved), context()).items)).toEqual(["ID", "NAME"]);
    TextDocument.update(document, [{ range: { start: document.positionAt(moved), end: document.positionAt(moved) }, text: "N" }], 3);
    expect(labels(completion(document, document.positionAt(moved + 1), context()).items)).toEqual(["ID", "NAME"]);
    expect(document.getText().slice(moved - 5, moved + 3)).toBe(`id: "N",`);
  });
});

describe("completion: target columns", () => {
  it("as property keys of columns: unmapped first, NOT NULL ones marked, mapped ones last", () => {
    const { items } = complete(pipelineSource(`    id: "CUST_ID",\n    email: "EMAIL",\n    |`));
    expect(labels(items).sort()).toEqual(["created_on", "credit_limit", "email", "full_name", "id", "row_id", "status", "tier", "updated_at", "visits"]);
    const sorted = [...items].sort((a, b) => a.sortText!.localeCompare(b.sortText!)).map((i) => i.label);
    expect(sorted.slice(0, 2)).toEqual(["full_name", "status"]);
    expect(sorted.slice(-2)).toEqual(["id", "email"]);
    const byLabel = Object.fromEntries(items.map((i) => [i.label, i]));
    expect(byLabel.full_name.labelDetails?.description).toBe("NOT NULL, required");
    expect(byLabel.tier.labelDetails?.description).toBe("NOT NULL");
    expect(byLabel.email.labelDetails?.description).toBe("mapped");
    expect(byLabel.full_name.textEdit?.newText).toBe("full_name: ");
  });

  it("while typing a key, the edit replaces the typed word; renaming an existing key keeps its value", () => {
    const { items, document } = complete(pipelineSource(`    id: "CUST_ID",\n    ful|`));
    const item = items.find((i) => i.label === "full_name")!;
    expect(textAt(document, (item.textEdit as { range: never }).range)).toBe("ful");
    expect(item.textEdit?.newText).toBe("full_name: ");
    const rename = complete(pipelineSource(`    id: "CUST_ID",\n    ema|l: "EMAIL",`));
    const email = rename.items.find((i) => i.label === "email")!;
    expect(textAt(rename.document, (email.textEdit as { range: never }).range)).toBe("emal");
    expect(email.textEdit?.newText).toBe("email");
  });

  it("target.key and idMap.column complete target columns", () => {
    const source = pipelineSource(`    id: "CUST_ID",`).replace(`key: ["id"]`, `key: ["|"]`);
    expect(labels(complete(source).items)).toContain("full_name");
    expect(labels(complete(pipelineSource(`    id: "CUST_ID",`, `\n  idMap: { entity: "c", key: "CUST_ID", column: "|" },`)).items)).toContain("row_id");
  });
});

describe("completion: expressions, dependsOn, schedule", () => {
  it('inside expr("…"): source columns and mathjs functions, replacing the word at the cursor', () => {
    const { items, document } = complete(pipelineSource(`    credit_limit: expr("CREDIT_LIMIT * 0.92 + VI|"),`));
    const names = labels(items);
    expect(names.slice(0, LEGACY_CUSTOMER_COLUMNS.length)).toEqual(LEGACY_CUSTOMER_COLUMNS);
    expect(names).toEqual(expect.arrayContaining(["round", "abs", "max", "sqrt"]));
    const visits = items.find((i) => i.label === "VISITS")!;
    expect(textAt(document, (visits.textEdit as { range: never }).range)).toBe("VI");
    expect(items.find((i) => i.label === "round")?.detail).toBe("mathjs function");
  });

  it('inside when("…") conditions too, but not inside a quoted string of the expression', () => {
    expect(labels(complete(pipelineSource(`    tier: when("STATUS_CODE == 'A' and |", "X", "Y"),`)).items)).toContain("STATUS_CODE");
    expect(complete(pipelineSource(`    tier: when("STATUS_CODE == 'A|'", "X", "Y"),`)).items).toEqual([]);
  });

  it("pipeline names in dependsOn (not itself, not those already listed)", () => {
    const ctx = context({ pipelines: [pipelineInfo("customers"), pipelineInfo("regions"), pipelineInfo("orders"), pipelineInfo("products")] });
    const { items } = complete(pipelineSource(`    id: "CUST_ID",`, `\n  dependsOn: ["orders", "|"],`), ctx);
    expect(labels(items).sort()).toEqual(["products", "regions"]);
    expect(items.find((i) => i.label === "regions")?.detail).toBe("regions.etl.ts");
  });

  it("cron presets in schedule", () => {
    const { items } = complete(pipelineSource(`    id: "CUST_ID",`, `\n  schedule: "|",`));
    expect(labels(items)).toEqual(["@hourly", "@daily", "@weekly", "@monthly", "@yearly", "*/15 * * * *", "0 2 * * *", "0 6 * * 1-5", "30 0 1 * *"]);
    expect(items[6].detail).toBe("every night at 02:00");
    expect(labels(complete(pipelineSource(`    id: "CUST_ID",`, `\n  schedule: { cron: "|" },`)).items)).toContain("@daily");
  });

  it("time zones in the schedule's timezone", () => {
    const names = labels(complete(pipelineSource(`    id: "CUST_ID",`, `\n  schedule: { cron: "@daily", timezone: "Europe/Be|" },`)).items);
    expect(names).toEqual(expect.arrayContaining(["UTC", "Europe/Berlin", "America/New_York"]));
  });

  it("nothing outside DataBridge positions (TypeScript's own completions stay in charge)", () => {
    expect(complete(`const x = "|";`).items).toEqual([]);
    expect(complete(pipelineSource(`    id: "CUST_ID",`).replace(`name: "customers"`, `name: "cust|omers"`)).items).toEqual([]);
  });
});
