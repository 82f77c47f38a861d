import { describe, expect, it } from "vitest";
import { carrySqliteValue, portableFromSqliteType, sqliteAffinity, sqliteReadExpression, sqliteShape, SqliteValueRejected } from "./sqlite-types.js";

const utf8 = (text: string) => new TextEncoder().encode(text);
const rejected = (value: unknown) => (value instanceof SqliteValueRejected ? value.reason : undefined);

describe("sqliteAffinity (the five rules of sqlite.org/datatype3.html §3.1, with its own examples)", () => {
  it.each([
    ["INT", "INTEGER"], ["INTEGER", "INTEGER"], ["TINYINT", "INTEGER"], ["UNSIGNED BIG INT", "INTEGER"], ["INT8", "INTEGER"],
    ["CHARACTER(20)", "TEXT"], ["VARCHAR(255)", "TEXT"], ["NATIVE CHARACTER(70)", "TEXT"], ["NVARCHAR(100)", "TEXT"], ["TEXT", "TEXT"], ["CLOB", "TEXT"],
    ["BLOB", "BLOB"], ["", "BLOB"],
    ["REAL", "REAL"], ["DOUBLE", "REAL"], ["DOUBLE PRECISION", "REAL"], ["FLOAT", "REAL"],
    ["NUMERIC", "NUMERIC"], ["DECIMAL(10,5)", "NUMERIC"], ["BOOLEAN", "NUMERIC"], ["DATE", "NUMERIC"], ["DATETIME", "NUMERIC"], ["STRING", "NUMERIC"],
    // Rule order: "INT" wins over everything, so these famous spellings are INTEGER.
    ["FLOATING POINT", "INTEGER"], ["POINT", "INTEGER"], ["CHARINT", "INTEGER"],
  ])("%s → %s", (declared, affinity) => {
    expect(sqliteAffinity(declared)).toBe(affinity);
  });
});

describe("sqliteShape and portableFromSqliteType", () => {
  it.each([
    ["INTEGER", "integer", { kind: "bigint" }], ["tinyint(1)", "integer", { kind: "bigint" }], ["BIGINT UNSIGNED", "integer", { kind: "bigint" }],
    ["REAL", "real", { kind: "float", precision: 53 }], ["FLOAT", "real", { kind: "float", precision: 53 }],
    ["NUMERIC(10,2)", "numeric", { kind: "decimal" }], ["decimal", "numeric", { kind: "decimal" }], ["MONEY", "numeric", { kind: "decimal" }],
    ["BOOLEAN", "boolean", { kind: "boolean" }], ["bool", "boolean", { kind: "boolean" }],
    ["DATE", "date", { kind: "date" }], ["DATETIME", "datetime", { kind: "timestamp" }], ["timestamp", "datetime", { kind: "timestamp" }],
    ["TIMESTAMP WITH TIME ZONE", "instant", { kind: "timestamptz" }], ["TIMESTAMPTZ", "instant", { kind: "timestamptz" }], ["TIME", "time", { kind: "time" }],
    ["JSON", "json", { kind: "json" }], ["UUID", "uuid", { kind: "uuid" }],
    ["BLOB", "blob", { kind: "binary" }], ["TEXT", "text", { kind: "text" }], ["VARCHAR(40)", "text", { kind: "string", length: 40 }],
    ["CLOB", "text", { kind: "text" }], ["", "untyped", { kind: "text" }], ["STRING", "other", { kind: "text" }],
  ])("%s", (declared, shape, portable) => {
    expect(sqliteShape(declared)).toBe(shape);
    expect(portableFromSqliteType(declared)).toEqual(portable);
  });
});

describe("sqliteReadExpression", () => {
  it("reads text as its bytes and marks a BLOB where none is declared; a declared BLOB is read as bytes", () => {
    expect(sqliteReadExpression('"note"', "text")).toBe(`CASE typeof("note") WHEN 'text' THEN CAST("note" AS BLOB) WHEN 'blob' THEN 'b' || hex("note") ELSE "note" END`);
    expect(sqliteReadExpression('"doc"', "blob")).toBe(`CASE typeof("doc") WHEN 'integer' THEN "doc" WHEN 'real' THEN "doc" ELSE CAST("doc" AS BLOB) END`);
  });
});

describe("carrySqliteValue", () => {
  it("text arrives as its bytes: every character kept (NUL, tabs, quotes, non-ASCII); text that is not UTF-8 is rejected", () => {
    for (const text of ["", "a\u0000b", "tab\there\nnew 'q' \"dq\" \\", "Zürich — 東京 🚀"]) expect(carrySqliteValue(utf8(text), "text", "TEXT")).toBe(text);
    expect(rejected(carrySqliteValue(Uint8Array.of(0x63, 0x61, 0x66, 0xe9), "text", "TEXT"))).toBe("text that is not UTF-8 (4 bytes: 636166e9)");
    expect(rejected(carrySqliteValue(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61), "text", "TEXT"))).toBeUndefined();
    // A byte-order mark is a character of the text, kept.
    expect(carrySqliteValue(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61), "text", "TEXT")).toBe("\ufeffa");
  });

  it("a BLOB where BLOB is not declared is rejected; a declared BLOB keeps its bytes", () => {
    expect(rejected(carrySqliteValue("b00FF41", "text", "TEXT"))).toBe("a BLOB of 3 bytes in a column declared TEXT");
    expect(rejected(carrySqliteValue("b", "untyped", ""))).toBe("a BLOB of 0 bytes in a column declared without a type");
    const bytes = Uint8Array.of(0, 255, 9);
    expect(carrySqliteValue(bytes, "blob", "BLOB")).toBe(bytes);
    expect(rejected(carrySqliteValue(7, "blob", "BLOB"))).toBe("the number 7 in a column declared BLOB: a bytea holds bytes");
  });

  it("numbers are never rounded: BigInt beyond 2^53, the stored double as is", () => {
    expect(carrySqliteValue(9007199254740993n, "integer", "INTEGER")).toBe(9007199254740993n);
    expect(carrySqliteValue(0.30000000000000004, "real", "REAL")).toBe(0.30000000000000004);
    expect(carrySqliteValue(12.5, "numeric", "NUMERIC(10,2)")).toBe(12.5);
    expect(carrySqliteValue(utf8("12.50"), "numeric", "NUMERIC(10,2)")).toBe("12.50");
  });

  it("booleans are 0 and 1; other numbers are rejected", () => {
    expect(carrySqliteValue(0, "boolean", "BOOLEAN")).toBe(false);
    expect(carrySqliteValue(1, "boolean", "BOOLEAN")).toBe(true);
    expect(rejected(carrySqliteValue(2, "boolean", "BOOLEAN"))).toBe("2 is not a boolean (0 or 1)");
    expect(carrySqliteValue(utf8("true"), "boolean", "BOOLEAN")).toBe("true");
  });

  it("dates and times: ISO text only, never a guess, never an offset dropped", () => {
    const carry = (value: unknown, shape: "date" | "datetime" | "instant" | "time", declared = shape.toUpperCase()) => carrySqliteValue(typeof value === "string" ? utf8(value) : value, shape, declared);
    expect(carry("2024-02-29", "date")).toBe("2024-02-29");
    expect(rejected(carry("2024-02-29 10:00:00", "date"))).toMatch(/is not an ISO date/);
    expect(rejected(carry("01/02/2024", "date"))).toMatch(/is not an ISO date/);
    expect(rejected(carry(1700000000, "date"))).toMatch(/^the number 1700000000 in a column declared DATE/);
    expect(rejected(carry(2460000.5, "datetime", "DATETIME"))).toMatch(/a unix time or a Julian day is not guessed/);
    expect(["2024-02-29 23:59:59", "2024-02-29T23:59:59.123456", "2024-02-29 23:59", "2024-02-29"].map((text) => carry(text, "datetime", "DATETIME")))
      .toEqual(["2024-02-29 23:59:59", "2024-02-29 23:59:59.123456", "2024-02-29 23:59:00", "2024-02-29 00:00:00"]);
    expect(rejected(carry("2024-02-29T23:59:59Z", "datetime", "DATETIME"))).toMatch(/it has an offset, which a timestamp column would drop/);
    expect(rejected(carry("2024-02-29 23:59:59+02:00", "datetime", "DATETIME"))).toMatch(/offset/);
    expect(rejected(carry("2024-02-29 23:59:59.1234567", "datetime", "DATETIME"))).toMatch(/to the microsecond/);
    expect(rejected(carry("now", "datetime", "DATETIME"))).toMatch(/is not an ISO date and time/);
    expect(carry("2024-02-29 23:59:59+02:00", "instant", "TIMESTAMPTZ")).toBe("2024-02-29 23:59:59+02:00");
    expect(carry("2024-02-29T23:59Z", "instant", "TIMESTAMPTZ")).toBe("2024-02-29 23:59:00Z");
    expect(rejected(carry("2024-02-29 23:59:59", "instant", "TIMESTAMPTZ"))).toMatch(/it has no offset/);
    expect(carry("23:59:59.5", "time")).toBe("23:59:59.5");
    expect(carry("23:59", "time")).toBe("23:59:00");
    expect(rejected(carry("11pm", "time"))).toMatch(/is not an ISO time/);
  });

  it("NULL stays NULL whatever the column", () => {
    for (const shape of ["text", "blob", "integer", "date", "boolean"] as const) expect(carrySqliteValue(null, shape, "X")).toBeNull();
  });
});
