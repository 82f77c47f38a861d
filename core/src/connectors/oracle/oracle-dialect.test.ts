import { describe, expect, it } from "vitest";
import { isDataBridgeError } from "../../errors.js";
import type { ReadRequest } from "../connector.js";
import { buildKeysetSelect } from "../keyset.js";
import { buildOracleRead, oracleFromSql } from "./oracle-connector.js";
import { oracleCapabilities, oracleDialect, quoteOracleIdentifier } from "./oracle-dialect.js";

const keyset = (request: ReadRequest) => buildKeysetSelect(oracleDialect, oracleCapabilities, request);

describe("Oracle dialect", () => {
  it("quotes identifiers in double quotes, keeping their case", () => {
    expect(quoteOracleIdentifier("PARTS")).toBe('"PARTS"');
    expect(quoteOracleIdentifier("parts")).toBe('"parts"');
    expect(quoteOracleIdentifier("Order Lines]")).toBe('"Order Lines]"');
    expect(quoteOracleIdentifier("A$B#C")).toBe('"A$B#C"');
    expect(oracleDialect.quoteTable({ schema: "LEGACY", name: "PARTS" })).toBe('"LEGACY"."PARTS"');
    expect(oracleDialect.quoteTable({ name: "PARTS" })).toBe('"PARTS"');
  });

  it('refuses a name with " or NUL (Oracle has no escape for them) with a config error naming it', () => {
    let caught: unknown;
    try {
      quoteOracleIdentifier('we"ird');
    } catch (error) {
      caught = error;
    }
    expect(isDataBridgeError(caught) && caught.kind).toBe("config");
    expect((caught as Error).message).toBe('Oracle identifiers cannot contain double quotes or NUL characters: "we\\"ird"');
    expect(() => quoteOracleIdentifier("a\u0000b")).toThrow("cannot contain double quotes or NUL");
  });

  it("binds positionally as :1, :2, …", () => {
    expect([1, 2, 12].map(oracleDialect.placeholder)).toEqual([":1", ":2", ":12"]);
  });

  it("limits with FETCH FIRST n ROWS ONLY after the ORDER BY (Oracle 12c+)", () => {
    expect(oracleDialect.limit('SELECT "A" FROM "T" ORDER BY "A"', 1000)).toBe('SELECT "A" FROM "T" ORDER BY "A" FETCH FIRST 1000 ROWS ONLY');
    expect(oracleDialect.limit('SELECT "A" FROM "T" ORDER BY "A"', 7.8)).toBe('SELECT "A" FROM "T" ORDER BY "A" FETCH FIRST 7 ROWS ONLY');
  });

  it("nowMinusSeconds is the database host's wall clock minus the lag", () => {
    expect(oracleDialect.nowMinusSeconds(600)).toBe("(CAST(SYSTIMESTAMP AS TIMESTAMP) - NUMTODSINTERVAL(600, 'SECOND'))");
  });

  it("capabilities: a source only, no row-value comparison, no transactional DDL", () => {
    expect(oracleCapabilities).toEqual({
      rowValueComparison: false, transactionalDdl: false, maxIdentifierLength: 128, maxBindParams: 65535, concurrentSessions: true,
    });
  });
});

describe("Oracle keyset SQL (buildKeysetSelect)", () => {
  it("first page and single key", () => {
    expect(keyset({ from: { table: { schema: "LEGACY", name: "PARTS" } }, columns: ["ID", "NAME"], key: ["ID"], limit: 500 })).toEqual({
      sql: 'SELECT "ID", "NAME" FROM "LEGACY"."PARTS" ORDER BY "ID" FETCH FIRST 500 ROWS ONLY', params: [],
    });
    expect(keyset({ from: { table: { schema: "LEGACY", name: "PARTS" } }, columns: ["ID", "NAME"], key: ["ID"], after: ["42"], limit: 500 })).toEqual({
      sql: 'SELECT "ID", "NAME" FROM "LEGACY"."PARTS" WHERE "ID" > :1 ORDER BY "ID" FETCH FIRST 500 ROWS ONLY', params: ["42"],
    });
  });

  it("composite key: the expanded OR form, one positional bind per occurrence", () => {
    expect(keyset({ from: { table: { name: "LINES" } }, columns: ["ORDER_ID", "LINE_NO"], key: ["ORDER_ID", "LINE_NO"], after: [7, 3], limit: 100 })).toEqual({
      sql: 'SELECT "ORDER_ID", "LINE_NO" FROM "LINES" WHERE (("ORDER_ID" > :1) OR ("ORDER_ID" = :2 AND "LINE_NO" > :3)) ORDER BY "ORDER_ID", "LINE_NO" FETCH FIRST 100 ROWS ONLY',
      params: [7, 7, 3],
    });
  });

  it("a query source becomes a derived table without AS; where parameters come first", () => {
    expect(keyset({
      from: { query: "SELECT id, name FROM parts WHERE active = 'Y';" }, key: ["ID"], after: [5], where: { sql: '"ID" <> {1}', params: [9] }, limit: 2,
    })).toEqual({
      sql: `SELECT * FROM (SELECT id, name FROM parts WHERE active = 'Y'\n) "databridge_source" WHERE ("ID" <> :1) AND "ID" > :2 ORDER BY "ID" FETCH FIRST 2 ROWS ONLY`,
      params: [9, 5],
    });
  });
});

describe("Oracle read plan (buildOracleRead)", () => {
  const source = [
    { name: "ID", nativeType: "NUMBER(10)" },
    { name: "PRICE", nativeType: "NUMBER(12,4)" },
    { name: "CREATED", nativeType: "DATE" },
    { name: "CHANGED", nativeType: "TIMESTAMP(6)" },
    { name: "NAME", nativeType: "VARCHAR2(50 CHAR)" },
  ];

  it("DATE and TIMESTAMP columns are formatted by TO_CHAR in a derived table; keys page by the originals", () => {
    const plan = buildOracleRead({ from: { table: { schema: "LEGACY", name: "PARTS" } }, columns: ["ID", "PRICE", "CREATED", "CHANGED", "NAME"], key: ["ID"], after: [10], limit: 100 }, source);
    expect(plan.sql).toBe(
      'SELECT "ID", "PRICE", "databridge$3", "databridge$4", "NAME" FROM (SELECT "databridge_t".*, '
      + `TO_CHAR("databridge_t"."CREATED", 'YYYY-MM-DD HH24:MI:SS') AS "databridge$3", TO_CHAR("databridge_t"."CHANGED", 'YYYY-MM-DD HH24:MI:SS.FF6') AS "databridge$4" `
      + 'FROM "LEGACY"."PARTS" "databridge_t"\n) "databridge_source" WHERE "ID" > :1 ORDER BY "ID" FETCH FIRST 100 ROWS ONLY',
    );
    expect(plan.params).toEqual([10]);
    expect(plan.names).toEqual(["ID", "PRICE", "CREATED", "CHANGED", "NAME"]);
  });

  it("without date columns the table is read directly; names in lower case resolve to Oracle's upper-case columns", () => {
    const plan = buildOracleRead({ from: { table: { name: "PARTS" } }, columns: ["id", "name"], key: ["id"], after: [3], limit: 5 }, source);
    expect(plan.sql).toBe('SELECT "ID", "NAME" FROM "PARTS" WHERE "ID" > :1 ORDER BY "ID" FETCH FIRST 5 ROWS ONLY');
    expect(plan.names).toEqual(["id", "name"]);
  });

  it("all columns of a query source when none are named; incremental order by cursor then key", () => {
    const plan = buildOracleRead({ from: { query: "SELECT * FROM parts" }, key: ["ID"], orderBy: ["CHANGED", "ID"], after: ["2024-03-01 10:20:30.123456", 7], limit: 10 }, source.slice(0, 4));
    expect(plan.sql).toBe(
      `SELECT "ID", "PRICE", "databridge$3", "databridge$4" FROM (SELECT "databridge_t".*, TO_CHAR("databridge_t"."CREATED", 'YYYY-MM-DD HH24:MI:SS') AS "databridge$3", `
      + `TO_CHAR("databridge_t"."CHANGED", 'YYYY-MM-DD HH24:MI:SS.FF6') AS "databridge$4" FROM (SELECT * FROM parts\n) "databridge_t"\n) "databridge_source" `
      + 'WHERE (("CHANGED" > :1) OR ("CHANGED" = :2 AND "ID" > :3)) ORDER BY "CHANGED", "ID" FETCH FIRST 10 ROWS ONLY',
    );
    expect(plan.params).toEqual(["2024-03-01 10:20:30.123456", "2024-03-01 10:20:30.123456", 7]);
    expect(oracleFromSql({ query: "  SELECT 1 AS x FROM dual ;  " })).toBe("(SELECT 1 AS x FROM dual\n)");
  });
});
