import { describe, it, expect } from "vitest";
import { DataBridgeError } from "../errors.js";
import { effectiveSources, isPipeline, isTransformSpec, keyList, pipeline, type PipelineDefinition } from "./pipeline.js";
import { concat, constant, convert, lookup, when } from "./transforms.js";

const valid = (): PipelineDefinition => ({
  name: "customers",
  source: { connection: "legacy", table: "legacy_customers", key: "id" },
  target: { connection: "warehouse", table: "public.customers", mode: "upsert", key: ["id"] },
  columns: { id: "id", full_name: concat(["first_name", "last_name"], " ") },
});

/** The config error `pipeline()` throws for a definition changed by `change`. */
function rejection(change: (p: Record<string, any>) => void): DataBridgeError {
  const definition = valid() as Record<string, any>;
  change(definition);
  try {
    pipeline(definition as PipelineDefinition);
  } catch (error) {
    expect(error).toBeInstanceOf(DataBridgeError);
    expect((error as DataBridgeError).kind).toBe("config");
    return error as DataBridgeError;
  }
  throw new Error("pipeline() accepted an invalid definition");
}

describe("pipeline()", () => {
  it("returns a frozen pipeline that keeps the definition", () => {
    const p = pipeline(valid());
    expect(isPipeline(p)).toBe(true);
    expect(p.kind).toBe("databridge.pipeline");
    expect(p.columns.full_name).toEqual({ transform: "concat", args: [["first_name", "last_name"], " "] });
    expect(Object.isFrozen(p)).toBe(true);
    expect(isPipeline({ name: "x" })).toBe(false);
  });

  it("source.where: a condition in the source's SQL, inherited by each of several sources; empty or not text is refused naming the field", () => {
    expect(() => pipeline({ ...valid(), source: { connection: "legacy", table: "PARTS", key: "PART_ID", where: "ACTIVE_FLAG = 1" } })).not.toThrow();
    const merged = effectiveSources({ source: { table: "PARTS", where: "ACTIVE_FLAG = 1" }, sources: [{ connection: "a", tenant: "a" }, { connection: "b", tenant: "b", where: "1 = 1" }] });
    expect(merged.map((s) => s.where)).toEqual(["ACTIVE_FLAG = 1", "1 = 1"]);
    expect(rejection((p) => (p.source.where = "  ")).message).toBe(`source.where must be a condition in the source's SQL, e.g. "ACTIVE_FLAG = 1" (got "  ")`);
    expect(rejection((p) => (p.source.where = 1)).message).toContain("source.where must be a condition");
  });

  it("accepts a query source with a key, several sources with tenants, and every load mode", () => {
    expect(() => pipeline({ ...valid(), source: { connection: "legacy", query: "SELECT * FROM t", key: ["a", "b"] } })).not.toThrow();
    expect(() => pipeline({ ...valid(), source: undefined, sources: [{ connection: "a", table: "t", tenant: "north" }, { connection: "b", table: "t", tenant: "south" }] })).not.toThrow();
    for (const mode of ["insert", "upsert", "update", "replace"] as const) expect(() => pipeline({ ...valid(), target: { ...valid().target, mode } })).not.toThrow();
    expect(() => pipeline({ ...valid(), onError: { maxRejected: "2.5%" } })).not.toThrow();
  });

  it.each<[string, (p: Record<string, any>) => void, string]>([
    ["a bad name", (p) => (p.name = "my pipeline"), 'pipeline name must be letters, digits, _ . - (got "my pipeline")'],
    ["no name", (p) => delete p.name, "pipeline name must be letters, digits, _ . - (got undefined)"],
    ["no source", (p) => delete p.source, "pipeline needs a `source` (or `sources`)"],
    ["no source connection", (p) => delete p.source.connection, "source.connection is required"],
    ["neither table nor query", (p) => delete p.source.table, "source needs `table` or `query`"],
    ["table and query", (p) => (p.source.query = "SELECT 1"), "source has both `table` and `query`; keep one"],
    ["a query without key", (p) => (p.source = { connection: "legacy", query: "SELECT 1" }), "source.query needs a `key` to page by"],
    ["a tenant-less source among several", (p) => (delete p.source, p.sources = [{ connection: "a", table: "t", tenant: "x" }, { connection: "b", table: "t" }]), "sources[1].tenant is required when a pipeline has several sources"],
    ["a bad source key", (p) => (p.source.key = []), "source.key must be a column name or a non-empty list of column names (got [])"],
    ["no target connection", (p) => (p.target.connection = ""), "target.connection is required"],
    ["no target table", (p) => delete p.target.table, "target.table is required"],
    ["an unknown mode", (p) => (p.target.mode = "merge"), 'target.mode must be one of insert, upsert, update, replace (got "merge")'],
    ["a bad target key", (p) => (p.target.key = ["id", 3]), 'target.key must be a column name or a non-empty list of column names (got ["id",3])'],
    ["no columns", (p) => (p.columns = {}), 'columns must be an object mapping at least one target column, e.g. { id: "id" }'],
    ["columns as a list", (p) => (p.columns = ["id"]), 'columns must be an object mapping at least one target column, e.g. { id: "id" }'],
    ["a mapping that is neither", (p) => (p.columns.price = 12), "columns.price must be a source column name or a transform such as concat(...), got 12"],
    ["a zero batch size", (p) => (p.batchSize = 0), "batchSize must be an integer from 1 to 1,000,000 (got 0)"],
    ["a fractional batch size", (p) => (p.batchSize = 2.5), "batchSize must be an integer from 1 to 1,000,000 (got 2.5)"],
    ["dependsOn not a list", (p) => (p.dependsOn = "parts"), "dependsOn must be a list of pipeline names"],
    ["a bad onError", (p) => (p.onError = "ignore"), 'onError must be "fail", "skip" or { maxRejected: N | "N%" }'],
    ["a bad maxRejected", (p) => (p.onError = { maxRejected: "ten" }), 'onError must be "fail", "skip" or { maxRejected: N | "N%" }'],
    ["incremental without cursor", (p) => (p.incremental = { lag: "5m" }), "incremental.cursor must name the source column that orders changes"],
    ["zero parallelism", (p) => (p.parallelism = 0), "parallelism must be a whole number of at least 1 (got 0)"],
    ["zero retry attempts", (p) => (p.retry = { attempts: 0 }), "retry.attempts must be a number of at least 1 (got 0)"],
    ["a negative retry delay", (p) => (p.retry = { initialDelayMs: -5 }), "retry.initialDelayMs must be a number ≥ 0 (got -5)"],
  ])("rejects %s with a message naming the field", (_label, change, message) => {
    const error = rejection(change);
    expect(error.message).toBe(message);
  });

  it("the error names the pipeline when it has a usable name", () => {
    expect(rejection((p) => (p.batchSize = -1)).toLine()).toBe("pipeline customers: batchSize must be an integer from 1 to 1,000,000 (got -1)");
    expect(rejection((p) => (p.name = 42)).context.pipeline).toBeUndefined();
  });
});

describe("transform specs and helpers", () => {
  it("transform helpers build frozen specs; optional arguments are only present when given", () => {
    expect(lookup("s", { A: 1 })).toEqual({ transform: "lookup", args: ["s", { A: 1 }] });
    expect(lookup("s", { A: 1 }, null)).toEqual({ transform: "lookup", args: ["s", { A: 1 }, null] });
    expect(convert("d", "date")).toEqual({ transform: "convert", args: ["d", "date"] });
    expect(when("a == 1", "x")).toEqual({ transform: "when", args: ["a == 1", "x", null] });
    expect(Object.isFrozen(constant(1))).toBe(true);
    expect(isTransformSpec(constant(1))).toBe(true);
    expect(isTransformSpec("id")).toBe(false);
    expect(isTransformSpec({ transform: "x" })).toBe(false);
  });

  it("keyList normalizes keys", () => {
    expect(keyList(undefined)).toEqual([]);
    expect(keyList("id")).toEqual(["id"]);
    const list = ["a", "b"];
    expect(keyList(list)).toEqual(["a", "b"]);
    expect(keyList(list)).not.toBe(list);
  });

  it("effectiveSources uses `source` as the template of each of `sources`", () => {
    expect(effectiveSources({ source: { connection: "x", table: "t", key: "id" }, sources: [{ connection: "a", tenant: "n" } as never, { connection: "b", query: "SELECT 1", tenant: "s" }] }))
      .toEqual([{ connection: "a", table: "t", key: "id", tenant: "n" }, { connection: "b", query: "SELECT 1", key: "id", tenant: "s" }]);
    expect(effectiveSources({ source: { connection: "x", table: "t" } })).toEqual([{ connection: "x", table: "t" }]);
  });
});
