import { describe, expect, it } from "vitest";
import { normalizeDecimal, normalizeValue } from "./table-hash.js";

describe("normalizeValue", () => {
  it("keeps NULL apart from the empty string and from the text NULL", () => {
    expect(normalizeValue(null, { kind: "text" })).toBeNull();
    expect(normalizeValue(undefined, { kind: "string" })).toBeNull();
    expect(normalizeValue("", { kind: "text" })).toBe("");
    expect(normalizeValue("NULL", { kind: "text" })).toBe("NULL");
    expect(normalizeValue("\\N", { kind: "text" })).toBe("\\N");
  });

  it("decimals compare by value, not by spelling", () => {
    expect(normalizeDecimal("12.50")).toBe("12.5");
    expect(normalizeDecimal("12.00")).toBe("12");
    expect(normalizeDecimal("+0012.3400")).toBe("12.34");
    expect(normalizeDecimal("-0.00")).toBe("0");
    expect(normalizeDecimal("-0.0000000001")).toBe("-0.0000000001");
    expect(normalizeDecimal("1.5e3")).toBe("1500");
    expect(normalizeDecimal("1.5E-3")).toBe("0.0015");
    expect(normalizeDecimal(".5")).toBe("0.5");
    expect(normalizeDecimal(2.5)).toBe("2.5");
    expect(normalizeDecimal("99999999999999999999999999.9999999999")).toBe("99999999999999999999999999.9999999999");
    expect(normalizeDecimal("NaN")).toBe("NaN");
    expect(normalizeDecimal("12.5")).not.toBe(normalizeDecimal("12.05"));
  });

  it("integers are exact text beyond 2^53, whatever the driver hands over", () => {
    expect(normalizeValue("9007199254740993", { kind: "bigint" })).toBe("9007199254740993");
    expect(normalizeValue(9007199254740993n, { kind: "bigint" })).toBe("9007199254740993");
    expect(normalizeValue("-9223372036854775808", { kind: "bigint" })).toBe("-9223372036854775808");
    expect(normalizeValue(42, { kind: "integer" })).toBe("42");
    expect(normalizeValue("007", { kind: "smallint" })).toBe("7");
    expect(normalizeValue("9007199254740993", { kind: "bigint" })).not.toBe(normalizeValue("9007199254740992", { kind: "bigint" }));
  });

  it("timestamps drop trailing fractional zeros; timestamptz compares the instant", () => {
    expect(normalizeValue("2024-03-10 02:30:00.000000", { kind: "timestamp" })).toBe("2024-03-10 02:30:00");
    expect(normalizeValue("2024-03-10T02:30:00.500", { kind: "timestamp" })).toBe("2024-03-10 02:30:00.5");
    expect(normalizeValue("2024-03-10 02:30:00.5", { kind: "timestamp" })).toBe("2024-03-10 02:30:00.5");
    expect(normalizeValue("2024-03-10 02:30:00.05", { kind: "timestamp" })).not.toBe("2024-03-10 02:30:00.5");
    expect(normalizeValue("2024-01-01 12:00:00.250+02", { kind: "timestamptz" })).toBe("2024-01-01 10:00:00.25Z");
    expect(normalizeValue("2024-01-01 05:30:00-04:30", { kind: "timestamptz" })).toBe("2024-01-01 10:00:00Z");
    expect(normalizeValue(new Date("2024-01-01T10:00:00Z"), { kind: "timestamptz" })).toBe("2024-01-01 10:00:00Z");
    expect(normalizeValue("0099-01-01 00:00:00+00", { kind: "timestamptz" })).toBe("0099-01-01 00:00:00Z");
    expect(normalizeValue("10:15:00.100000", { kind: "time" })).toBe("10:15:00.1");
  });

  it("binary is hex whether it comes as bytes or as PostgreSQL's \\x text", () => {
    expect(normalizeValue(Buffer.from([0, 255, 16]), { kind: "binary" })).toBe("00ff10");
    expect(normalizeValue("\\x00FF10", { kind: "binary" })).toBe("00ff10");
    expect(normalizeValue(Buffer.alloc(0), { kind: "binary" })).toBe("");
    expect(normalizeValue(Buffer.alloc(0), { kind: "binary" })).not.toBeNull();
  });

  it("booleans, BIT(1) and 0/1 agree", () => {
    for (const truthy of [true, 1, "1", "t", "true", Buffer.from([1])]) expect(normalizeValue(truthy, { kind: "boolean" })).toBe("1");
    for (const falsy of [false, 0, "0", "f", "false", Buffer.from([0])]) expect(normalizeValue(falsy, { kind: "boolean" })).toBe("0");
  });

  it("JSON compares structurally; floats by value", () => {
    expect(normalizeValue('{"b": 1, "a": [1, 2]}', { kind: "json" })).toBe(normalizeValue({ a: [1, 2], b: 1 }, { kind: "json" }));
    expect(normalizeValue("1.50", { kind: "float" })).toBe("1.5");
    expect(normalizeValue(-0, { kind: "float" })).toBe("0");
  });
});
