import { describe, it, expect } from "vitest";
import { DataBridgeError } from "../errors.js";
import { compileExpression, fromMathValue, isNumericKind, mathjs, mathFunctionNames, parseExpression, toMathValue } from "./expression.js";

const math = mathjs();

const evaluate = (source: string, scope: Record<string, unknown> = {}) => fromMathValue(compileExpression(parseExpression(source)).evaluate(scope));

describe("parseExpression", () => {
  it("lists the source columns an expression reads, once each, in order of first use", () => {
    expect(parseExpression("quantity * unit_price + quantity").symbols).toEqual(["quantity", "unit_price"]);
    expect(parseExpression("round(LABST * VERPR, 2)").symbols).toEqual(["LABST", "VERPR"]);
  });

  it("does not count function names, constants or the null literal as columns", () => {
    expect(parseExpression("max(a, b) * pi + e - sqrt(c)").symbols).toEqual(["a", "b", "c"]);
    expect(parseExpression("status == null or flag == true").symbols).toEqual(["status", "flag"]);
  });

  it("throws with the position when the text does not parse", () => {
    expect(() => parseExpression("a * (b")).toThrow(/Parenthesis \) expected/);
    expect(() => parseExpression("a +")).toThrow(/char 4/);
  });
});

describe("evaluation", () => {
  it("is exact decimal arithmetic (BigNumber), never binary floating point", () => {
    expect(evaluate("0.1 + 0.2")).toBe("0.3");
    expect(evaluate("a * b", { a: toMathValue("12.50", true), b: toMathValue(3, true) })).toBe("37.5");
    expect(evaluate("a + 1", { a: toMathValue(9007199254740993n, true) })).toBe("9007199254740994");
    expect(evaluate("1 / 3")).toBe("0.3333333333333333333333333333333333333333333333333333333333333333");
  });

  it("== and != compare strings as strings (mathjs alone would convert them to numbers)", () => {
    expect(evaluate("s == 'A'", { s: "A" })).toBe(true);
    expect(evaluate("s == 'A'", { s: "a" })).toBe(false);
    expect(evaluate("s != 'Ä'", { s: "Ä" })).toBe(false);
    expect(evaluate("s == '007'", { s: "7" })).toBe(false);
    expect(evaluate("n == '5'", { n: toMathValue(5, true) })).toBe(true);
    expect(evaluate("n == 5.0", { n: toMathValue("5.00", true) })).toBe(true);
  });

  it("a comparison involving NULL is false; comparing with the null literal tests for NULL", () => {
    expect(evaluate("s == 'A'", { s: null })).toBe(false);
    expect(evaluate("s != 'A'", { s: null })).toBe(false);
    expect(evaluate("s == null", { s: null })).toBe(true);
    expect(evaluate("null == s", { s: "x" })).toBe(false);
    expect(evaluate("s != null", { s: "x" })).toBe(true);
    expect(evaluate("s == 'A' or t == 'B'", { s: null, t: "B" })).toBe(true);
  });

  it("a runtime failure is a data error quoting the expression", () => {
    const compiled = compileExpression(parseExpression("a * b"));
    let caught: unknown;
    try {
      compiled.evaluate({ a: math.bignumber(1), b: "abc" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DataBridgeError);
    expect((caught as DataBridgeError).kind).toBe("data");
    expect((caught as DataBridgeError).message).toMatch(/^expression `a \* b` failed: .*abc/);
  });
});

describe("value conversion", () => {
  it("toMathValue makes numbers and numeric text BigNumbers and leaves other text alone", () => {
    expect(toMathValue(null, true)).toBeNull();
    expect((toMathValue("12.50", true) as { isBigNumber?: boolean }).isBigNumber).toBe(true);
    expect(toMathValue("12.50", false)).toBe("12.50");
    expect((toMathValue(3, false) as { isBigNumber?: boolean }).isBigNumber).toBe(true);
  });

  it("fromMathValue turns BigNumbers into plain decimal text (no exponent) and non-finite into NULL", () => {
    expect(fromMathValue(math.bignumber("1e-10"))).toBe("0.0000000001");
    expect(fromMathValue(math.bignumber("1.5e25"))).toBe("15000000000000000000000000");
    expect(fromMathValue(math.evaluate("1/0"))).toBeNull();
    expect(fromMathValue(true)).toBe(true);
    expect(fromMathValue(null)).toBeNull();
  });

  it("numeric kinds are the integer, decimal and float portable kinds", () => {
    expect(["smallint", "integer", "bigint", "decimal", "float"].every(isNumericKind)).toBe(true);
    expect(["string", "text", "date", undefined].some(isNumericKind)).toBe(false);
  });

  it("function names for completions exclude the engine's own helpers", () => {
    const names = mathFunctionNames();
    expect(names).toContain("round");
    expect(names).toContain("sqrt");
    expect(names.some((n) => n.startsWith("databridge"))).toBe(false);
  });
});
