import { createRequire } from "node:module";
import type { MathJsInstance, MathNode, EvalFunction } from "mathjs";
import { dataError } from "../errors.js";

const require = createRequire(import.meta.url);
let instance: MathJsInstance | undefined;

/**
 * mathjs configured for exact decimal arithmetic: numbers are BigNumbers, so a DECIMAL(10,2) × INT
 * gives the same digits the database would. `==` and `!=` also compare strings (mathjs alone
 * converts both sides to numbers), so `status == 'A'` works in conditions. Loaded on first use:
 * loading it costs about a second and 100 MB, which commands without expressions should not pay.
 */
export function mathjs(): MathJsInstance {
  if (!instance) {
    const { create, all } = require("mathjs") as typeof import("mathjs");
    instance = create(all, { number: "BigNumber", precision: 64 });
    configure(instance);
  }
  return instance;
}

const isNull = (value: unknown) => value === null || value === undefined;
const looseEqual = (a: unknown, b: unknown): boolean => {
  if (typeof a === "string" || typeof b === "string") return String(a) === String(b);
  return Boolean(mathjs().equal(a as never, b as never));
};
// SQL semantics: comparing a NULL value is unknown, which conditions treat as false, for `==` and `!=`
// alike; comparing with the literal `null` (`x == null`, `x != null`) tests for NULL, like IS [NOT] NULL.
const configure = (math: MathJsInstance) => math.import({
  databridgeEqual: (a: unknown, b: unknown) => (isNull(a) || isNull(b) ? false : looseEqual(a, b)),
  databridgeUnequal: (a: unknown, b: unknown) => (isNull(a) || isNull(b) ? false : !looseEqual(a, b)),
  databridgeIsNull: (a: unknown) => isNull(a),
  databridgeIsNotNull: (a: unknown) => !isNull(a),
}, { override: true });

const isNullLiteral = (node: MathNode) => (node as { isConstantNode?: boolean; value?: unknown }).isConstantNode === true && (node as { value?: unknown }).value === null;

const reservedSymbols = new Set(["true", "false", "null", "pi", "e", "PI", "E", "Infinity", "NaN", "i", "undefined"]);

export interface ParsedExpression {
  source: string;
  node: MathNode;
  /** Names the expression reads from its scope (source columns), in order of first use. */
  symbols: string[];
}

/** Parses once; throws a config-friendly Error with the position when the text is not a valid expression. */
export function parseExpression(source: string): ParsedExpression {
  const math = mathjs();
  const node = math.parse(source).transform((n) => {
    if ((n as { isOperatorNode?: boolean }).isOperatorNode) {
      const op = n as unknown as { fn: string; args: MathNode[] };
      if (op.fn === "equal" || op.fn === "unequal") {
        const operand = op.args.filter((arg) => !isNullLiteral(arg));
        if (operand.length === 1) return new math.FunctionNode(new math.SymbolNode(op.fn === "equal" ? "databridgeIsNull" : "databridgeIsNotNull"), operand);
        return new math.FunctionNode(new math.SymbolNode(op.fn === "equal" ? "databridgeEqual" : "databridgeUnequal"), op.args);
      }
    }
    return n;
  });
  return { source, node, symbols: expressionSymbols(node) };
}

function expressionSymbols(node: MathNode): string[] {
  const names: string[] = [];
  const functionNames = new Set<string>();
  node.traverse((n) => {
    const anyNode = n as unknown as { isFunctionNode?: boolean; fn?: { name?: string }; isSymbolNode?: boolean; name?: string; isAssignmentNode?: boolean };
    if (anyNode.isFunctionNode && anyNode.fn?.name) functionNames.add(anyNode.fn.name);
  });
  node.traverse((n) => {
    const symbol = n as unknown as { isSymbolNode?: boolean; name: string };
    if (!symbol.isSymbolNode || functionNames.has(symbol.name) || reservedSymbols.has(symbol.name)) return;
    if (symbol.name in mathjs() && typeof (mathjs() as unknown as Record<string, unknown>)[symbol.name] !== "function") return;
    if (!names.includes(symbol.name)) names.push(symbol.name);
  });
  return names;
}

/** Names of mathjs functions, for completions. */
export function mathFunctionNames(): string[] {
  return Object.keys(mathjs()).filter((name) => typeof (mathjs() as unknown as Record<string, unknown>)[name] === "function" && /^[a-z][A-Za-z0-9]*$/.test(name) && !name.startsWith("databridge"));
}

const bigNumberKinds = new Set(["smallint", "integer", "bigint", "decimal", "float"]);

/** A mathjs value for a source value: numbers become BigNumbers (exact), everything else passes as is. */
export function toMathValue(value: unknown, numeric: boolean): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return mathjs().bignumber(value);
  if (typeof value === "bigint") return mathjs().bignumber(value.toString());
  if (numeric && typeof value === "string") return mathjs().bignumber(value);
  return value;
}

/** A plain value from a mathjs result: BigNumbers become exact decimal strings. */
export function fromMathValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const typed = value as { isBigNumber?: boolean; toFixed?: () => string; isFraction?: boolean };
  if (typed.isBigNumber) {
    const number = value as { isFinite(): boolean; toFixed(): string };
    return number.isFinite() ? number.toFixed() : null;
  }
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
  if (typed.isFraction) return String(value);
  return mathjs().format(value as never);
}

export interface CompiledExpression {
  symbols: string[];
  evaluate(scope: Record<string, unknown>): unknown;
}

export function compileExpression(parsed: ParsedExpression): CompiledExpression {
  const compiled: EvalFunction = parsed.node.compile();
  return {
    symbols: parsed.symbols,
    evaluate(scope) {
      try {
        return compiled.evaluate(scope);
      } catch (error) {
        throw dataError(`expression \`${parsed.source}\` failed: ${(error as Error).message}`, {}, error);
      }
    },
  };
}

export const isNumericKind = (kind: string | undefined) => kind !== undefined && bigNumberKinds.has(kind);
