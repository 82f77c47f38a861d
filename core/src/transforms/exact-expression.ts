import type { PortableType } from "../connectors/connector.js";
import { EXACT_MAX_PRECISION, EXACT_MAX_SCALE, isExactCondition, type ExactExpression } from "../connectors/pushdown.js";
import type { RowFunction } from "../authoring/plugin.js";
import type { ParsedExpression } from "./expression.js";

/** Digits of the integer types' largest values. */
const INTEGER_PRECISION: Partial<Record<PortableType["kind"], number>> = { smallint: 5, integer: 10, bigint: 19 };

interface Node {
  type: string;
  fn?: unknown;
  name?: string;
  value?: unknown;
  args?: Node[];
  content?: Node;
}

const OPERATORS: Record<string, "+" | "-" | "*"> = { add: "+", subtract: "-", multiply: "*" };
const COMPARISONS: Record<string, "<" | "<=" | ">" | ">=" | "=" | "<>"> = {
  smaller: "<", smallerEq: "<=", larger: ">", largerEq: ">=", databridgeEqual: "=", databridgeUnequal: "<>",
};

/**
 * The expression as exact decimal arithmetic, when it is only `+ - *`, unary minus, comparisons and
 * and/or/not over integer and DECIMAL(p,s) columns and number literals, and no intermediate value needs
 * more than {@link EXACT_MAX_PRECISION} digits. Then Node computes it with scaled integers (no decimal.js
 * per row) and a source may compute it in SQL, both without rounding. Anything else (division, functions,
 * strings, `== null`, columns of unknown precision): `undefined`, and mathjs evaluates it.
 */
export function exactExpression(parsed: ParsedExpression, columnType: (name: string) => PortableType | undefined): ExactExpression | undefined {
  const build = (node: Node): ExactExpression | undefined => {
    switch (node.type) {
      case "ParenthesisNode": return build(node.content!);
      case "ConstantNode": {
        const value = node.value as { isBigNumber?: boolean; toFixed?: () => string; isFinite?: () => boolean } | null;
        if (!value?.isBigNumber || !value.isFinite!()) return undefined;
        const text = value.toFixed!().replace(/^-/, "");
        const [whole, fraction = ""] = text.split(".");
        const precision = whole.replace(/^0+/, "").length + fraction.length || 1;
        return fits({ op: "number", literal: text, precision: Math.max(precision, fraction.length), scale: fraction.length });
      }
      case "SymbolNode": {
        const type = columnType(node.name!);
        if (!type) return undefined;
        const integer = INTEGER_PRECISION[type.kind];
        if (integer) return { op: "number", column: node.name, precision: integer, scale: 0 };
        if (type.kind === "decimal" && type.precision !== undefined && type.scale !== undefined) {
          return fits({ op: "number", column: node.name, precision: Math.max(type.precision, type.scale), scale: type.scale });
        }
        return undefined;
      }
      case "OperatorNode": {
        const fn = node.fn as string;
        const args = node.args!.map(build);
        if (args.some((a) => a === undefined)) return undefined;
        const [left, right] = args as ExactExpression[];
        if (fn === "unaryPlus") return isExactCondition(left) ? undefined : left;
        if (fn === "unaryMinus") return isExactCondition(left) ? undefined : { op: "negate", input: left, precision: precisionOf(left), scale: scaleOf(left) };
        if (OPERATORS[fn]) {
          if (isExactCondition(left) || isExactCondition(right)) return undefined;
          const [lp, ls, rp, rs] = [precisionOf(left), scaleOf(left), precisionOf(right), scaleOf(right)];
          const [precision, scale] = fn === "multiply" ? [lp + rp, ls + rs] : [Math.max(lp - ls, rp - rs) + Math.max(ls, rs) + 1, Math.max(ls, rs)];
          return fits({ op: "arithmetic", operator: OPERATORS[fn], left, right, precision, scale });
        }
        if (COMPARISONS[fn]) return compare(COMPARISONS[fn], left, right);
        if (fn === "and" || fn === "or") return isExactCondition(left) && isExactCondition(right) ? { op: "logic", operator: fn, left, right } : undefined;
        if (fn === "not") return isExactCondition(left) ? { op: "not", input: left } : undefined;
        return undefined;
      }
      case "FunctionNode": {
        // `==` and `!=` are the engine's own functions after parsing (string-aware; `== null` tests for NULL and stays in mathjs).
        const name = (node.fn as Node).name!;
        if (!COMPARISONS[name] || node.args!.length !== 2) return undefined;
        const [left, right] = node.args!.map(build);
        return left && right ? compare(COMPARISONS[name], left, right) : undefined;
      }
      default:
        return undefined;
    }
  };
  return build(parsed.node as unknown as Node);
}

function compare(operator: "<" | "<=" | ">" | ">=" | "=" | "<>", left: ExactExpression, right: ExactExpression): ExactExpression | undefined {
  return isExactCondition(left) || isExactCondition(right) ? undefined : { op: "compare", operator, left, right };
}

const precisionOf = (e: ExactExpression) => ("precision" in e ? e.precision : 1);
const scaleOf = (e: ExactExpression) => ("scale" in e ? e.scale : 0);
const fits = (e: ExactExpression): ExactExpression | undefined => (precisionOf(e) <= EXACT_MAX_PRECISION && scaleOf(e) <= EXACT_MAX_SCALE ? e : undefined);

/** The source columns an exact expression reads. */
export function exactInputs(expression: ExactExpression): string[] {
  const names = new Set<string>();
  const visit = (e: ExactExpression) => {
    if (e.op === "number") { if (e.column) names.add(e.column); return; }
    if (e.op === "negate" || e.op === "not") return visit(e.input);
    visit(e.left);
    visit(e.right);
  };
  visit(expression);
  return [...names];
}

/** A scaled integer: `digits / 10^scale`. */
interface Scaled { digits: bigint; scale: number }

const POWERS: bigint[] = Array.from({ length: 2 * EXACT_MAX_SCALE + 2 }, (_, i) => 10n ** BigInt(i));

/** A column's value (a JS integer, a bigint, or the driver's exact decimal text) as a scaled integer; `undefined` for NULL and NaN. */
function scaledOf(value: unknown): Scaled | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "number") return Number.isSafeInteger(value) ? { digits: BigInt(value), scale: 0 } : scaledOfText(String(value));
  if (typeof value === "bigint") return { digits: value, scale: 0 };
  return scaledOfText(String(value));
}

function scaledOfText(text: string): Scaled | undefined {
  const point = text.indexOf(".");
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) return undefined;
  if (point < 0) return { digits: BigInt(text), scale: 0 };
  return { digits: BigInt(text.slice(0, point) + text.slice(point + 1) || "0"), scale: text.length - point - 1 };
}

const rescale = (value: Scaled, scale: number): bigint => (scale === value.scale ? value.digits : value.digits * (POWERS[scale - value.scale] ?? 10n ** BigInt(scale - value.scale)));

/** A scaled integer as decimal text without trailing zeros — what decimal.js's `toFixed()` wrote for the same value. */
export function scaledText(value: Scaled): string {
  let { digits, scale } = value;
  while (scale > 0 && digits % 10n === 0n) {
    digits /= 10n;
    scale--;
  }
  if (scale === 0) return digits.toString();
  const negative = digits < 0n;
  const text = (negative ? -digits : digits).toString().padStart(scale + 1, "0");
  return `${negative ? "-" : ""}${text.slice(0, -scale)}.${text.slice(-scale)}`;
}

/**
 * Node's evaluation of an exact expression over a row: decimal text (no trailing zeros) or a boolean,
 * and NULL when any input is NULL — the same values the source computes from the same tree.
 */
export function compileExactEvaluator(expression: ExactExpression, read: (column: string) => RowFunction): RowFunction {
  type Eval = (row: readonly unknown[]) => Scaled | boolean | undefined;
  const compile = (e: ExactExpression): Eval => {
    switch (e.op) {
      case "number": {
        if (e.column !== undefined) {
          const column = read(e.column);
          return (row) => scaledOf(column(row));
        }
        const constant = scaledOfText(e.literal!);
        return () => constant;
      }
      case "negate": {
        const input = compile(e.input);
        return (row) => {
          const v = input(row) as Scaled | undefined;
          return v && { digits: -v.digits, scale: v.scale };
        };
      }
      case "arithmetic": {
        const [left, right] = [compile(e.left), compile(e.right)];
        const { operator } = e;
        return (row) => {
          const a = left(row) as Scaled | undefined;
          if (!a) return undefined;
          const b = right(row) as Scaled | undefined;
          if (!b) return undefined;
          if (operator === "*") return { digits: a.digits * b.digits, scale: a.scale + b.scale };
          const scale = a.scale > b.scale ? a.scale : b.scale;
          const sum = operator === "+" ? rescale(a, scale) + rescale(b, scale) : rescale(a, scale) - rescale(b, scale);
          return { digits: sum, scale };
        };
      }
      case "compare": {
        const [left, right] = [compile(e.left), compile(e.right)];
        const test = comparators[e.operator];
        return (row) => {
          const a = left(row) as Scaled | undefined;
          if (!a) return undefined;
          const b = right(row) as Scaled | undefined;
          if (!b) return undefined;
          const scale = Math.max(a.scale, b.scale);
          return test(rescale(a, scale), rescale(b, scale));
        };
      }
      case "logic": {
        const [left, right] = [compile(e.left), compile(e.right)];
        return e.operator === "and"
          ? (row) => { const a = left(row); const b = right(row); return a === undefined || b === undefined ? undefined : a === true && b === true; }
          : (row) => { const a = left(row); const b = right(row); return a === undefined || b === undefined ? undefined : a === true || b === true; };
      }
      case "not": {
        const input = compile(e.input);
        return (row) => { const v = input(row); return v === undefined ? undefined : !v; };
      }
    }
  };
  const evaluate = compile(expression);
  return (row) => {
    const value = evaluate(row);
    return value === undefined ? null : typeof value === "boolean" ? value : scaledText(value);
  };
}

const comparators: Record<string, (a: bigint, b: bigint) => boolean> = {
  "<": (a, b) => a < b, "<=": (a, b) => a <= b, ">": (a, b) => a > b, ">=": (a, b) => a >= b, "=": (a, b) => a === b, "<>": (a, b) => a !== b,
};
