import { describe, it, expect } from "vitest";
import { DataBridgeError } from "../errors.js";
import { convertTypes, makeConverter, roundHalfUp, type ConvertOptions, type ConvertType } from "./convert.js";

const convert = (type: ConvertType, value: unknown, options?: ConvertOptions) => makeConverter(type, options)(value);

/** The data error a conversion throws (fails the test when it does not throw). */
function rejection(type: ConvertType, value: unknown, options?: ConvertOptions): DataBridgeError {
  try {
    const result = makeConverter(type, options)(value);
    throw new Error(`expected ${String(value)} → ${type} to be rejected, got ${JSON.stringify(result)}`);
  } catch (error) {
    if (!(error instanceof DataBridgeError)) throw error;
    expect(error.kind).toBe("data");
    return error;
  }
}

describe("convert: NULL, empty and blank input", () => {
  it("NULL (and undefined) stays NULL for every type", () => {
    for (const type of convertTypes) {
      expect(convert(type, null), type).toBeNull();
      expect(convert(type, undefined), type).toBeNull();
    }
  });

  it("an empty or blank string is NULL for every type except string, which keeps it", () => {
    for (const type of convertTypes.filter((t) => t !== "string")) {
      expect(convert(type, ""), type).toBeNull();
      expect(convert(type, " \t "), type).toBeNull();
    }
    expect(convert("string", "")).toBe("");
    expect(convert("string", "  ")).toBe("  ");
  });

  it("emptyAsNull: false makes a blank value a conversion error instead", () => {
    expect(rejection("integer", "", { emptyAsNull: false }).message).toBe('cannot convert "" to integer: not a whole number');
    expect(convert("string", "", { emptyAsNull: true })).toBeNull();
  });
});

describe("convert to string", () => {
  it("renders numbers, bigints, booleans, bytes (UTF-8), objects (JSON) and dates (UTC)", () => {
    expect(convert("string", 12)).toBe("12");
    expect(convert("string", 1.5)).toBe("1.5");
    expect(convert("string", 9007199254740993n)).toBe("9007199254740993");
    expect(convert("string", false)).toBe("false");
    expect(convert("string", new Uint8Array(Buffer.from("Grüße", "utf8")))).toBe("Grüße");
    expect(convert("string", { a: [1, "ü"], big: 2n })).toBe('{"a":[1,"ü"],"big":"2"}');
    expect(convert("string", new Date(Date.UTC(2023, 4, 6, 7, 8, 9, 10)))).toBe("2023-05-06 07:08:09.010");
    expect(convert("string", "tab\there\nnewline \\ back")).toBe("tab\there\nnewline \\ back");
  });
});

describe("convert to integer / bigint", () => {
  it("accepts whole numbers with signs, blanks around them and a zero fraction", () => {
    expect(convert("integer", "42")).toBe(42);
    expect(convert("integer", " -42 ")).toBe(-42);
    expect(convert("integer", "+7")).toBe(7);
    expect(convert("integer", "42.000")).toBe(42);
    expect(convert("integer", 42)).toBe(42);
    expect(convert("integer", "-2147483648")).toBe(-2147483648);
    expect(convert("integer", "2147483647")).toBe(2147483647);
  });

  it("rejects fractions, text, exponents and values outside INT32 with column-free messages naming the value", () => {
    expect(rejection("integer", "42.5").message).toBe('cannot convert "42.5" to integer: not a whole number');
    expect(rejection("integer", 42.7).message).toBe("cannot convert 42.7 to integer: not a whole number");
    expect(rejection("integer", "abc").message).toBe('cannot convert "abc" to integer: not a whole number');
    expect(rejection("integer", "1e3").message).toContain("not a whole number");
    expect(rejection("integer", "2147483648").message).toBe('cannot convert "2147483648" to integer: out of integer range');
    expect(rejection("integer", 9007199254740993n).message).toBe('cannot convert "9007199254740993" to integer: out of integer range');
  });

  it("bigint keeps every digit beyond 2^53 as exact text and checks the INT64 range", () => {
    expect(convert("bigint", "9007199254740993")).toBe("9007199254740993");
    expect(convert("bigint", 9007199254740993n)).toBe("9007199254740993");
    expect(convert("bigint", "9223372036854775807")).toBe("9223372036854775807");
    expect(convert("bigint", "-9223372036854775808")).toBe("-9223372036854775808");
    expect(convert("bigint", "007")).toBe("7");
    expect(rejection("bigint", "9223372036854775808").message).toBe('cannot convert "9223372036854775808" to bigint: out of bigint range');
    expect(rejection("bigint", 1.5).message).toContain("not a whole number");
  });
});

describe("convert to decimal", () => {
  it("keeps the exact digits (no float rounding)", () => {
    expect(convert("decimal", "12.50")).toBe("12.50");
    expect(convert("decimal", "+1.5")).toBe("1.5");
    expect(convert("decimal", " -0.10 ")).toBe("-0.10");
    expect(convert("decimal", "123456789012345678901234567890.123456789")).toBe("123456789012345678901234567890.123456789");
    expect(convert("decimal", 0.1)).toBe("0.1");
    expect(convert("decimal", 12n)).toBe("12");
  });

  it("expands exponents exactly", () => {
    expect(convert("decimal", "1e-3")).toBe("0.001");
    expect(convert("decimal", "-1.2E+3")).toBe("-1200");
    expect(convert("decimal", "1.25e1")).toBe("12.5");
    expect(convert("decimal", 1e21)).toBe("1000000000000000000000");
    expect(convert("decimal", 1e-7)).toBe("0.0000001");
  });

  it("rounds half away from zero to the scale", () => {
    expect(convert("decimal", "12.345", { scale: 2 })).toBe("12.35");
    expect(convert("decimal", "12.344", { scale: 2 })).toBe("12.34");
    expect(convert("decimal", "-12.345", { scale: 2 })).toBe("-12.35");
    expect(convert("decimal", "9.995", { scale: 2 })).toBe("10.00");
    expect(convert("decimal", "12", { scale: 2 })).toBe("12.00");
    expect(convert("decimal", "-0.001", { scale: 2 })).toBe("0.00");
    expect(convert("decimal", "2.5", { scale: 0 })).toBe("3");
    expect(convert("decimal", "-2.5", { scale: 0 })).toBe("-3");
    expect(convert("decimal", "1.5e-1", { scale: 1 })).toBe("0.2");
  });

  it("rejects what is not a number, including NaN, Infinity and a decimal comma", () => {
    for (const bad of ["abc", "NaN", "Infinity", "1,5", "1.2.3", "--1"]) {
      expect(rejection("decimal", bad).message).toBe(`cannot convert ${JSON.stringify(bad)} to decimal: not a number`);
    }
  });

  it("roundHalfUp works on plain decimal strings without floating point", () => {
    expect(roundHalfUp("0.125", 2)).toBe("0.13");
    expect(roundHalfUp("-0.125", 2)).toBe("-0.13");
    expect(roundHalfUp("99999999999999999999.995", 2)).toBe("100000000000000000000.00");
    expect(roundHalfUp("0.4", 0)).toBe("0");
    expect(roundHalfUp("-0.4", 0)).toBe("0");
    expect(roundHalfUp(".5", 0)).toBe("1");
  });
});

describe("convert to boolean", () => {
  it("knows the usual spellings case-insensitively, and passes booleans through", () => {
    for (const yes of ["true", "TRUE", "t", "Yes", "y", "1", "on", "X", "j", "JA"]) expect(convert("boolean", yes), yes).toBe(true);
    for (const no of ["false", "F", "no", "N", "0", "off", "nein"]) expect(convert("boolean", no), no).toBe(false);
    expect(convert("boolean", 1)).toBe(true);
    expect(convert("boolean", 0)).toBe(false);
    expect(convert("boolean", true)).toBe(true);
    expect(convert("boolean", false)).toBe(false);
  });

  it("rejects anything else and lists what it accepts", () => {
    const error = rejection("boolean", "maybe");
    expect(error.message).toMatch(/^cannot convert "maybe" to boolean: expected one of "true", .*"ja" \(true\) or "false", .*"nein" \(false\)$/);
    expect(rejection("boolean", 2).message).toContain("cannot convert 2 to boolean");
  });

  it("custom values replace the defaults; a blank listed value means that value, not NULL", () => {
    const options = { trueValues: ["X"], falseValues: [""] };
    expect(convert("boolean", "X", options)).toBe(true);
    expect(convert("boolean", "x", options)).toBe(true);
    expect(convert("boolean", "", options)).toBe(false);
    expect(convert("boolean", "  ", options)).toBe(false);
    expect(convert("boolean", null, options)).toBeNull();
    expect(rejection("boolean", "Y", options).message).toBe('cannot convert "Y" to boolean: expected one of "x" (true) or "" (false)');
  });
});

describe("convert to date / timestamp", () => {
  it("parses ISO dates and rejects impossible calendar dates", () => {
    expect(convert("date", "2023-02-28")).toBe("2023-02-28");
    expect(convert("date", "2024-02-29")).toBe("2024-02-29");
    expect(convert("date", " 2023-01-01T10:00:00 ")).toBe("2023-01-01");
    expect(rejection("date", "2023-02-29").message).toBe('cannot convert "2023-02-29" to date: no such calendar date');
    expect(rejection("date", "2023-13-01").message).toContain("no such calendar date");
    expect(rejection("date", "2023-04-31").message).toContain("no such calendar date");
    expect(rejection("date", "1900-02-29").message).toContain("no such calendar date");
    expect(convert("date", "2000-02-29")).toBe("2000-02-29");
  });

  it("rejects MySQL zero dates instead of inventing a date", () => {
    expect(rejection("date", "0000-00-00").message).toBe('cannot convert "0000-00-00" to date: no such calendar date');
    expect(rejection("timestamp", "0000-00-00 00:00:00").message).toBe('cannot convert "0000-00-00 00:00:00" to timestamp: no such calendar date');
    expect(rejection("date", "2023-00-10").message).toContain("no such calendar date");
  });

  it("without a format, only ISO text is accepted", () => {
    expect(rejection("date", "20230101").message).toBe('cannot convert "20230101" to date: not an ISO date');
    expect(rejection("date", "2023-1-5").message).toContain("not an ISO date");
    expect(rejection("date", "01.02.2023").message).toContain("not an ISO date");
  });

  it("parses with a format, including 2-digit years pivoting at 70 and single-digit fields", () => {
    expect(convert("date", "31.12.2023", { format: "dd.MM.yyyy" })).toBe("2023-12-31");
    expect(convert("date", "20240229", { format: "yyyyMMdd" })).toBe("2024-02-29");
    expect(convert("date", "1.1.23", { format: "d.M.yy" })).toBe("2023-01-01");
    expect(convert("date", "31.12.69", { format: "d.M.yy" })).toBe("2069-12-31");
    expect(convert("date", "1.1.70", { format: "d.M.yy" })).toBe("1970-01-01");
    expect(convert("date", "2023/05/06 (Sat)", { format: "yyyy/MM/dd (Sat)" })).toBe("2023-05-06");
    expect(rejection("date", "20230229", { format: "yyyyMMdd" }).message).toBe('cannot convert "20230229" to date: no such calendar date');
    expect(rejection("date", "00000000", { format: "yyyyMMdd" }).message).toContain("no such calendar date");
    expect(rejection("date", "1.1.2023", { format: "dd.MM.yyyy" }).message).toBe('cannot convert "1.1.2023" to date: does not match format dd.MM.yyyy');
  });

  it("timestamps keep the wall-clock time and fraction, never shifted by a time zone", () => {
    expect(convert("timestamp", "2023-01-01 10:11:12")).toBe("2023-01-01 10:11:12");
    expect(convert("timestamp", "2023-01-01T10:11:12.123456")).toBe("2023-01-01 10:11:12.123456");
    expect(convert("timestamp", "2023-01-01")).toBe("2023-01-01 00:00:00");
    expect(convert("timestamp", "2023-01-01 10:11")).toBe("2023-01-01 10:11:00");
    expect(convert("timestamp", "05/06/2023 07:08:09.5", { format: "dd/MM/yyyy HH:mm:ss.SSS" })).toBe("2023-06-05 07:08:09.5");
    expect(convert("timestamp", "2023-03-26 02:30:00")).toBe("2023-03-26 02:30:00"); // a DST gap in Europe: still kept
    expect(rejection("timestamp", "2023-01-01 24:00:00").message).toContain("no such calendar date");
    expect(rejection("timestamp", "05/06/2023 07:08:60.5", { format: "dd/MM/yyyy HH:mm:ss.SSS" }).message).toContain("no such calendar date");
  });

  it("a Date object is read in UTC", () => {
    const date = new Date(Date.UTC(2023, 0, 2, 23, 30, 0));
    expect(convert("date", date)).toBe("2023-01-02");
    expect(convert("timestamp", date)).toBe("2023-01-02 23:30:00.000");
    expect(rejection("date", new Date(Number.NaN)).message).toContain("not an ISO date");
  });
});

describe("convert to uuid and json", () => {
  it("normalizes UUIDs to lower-case hyphenated form and rejects the rest", () => {
    expect(convert("uuid", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")).toBe("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    expect(convert("uuid", "a0eebc999c0b4ef8bb6d6bb9bd380a11")).toBe("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    expect(rejection("uuid", "xyz").message).toBe('cannot convert "xyz" to uuid: not a UUID');
    expect(rejection("uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1").message).toContain("not a UUID");
  });

  it("produces JSON text, so scalars and strings reach a json column as JSON", () => {
    expect(convert("json", '{"a": 1, "b": [true, null]}')).toBe('{"a":1,"b":[true,null]}');
    expect(convert("json", '"x"')).toBe('"x"');
    expect(convert("json", "true")).toBe("true");
    expect(convert("json", "null")).toBe("null");
    expect(convert("json", { a: "ü", n: 2n })).toBe('{"a":"ü","n":"2"}');
    expect(convert("json", 5)).toBe("5");
    expect(convert("json", false)).toBe("false");
    expect(rejection("json", "nope").message).toMatch(/^cannot convert "nope" to json: /);
    expect(rejection("json", new Uint8Array([1])).message).toContain("binary values are not JSON");
  });
});
