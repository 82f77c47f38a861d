import { describe, expect, it } from "vitest";
import { mysqlCopyTextRow, mysqlDialect, mysqlNowMinusSeconds, mysqlReadExpression } from "./mysql-dialect.js";
import { buildKeysetSelect } from "../keyset.js";
import { mysqlParam, mysqlReadShape, mysqlTypeOfField } from "./mysql-types.js";
import { mysqlReadOptions } from "./mysql-connector.js";

const column = (name: string, nativeType: string) => ({ name, nativeType });

describe("mysqlCopyTextRow (COPY text rendered by the server)", () => {
  it("joins the columns with tabs as CSV: NULL empty, text quoted (quotes doubled) and converted to utf8mb4, numbers and dates bare", () => {
    const sql = mysqlCopyTextRow([column("id", "bigint(20)"), column("note", "varchar(40)"), column("at", "datetime(6)")])!;
    const tab = "_utf8mb4 X'09'";
    const empty = "_utf8mb4 X''";
    const quote = "_utf8mb4 X'22'";
    // As bytes (a binary result reaches Node as a Buffer, never decoded to a string).
    expect(sql).toBe(`CAST(CONCAT_WS(${tab}, IFNULL(\`id\`, ${empty}), IFNULL(CONCAT(${quote}, REPLACE(CONVERT(\`note\` USING utf8mb4), ${quote}, _utf8mb4 X'2222'), ${quote}), ${empty}), IFNULL(\`at\`, ${empty})) AS BINARY)`);
    expect(mysqlDialect.copyLineFormat).toBe("csv");
  });

  it("quotes identifiers and never depends on sql_mode's backslash handling (no backslash in a literal)", () => {
    const sql = mysqlCopyTextRow([column("we`ird", "text")])!;
    expect(sql).toContain("`we``ird`");
    expect(sql).not.toContain("'\\");
  });

  it("leaves rows to the value path when a type has no exact text rendering", () => {
    for (const nativeType of ["varbinary(16)", "blob", "int(5) unsigned zerofill", "vector(3)"]) {
      expect(mysqlCopyTextRow([column("id", "int(11)"), column("x", nativeType)]), nativeType).toBeUndefined();
    }
    expect(mysqlCopyTextRow([])).toBeUndefined();
  });

  it("accepts the integer, decimal, temporal and character families", () => {
    for (const nativeType of ["tinyint(1)", "smallint(5) unsigned", "mediumint", "int(11)", "bigint(20) unsigned", "decimal(38,10)", "year(4)",
      "date", "datetime", "timestamp(3)", "time", "char(8)", "varchar(255)", "tinytext", "mediumtext", "longtext", "enum('a','b')", "set('x','y')", "json", "uuid",
      "inet6", "float", "double", "float(7,3)", "double(10,2)", "geometry", "point", "bit(1)", "bit(9)"]) {
      expect(mysqlCopyTextRow([column("x", nativeType)]), nativeType).toBeDefined();
    }
  });
});

describe("mysqlReadExpression (the exact reading of a column, shared by both read paths)", () => {
  it("floating point through CAST(… AS DOUBLE): FLOAT's protocol text has 6 digits, DOUBLE(M,D)'s has D decimals", () => {
    for (const nativeType of ["float", "float(7,3)", "double", "double(10,2)", "real", "double unsigned"]) {
      expect(mysqlReadExpression(column("f", nativeType)), nativeType).toBe("CAST(`f` AS DOUBLE)");
    }
  });

  it("TIMESTAMP as the UTC text with its offset; DATETIME and DATE as they are", () => {
    expect(mysqlReadExpression(column("at", "timestamp(6)"))).toBe("CONCAT(`at`, '+00')");
    expect(mysqlReadExpression(column("at", "datetime(3)"))).toBe("`at`");
    expect(mysqlReadExpression(column("on", "date"))).toBe("`on`");
  });

  it("zero dates read as NULL only when the connection asks for it", () => {
    const nulls = { zeroDates: "null" as const };
    expect(mysqlReadExpression(column("d", "date"), nulls)).toBe("IF(MONTH(`d`) = 0 OR DAYOFMONTH(`d`) = 0, NULL, `d`)");
    expect(mysqlReadExpression(column("t", "timestamp"), nulls)).toBe("IF(MONTH(`t`) = 0 OR DAYOFMONTH(`t`) = 0, NULL, CONCAT(`t`, '+00'))");
    expect(mysqlReadExpression(column("i", "int(11)"), nulls)).toBe("`i`");
  });

  it("geometries as EWKT (the SRID only when there is one)", () => {
    for (const nativeType of ["geometry", "point", "multipolygon", "geometrycollection"]) {
      expect(mysqlReadExpression(column("g", nativeType)), nativeType).toBe("CONCAT(IF(ST_SRID(`g`) = 0, '', CONCAT('SRID=', ST_SRID(`g`), ';')), ST_AsText(`g`))");
    }
  });

  it("BIT(1) as 0/1, BIT(n) as n binary digits, SET as a text[] literal with its members quoted and escaped", () => {
    expect(mysqlReadExpression(column("b", "bit(1)"))).toBe("(`b` <> 0)");
    expect(mysqlReadExpression(column("b", "bit(9)"))).toBe("LPAD(BIN(`b`), 9, _utf8mb4 X'30')");
    const set = mysqlReadExpression(column("s", "set('a','b')"));
    // '' → {}; otherwise {" + members with \ → \\ and " → \" joined by "," + "}
    expect(set).toBe("IF(`s` = _utf8mb4 X'', _utf8mb4 X'7B7D', CONCAT(_utf8mb4 X'7B22', REPLACE(REPLACE(REPLACE(`s`, _utf8mb4 X'5C', _utf8mb4 X'5C5C'), _utf8mb4 X'22', _utf8mb4 X'5C22'), _utf8mb4 X'2C', _utf8mb4 X'222C22'), _utf8mb4 X'227D'))");
    expect(mysqlReadExpression(column("e", "enum('a','b')"))).toBe("`e`");
  });

  it("every other type is the plain column", () => {
    for (const nativeType of ["int(11)", "bigint(20) unsigned", "decimal(65,30)", "varchar(10)", "json", "time(6)", "year", "blob", "enum('a')"]) {
      expect(mysqlReadExpression(column("x", nativeType)), nativeType).toBe("`x`");
    }
  });

  it("the shapes of the type families", () => {
    expect(["tinyint(1)", "decimal(5,2)", "float", "date", "datetime", "timestamp", "time", "varchar(3)", "point", "longblob", "bit(3)", "vector(2)"].map(mysqlReadShape))
      .toEqual(["integer", "decimal", "float", "date", "datetime", "timestamp", "time", "character", "geometry", "binary", "bit", "other"]);
  });
});

describe("keyset pages read through the exact expressions", () => {
  const types: Record<string, string> = { id: "int(11)", f: "float", at: "timestamp(3)" };
  const read = (column: string) => mysqlDialect.readExpression(column in types ? { name: column, nativeType: types[column] } : { name: column, nativeType: "" });

  it("selects the expression under the column's name and orders by the table's own (qualified) column", () => {
    const { sql, params } = buildKeysetSelect(mysqlDialect, { rowValueComparison: false }, { from: { table: { schema: "db", name: "t" } }, columns: ["at", "id", "f"], key: ["at", "id"], after: ["2024-01-01 00:00:00.000+00", 3], limit: 10 }, read);
    expect(sql).toBe("SELECT CONCAT(`at`, '+00') AS `at`, `id`, CAST(`f` AS DOUBLE) AS `f` FROM `db`.`t` WHERE ((`at` > ?) OR (`at` = ? AND `id` > ?)) ORDER BY `db`.`t`.`at`, `id` LIMIT 10");
    expect(params.map(mysqlParam)).toEqual(["2024-01-01 00:00:00.000", "2024-01-01 00:00:00.000", 3]);
  });

  it("a query source orders by the derived table's column", () => {
    const { sql } = buildKeysetSelect(mysqlDialect, { rowValueComparison: false }, { from: { query: "SELECT * FROM t" }, columns: ["f"], key: ["f"], limit: 1 }, read);
    expect(sql).toBe("SELECT CAST(`f` AS DOUBLE) AS `f` FROM (SELECT * FROM t\n) `databridge_source` ORDER BY `databridge_source`.`f` LIMIT 1");
  });
});

describe("values bound into MariaDB statements", () => {
  it("instants lose their +00 (the session is UTC; MariaDB reads no offsets); everything else is kept", () => {
    expect(mysqlParam("2024-11-03 05:30:00+00")).toBe("2024-11-03 05:30:00");
    expect(mysqlParam("2024-11-03 05:30:00.123456+00")).toBe("2024-11-03 05:30:00.123456");
    for (const value of ["2024-11-03 05:30:00", "2024-11-03 05:30:00+01", "+00", "a 2024-11-03 05:30:00+00", 42, null, "2024-11-03"]) {
      expect(mysqlParam(value)).toBe(value);
    }
  });

  it("a lag's now: the session's (UTC) for a TIMESTAMP cursor, the server's own zone for DATETIME", () => {
    expect(mysqlNowMinusSeconds(300, { kind: "timestamptz" })).toBe("(NOW() - INTERVAL 300 SECOND)");
    expect(mysqlNowMinusSeconds(300, { kind: "timestamp" })).toBe("(CONVERT_TZ(NOW(), '+00:00', @@global.time_zone) - INTERVAL 300 SECOND)");
    expect(mysqlNowMinusSeconds(60)).toBe("(CONVERT_TZ(NOW(), '+00:00', @@global.time_zone) - INTERVAL 60 SECOND)");
  });
});

describe("query result fields whose reading differs from the plain column", () => {
  it("floats, instants, dates, bits, geometries, enums and sets", () => {
    expect(mysqlTypeOfField({ columnType: 4 })).toBe("float");
    expect(mysqlTypeOfField({ columnType: 5 })).toBe("double");
    expect(mysqlTypeOfField({ columnType: 7 })).toBe("timestamp");
    expect(mysqlTypeOfField({ columnType: 10 })).toBe("date");
    expect(mysqlTypeOfField({ columnType: 12 })).toBe("datetime");
    expect(mysqlTypeOfField({ columnType: 16, columnLength: 9 })).toBe("bit(9)");
    expect(mysqlTypeOfField({ columnType: 255 })).toBe("geometry");
    expect(mysqlTypeOfField({ columnType: 254, flags: 2048 })).toBe("set");
    expect(mysqlTypeOfField({ columnType: 254, flags: 256 })).toBe("enum");
    expect(mysqlTypeOfField({ columnType: 3 })).toBeUndefined();
  });
});

describe("mysqlReadOptions (from the connection URL)", () => {
  it("zeroDates=null or reject (the default); anything else is a config error naming the connection", () => {
    expect(mysqlReadOptions(new URL("mysql://u@h/db"), "legacy")).toEqual({ zeroDates: "reject" });
    expect(mysqlReadOptions(new URL("mysql://u@h/db?zeroDates=null"), "legacy")).toEqual({ zeroDates: "null" });
    expect(() => mysqlReadOptions(new URL("mysql://u:secret@h/db?zeroDates=zero"), "legacy")).toThrow(/zeroDates=zero in the URL of connection legacy is not an option/);
  });
});
