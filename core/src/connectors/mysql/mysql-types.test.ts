import { describe, it, expect } from "vitest";
import { mysqlBytesPerChar, portableFromMysqlField, portableFromMysqlType } from "./mysql-types.js";
import { classifyMysqlError } from "./mysql-errors.js";

describe("portableFromMysqlType (COLUMN_TYPE)", () => {
  it.each([
    ["tinyint(1)", { kind: "smallint" }],
    ["tinyint(3) unsigned", { kind: "smallint" }],
    ["smallint(6)", { kind: "smallint" }],
    ["smallint(5) unsigned", { kind: "integer" }],
    ["mediumint(8) unsigned", { kind: "integer" }],
    ["int(11)", { kind: "integer" }],
    ["int(10) unsigned zerofill", { kind: "bigint" }],
    ["bigint(20)", { kind: "bigint" }],
    ["bigint(20) unsigned", { kind: "decimal", precision: 20, scale: 0 }],
    ["decimal(10,2)", { kind: "decimal", precision: 10, scale: 2 }],
    ["DECIMAL(65,30) UNSIGNED", { kind: "decimal", precision: 65, scale: 30 }],
    ["decimal", { kind: "decimal", precision: 10, scale: 0 }],
    ["numeric(5)", { kind: "decimal", precision: 5, scale: 0 }],
    ["float", { kind: "float", precision: 24 }],
    ["float(10,2)", { kind: "float", precision: 24 }],
    ["double unsigned", { kind: "float", precision: 53 }],
    ["double(10,2)", { kind: "float", precision: 53 }],
    ["char(8)", { kind: "string", length: 8 }],
    ["varchar(255)", { kind: "string", length: 255 }],
    ["enum('A','I','B(x)')", { kind: "string", length: 255 }],
    ["set('a','b')", { kind: "text" }],
    ["tinytext", { kind: "text" }],
    ["longtext", { kind: "text" }],
    ["date", { kind: "date" }],
    ["datetime(6)", { kind: "timestamp" }],
    ["timestamp", { kind: "timestamptz" }],
    ["timestamp(6)", { kind: "timestamptz" }],
    ["time(3)", { kind: "time" }],
    ["year(4)", { kind: "smallint" }],
    ["json", { kind: "json" }],
    ["bit(1)", { kind: "boolean" }],
    ["bit(8)", { kind: "string", length: 8 }],
    ["binary(16)", { kind: "binary" }],
    ["varbinary(255)", { kind: "binary" }],
    ["longblob", { kind: "binary" }],
    ["uuid", { kind: "uuid" }],
    ["geometry", { kind: "unknown" }],
  ])("%s", (columnType, expected) => {
    expect(portableFromMysqlType(columnType)).toEqual(expected);
  });
});

describe("portableFromMysqlField (query result metadata, as mysql2 reports it)", () => {
  // Figures observed from MariaDB 10.11 through mysql2 (connection charset utf8mb4, collation 224).
  it("text lengths come back in characters from the byte length and the character set", () => {
    expect(portableFromMysqlField({ columnType: 253, characterSet: 224, columnLength: 160 })).toEqual({ kind: "string", length: 40 });
    expect(portableFromMysqlField({ columnType: 253, characterSet: 33, columnLength: 120 })).toEqual({ kind: "string", length: 40 });
    expect(portableFromMysqlField({ columnType: 254, characterSet: 8, columnLength: 40 })).toEqual({ kind: "string", length: 40 });
    expect(portableFromMysqlField({ columnType: 253, characterSet: 224 })).toEqual({ kind: "string" });
    expect(portableFromMysqlField({ columnType: 253, characterSet: 63, columnLength: 16 })).toEqual({ kind: "binary" });
  });

  it("decimal precision is recovered from the display length, sign and point", () => {
    expect(portableFromMysqlField({ columnType: 246, columnLength: 12, decimals: 2, flags: 129 })).toEqual({ kind: "decimal", precision: 10, scale: 2 });
    expect(portableFromMysqlField({ columnType: 246, columnLength: 11, decimals: 2, flags: 32 })).toEqual({ kind: "decimal", precision: 10, scale: 2 });
    expect(portableFromMysqlField({ columnType: 246, columnLength: 11, decimals: 0 })).toEqual({ kind: "decimal", precision: 10, scale: 0 });
  });

  it("integers widen when unsigned", () => {
    expect(portableFromMysqlField({ columnType: 1 })).toEqual({ kind: "smallint" });
    expect(portableFromMysqlField({ columnType: 2, flags: 32 })).toEqual({ kind: "integer" });
    expect(portableFromMysqlField({ columnType: 3 })).toEqual({ kind: "integer" });
    expect(portableFromMysqlField({ columnType: 3, flags: 161 })).toEqual({ kind: "bigint" });
    expect(portableFromMysqlField({ columnType: 8 })).toEqual({ kind: "bigint" });
    expect(portableFromMysqlField({ columnType: 8, flags: 32 })).toEqual({ kind: "decimal", precision: 20, scale: 0 });
  });

  it("dates, blobs, bits and JSON", () => {
    expect(portableFromMysqlField({ type: 12 })).toEqual({ kind: "timestamp" });
    expect(portableFromMysqlField({ columnType: 7 })).toEqual({ kind: "timestamptz" });
    expect(portableFromMysqlField({ columnType: 4 })).toEqual({ kind: "float", precision: 24 });
    expect(portableFromMysqlField({ columnType: 5 })).toEqual({ kind: "float", precision: 53 });
    expect(portableFromMysqlField({ columnType: 10 })).toEqual({ kind: "date" });
    expect(portableFromMysqlField({ columnType: 252, characterSet: 224 })).toEqual({ kind: "text" });
    expect(portableFromMysqlField({ columnType: 252, characterSet: 63 })).toEqual({ kind: "binary" });
    expect(portableFromMysqlField({ columnType: 16, columnLength: 1 })).toEqual({ kind: "boolean" });
    expect(portableFromMysqlField({ columnType: 16, columnLength: 9 })).toEqual({ kind: "string", length: 9 });
    expect(portableFromMysqlField({ columnType: 245 })).toEqual({ kind: "json" });
    expect(portableFromMysqlField({ columnType: 255 })).toEqual({ kind: "unknown" });
  });

  it("bytes per character by collation id; unknown ids never shorten a length", () => {
    expect([45, 46, 224, 255].map(mysqlBytesPerChar)).toEqual([4, 4, 4, 4]);
    expect([33, 83, 192].map(mysqlBytesPerChar)).toEqual([3, 3, 3]);
    expect([8, 47, 63, 9999, undefined].map(mysqlBytesPerChar)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe("classifyMysqlError", () => {
  it("deadlocks, lock waits, lost connections and failover are transient", () => {
    for (const errno of [1213, 1205, 1040, 2006, 2013, 1927, 1290]) expect(classifyMysqlError({ errno }), String(errno)).toBe("transient");
    for (const code of ["PROTOCOL_CONNECTION_LOST", "ECONNRESET", "ECONNREFUSED", "ETIMEDOUT"]) expect(classifyMysqlError({ code }), code).toBe("transient");
    expect(classifyMysqlError({ errno: 9999, fatal: true })).toBe("transient");
  });

  it("bad values and constraint violations are data errors", () => {
    for (const errno of [1048, 1062, 1264, 1265, 1292, 1366, 1406, 1451, 1452, 3819, 4025]) expect(classifyMysqlError({ errno }), String(errno)).toBe("data");
  });

  it("everything else (missing table, access denied, syntax) is terminal", () => {
    for (const errno of [1146, 1045, 1064, 1054]) expect(classifyMysqlError({ errno }), String(errno)).toBe("terminal");
    expect(classifyMysqlError(new Error("something"))).toBe("terminal");
    expect(classifyMysqlError(undefined)).toBe("terminal");
  });
});
