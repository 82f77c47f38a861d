import { describe, expect, it } from "vitest";
import { buildKeysetCount, buildKeysetSelect } from "../keyset.js";
import { quoteSqliteIdentifier, sqliteCapabilities, sqliteDialect, sqliteLiteral, sqliteNowMinusSeconds } from "./sqlite-dialect.js";
import { sqliteReadExpression } from "./sqlite-types.js";

describe("sqliteDialect", () => {
  it("quotes identifiers with double quotes (doubled inside) and literals with single quotes", () => {
    expect(quoteSqliteIdentifier('we"ird name')).toBe('"we""ird name"');
    expect(sqliteDialect.quoteTable({ name: "Orders" })).toBe('"Orders"');
    expect(sqliteDialect.quoteTable({ schema: "main", name: "Orders" })).toBe('"main"."Orders"');
    expect(sqliteLiteral("it's \\n")).toBe("'it''s \\n'");
    expect(sqliteDialect.placeholder(3)).toBe("?");
  });

  it("pages with row values (SQLite 3.15+) and LIMIT; ordering by the table's own column when a column is read through an expression", () => {
    const { sql, params } = buildKeysetSelect(sqliteDialect, sqliteCapabilities, {
      from: { table: { name: "lines" } }, columns: ["order_id", "line_no", "note"], key: ["order_id", "line_no"], after: [7, 3], limit: 500,
    }, (column) => sqliteReadExpression(quoteSqliteIdentifier(column), column === "note" ? "text" : "integer"));
    expect(sql).toBe(
      `SELECT ${sqliteReadExpression('"order_id"', "integer")} AS "order_id", ${sqliteReadExpression('"line_no"', "integer")} AS "line_no", ${sqliteReadExpression('"note"', "text")} AS "note"`
      + ` FROM "lines" WHERE ("order_id", "line_no") > (?, ?) ORDER BY "lines"."order_id", "lines"."line_no" LIMIT 500`);
    expect(params).toEqual([7, 3]);
  });

  it("counts the rows a read covers", () => {
    const { sql, params } = buildKeysetCount(sqliteDialect, sqliteCapabilities, { from: { query: "SELECT * FROM t;" }, key: ["id"], through: [10] });
    expect(sql).toBe('SELECT count(*) AS "n" FROM (SELECT * FROM t\n) "databridge_source" WHERE "id" <= ?');
    expect(params).toEqual([10]);
  });

  it("'now' minus the lag is UTC text in SQLite's own CURRENT_TIMESTAMP format", () => {
    expect(sqliteNowMinusSeconds(90.7)).toBe("datetime('now', '-90 seconds')");
  });

  it("has one in-process session and row values", () => {
    expect(sqliteCapabilities).toMatchObject({ rowValueComparison: true, concurrentSessions: false });
  });
});
