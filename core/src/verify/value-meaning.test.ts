import { describe, expect, it } from "vitest";
import { portableFromPostgresType } from "../connectors/postgres/postgres-types.js";
import { columnMeaning } from "./value-meaning.js";

/** The meaning of values in a PostgreSQL column of this type, as `verify` compares them. */
const meaning = (nativeType: string) => columnMeaning({ type: portableFromPostgresType(nativeType), nativeType });

/** Each pair is the same value as two databases (or drivers) hand it over: equal by meaning. */
function expectSame(nativeType: string, pairs: [unknown, unknown][]) {
  const of = meaning(nativeType);
  for (const [a, b] of pairs) expect(of(a), `${nativeType}: ${String(a)} vs ${String(b)}`).toBe(of(b));
}

/** Each pair differs by meaning, however slightly. */
function expectDifferent(nativeType: string, pairs: [unknown, unknown][]) {
  const of = meaning(nativeType);
  for (const [a, b] of pairs) expect(of(a), `${nativeType}: ${String(a)} vs ${String(b)}`).not.toBe(of(b));
}

describe("columnMeaning: values compared by what the target column means", () => {
  it("character(n) ignores its padding; varchar and text keep trailing spaces", () => {
    expectSame("character(8)", [["abc     ", "abc"], ["        ", ""], ["  lead  ", "  lead"], ["ü€😀x    ", "ü€😀x"]]);
    expectDifferent("character(8)", [["abc", "abd"], ["  lead", "lead"], ["", null]]);
    expectDifferent("character varying(10)", [["trail ", "trail"]]);
    expectDifferent("text", [["trail ", "trail"]]);
    expect(meaning("character(8)")(null)).toBeNull();
  });

  it("numbers by value: decimal spelling, -0, and a real by the float it holds", () => {
    expectSame("numeric(10,2)", [["1.50", "1.5"], ["-0.00", "0"], ["+007.10", 7.1], ["12345678901234567890.50", "12345678901234567890.5"]]);
    expectDifferent("numeric", [["12345678901234567890.5", "12345678901234567890.6"], ["1.5", "1.05"]]);
    expectSame("double precision", [[-0, 0], ["1.7976931348623157e308", 1.7976931348623157e308], ["5e-324", 5e-324]]);
    expectDifferent("double precision", [[0.3, 0.30000000000000004], [5e-324, 0]]);
    // PostgreSQL prints a real as its shortest text (0.1); MariaDB's CAST(FLOAT AS DOUBLE) as the float's exact double.
    expectSame("real", [[0.1, 0.10000000149011612], ["3.4028235e38", 3.4028234663852886e38], [1234567, "1234567"]]);
    expectDifferent("real", [[0.1, 0.2], [16777216, 16777218]]);
    expectSame("bigint", [["9007199254740993", 9007199254740993n], ["-9223372036854775808", -9223372036854775808n]]);
    expectDifferent("bigint", [["9007199254740993", "9007199254740992"]]);
  });

  it("booleans against 0/1 (tinyint(1), BIT(1)) and PostgreSQL's spellings", () => {
    expectSame("boolean", [[true, 1], [false, 0], [true, "t"], [false, "0"], [true, Buffer.from([1])]]);
    expectDifferent("boolean", [[true, 0], [false, "t"]]);
  });

  it("arrays element by element: PostgreSQL literals, quoted literals (a SET as read), JavaScript arrays and comma lists", () => {
    expectSame("text[]", [
      ["{a,b}", '{"a","b"}'], ["{a,b}", "a,b"], ["{}", ""], ["{}", []], ['{"x\\"y","{}"," sp"}', ["x\"y", "{}", " sp"]],
      ['{"b c",NULL}', ["b c", null]], ['{"NULL"}', ["NULL"]],
    ]);
    expectDifferent("text[]", [["{a,b}", "{b,a}"], ["{a}", "{a,b}"], ['{"NULL"}', "{NULL}"], ["{}", '{""}']]);
    expectSame("integer[]", [["{1,2,-3}", [1, 2, -3]], ["{{1,2},{3,4}}", [[1, 2], [3, 4]]]]);
    expectSame("numeric(6,2)[]", [["{1.50,2}", ["1.5", "2.00"]]]);
    expectSame("character(3)[]", [['{"a  ",b}', ["a", "b"]]]);
    expectDifferent("integer[]", [["{1,2}", "{1,3}"], ["{{1,2}}", "{1,2}"]]);
  });

  it("geometries by SRID and exact coordinates: PostGIS hex EWKB, EWKT and WKT", () => {
    // SRID=4326;POINT(0.1 0.3333333333333333) as PostGIS prints it (hex EWKB, little-endian).
    const ewkb = "0101000020E61000009A9999999999B93F555555555555D53F";
    expectSame("geometry", [
      [ewkb, "SRID=4326;POINT(0.1 0.3333333333333333)"], [ewkb, "srid=4326;point(0.1 0.3333333333333333)"],
      ["POINT(1 2)", "SRID=0;POINT(1 2)"], ["MULTIPOINT(1 1,2 2)", "MULTIPOINT((1 1),(2 2))"],
      ["LINESTRING(0 0,1e300 -2.5)", "LINESTRING(0 0, 1E+300 -2.5)"],
    ]);
    expectSame("geometry(Point,4326)", [[ewkb, "SRID=4326;POINT(0.1 0.3333333333333333)"]]);
    expectDifferent("geometry", [
      [ewkb, "SRID=4326;POINT(0.1 0.33333333333333337)"], [ewkb, "POINT(0.1 0.3333333333333333)"], ["SRID=3857;POINT(1 2)", "SRID=4326;POINT(1 2)"],
      ["LINESTRING(0 0,1 1)", "LINESTRING(1 1,0 0)"],
    ]);
  });

  it("bit strings by their bits, from digits, numbers or bytes", () => {
    expectSame("bit(9)", [["101010101", 341], ["000000001", "1"], ["000000001", Buffer.from([0, 1])]]);
    expectDifferent("bit(9)", [["101010101", "101010100"]]);
    expectSame("bit varying(8)", [["101", 5]]);
    expectDifferent("bit varying(8)", [["101", "0101"]]);
  });

  it("JSON parsed: key order, whitespace and number spelling do not count; every digit does", () => {
    expectSame("jsonb", [
      ['{"b": 1, "a": [true, null, 1.50, "t\\t東"]}', '{"a":[true,null,1.5,"t\\t東"],"b":1}'],
      ['{"a": 1}', { a: 1 }], ["12345678901234567890.50", "12345678901234567890.5"], ['"scalar"', '  "scalar" '],
      ['{"a": 1, "a": 2}', '{"a": 2}'],
    ]);
    expectDifferent("jsonb", [
      ["12345678901234567890.5", "12345678901234567890.6"], ['{"a": [1, 2]}', '{"a": [2, 1]}'], ['"1"', "1"], ["null", '"null"'],
    ]);
  });

  it("instants by the instant; wall-clock timestamps and times by their digits", () => {
    expectSame("timestamp(6) with time zone", [
      ["2024-11-03 05:30:00.123456+00", "2024-11-03 11:15:00.123456+05:45"], ["2024-01-01 00:00:00+00", new Date("2024-01-01T00:00:00Z")],
    ]);
    expectDifferent("timestamp(6) with time zone", [["2024-11-03 05:30:00.123456+00", "2024-11-03 05:30:00.123457+00"], ["2024-11-03 05:30:00+00", "2024-11-03 05:30:00+01"]]);
    expectSame("timestamp(3) without time zone", [["2024-01-01 12:00:00.000", "2024-01-01 12:00:00"], ["2024-01-01T12:00:00.120", "2024-01-01 12:00:00.12"]]);
    expectSame("time(6) without time zone", [["12:30:15.500000", "12:30:15.5"]]);
  });

  it("bytes as bytes; text that only looks like hex stays text", () => {
    expectSame("bytea", [["\\x00ff10", Buffer.from([0, 255, 16])], ["\\x", Buffer.alloc(0)]]);
    expectDifferent("bytea", [["\\x00ff10", Buffer.from([0, 255, 17])]]);
    expectDifferent("text", [["00ff", "\\x00ff"]]);
  });
});
