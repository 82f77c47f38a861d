import { describe, it, expect } from "vitest";
import { pipeline, type ColumnMapping, type PipelineDefinition } from "../authoring/pipeline.js";
import { concat, convert, expr, lookup, transform, when } from "../authoring/transforms.js";
import type { ColumnInfo, PortableType, TableInfo } from "../connectors/connector.js";
import { definePlugin } from "../authoring/plugin.js";
import { builtinTransforms } from "../transforms/builtin-transforms.js";
import { createRegistry } from "../workspace/registry.js";
import { analyzeMapping, conflictKeyProblems, lossyProblems, orderByDependencies, type Problem } from "./analysis.js";

const transforms = new Map(builtinTransforms.map((t) => [t.name, t]));

const col = (name: string, nativeType: string, type: PortableType, nullable = true, extra: Partial<ColumnInfo> = {}): ColumnInfo =>
  ({ name, nativeType, type, nullable, default: null, ...extra });

const sourceColumns = [
  col("id", "int(11)", { kind: "integer" }, false),
  col("first_name", "varchar(50)", { kind: "string", length: 50 }),
  col("last_name", "varchar(50)", { kind: "string", length: 50 }),
  col("status_code", "char(1)", { kind: "string", length: 1 }),
  col("quantity", "int(11)", { kind: "integer" }),
  col("unit_price", "decimal(10,2)", { kind: "decimal", precision: 10, scale: 2 }, false),
];

const targetTable = (columns: ColumnInfo[]): TableInfo => ({
  schema: "public", name: "customers", kind: "table", columns, primaryKey: ["id"], foreignKeys: [], indexes: [], estimatedRows: 0,
});

const target = targetTable([
  col("id", "integer", { kind: "integer" }, false),
  col("full_name", "character varying(120)", { kind: "string", length: 120 }),
  col("status", "text", { kind: "text" }),
  col("line_total", "numeric(14,2)", { kind: "decimal", precision: 14, scale: 2 }),
  col("created_at", "timestamp", { kind: "timestamp" }, false, { default: "now()" }),
  col("serial_no", "integer", { kind: "integer" }, false, { generated: true }),
]);

const make = (columns: Record<string, ColumnMapping>, extra: Partial<PipelineDefinition> = {}) => pipeline({
  name: "customers",
  source: { connection: "legacy", table: "legacy_customers", key: "id" },
  target: { connection: "warehouse", table: "public.customers" },
  columns,
  ...extra,
});

const codes = (problems: Problem[]) => problems.map((p) => `${p.severity}:${p.code}:${p.column ?? ""}`);

describe("analyzeMapping", () => {
  it("a clean mapping has no problems", () => {
    const problems = analyzeMapping({
      pipeline: make({ id: "id", full_name: concat(["first_name", "last_name"], " "), status: lookup("status_code", { A: "ACTIVE" }, "?"), line_total: expr("quantity * unit_price") }),
      sourceColumns, targetTable: target, transforms,
    });
    expect(problems).toEqual([]);
  });

  it("unknown source columns (direct, inside transforms, inside expressions) with did-you-mean", () => {
    const problems = analyzeMapping({
      pipeline: make({ id: "id", full_name: concat(["frist_name", "last_name"], " "), status: when("staus_code == 'A'", "ACTIVE", "OTHER"), line_total: "unitprice" }),
      sourceColumns, targetTable: target, transforms,
    });
    expect(problems).toEqual([
      { pipeline: "customers", severity: "error", code: "unknown-source-column", column: "full_name", subject: "frist_name", suggestion: "first_name", message: 'source has no column "frist_name" (did you mean "first_name"?)' },
      { pipeline: "customers", severity: "error", code: "unknown-source-column", column: "status", subject: "staus_code", suggestion: "status_code", message: 'source has no column "staus_code" (did you mean "status_code"?)' },
      { pipeline: "customers", severity: "error", code: "unknown-source-column", column: "line_total", subject: "unitprice", suggestion: "unit_price", message: 'source has no column "unitprice" (did you mean "unit_price"?)' },
    ]);
  });

  it("an unknown column with nothing close has no suggestion", () => {
    const [problem] = analyzeMapping({ pipeline: make({ id: "id", status: "zzzzzzzz" }), sourceColumns, targetTable: target, transforms });
    expect(problem.message).toBe('source has no column "zzzzzzzz"');
    expect(problem.suggestion).toBeUndefined();
  });

  it("unknown target columns with did-you-mean, naming the target table", () => {
    const problems = analyzeMapping({ pipeline: make({ id: "id", ful_name: "first_name" }), sourceColumns, targetTable: target, transforms });
    expect(problems).toEqual([{
      pipeline: "customers", severity: "error", code: "unknown-target-column", column: "ful_name", subject: "ful_name", suggestion: "full_name", table: "public.customers",
      message: 'target table public.customers has no column "ful_name" (did you mean "full_name"?)',
    }]);
  });

  it("an unknown source key column is reported", () => {
    const problems = analyzeMapping({ pipeline: make({ id: "id" }, { source: { connection: "legacy", table: "t", key: "ident" } }), sourceColumns, targetTable: target, transforms });
    expect(codes(problems)).toEqual(["error:unknown-source-column:ident"]);
  });

  it("a nullable incremental cursor of a table is a warning (its NULL rows are never read); a NOT NULL one, or a query's, is not", () => {
    const withCursor = [...sourceColumns, col("updated_at", "datetime", { kind: "timestamp" }), col("changed_at", "datetime", { kind: "timestamp" }, false)];
    const upsert = (extra: Partial<PipelineDefinition>) => make({ id: "id" }, { target: { connection: "warehouse", table: "public.customers", mode: "upsert" }, ...extra });
    const nullable = analyzeMapping({ pipeline: upsert({ incremental: { cursor: "updated_at" } }), sourceColumns: withCursor, targetTable: target, transforms });
    expect(codes(nullable)).toEqual(["warning:nullable-cursor:updated_at"]);
    expect(nullable[0].message).toContain("rows where it is NULL are never synced");
    expect(analyzeMapping({ pipeline: upsert({ incremental: { cursor: "changed_at" } }), sourceColumns: withCursor, targetTable: target, transforms })).toEqual([]);
    const query = upsert({ source: { connection: "legacy", query: "SELECT * FROM t", key: "id" }, incremental: { cursor: "updated_at" } });
    expect(codes(analyzeMapping({ pipeline: query, sourceColumns: withCursor, targetTable: target, transforms }))).toEqual(["info:unchecked-key:id"]);
  });

  it("NOT NULL target columns without a default that are not mapped; defaults, generated and engine columns are fine", () => {
    const strict = targetTable([
      ...target.columns,
      col("email", "character varying(200)", { kind: "string", length: 200 }, false),
      col("tenant_id", "text", { kind: "text" }, false),
    ]);
    const problems = analyzeMapping({ pipeline: make({ id: "id" }), sourceColumns, targetTable: strict, transforms, engineColumns: ["tenant_id"] });
    expect(problems).toEqual([{
      pipeline: "customers", severity: "error", code: "unmapped-not-null", column: "email", table: "public.customers",
      message: "target column email (character varying(200)) is NOT NULL without a default and is not mapped",
    }]);
  });

  it("unknown transforms and expressions that do not parse, also when nested", () => {
    const problems = analyzeMapping({
      pipeline: make({ id: "id", status: transform("lookupp", "status_code"), full_name: concat([when("quantity >", "a", "b"), "last_name"]) }),
      sourceColumns, targetTable: target, transforms,
    });
    expect(codes(problems)).toEqual(["error:unknown-transform:status", "error:bad-expression:full_name"]);
    expect(problems[0].message).toBe('unknown transform "lookupp" (did you mean "lookup"?)');
    expect(problems[1].subject).toBe("quantity >");
    expect(problems[1].message).toMatch(/^expression `quantity >` does not parse: /);
  });

  it("without catalogs (source or target unknown) only what can be known is checked", () => {
    expect(analyzeMapping({ pipeline: make({ id: "nope", x: transform("nope") }), transforms })).toEqual([
      { pipeline: "customers", severity: "error", code: "unknown-transform", column: "x", subject: "nope", message: 'unknown transform "nope"' },
    ]);
  });

  it("lossy conversions of direct column mappings are warnings naming both types", () => {
    const narrow = targetTable([
      col("id", "smallint", { kind: "smallint" }, false),
      col("full_name", "character varying(20)", { kind: "string", length: 20 }, false),
      col("line_total", "numeric(6,1)", { kind: "decimal", precision: 6, scale: 1 }),
    ]);
    const problems = analyzeMapping({ pipeline: make({ id: "id", full_name: "first_name", line_total: "unit_price" }), sourceColumns, targetTable: narrow, transforms });
    expect(problems.map((p) => [p.severity, p.code, p.column, p.subject, p.table, p.message])).toEqual([
      ["warning", "lossy-integer", "id", "id", "public.customers", "integer narrows: int(11) → smallint"],
      ["warning", "lossy-length", "full_name", "first_name", "public.customers", "values may be truncated or rejected: varchar(50) → character varying(20)"],
      ["warning", "lossy-nullability", "full_name", "first_name", "public.customers", "nullable source into NOT NULL column: NULLs will be rejected (varchar(50) → character varying(20))"],
      ["warning", "lossy-scale", "line_total", "unit_price", "public.customers", "decimal scale narrows: decimal(10,2) → numeric(6,1)"],
    ]);
  });
});

describe("lossyProblems: every rule", () => {
  const from = (type: PortableType, nativeType = type.kind, nullable = false) => ({ type, nativeType, nullable });
  const to = (type: PortableType, nativeType = type.kind, nullable = true, defaultValue: string | null = null) => ({ type, nativeType, nullable, default: defaultValue });
  const lossy = (a: ReturnType<typeof from>, b: ReturnType<typeof to>) => lossyProblems(a, b).map((p) => p.code);

  it("string lengths: shorter target, or an unbounded/unknown source into a bounded target", () => {
    expect(lossy(from({ kind: "string", length: 255 }), to({ kind: "string", length: 50 }))).toEqual(["lossy-length"]);
    expect(lossy(from({ kind: "text" }), to({ kind: "string", length: 50 }))).toEqual(["lossy-length"]);
    expect(lossy(from({ kind: "unknown" }), to({ kind: "string", length: 50 }))).toEqual(["lossy-length"]);
    expect(lossy(from({ kind: "string", length: 50 }), to({ kind: "string", length: 50 }))).toEqual([]);
    expect(lossy(from({ kind: "string", length: 255 }), to({ kind: "text" }))).toEqual([]);
    expect(lossy(from({ kind: "integer" }), to({ kind: "string", length: 5 }))).toEqual([]);
  });

  it("decimals: scale narrowing, then integer-digit narrowing", () => {
    expect(lossy(from({ kind: "decimal", precision: 10, scale: 4 }), to({ kind: "decimal", precision: 12, scale: 2 }))).toEqual(["lossy-scale"]);
    expect(lossyProblems(from({ kind: "decimal", precision: 12, scale: 2 }), to({ kind: "decimal", precision: 10, scale: 2 }))[0].message).toBe("decimal precision narrows: decimal → decimal");
    expect(lossy(from({ kind: "decimal" }), to({ kind: "decimal", precision: 10, scale: 2 }))).toEqual(["lossy-scale"]);
    expect(lossy(from({ kind: "decimal", precision: 10, scale: 2 }), to({ kind: "decimal", precision: 12, scale: 2 }))).toEqual([]);
    expect(lossy(from({ kind: "decimal", precision: 10, scale: 2 }), to({ kind: "decimal" }))).toEqual([]);
  });

  it("integers: narrower integer, decimals with a fraction or too many digits, floats", () => {
    expect(lossy(from({ kind: "bigint" }), to({ kind: "integer" }))).toEqual(["lossy-integer"]);
    expect(lossy(from({ kind: "integer" }), to({ kind: "smallint" }))).toEqual(["lossy-integer"]);
    expect(lossy(from({ kind: "integer" }), to({ kind: "bigint" }))).toEqual([]);
    expect(lossy(from({ kind: "decimal", precision: 10, scale: 2 }), to({ kind: "bigint" }))).toEqual(["lossy-integer"]);
    expect(lossy(from({ kind: "decimal", precision: 12, scale: 0 }), to({ kind: "integer" }))).toEqual(["lossy-integer"]);
    expect(lossy(from({ kind: "decimal", precision: 9, scale: 0 }), to({ kind: "integer" }))).toEqual([]);
    expect(lossy(from({ kind: "decimal", precision: 20, scale: 0 }), to({ kind: "bigint" }))).toEqual(["lossy-integer"]);
    expect(lossy(from({ kind: "float" }), to({ kind: "bigint" }))).toEqual(["lossy-integer"]);
  });

  it("bytea targets: anything but binary is read as text (a BIT(n) string, a 0/1) and would be stored as its characters' bytes", () => {
    expect(lossy(from({ kind: "string", length: 9 }, "bit(9)"), to({ kind: "binary" }, "bytea"))).toEqual(["binary-target"]);
    expect(lossyProblems(from({ kind: "boolean" }, "bit(1)"), to({ kind: "binary" }, "bytea"))[0].message)
      .toBe("values are read as 0/1, which a bytea column stores as their characters' bytes: bit(1) → bytea");
    expect(lossy(from({ kind: "binary" }, "varbinary(16)"), to({ kind: "binary" }, "bytea"))).toEqual([]);
    expect(lossy(from({ kind: "unknown" }, "mystery"), to({ kind: "binary" }, "bytea"))).toEqual([]);
  });

  it("nullability: nullable into NOT NULL without default only", () => {
    expect(lossy(from({ kind: "text" }, "text", true), to({ kind: "text" }, "text", false))).toEqual(["lossy-nullability"]);
    expect(lossy(from({ kind: "text" }, "text", true), to({ kind: "text" }, "text", false, "'x'"))).toEqual([]);
    expect(lossy(from({ kind: "text" }, "text", false), to({ kind: "text" }, "text", false))).toEqual([]);
  });
});

describe("orderByDependencies", () => {
  const item = (name: string, dependsOn?: string[]) => ({ pipeline: { name, dependsOn } });

  it("orders dependencies first (in dependsOn order) and keeps the given order otherwise", () => {
    const { ordered, problems } = orderByDependencies([item("orders", ["customers", "parts"]), item("parts"), item("customers"), item("audit")]);
    expect(problems).toEqual([]);
    expect(ordered.map((i) => i.pipeline.name)).toEqual(["customers", "parts", "orders", "audit"]);
  });

  it("an unknown dependency is a problem with did-you-mean; a known but unselected one is fine", () => {
    const { ordered, problems } = orderByDependencies([item("orders", ["custmers"]), item("customers")]);
    expect(ordered.map((i) => i.pipeline.name)).toEqual(["orders", "customers"]);
    expect(problems).toEqual([{ severity: "error", code: "unknown-dependency", pipeline: "orders", subject: "custmers", message: 'dependsOn names unknown pipeline "custmers" (did you mean "customers"?)' }]);
    expect(orderByDependencies([item("orders", ["customers"])], ["orders", "customers"]).problems).toEqual([]);
  });

  it("a cycle is a problem that spells the cycle out; self-dependencies too", () => {
    const { problems } = orderByDependencies([item("a", ["b"]), item("b", ["c"]), item("c", ["a"])]);
    expect(problems).toEqual([{ severity: "error", code: "cyclic-dependency", pipeline: "a", message: "dependsOn forms a cycle: a → b → c → a" }]);
    expect(orderByDependencies([item("self", ["self"])]).problems.map((p) => p.message)).toEqual(["dependsOn forms a cycle: self → self"]);
  });

  it("every item appears exactly once, even with diamonds", () => {
    const { ordered } = orderByDependencies([item("d", ["b", "c"]), item("b", ["a"]), item("c", ["a"]), item("a")]);
    expect(ordered.map((i) => i.pipeline.name)).toEqual(["a", "b", "c", "d"]);
  });
});

describe("convert in analysis", () => {
  it("a converted column is checked for its source column like any mapping", () => {
    const problems = analyzeMapping({ pipeline: make({ id: "id", line_total: convert("unit_prize", "decimal") }), sourceColumns, targetTable: target, transforms });
    expect(problems.map((p) => p.message)).toEqual(['source has no column "unit_prize" (did you mean "unit_price"?)']);
  });
});

describe("plugin transforms are checked through their argument roles", () => {
  const masking = definePlugin({
    name: "masking",
    transforms: [{
      name: "maskWhere",
      args: [{ name: "column", role: "column" }, { name: "condition", role: "expression" }, { name: "mask", role: "literal" }],
      compile: () => () => null,
    }],
  });
  const withPlugin = createRegistry([masking]).transforms;

  it("an unknown column in a column argument or an expression, with did-you-mean; literals are not columns", () => {
    const problems = analyzeMapping({
      pipeline: make({ id: "id", full_name: transform("maskWhere", "frist_name", "quantty > 2", "last_name_is_a_literal") }),
      sourceColumns, targetTable: target, transforms: withPlugin,
    });
    expect(problems.map((p) => [p.code, p.subject, p.suggestion])).toEqual([
      ["unknown-source-column", "frist_name", "first_name"],
      ["unknown-source-column", "quantty", "quantity"],
    ]);
  });

  it("its expression arguments are checked like expr's", () => {
    const problems = analyzeMapping({ pipeline: make({ id: "id", full_name: transform("maskWhere", "first_name", "quantity >", "*") }), sourceColumns, targetTable: target, transforms: withPlugin });
    expect(codes(problems)).toEqual(["error:bad-expression:full_name"]);
    expect(problems[0].message).toMatch(/^expression `quantity >` does not parse: /);
  });
});

describe("query sources", () => {
  it("claim no lossy-nullability (a query's result columns always say nullable); a table's nullable column still does", () => {
    const notNullTarget = targetTable([col("id", "integer", { kind: "integer" }, false), col("full_name", "text", { kind: "text" }, false)]);
    const asQuery = make({ id: "id", full_name: "first_name" }, { source: { connection: "legacy", query: "SELECT id, first_name FROM t", key: "id" } });
    const fromQuery = analyzeMapping({ pipeline: asQuery, sourceColumns, targetTable: notNullTarget, transforms });
    expect(codes(fromQuery)).toEqual(["info:unchecked-key:id"]);
    const fromTable = analyzeMapping({ pipeline: make({ id: "id", full_name: "first_name" }), sourceColumns, targetTable: notNullTarget, transforms });
    expect(codes(fromTable)).toEqual(["warning:lossy-nullability:full_name"]);
  });
});

describe("conflictKeyProblems", () => {
  const table = (primaryKey: string[], indexes: TableInfo["indexes"] = []): TableInfo => ({ ...targetTable([]), primaryKey, indexes });

  it("an upsert key covered exactly by the primary key or a unique index (in any order) is fine", () => {
    expect(conflictKeyProblems("p", "upsert", ["id"], table(["id"]), "public.t")).toEqual([]);
    expect(conflictKeyProblems("p", "upsert", ["b", "a"], table([], [{ name: "t_ab", columns: ["a", "b"], unique: true }]), "public.t")).toEqual([]);
    expect(conflictKeyProblems("p", "insert", ["id"], table([]), "public.t")).toEqual([]);
    expect(conflictKeyProblems("p", "upsert", ["id"], undefined, "public.t")).toEqual([]);
  });

  it("no unique constraint on exactly the key: an error for upsert (ON CONFLICT refuses), a warning for update", () => {
    const noUnique = table(["id", "tenant"], [{ name: "t_id", columns: ["id"], unique: false }, { name: "t_idx", columns: ["id", "code"], unique: true }]);
    expect(codes(conflictKeyProblems("p", "upsert", ["id"], noUnique, "public.t"))).toEqual(["error:no-unique-target-key:id"]);
    expect(conflictKeyProblems("p", "upsert", ["id"], noUnique, "public.t")[0].message)
      .toBe("upsert needs a unique constraint on public.t (id): without one PostgreSQL refuses ON CONFLICT (id) on every batch (fix: add a primary key or unique index on (id), or set target.key to columns that have one)");
    expect(codes(conflictKeyProblems("p", "update", ["id"], noUnique, "public.t"))).toEqual(["warning:no-unique-target-key:id"]);
  });
});
