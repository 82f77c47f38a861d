import type { MathNode } from "mathjs";

/**
 * What an expression may use: an ALLOW-list, so anything mathjs adds in a later version is refused until
 * it is reviewed here. Every allowed call costs time bounded by the precision (64 digits) and the
 * expression's own length — never by the size of an argument — so no expression can build a huge
 * matrix (`ones(1e9)`), loop (`f(x) = f(x)`), reconfigure mathjs (`config`, `import`) or run for seconds
 * (`gamma(1e7)`). mathjs's own security guidance names the functions most to be kept away from
 * untrusted text (`import`, `createUnit`, `evaluate`, `parse`, `simplify`, `derivative`, `config`);
 * none of them is reachable here.
 */
export const EXPRESSION_FUNCTIONS: readonly string[] = [
  "abs", "ceil", "exp", "fix", "floor", "log", "log10", "max", "mean", "min", "mod", "pow", "round", "sign", "sqrt", "sum",
];

/** Operator nodes by mathjs function name: arithmetic, comparison and logic. */
export const EXPRESSION_OPERATORS: readonly string[] = [
  "add", "subtract", "multiply", "divide", "mod", "pow", "unaryMinus", "unaryPlus",
  "equal", "unequal", "smaller", "larger", "smallerEq", "largerEq", "and", "or", "xor", "not",
];

/** Symbols that are constants, not columns. (`true`, `false`, `null`, `NaN`, `Infinity` parse as literals.) */
export const EXPRESSION_CONSTANTS: readonly string[] = ["pi", "e", "PI", "E"];

/**
 * The largest decimal exponent of a number an expression may hold: a DECIMAL with 1000 digits
 * (PostgreSQL's largest declared `numeric` precision). A bigger number costs nothing to compute but
 * writing it out does: `2^1e15` has 3·10^14 digits.
 */
export const MAX_DECIMAL_EXPONENT = 1000;

const ALLOWED_NODES = new Set(["ConstantNode", "SymbolNode", "OperatorNode", "FunctionNode", "ParenthesisNode", "ConditionalNode", "RelationalNode"]);
const functions = new Set(EXPRESSION_FUNCTIONS);
const operators = new Set(EXPRESSION_OPERATORS);

const NODE_LABELS: Record<string, string> = {
  AssignmentNode: "assignments `a = …`",
  FunctionAssignmentNode: "function definitions `f(x) = …`",
  AccessorNode: "indexing or properties `x[…]`, `x.y`",
  IndexNode: "indexing or properties `x[…]`, `x.y`",
  ArrayNode: "lists `[…]`",
  ObjectNode: "objects `{…}`",
  RangeNode: "ranges `a:b`",
  BlockNode: "several statements (`;` or a line break)",
};

/** One line saying what expressions can do, for refusals and the README. */
export const EXPRESSION_ALLOWED_SUMMARY =
  `arithmetic + - * / % ^, comparisons, and/or/xor/not, \`?:\` and the functions ${EXPRESSION_FUNCTIONS.join(", ")}`;

interface AnyNode {
  type: string;
  fn?: unknown;
  op?: string;
  name?: string;
  value?: unknown;
  conditionals?: string[];
  forEach(callback: (child: MathNode, path: string) => void): void;
}

/** A finite, non-zero BigNumber beyond ±10^MAX_DECIMAL_EXPONENT (decimal.js keeps the exponent in `e`). */
export function isOutOfRange(value: unknown): boolean {
  const number = value as { isBigNumber?: boolean; e?: number } | null;
  return typeof number === "object" && number !== null && number.isBigNumber === true
    && (number.e! > MAX_DECIMAL_EXPONENT || number.e! < -MAX_DECIMAL_EXPONENT);
}

/**
 * What the expression uses that expressions may not, each named once, in order of appearance;
 * empty when the expression is allowed. Checks the tree as parsed (before the engine's own rewrites).
 */
export function refusedParts(root: MathNode): string[] {
  const refused = new Set<string>();
  const visit = (node: AnyNode, path: string) => {
    if (path === "fn") return; // the name of a call, checked with its FunctionNode
    if (!ALLOWED_NODES.has(node.type)) {
      refused.add(NODE_LABELS[node.type] ?? node.type);
      if (node.type === "FunctionAssignmentNode") return; // its body names its own parameters
    } else if (node.type === "FunctionNode") {
      const callee = node.fn as AnyNode;
      const name = callee.type === "SymbolNode" ? callee.name! : undefined;
      if (name === undefined) refused.add(NODE_LABELS.AccessorNode);
      else if (!functions.has(name)) refused.add(`\`${name}\``);
    } else if (node.type === "OperatorNode") {
      if (!operators.has(node.fn as string)) refused.add(`the operator \`${node.op}\``);
    } else if (node.type === "RelationalNode") {
      for (const conditional of node.conditionals ?? []) if (!operators.has(conditional)) refused.add(`the comparison \`${conditional}\``);
    } else if (node.type === "ConstantNode" && isOutOfRange(node.value)) {
      refused.add(`the number ${String(node.value)} (beyond 1e±${MAX_DECIMAL_EXPONENT})`);
    }
    node.forEach((child, childPath) => visit(child as unknown as AnyNode, childPath));
  };
  visit(root as unknown as AnyNode, "");
  return [...refused];
}
