/**
 * Every built-in transform, compiled and run through the engine's real path: `previewPipeline`
 * resolves the pipeline against an embedded PostgreSQL (PGlite) source, compiles the mappings once
 * and transforms the rows the connector actually returns (numeric as exact text, int8 as text, …).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineConfig } from "../authoring/config.js";
import { pipeline, type ColumnMapping, type PipelineDefinition } from "../authoring/pipeline.js";
import { coalesce, concat, constant, convert, defaultTo, expr, lookup, lower, split, transform, trim, upper, when } from "../authoring/transforms.js";
import type { Connector } from "../connectors/connector.js";
import { DataBridgeError } from "../errors.js";
import { previewPipeline, type PreviewRow } from "../engine/preview.js";
import { planPipelines } from "../engine/plan.js";
import { runPipelines } from "../engine/run.js";
import type { ConnectionManager } from "../workspace/connections.js";
import { openConnections, type Workspace } from "../workspace/loader.js";
import { createRegistry } from "../workspace/registry.js";

const workspace: Workspace = {
  rootDir: process.cwd(),
  configPath: "(in memory)",
  config: defineConfig({ connections: { db: { url: "pglite:memory:" } } }),
  registry: createRegistry(),
};
let connections: ConnectionManager;
let db: Connector;

// One row per situation a transform must handle; ids keep the order.
const SOURCE_DDL = `CREATE TABLE src (
  id integer PRIMARY KEY,
  first_name text, last_name text, contact text, status_code varchar(2),
  qty integer, price numeric(10,2), a numeric(12,4), b numeric(12,4), big bigint,
  type_code text, city text, created_txt text, flag text, note text, meta jsonb)`;
const ROWS: unknown[][] = [
  [1, "Jürgen", "Müller", "Müller, Jürgen", "A", 3, "12.50", "0.1000", "0.2000", "9007199254740993", "P", "Zürich", "2023-02-28", "X", "  padded\t\n", '{"a": 1, "ü": [true, null]}'],
  [2, null, "Solo", null, null, null, null, null, "1.0000", null, null, null, null, null, null, null],
  [3, "", "", "", "Z", 0, "0.10", "-0.3000", "0.1000", "-9223372036854775808", "M", "Łódź", "2023-02-29", "", "straße", "[]"],
  [4, "Ærø", null, "Only", "I", 7, "19.99", "1.2345", "2.0000", "9223372036854775806", "p", "zürich", "0000-00-00", "n", "ÄÖÜ ǅ", '"text"'],
];

beforeAll(async () => {
  connections = openConnections(workspace, {});
  db = await connections.get("db");
  await db.query(SOURCE_DDL);
  const placeholders = ROWS[0].map((_, i) => `$${i + 1}`).join(", ");
  for (const row of ROWS) await db.query(`INSERT INTO src VALUES (${placeholders})`, row);
});

afterAll(async () => {
  await connections?.closeAll();
});

let counter = 0;
async function preview(columns: Record<string, ColumnMapping>, extra: Partial<PipelineDefinition> = {}): Promise<PreviewRow[]> {
  const definition = pipeline({
    name: `t${++counter}`,
    source: { connection: "db", table: "src", key: "id" },
    target: { connection: "db", table: `out_${counter}`, create: true },
    columns: { id: "id", ...columns },
    ...extra,
  });
  const result = await previewPipeline(workspace, { pipeline: definition, file: `t${counter}.etl.ts` }, connections, 100);
  expect(result.rows.map((r) => r.key)).toEqual(ROWS.map((r) => [r[0]]));
  return result.rows;
}

/** The transformed value of one target column, per source row (an `Error: …` string for a rejected row). */
async function values(mapping: ColumnMapping): Promise<unknown[]> {
  const rows = await preview({ out: mapping });
  return rows.map((r) => (r.target ? r.target.out : `Error: ${r.error?.column}: ${r.error?.message}`));
}

describe("concat", () => {
  it("joins with the separator, skips NULL parts, keeps empty strings, and is NULL when every part is NULL", async () => {
    expect(await values(concat(["first_name", "last_name"], " "))).toEqual(["Jürgen Müller", "Solo", " ", "Ærø"]);
    expect(await values(concat(["first_name", "contact"]))).toEqual(["JürgenMüller, Jürgen", null, "", "ÆrøOnly"]);
  });

  it("renders JSON values as the database's JSON text (never [object Object]; a string scalar keeps its quotes)", async () => {
    expect(await values(concat(["status_code", "meta"], ":"))).toEqual(['A:{"a": 1, "ü": [true, null]}', null, "Z:[]", 'I:"text"']);
    expect(await values(upper("meta"))).toEqual(['{"A": 1, "Ü": [TRUE, NULL]}', null, "[]", '"TEXT"']);
  });

  it("accepts nested transforms and non-text values", async () => {
    expect(await values(concat([upper("status_code"), "qty", "price"], "|"))).toEqual(["A|3|12.50", null, "Z|0|0.10", "I|7|19.99"]);
  });
});

describe("split", () => {
  it("takes the n-th part, negative from the end; a missing part or a NULL input is NULL", async () => {
    expect(await values(split("contact", ", ", 0))).toEqual(["Müller", null, "", "Only"]);
    expect(await values(split("contact", ", ", 1))).toEqual(["Jürgen", null, null, null]);
    expect(await values(split("contact", ", ", -1))).toEqual(["Jürgen", null, "", "Only"]);
    expect(await values(split("city", "ü", 0))).toEqual(["Z", null, "Łódź", "z"]);
  });
});

describe("lookup", () => {
  it("maps values, uses the default for unmatched values and for NULL", async () => {
    expect(await values(lookup("status_code", { A: "ACTIVE", I: "INACTIVE" }, "UNKNOWN"))).toEqual(["ACTIVE", "UNKNOWN", "UNKNOWN", "INACTIVE"]);
  });

  it("looks numbers up by their text and may map to non-string values", async () => {
    expect(await values(lookup("qty", { 0: false, 3: true, 7: true }))).toEqual([true, null, false, true]);
  });

  it("without a default, NULL stays NULL and an unmatched value rejects the row naming the column and the value", async () => {
    const rows = await preview({ status: lookup("status_code", { A: "ACTIVE", I: "INACTIVE" }) });
    expect(rows.map((r) => r.target?.status ?? null)).toEqual(["ACTIVE", null, null, "INACTIVE"]);
    expect(rows[2].target).toBeUndefined();
    expect(rows[2].error).toEqual({ column: "status_code", message: 'no lookup entry for "Z" and no default' });
  });
});

describe("expr (exact decimals)", () => {
  it("NUMERIC(10,2) × INTEGER is exact: 12.50 × 3 = 37.5", async () => {
    expect(await values(expr("price * qty"))).toEqual(["37.5", null, "0", "139.93"]);
  });

  it("0.1 + 0.2 = 0.3 for columns and for literals", async () => {
    expect(await values(expr("a + b"))).toEqual(["0.3", null, "-0.2", "3.2345"]);
    expect(await values(expr("0.1 + 0.2"))).toEqual(["0.3", "0.3", "0.3", "0.3"]);
  });

  it("BIGINT beyond 2^53 keeps every digit", async () => {
    expect(await values(expr("big + 1"))).toEqual(["9007199254740994", null, "-9223372036854775807", "9223372036854775807"]);
    expect(await values(expr("big * 10"))).toEqual(["90071992547409930", null, "-92233720368547758080", "92233720368547758060"]);
  });

  it("NULL in any input makes the result NULL (SQL semantics), and division stays exact", async () => {
    expect(await values(expr("price / 4 + qty"))).toEqual(["6.125", null, "0.025", "11.9975"]);
  });

  it("the result equals PostgreSQL's own arithmetic on the same values", async () => {
    const ours = await values(expr("price * qty + a - b"));
    const { rows } = await db.query<{ v: string | null }>("SELECT (price * qty + a - b)::text AS v FROM src ORDER BY id");
    const normalize = (v: unknown) => (v === null ? null : String(v).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, ""));
    expect(ours.map(normalize)).toEqual(rows.map((r) => normalize(r.v)));
  });
});

describe("when", () => {
  it("compares strings exactly (case and accents matter), including non-ASCII", async () => {
    expect(await values(when("type_code == 'P'", "PURCHASED", "MANUFACTURED"))).toEqual(["PURCHASED", "MANUFACTURED", "MANUFACTURED", "MANUFACTURED"]);
    expect(await values(when("city == 'Zürich'", "ZH", "other"))).toEqual(["ZH", "other", "other", "other"]);
    expect(await values(when("city == 'Łódź'", "LDZ"))).toEqual([null, null, "LDZ", null]);
  });

  it("a comparison with a NULL value is false for == and != alike; `== null` tests for NULL", async () => {
    expect(await values(when("type_code != 'P'", "not P", "P or NULL"))).toEqual(["P or NULL", "P or NULL", "not P", "not P"]);
    expect(await values(when("price > 10", "big", "small"))).toEqual(["big", "small", "small", "big"]);
    expect(await values(when("type_code == null", "missing", "present"))).toEqual(["present", "missing", "present", "present"]);
    expect(await values(when("type_code != null", "present", "missing"))).toEqual(["present", "missing", "present", "present"]);
  });

  it("compares numbers exactly and nests: branches may be transforms", async () => {
    expect(await values(when("price >= 12.5", concat(["city", "status_code"], "/"), when("qty == 0", "zero", lower("city")))))
      .toEqual(["Zürich/A", null, "zero", "zürich/I"]);
    expect(await values(when("a + b == 0.3", "exact", "inexact"))).toEqual(["exact", "inexact", "inexact", "inexact"]);
  });

  it("a broken expression limit rejects the row even when an input is NULL (it is no NULL comparison)", async () => {
    // Row 2 has a NULL `a` and (10·b)^5000 = 1e5000; row 3 stays in range.
    const beyond = (about: string) => `Error: out: expression \`(10 * b) ^ 5000 > 1 or a == null\` failed: \`(10 * b) ^ 5000\` is about ${about}, beyond the 1e±1000 an expression may hold`;
    expect(await values(when("(10 * b) ^ 5000 > 1 or a == null", "x", "y"))).toEqual([beyond("1e+1505"), beyond("1e+5000"), "y", beyond("1e+6505")]);
  });
});

describe("convert (in a pipeline)", () => {
  it("converts a column; a bad value rejects only its row, naming the column and the value", async () => {
    const rows = await preview({ created_on: convert("created_txt", "date") });
    expect(rows[0].target?.created_on).toBe("2023-02-28");
    expect(rows[1].target?.created_on).toBeNull();
    expect(rows[2].error).toEqual({ column: "created_txt", message: 'cannot convert "2023-02-29" to date: no such calendar date' });
    expect(rows[3].error).toEqual({ column: "created_txt", message: 'cannot convert "0000-00-00" to date: no such calendar date' });
  });

  it("converts the output of a nested transform, and rounds decimals to a scale", async () => {
    expect(await values(convert(trim("qty"), "integer"))).toEqual([3, null, 0, 7]);
    expect(await values(convert(expr("price / 3"), "decimal", { scale: 2 }))).toEqual(["4.17", null, "0.03", "6.66"]);
    expect(await values(convert("flag", "boolean", { trueValues: ["X"], falseValues: ["", "n"] }))).toEqual([true, null, false, false]);
    expect(await values(convert("big", "string"))).toEqual(["9007199254740993", null, "-9223372036854775808", "9223372036854775806"]);
  });

  it("an unknown convert type is a config error when the pipeline is compiled", async () => {
    await expect(preview({ out: convert("qty", "money" as never) })).rejects.toThrow(/convert type must be one of string, integer, .*json \(got "money"\)/);
  });
});

describe("defaultTo, constant, coalesce", () => {
  it("defaultTo replaces NULL only (an empty string is a value)", async () => {
    expect(await values(defaultTo("first_name", "N/A"))).toEqual(["Jürgen", "N/A", "", "Ærø"]);
    expect(await values(defaultTo(upper("status_code"), "DRAFT"))).toEqual(["A", "DRAFT", "Z", "I"]);
  });

  it("constant is the same value for every row, NULL and non-string values included", async () => {
    expect(await values(constant("district-12"))).toEqual(["district-12", "district-12", "district-12", "district-12"]);
    expect(await values(constant(null))).toEqual([null, null, null, null]);
    expect(await values(constant(42))).toEqual([42, 42, 42, 42]);
  });

  it("coalesce returns the first non-NULL part (empty strings count), else NULL", async () => {
    expect(await values(coalesce(["first_name", "last_name", "city"]))).toEqual(["Jürgen", "Solo", "", "Ærø"]);
    expect(await values(coalesce(["contact", "type_code"]))).toEqual(["Müller, Jürgen", null, "", "Only"]);
    expect(await values(coalesce(["status_code", constant("none")]))).toEqual(["A", "none", "Z", "I"]);
  });
});

describe("trim, upper, lower", () => {
  it("trim removes blanks, tabs and newlines at both ends; NULL stays NULL", async () => {
    expect(await values(trim("note"))).toEqual(["padded", null, "straße", "ÄÖÜ ǅ"]);
  });

  it("upper and lower handle non-ASCII letters", async () => {
    expect(await values(upper("note"))).toEqual(["  PADDED\t\n", null, "STRASSE", "ÄÖÜ Ǆ"]);
    expect(await values(lower("city"))).toEqual(["zürich", null, "łódź", "zürich"]);
    expect(await values(upper(concat(["first_name", "last_name"], " ")))).toEqual(["JÜRGEN MÜLLER", "SOLO", " ", "ÆRØ"]);
  });
});

describe("mapping errors are caught before any row is read", () => {
  it("an unknown source column names the pipeline and the closest column", async () => {
    const error = await preview({ name: concat(["first_nme", "last_name"]) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataBridgeError);
    expect((error as DataBridgeError).kind).toBe("config");
    expect((error as DataBridgeError).toLine()).toMatch(/^pipeline t\d+.*: source has no column "first_nme" \(did you mean "first_name"\?\)/);
  });

  it("an unknown transform and an expression that does not parse are config errors naming them", async () => {
    await expect(preview({ out: transform("uppr", "city") })).rejects.toThrow(/unknown transform "uppr" \(did you mean "upper"\?\)/);
    await expect(preview({ out: expr("price * (qty") })).rejects.toThrow(/expression `price \* \(qty` does not parse/);
  });
});

describe("create: true — the column types transforms declare", () => {
  const columns = {
    id: "id",
    status: lookup("status_code", { A: "ACTIVE", I: "INACTIVE" }, "NOT_AVAILABLE"),
    total: expr("price * qty"),
    cheap: expr("price < 1"),
    country: defaultTo("status_code", "DEU"),
    active: defaultTo(convert("flag", "boolean", { trueValues: ["X"], falseValues: ["", "n"] }), false),
    amount: coalesce(["qty", constant(0)]),
    label: trim("status_code"),
    shout: upper("first_name"),
    name: concat(["first_name", "last_name"], " "),
  } satisfies Record<string, ColumnMapping>;

  it("plan shows DDL with types inferred through nested transforms, defaults and expressions", async () => {
    const definition = pipeline({ name: "typed", source: { connection: "db", table: "src", key: "id" }, target: { connection: "db", table: "typed_out", create: true }, columns });
    const report = await planPipelines(workspace, [{ pipeline: definition, file: "typed.etl.ts" }], connections);
    expect(report.problems).toEqual([]);
    expect(report.pipelines[0].ddl).toBe([
      'CREATE TABLE "public"."typed_out" (',
      '  "id" integer NOT NULL,',
      '  "status" varchar(13),',
      '  "total" numeric,',
      '  "cheap" boolean,',
      '  "country" varchar(3),',
      '  "active" boolean,',
      '  "amount" integer,',
      '  "label" varchar(2),',
      '  "shout" text,',
      '  "name" text,',
      '  PRIMARY KEY ("id")',
      ")",
    ].join("\n"));
  });

  it("the created table takes every transformed value (a default longer than the lookup's entries included)", async () => {
    const definition = pipeline({
      name: "typed-run", source: { connection: "db", table: "src", key: "id" }, target: { connection: "db", table: "typed_run", create: true }, columns, onError: "skip",
    });
    const result = await runPipelines(workspace, [{ pipeline: definition, file: "typed-run.etl.ts" }], { connections, env: {} });
    expect(result.error?.toLine()).toBeUndefined();
    expect(result.rows).toEqual({ read: 4, written: 4, rejected: 0 });
    const { rows } = await db.query<Record<string, unknown>>("SELECT id, status, total::text AS total, cheap, country, active, amount, shout FROM typed_run ORDER BY id");
    expect(rows).toEqual([
      { id: 1, status: "ACTIVE", total: "37.5", cheap: false, country: "A", active: true, amount: 3, shout: "JÜRGEN" },
      { id: 2, status: "NOT_AVAILABLE", total: null, cheap: null, country: "DEU", active: false, amount: 0, shout: null },
      { id: 3, status: "NOT_AVAILABLE", total: "0", cheap: true, country: "Z", active: false, amount: 0, shout: "" },
      { id: 4, status: "INACTIVE", total: "139.93", cheap: false, country: "I", active: false, amount: 7, shout: "ÆRØ" },
    ]);
  });
});
