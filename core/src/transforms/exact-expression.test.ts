import { describe, expect, it } from "vitest";
import type { PortableType } from "../connectors/connector.js";
import { compileExactEvaluator, exactExpression } from "./exact-expression.js";
import { createExpressionSandbox, fromMathValue, parseExpression } from "./expression.js";

const TYPES: Record<string, PortableType> = {
  qty: { kind: "integer" },
  price: { kind: "decimal", precision: 12, scale: 2 },
  rate: { kind: "decimal", precision: 30, scale: 10 },
  loose: { kind: "decimal" },
  name: { kind: "text" },
};
const COLUMNS = Object.keys(TYPES);
const typeOf = (name: string) => TYPES[name];

/** Differential: the scaled-integer evaluator against mathjs's BigNumber sandbox (the path it replaces), value for value. */
describe("exact expressions: scaled integers give what decimal.js gave", () => {
  const EXPRESSIONS = ["qty * price", "price + rate - 1.5", "-price * 2 + qty", "price * rate * qty", "price >= qty", "qty * price > 100 and not (qty == 3)", "price", "-(price - rate)"];
  // A seeded generator: the same values on every run.
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const decimal = (digits: number, scale: number) => {
    const whole = Math.floor(random() * 10 ** Math.min(digits - scale, 15)).toString();
    const fraction = Array.from({ length: scale }, () => Math.floor(random() * 10)).join("");
    return `${random() < 0.3 ? "-" : ""}${whole}.${fraction}`;
  };
  const rows = Array.from({ length: 400 }, (_, i) => [
    i % 17 === 0 ? 0 : Math.floor(random() * 2_000_000) - 1_000_000,
    i % 13 === 0 ? "0.00" : i % 11 === 0 ? "-0.00" : decimal(12, 2),
    decimal(30, 10),
  ]);

  for (const source of EXPRESSIONS) {
    it(source, () => {
      const parsed = parseExpression(source);
      const exact = exactExpression(parsed, typeOf)!;
      expect(exact).toBeDefined();
      const fast = compileExactEvaluator(exact, (name) => (row) => row[COLUMNS.indexOf(name)]);
      const sandbox = createExpressionSandbox();
      const compiled = sandbox.compile(parsed);
      for (const row of rows) {
        const scope = Object.fromEntries(parsed.symbols.map((name) => [name, sandbox.toValue(row[COLUMNS.indexOf(name)], true)]));
        expect(fast(row), `${source} with ${JSON.stringify(row)}`).toEqual(fromMathValue(compiled.evaluate(scope)));
      }
    });
  }

  it("NULL in any input is NULL, for arithmetic and conditions alike", () => {
    const fast = (source: string) => compileExactEvaluator(exactExpression(parseExpression(source), typeOf)!, (name) => (row) => row[COLUMNS.indexOf(name)]);
    expect(fast("qty * price")([null, "1.50"])).toBeNull();
    expect(fast("qty > 1 or price > 1")([null, "5.00"])).toBeNull();
  });

  it("what is not plain exact arithmetic stays with mathjs", () => {
    for (const source of ["qty / price", "round(price)", "price == null", "loose * 2", "name == 1", "qty ^ 2", "price % 2", "(qty > 1) * 2"]) {
      expect(exactExpression(parseExpression(source), typeOf), source).toBeUndefined();
    }
  });
});
