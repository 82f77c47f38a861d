import { describe, expect, it } from "vitest";
import { mysqlCopyTextRow } from "./mysql-dialect.js";

const column = (name: string, nativeType: string) => ({ name, nativeType });

describe("mysqlCopyTextRow (COPY text rendered by the server)", () => {
  it("joins the columns with tabs, NULL as \\N, text escaped and converted to utf8mb4", () => {
    const sql = mysqlCopyTextRow([column("id", "bigint(20)"), column("note", "varchar(40)"), column("at", "datetime(6)")])!;
    const tab = "_utf8mb4 X'09'";
    const nullText = "_utf8mb4 X'5C4E'";
    expect(sql.startsWith(`CONCAT_WS(${tab}, IFNULL(\`id\`, ${nullText}), IFNULL(REPLACE(`)).toBe(true);
    expect(sql).toContain("CONVERT(`note` USING utf8mb4)");
    // Backslash first (so the escapes it adds are not escaped again), then tab, newline, carriage return.
    const order = ["X'5C', _utf8mb4 X'5C5C'", "X'09', _utf8mb4 X'5C74'", "X'0A', _utf8mb4 X'5C6E'", "X'0D', _utf8mb4 X'5C72'"].map((s) => sql.indexOf(s));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order); // the innermost REPLACE (backslash) comes first in the text
    expect(sql.endsWith(`IFNULL(\`at\`, ${nullText}))`)).toBe(true);
  });

  it("quotes identifiers and never depends on sql_mode's backslash handling (no backslash in a literal)", () => {
    const sql = mysqlCopyTextRow([column("we`ird", "text")])!;
    expect(sql).toContain("`we``ird`");
    expect(sql).not.toContain("'\\");
  });

  it("leaves rows to the value path when a type has no exact text rendering", () => {
    for (const nativeType of ["varbinary(16)", "blob", "bit(1)", "double", "float", "int(5) unsigned zerofill", "geometry", "inet6"]) {
      expect(mysqlCopyTextRow([column("id", "int(11)"), column("x", nativeType)]), nativeType).toBeUndefined();
    }
    expect(mysqlCopyTextRow([])).toBeUndefined();
  });

  it("accepts the integer, decimal, temporal and character families", () => {
    for (const nativeType of ["tinyint(1)", "smallint(5) unsigned", "mediumint", "int(11)", "bigint(20) unsigned", "decimal(38,10)", "year(4)",
      "date", "datetime", "timestamp(3)", "time", "char(8)", "varchar(255)", "tinytext", "mediumtext", "longtext", "enum('a','b')", "set('x','y')", "json", "uuid"]) {
      expect(mysqlCopyTextRow([column("x", nativeType)]), nativeType).toBeDefined();
    }
  });
});
