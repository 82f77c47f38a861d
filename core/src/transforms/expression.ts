import type { MathJsInstance, MathNode } from "mathjs";
import { configError } from "../errors.js";
import { createParser } from "./mathjs-loading.js";
import { EXPRESSION_ALLOWED_SUMMARY, EXPRESSION_CONSTANTS, EXPRESSION_FUNCTIONS, refusedParts } from "./expression-rules.js";

export { createExpressionSandbox, type CompiledExpression, type ExpressionSandbox } from "./expression-sandbox.js";

let parser: MathJsInstance | undefined;

/**
 * The shared parser: it turns text into a tree and formats values, and never evaluates anything —
 * expressions run in a sandbox of their own (`createExpressionSandbox`). Loaded on first use: loading
 * mathjs costs about a second, which commands without expressions should not pay.
 */
function mathParser(): MathJsInstance {
  parser ??= createParser({ number: "BigNumber", precision: 64 });
  return parser;
}

const isNullLiteral = (node: MathNode) => (node as { isConstantNode?: boolean; value?: unknown }).isConstantNode === true && (node as { value?: unknown }).value === null;

export interface ParsedExpression {
  source: string;
  node: MathNode;
  /** Names the expression reads from its scope (source columns), in order of first use. */
  symbols: string[];
}

/**
 * Parses once and checks the expression against the allow-list (`expression-rules.ts`); throws a config
 * error, one line naming what is wrong (with mathjs's `(char N)` for syntax) and what expressions can do.
 */
export function parseExpression(source: string): ParsedExpression {
  const math = mathParser();
  let parsed: MathNode;
  try {
    parsed = math.parse(source);
  } catch (error) {
    throw configError(`expression \`${source}\` does not parse: ${(error as Error).message}`, {}, error);
  }
  const refused = refusedParts(parsed);
  if (refused.length) {
    const listed = refused.length === 1 ? refused[0] : `${refused.slice(0, -1).join(", ")} or ${refused[refused.length - 1]}`;
    throw configError(`expression \`${source}\` may not use ${listed}: expressions compute one value from the row with ${EXPRESSION_ALLOWED_SUMMARY} (do anything else in a query source or a plugin transform)`);
  }
  const node = parsed.transform((n) => {
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

/** Every name that is neither a called function nor a constant is a source column. */
function expressionSymbols(node: MathNode): string[] {
  const names: string[] = [];
  node.traverse((n, path) => {
    const symbol = n as unknown as { isSymbolNode?: boolean; name: string };
    if (!symbol.isSymbolNode || path === "fn" || EXPRESSION_CONSTANTS.includes(symbol.name)) return;
    if (!names.includes(symbol.name)) names.push(symbol.name);
  });
  return names;
}

/** Names of mathjs functions, for completions. */
export function mathFunctionNames(): string[] {
  return [...EXPRESSION_FUNCTIONS];
}

const bigNumberKinds = new Set(["smallint", "integer", "bigint", "decimal", "float"]);

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
  return mathParser().format(value as never);
}

export const isNumericKind = (kind: string | undefined) => kind !== undefined && bigNumberKinds.has(kind);
