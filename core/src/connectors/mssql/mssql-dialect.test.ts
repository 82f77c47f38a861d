import { describe, expect, it } from "vitest";
import type { ReadRequest } from "../connector.js";
import { buildKeysetSelect } from "../keyset.js";
import { buildMssqlRead, mssqlFromSql, VarcharParameter } from "./mssql-connector.js";
import { mssqlCapabilities, mssqlDialect, quoteMssqlIdentifier } from "./mssql-dialect.js";

const keyset = (request: ReadRequest) => buildKeysetSelect(mssqlDialect, mssqlCapabilities, request);

describe("SQL Server dialect", () => {
  it("quotes identifiers in brackets, doubling ] and leaving [ and \" alone", () => {
    expect(quoteMssqlIdentifier("Parts")).toBe("[Parts]");
    expect(quoteMssqlIdentifier("odd]name")).toBe("[odd]]name]");
    expect(quoteMssqlIdentifier("a]]b")).toBe("[a]]]]b]");
    expect(quoteMssqlIdentifier('say "hi" [x]')).toBe('[say "hi" [x]]]');
    expect(quoteMssqlIdentifier("Order Details")).toBe("[Order Details]");
    expect(mssqlDialect.quoteTable({ schema: "sales", name: "Order]Lines" })).toBe("[sales].[Order]]Lines]");
    expect(mssqlDialect.quoteTable({ name: "t" })).toBe("[t]");
  });

  it("numbers its parameters @p1, @p2, …", () => {
    expect([1, 2, 10].map(mssqlDialect.placeholder)).toEqual(["@p1", "@p2", "@p10"]);
  });

  it("limits with OFFSET 0 ROWS FETCH NEXT n ROWS ONLY after the ORDER BY", () => {
    expect(mssqlDialect.limit("SELECT [a] FROM [t] ORDER BY [a]", 500)).toBe("SELECT [a] FROM [t] ORDER BY [a] OFFSET 0 ROWS FETCH NEXT 500 ROWS ONLY");
    expect(mssqlDialect.limit("SELECT [a] FROM [t] ORDER BY [a]", 12.9)).toBe("SELECT [a] FROM [t] ORDER BY [a] OFFSET 0 ROWS FETCH NEXT 12 ROWS ONLY");
  });

  it("nowMinusSeconds is the server's local clock minus the lag", () => {
    expect(mssqlDialect.nowMinusSeconds(300)).toBe("DATEADD(SECOND, -300, SYSDATETIME())");
    expect(mssqlDialect.nowMinusSeconds(0)).toBe("DATEADD(SECOND, 0, SYSDATETIME())");
  });

  it("capabilities: a source only, no row-value comparison, SQL Server's limits", () => {
    expect(mssqlCapabilities).toEqual({
      rowValueComparison: false, transactionalDdl: true, maxIdentifierLength: 128, maxBindParams: 2098, concurrentSessions: true,
    });
  });
});

describe("SQL Server keyset SQL (buildKeysetSelect)", () => {
  it("first page and single key", () => {
    expect(keyset({ from: { table: { schema: "dbo", name: "Parts" } }, columns: ["id", "name"], key: ["id"], limit: 500 })).toEqual({
      sql: "SELECT [id], [name] FROM [dbo].[Parts] ORDER BY [id] OFFSET 0 ROWS FETCH NEXT 500 ROWS ONLY", params: [],
    });
    expect(keyset({ from: { table: { schema: "dbo", name: "Parts" } }, columns: ["id", "name"], key: ["id"], after: [42], limit: 500 })).toEqual({
      sql: "SELECT [id], [name] FROM [dbo].[Parts] WHERE [id] > @p1 ORDER BY [id] OFFSET 0 ROWS FETCH NEXT 500 ROWS ONLY", params: [42],
    });
  });

  it("composite key: the expanded OR form, one parameter per occurrence", () => {
    expect(keyset({ from: { table: { name: "Lines" } }, columns: ["a", "b", "c"], key: ["a", "b", "c"], after: [1, "x", 3], limit: 5 })).toEqual({
      sql: "SELECT [a], [b], [c] FROM [Lines] WHERE (([a] > @p1) OR ([a] = @p2 AND [b] > @p3) OR ([a] = @p4 AND [b] = @p5 AND [c] > @p6)) ORDER BY [a], [b], [c] OFFSET 0 ROWS FETCH NEXT 5 ROWS ONLY",
      params: [1, 1, "x", 1, "x", 3],
    });
  });

  it("a query source becomes a derived table; a where predicate is numbered before the key", () => {
    expect(keyset({
      from: { query: "SELECT id, name FROM dbo.parts WHERE active = 1; -- only active" }, columns: ["id"], key: ["id"], after: [7],
      where: { sql: "[id] <> {1}", params: [9] }, limit: 2,
    })).toEqual({
      sql: "SELECT [id] FROM (SELECT id, name FROM dbo.parts WHERE active = 1; -- only active\n) [databridge_source] WHERE ([id] <> @p1) AND [id] > @p2 ORDER BY [id] OFFSET 0 ROWS FETCH NEXT 2 ROWS ONLY",
      params: [9, 7],
    });
  });
});

describe("SQL Server read plan (buildMssqlRead)", () => {
  const source = [
    { name: "id", nativeType: "int" },
    { name: "code", nativeType: "varchar(20)" },
    { name: "price", nativeType: "decimal(12,4)" },
    { name: "fee", nativeType: "money" },
    { name: "changed", nativeType: "datetime" },
    { name: "name", nativeType: "nvarchar(50)" },
  ];

  it("columns with inexact driver values are converted to text in a derived table; keys still page by the originals", () => {
    const plan = buildMssqlRead({ from: { table: { schema: "dbo", name: "Parts" } }, columns: ["id", "price", "fee", "changed", "name"], key: ["id"], after: [10], limit: 100 }, source);
    expect(plan.sql).toBe(
      "SELECT [id], [databridge$2], [databridge$3], [databridge$4], [name] FROM (SELECT *, CONVERT(varchar(64), [price]) AS [databridge$2], CONVERT(varchar(64), [fee], 2) AS [databridge$3], "
      + "CONVERT(varchar(40), [changed], 121) AS [databridge$4] FROM [dbo].[Parts]\n) [databridge_source] WHERE [id] > @p1 ORDER BY [id] OFFSET 0 ROWS FETCH NEXT 100 ROWS ONLY",
    );
    expect(plan.params).toEqual([10]);
    expect(plan.names).toEqual(["id", "price", "fee", "changed", "name"]);
  });

  it("without such columns the table is read directly", () => {
    const plan = buildMssqlRead({ from: { table: { name: "Parts" } }, columns: ["id", "name"], key: ["id"], limit: 3 }, source);
    expect(plan.sql).toBe("SELECT [id], [name] FROM [Parts] ORDER BY [id] OFFSET 0 ROWS FETCH NEXT 3 ROWS ONLY");
  });

  it("all columns when none are named; a query source nests as a derived table", () => {
    const plan = buildMssqlRead({ from: { query: "SELECT * FROM dbo.Parts;" }, key: ["id"], limit: 10 }, source.slice(0, 3));
    expect(plan.sql).toBe(
      "SELECT [id], [code], [databridge$3] FROM (SELECT *, CONVERT(varchar(64), [price]) AS [databridge$3] FROM (SELECT * FROM dbo.Parts\n) AS [databridge_query]\n) [databridge_source] ORDER BY [id] OFFSET 0 ROWS FETCH NEXT 10 ROWS ONLY",
    );
    expect(mssqlFromSql({ query: " SELECT 1 AS x ; " })).toBe("(SELECT 1 AS x\n) AS [databridge_query]");
  });

  it("binds a varchar key as varchar and a datetime key in the ISO form every DATEFORMAT reads the same", () => {
    const plan = buildMssqlRead({ from: { table: { name: "Parts" } }, columns: ["changed", "code"], key: ["code"], orderBy: ["changed", "code"], after: ["2024-03-01 10:20:30.123", "A-7"], limit: 2 }, source);
    expect(plan.sql).toContain("WHERE (([changed] > @p1) OR ([changed] = @p2 AND [code] > @p3)) ORDER BY [changed], [code]");
    expect(plan.params).toEqual(["2024-03-01T10:20:30.123", "2024-03-01T10:20:30.123", new VarcharParameter("A-7")]);
    expect(plan.params[2]).toBeInstanceOf(VarcharParameter);
  });
});
