import { createRequire } from "node:module";
import { describe, it, expect } from "vitest";
import type { MathJsInstance, MathNode } from "mathjs";
import { DataBridgeError } from "../errors.js";
import { createExpressionSandbox, fromMathValue, isNumericKind, mathFunctionNames, parseExpression } from "./expression.js";
import { ExpressionLimitError } from "./expression-sandbox.js";
import { EXPRESSION_FUNCTIONS, isOutOfRange } from "./expression-rules.js";

const sandbox = createExpressionSandbox();
const value = (v: unknown) => sandbox.toValue(v, true);
const evaluate = (source: string, scope: Record<string, unknown> = {}) => fromMathValue(sandbox.compile(parseExpression(source)).evaluate(scope));

/** The error a call throws (fails the test when it throws nothing). */
function thrown(call: () => unknown): DataBridgeError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(DataBridgeError);
    return error as DataBridgeError;
  }
  throw new Error("expected an error, got none");
}

describe("parseExpression", () => {
  it("lists the source columns an expression reads, once each, in order of first use", () => {
    expect(parseExpression("quantity * unit_price + quantity").symbols).toEqual(["quantity", "unit_price"]);
    expect(parseExpression("round(LABST * VERPR, 2)").symbols).toEqual(["LABST", "VERPR"]);
  });

  it("does not count called functions, constants or the null literal as columns; a column may share a function's name", () => {
    expect(parseExpression("max(a, b) * pi + e - sqrt(c)").symbols).toEqual(["a", "b", "c"]);
    expect(parseExpression("status == null or flag == true").symbols).toEqual(["status", "flag"]);
    expect(parseExpression("max(max, 1) + version + i").symbols).toEqual(["max", "version", "i"]);
  });

  it("a syntax error is a config error with the position", () => {
    expect(() => parseExpression("a * (b")).toThrow(/^expression `a \* \(b` does not parse: Parenthesis \) expected/);
    expect(thrown(() => parseExpression("a +")).kind).toBe("config");
    expect(() => parseExpression("a +")).toThrow(/char 4/);
  });
});

describe("the allow-list", () => {
  const refusal = (source: string) => {
    const error = thrown(() => parseExpression(source));
    expect(error.kind).toBe("config");
    expect(error.message.split("\n")).toHaveLength(1);
    expect(error.message).toContain("do anything else in a query source or a plugin transform");
    return error.message;
  };

  it("refuses, at parse time and naming them, what reconfigures mathjs, builds matrices, loops or costs unbounded time", () => {
    expect(refusal("config({precision: number(2)}) * 0 + amount")).toMatch(/^expression `config\(\{precision: number\(2\)\}\) \* 0 \+ amount` may not use `config`, objects `\{…\}` or `number`: /);
    expect(refusal("size(ones(1e9))[1] * 0 + amount")).toMatch(/may not use indexing or properties `x\[…\]`, `x\.y`, `size` or `ones`:/);
    expect(refusal("zeros(1e5, 1e5)")).toMatch(/may not use `zeros`:/);
    expect(refusal("range(1, 1e8)")).toMatch(/may not use `range`:/);
    expect(refusal("gamma(1e7)")).toMatch(/may not use `gamma`:/);
    expect(refusal("f(x) = f(x)")).toMatch(/may not use function definitions `f\(x\) = …`:/);
    expect(refusal("a = 1")).toMatch(/may not use assignments `a = …`:/);
    expect(refusal("[1, 2]")).toMatch(/may not use lists `\[…\]`:/);
    expect(refusal("1:1e8")).toMatch(/may not use ranges `a:b`:/);
    expect(refusal("a; b")).toMatch(/may not use several statements/);
    expect(refusal("a.b")).toMatch(/may not use indexing or properties/);
    expect(refusal("a!")).toMatch(/may not use the operator `!`:/);
    expect(refusal("a'")).toMatch(/may not use the operator `'`:/);
    expect(refusal("a .* b")).toMatch(/may not use the operator `\.\*`:/);
    expect(refusal("a & b")).toMatch(/may not use the operator `&`:/);
    expect(refusal("a to cm")).toMatch(/may not use the operator `to`:/);
    expect(refusal("1e99999 * a")).toMatch(/may not use the number 1e\+99999 \(beyond 1e±1000\):/);
    // The engine's own NULL helpers exist only as rewrites of `==` / `!=`.
    expect(refusal("databridgeEqual(a, b)")).toMatch(/may not use `databridgeEqual`:/);
  });

  it("refuses every function mathjs has that is not on the list (an allow-list, not a deny-list), mathjs's security list included", () => {
    const { create, all } = createRequire(import.meta.url)("mathjs") as typeof import("mathjs");
    const everything = create(all) as unknown as Record<string, unknown>;
    const names = Object.keys(everything).filter((name) => typeof everything[name] === "function" && /^[A-Za-z]\w*$/.test(name));
    expect(names.length).toBeGreaterThan(300);
    for (const name of ["config", "import", "createUnit", "evaluate", "parse", "compile", "simplify", "derivative", "resolve", "rationalize", "reviver", "chain", "matrix", "identity", "diag", "random", "resize", "reshape", "kron", "concat", "factorial", "combinations"]) {
      expect(names).toContain(name);
    }
    const accepted = names.filter((name) => {
      try {
        parseExpression(`${name}(1)`);
        return true;
      } catch {
        return false;
      }
    });
    // `not(1)` is the operator `not` applied to `(1)`.
    expect(accepted.sort()).toEqual([...EXPRESSION_FUNCTIONS, "not"].sort());
  });

  it("accepts arithmetic, comparisons (also chained), logic, ?: , percentages and every listed function", () => {
    for (const source of [
      "a + b - c * d / e2 % f ^ 2", "-a + +b", "2a", "a mod b", "a == b and c != d or not e2 xor f", "a < b <= c", "a >= b > c",
      "a > 0 ? 'pos' : a < 0 ? 'neg' : null", "a + 10%", "pi * E", "true and false or null == a",
      ...EXPRESSION_FUNCTIONS.map((name) => `${name}(a, 2)`),
    ]) {
      expect(() => parseExpression(source), source).not.toThrow();
    }
    expect(mathFunctionNames()).toEqual([...EXPRESSION_FUNCTIONS]);
  });
});

/**
 * The reference path: mathjs's own compiler over the same parsed tree, in a full instance with the
 * engine's NULL helpers (how expressions were evaluated before the sandbox). The sandbox's evaluator
 * must give the same value, or fail where it fails, for every expression and edge value.
 */
function referencePath(): { math: MathJsInstance; evaluate(node: MathNode, scope: Record<string, unknown>): unknown } {
  const { create, all } = createRequire(import.meta.url)("mathjs") as typeof import("mathjs");
  const math = create(all, { number: "BigNumber", precision: 64 });
  const isNull = (v: unknown) => v === null || v === undefined;
  const looseEqual = (a: unknown, b: unknown) => (typeof a === "string" || typeof b === "string" ? String(a) === String(b) : Boolean(math.equal(a as never, b as never)));
  math.import({
    databridgeEqual: (a: unknown, b: unknown) => (isNull(a) || isNull(b) ? false : looseEqual(a, b)),
    databridgeUnequal: (a: unknown, b: unknown) => (isNull(a) || isNull(b) ? false : !looseEqual(a, b)),
    databridgeIsNull: (a: unknown) => isNull(a),
    databridgeIsNotNull: (a: unknown) => !isNull(a),
  }, { override: true });
  // A tree compiles against the instance that parsed it: re-parse the engine's (rewritten) tree here.
  return { math, evaluate: (node, scope) => math.parse(node.toString()).compile().evaluate({ ...scope }) };
}

describe("evaluation: the sandbox against mathjs's own compiler", () => {
  const reference = referencePath();
  // A number beyond the limit is refused by the sandbox; mathjs would hand it on (and writing it out could
  // exhaust the heap), so both count as "beyond".
  const outcome = (run: () => unknown): string => {
    try {
      const raw = run();
      if (isOutOfRange(raw)) return "beyond";
      const result = fromMathValue(raw);
      return `= ${typeof result}:${String(result)}`;
    } catch (error) {
      return error instanceof ExpressionLimitError ? "beyond" : "throws";
    }
  };

  it("gives the same result (or also fails) over edge values", () => {
    const expressions = [
      "a + b", "a - b", "a * b", "a / b", "a % b", "mod(a, b)", "a ^ 2", "pow(a, b)", "-a", "+a", "2a + 3", "a + 10%",
      "a == b", "a != b", "a < b", "a <= b", "a > b", "a >= b", "a == null", "a != null", "a < b < 10",
      "a and b", "a or b", "not a", "a xor b", "a > 0 ? a : b", "a ? 'yes' : 'no'",
      "round(a)", "round(a, 2)", "abs(a)", "floor(a)", "ceil(a)", "fix(a)", "min(a, b)", "max(a, b, 1)", "sign(a)",
      "sqrt(a)", "exp(a)", "log(a)", "log10(a)", "log(a, 2)", "sum(a, b)", "mean(a, b)", "a * pi", "e ^ a",
    ];
    const values: unknown[] = [
      null, "0", "-0", "1", "-1", "2.5", "-2.5", "0.1", "1234.56", "1e-10", "123456789012345678901234567890.123456789",
      "9007199254740993", 7, 1.5, 9007199254740993n, true, false, "A", "", "007", "12abc",
    ];
    let compared = 0;
    const differences: string[] = [];
    for (const source of expressions) {
      const parsed = parseExpression(source);
      const compiled = sandbox.compile(parsed);
      for (const a of values) {
        for (const b of [null, "3", "-0.5", "A", true, 2]) {
          // Numeric text is a number when it comes from a numeric column: try both.
          for (const numeric of [true, false]) {
            const mine = outcome(() => compiled.evaluate({ a: sandbox.toValue(a, numeric && typeof a !== "boolean"), b: sandbox.toValue(b, numeric && typeof b !== "boolean") }));
            const toReference = (v: unknown, n: boolean) => (v === null ? null : typeof v === "number" || typeof v === "bigint" || (n && typeof v === "string") ? reference.math.bignumber(String(v)) : v);
            let theirs: string;
            try {
              theirs = outcome(() => reference.evaluate(parsed.node, { a: toReference(a, numeric && typeof a !== "boolean"), b: toReference(b, numeric && typeof b !== "boolean") }));
            } catch {
              theirs = "throws";
            }
            compared++;
            if (mine !== theirs) differences.push(`${source} with a=${String(a)} b=${String(b)} numeric=${numeric}: sandbox ${mine}, mathjs ${theirs}`);
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(10_000);
    expect(differences).toEqual([]);
  });

  it("is exact decimal arithmetic (BigNumber), never binary floating point", () => {
    expect(evaluate("0.1 + 0.2")).toBe("0.3");
    expect(evaluate("a * b", { a: value("12.50"), b: value(3) })).toBe("37.5");
    expect(evaluate("a + 1", { a: value(9007199254740993n) })).toBe("9007199254740994");
    expect(evaluate("1 / 3")).toBe("0.3333333333333333333333333333333333333333333333333333333333333333");
    expect(evaluate("amount * 1.5", { amount: value("1234.56") })).toBe("1851.84");
  });

  it("== and != compare strings as strings (mathjs alone would convert them to numbers), in chains too", () => {
    expect(evaluate("s == 'A'", { s: "A" })).toBe(true);
    expect(evaluate("s == 'A'", { s: "a" })).toBe(false);
    expect(evaluate("s != 'Ä'", { s: "Ä" })).toBe(false);
    expect(evaluate("s == '007'", { s: "7" })).toBe(false);
    expect(evaluate("n == '5'", { n: value(5) })).toBe(true);
    expect(evaluate("n == 5.0", { n: value("5.00") })).toBe(true);
    expect(evaluate("s == t == 'A'", { s: "A", t: "A" })).toBe(true);
    expect(evaluate("s == '007' == t", { s: "7", t: "007" })).toBe(false);
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
    const error = thrown(() => sandbox.compile(parseExpression("a * b")).evaluate({ a: value(1), b: "abc" }));
    expect(error.kind).toBe("data");
    expect(error.message).toMatch(/^expression `a \* b` failed: .*abc/);
  });
});

describe("limits at run time", () => {
  it("a number beyond 1e±1000 anywhere in the evaluation is a data error for the row, naming the part", () => {
    for (const [source, part] of [["a ^ 5000", "`a \\^ 5000` is about 1e\\+1505"], ["exp(a * 2000) / exp(a * 2000)", "`exp\\(a \\* 2000\\)` is about 2e\\+1737"], ["a / 10 ^ 999 / 100", "`a / 10 \\^ 999 / 100` is about 2e-1001"]] as const) {
      const error = thrown(() => sandbox.compile(parseExpression(source)).evaluate({ a: value(2) }));
      expect(error).toBeInstanceOf(ExpressionLimitError);
      expect(error.kind).toBe("data");
      expect(error.message).toMatch(new RegExp(`^expression \`.*\` failed: ${part}, beyond the 1e±1000 an expression may hold$`));
    }
    expect(evaluate("10 ^ 1000 / 10 ^ 999")).toBe("10");
    expect(evaluate("exp(2300) > 1")).toBe(true);
    expect(evaluate("1 / 0")).toBeNull(); // non-finite results stay NULL, as before
  });

  it("a list (an array column) is refused, not iterated: costs never grow with a value's size", () => {
    const error = thrown(() => sandbox.compile(parseExpression("sum(tags) + 1")).evaluate({ tags: [1, 2, 3] }));
    expect(error).toBeInstanceOf(ExpressionLimitError);
    expect(error.message).toBe("expression `sum(tags) + 1` failed: expressions work on single values, not lists");
    // Testing a list column for NULL still works.
    expect(evaluate("tags == null", { tags: [1, 2] })).toBe(false);
  });

  it("a row that takes longer than the budget is a data error (read from the sandbox's clock)", () => {
    let clock = 0;
    const slow = createExpressionSandbox({ millisPerRow: 50, now: () => (clock += 60) });
    const compiled = slow.compile(parseExpression("a + 1"));
    const error = thrown(() => compiled.evaluate({ a: slow.toValue(1, true) }));
    expect(error).toBeInstanceOf(ExpressionLimitError);
    expect(error.message).toBe("expression `a + 1` took 60 ms for one row, more than the 50 ms an expression may take");
    const fast = createExpressionSandbox({ millisPerRow: 50, now: () => (clock += 10) });
    expect(fromMathValue(fast.compile(parseExpression("a + 1")).evaluate({ a: fast.toValue(1, true) }))).toBe("2");
  });
});

describe("isolation", () => {
  it("each sandbox has its own mathjs instance, which refuses to be reconfigured", () => {
    const one = createExpressionSandbox();
    const other = createExpressionSandbox();
    const compile = (box: typeof one) => box.compile(parseExpression("amount * 1.5"));
    const [first, second] = [compile(one), compile(other)];
    expect(one.math).not.toBe(other.math);
    expect(() => one.math.config({ precision: 2 })).toThrow(/config is not available in expressions/);
    expect(() => one.math.import({ add: () => 0 }, { override: true })).toThrow(/import is not available/);
    expect(one.math.config().precision).toBe(64);
    // Even if something did change one instance (here: its BigNumber class, by hand), the other is untouched.
    (one.math as unknown as { BigNumber: { set(options: object): void } }).BigNumber.set({ precision: 2 });
    expect(fromMathValue(first.evaluate({ amount: one.toValue("1234.56", true) }))).toBe("1900");
    expect(fromMathValue(second.evaluate({ amount: other.toValue("1234.56", true) }))).toBe("1851.84");
    expect(fromMathValue(compile(createExpressionSandbox()).evaluate({ amount: createExpressionSandbox().toValue("1234.56", true) }))).toBe("1851.84");
  });
});

describe("value conversion", () => {
  it("toValue makes numbers and numeric text BigNumbers and leaves other text alone", () => {
    expect(sandbox.toValue(null, true)).toBeNull();
    expect((sandbox.toValue("12.50", true) as { isBigNumber?: boolean }).isBigNumber).toBe(true);
    expect(sandbox.toValue("12.50", false)).toBe("12.50");
    expect((sandbox.toValue(3, false) as { isBigNumber?: boolean }).isBigNumber).toBe(true);
  });

  it("fromMathValue turns BigNumbers into plain decimal text (no exponent) and non-finite into NULL", () => {
    expect(fromMathValue(value("1e-10"))).toBe("0.0000000001");
    expect(fromMathValue(value("1.5e25"))).toBe("15000000000000000000000000");
    expect(fromMathValue(sandbox.compile(parseExpression("1/0")).evaluate({}))).toBeNull();
    expect(fromMathValue(true)).toBe(true);
    expect(fromMathValue(null)).toBeNull();
  });

  it("numeric kinds are the integer, decimal and float portable kinds", () => {
    expect(["smallint", "integer", "bigint", "decimal", "float"].every(isNumericKind)).toBe(true);
    expect(["string", "text", "date", undefined].some(isNumericKind)).toBe(false);
  });
});
