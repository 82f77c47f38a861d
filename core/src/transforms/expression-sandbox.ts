import type { FactoryFunctionMap, MathJsInstance, MathNode } from "mathjs";
import type { CompiledExpression } from "../authoring/plugin.js";
import { DataBridgeError, configError, dataError } from "../errors.js";
import type { ParsedExpression } from "./expression.js";
import { createFunction, dependenciesOf } from "./mathjs-loading.js";
import { EXPRESSION_CONSTANTS, EXPRESSION_FUNCTIONS, EXPRESSION_OPERATORS, MAX_DECIMAL_EXPONENT, isOutOfRange } from "./expression-rules.js";

export interface ExpressionLimits {
  /**
   * Wall time one evaluation (one row) may take. Every allowed function is bounded, so this is the
   * second line of defence; it is generous because a garbage-collection pause also counts.
   */
  millisPerRow: number;
  /** The clock the budget is read from. */
  now: () => number;
}

export const DEFAULT_EXPRESSION_LIMITS: ExpressionLimits = { millisPerRow: 1_000, now: () => performance.now() };

export type { CompiledExpression };

export interface ExpressionSandbox {
  /** Compiles a parsed (and therefore allowed) expression against this sandbox's own mathjs instance. */
  compile(parsed: ParsedExpression): CompiledExpression;
  /** A value for an expression's scope: numbers become exact BigNumbers, NULL is null, other values pass as is. */
  toValue(value: unknown, numeric: boolean): unknown;
  /** This sandbox's mathjs instance (shared with nothing else). */
  readonly math: MathJsInstance;
}

/**
 * A broken expression limit: a data error for the row, never mistaken for the "unknown" a comparison
 * with NULL gives (which `when` reads as false).
 */
export class ExpressionLimitError extends DataBridgeError {
  constructor(message: string, cause?: unknown) {
    super("data", message, {}, { cause });
  }
}

export const isExpressionLimitError = (error: unknown): error is ExpressionLimitError => error instanceof ExpressionLimitError;

/** mathjs functions no expression may reach even through a mistake in the allow-list: they change the instance. */
const MUTATORS = ["config", "import", "createUnit", "evaluate", "parse", "compile", "simplify", "derivative", "resolve", "rationalize", "reviver", "chain", "create", "factory"];

/**
 * A mathjs instance of its own, built from the allowed functions' factories only (not `all`), for exact
 * decimal arithmetic (BigNumber, 64 digits). Functions are created on first use, so an instance costs
 * only what its expressions call. Nothing else shares it: whatever one pipeline's expressions could do to
 * it, no other pipeline sees.
 */
function createInstance(): MathJsInstance {
  const factories = dependenciesOf([...new Set([...EXPRESSION_FUNCTIONS, ...EXPRESSION_OPERATORS, ...EXPRESSION_CONSTANTS, "bignumber"])]);
  for (const [name, dependencies] of Object.entries(factories)) {
    if (!dependencies) throw new Error(`mathjs has no factory for "${name.replace(/Dependencies$/, "")}"`);
  }
  const math = createFunction()(factories as unknown as FactoryFunctionMap, { number: "BigNumber", precision: 64 });
  const disabled = (name: string) => () => {
    throw new Error(`${name} is not available in expressions`);
  };
  // Functions created later read their settings from `config`'s properties: keep those, refuse changes.
  const settings = math.config;
  const readOnlyConfig = (options?: unknown) => (options === undefined ? (settings as unknown as () => unknown)() : disabled("config")());
  for (const key of Object.keys(settings)) Object.defineProperty(readOnlyConfig, key, { get: () => (settings as unknown as Record<string, unknown>)[key], enumerable: true });
  for (const name of MUTATORS) {
    Object.defineProperty(math, name, { value: name === "config" ? readOnlyConfig : disabled(name), writable: false, configurable: false, enumerable: false });
  }
  return math;
}

type Scope = Record<string, unknown>;
type Evaluator = (scope: Scope) => unknown;
type MathFunction = (...args: unknown[]) => unknown;

interface AnyNode {
  type: string;
  fn: MathNode | string;
  name: string;
  op: string;
  value: unknown;
  args: MathNode[];
  content: MathNode;
  condition: MathNode;
  trueExpr: MathNode;
  falseExpr: MathNode;
  conditionals: string[];
  params: MathNode[];
  toString(): string;
}

const isNull = (value: unknown) => value === null || value === undefined;
const isCollection = (value: unknown) => typeof value === "object" && value !== null && (Array.isArray(value) || (value as { isMatrix?: boolean }).isMatrix === true);

/** mathjs's own truth test for `?:` (ConditionalNode), so a condition means what it means in mathjs. */
function testCondition(condition: unknown): boolean {
  if (typeof condition === "number" || typeof condition === "boolean" || typeof condition === "string") return Boolean(condition);
  const value = condition as { isBigNumber?: boolean; isZero?: () => boolean; isComplex?: boolean; re?: number; im?: number } | null | undefined;
  if (value?.isBigNumber) return !value.isZero!();
  if (value?.isComplex) return Boolean(value.re || value.im);
  if (isNull(condition)) return false;
  throw new TypeError(`unsupported type of condition "${typeof condition}"`);
}

/**
 * Where one compiled pipeline stage evaluates its expressions: its own mathjs instance (made on first
 * use) and a small evaluator over the checked tree that calls only allow-listed functions.
 *
 * @example
 * const sandbox = createExpressionSandbox();
 * const total = sandbox.compile(parseExpression("amount * 1.5"));
 * fromMathValue(total.evaluate({ amount: sandbox.toValue("1234.56", true) })); // "1851.84"
 */
export function createExpressionSandbox(limits: Partial<ExpressionLimits> = {}): ExpressionSandbox {
  const { millisPerRow, now } = { ...DEFAULT_EXPRESSION_LIMITS, ...limits };
  let instance: MathJsInstance | undefined;
  const math = () => (instance ??= createInstance());
  const resolved = new Map<string, MathFunction>();
  const allowed = new Set([...EXPRESSION_FUNCTIONS, ...EXPRESSION_OPERATORS]);

  // SQL semantics: comparing a NULL value is unknown, which conditions treat as false, for `==` and `!=`
  // alike; comparing with the literal `null` (`x == null`, `x != null`) tests for NULL, like IS [NOT] NULL.
  // `==` also compares strings as strings (mathjs alone converts both sides to numbers), so `status == 'A'` works.
  const looseEqual = (a: unknown, b: unknown): boolean => {
    if (typeof a === "string" || typeof b === "string") return String(a) === String(b);
    return Boolean((math().equal as MathFunction)(a, b));
  };
  const engineFunctions: Record<string, MathFunction> = {
    databridgeEqual: (a, b) => (isNull(a) || isNull(b) ? false : looseEqual(a, b)),
    databridgeUnequal: (a, b) => (isNull(a) || isNull(b) ? false : !looseEqual(a, b)),
    databridgeIsNull: (a) => isNull(a),
    databridgeIsNotNull: (a) => !isNull(a),
  };

  /** The one place names become functions: the allow-list and the engine's own helpers, nothing else. */
  const lookup = (name: string): MathFunction => {
    const helper = Object.hasOwn(engineFunctions, name) ? engineFunctions[name] : undefined;
    if (helper) return helper;
    if (!allowed.has(name)) throw configError(`\`${name}\` is not available in expressions`);
    let fn = resolved.get(name);
    if (!fn) resolved.set(name, (fn = (math() as unknown as Record<string, MathFunction>)[name]));
    return fn;
  };

  const compileNode = (node: AnyNode): Evaluator => {
    switch (node.type) {
      case "ParenthesisNode":
        return compileNode(node.content as unknown as AnyNode);
      case "ConstantNode": {
        const raw = node.value as { isBigNumber?: boolean } | unknown;
        // Literals were parsed by the shared parser: rebuild numbers in this sandbox's own BigNumber class.
        const value = (raw as { isBigNumber?: boolean } | null)?.isBigNumber ? math().bignumber(String(raw)) : raw;
        return () => value;
      }
      case "SymbolNode": {
        const name = node.name;
        if (EXPRESSION_CONSTANTS.includes(name)) {
          const value = (math() as unknown as Record<string, unknown>)[name];
          return () => value;
        }
        return (scope) => {
          if (!Object.hasOwn(scope, name)) throw new Error(`Undefined symbol ${name}`);
          return scope[name];
        };
      }
      case "OperatorNode":
        if (node.fn === "and" || node.fn === "or") return logical(node);
        return call(node, node.fn as string, node.args);
      case "FunctionNode": {
        const callee = node.fn as unknown as AnyNode;
        if (callee.type !== "SymbolNode") throw configError(`expressions may only call functions by name`);
        return call(node, callee.name, node.args);
      }
      case "ConditionalNode": {
        const condition = compileNode(node.condition as unknown as AnyNode);
        const yes = compileNode(node.trueExpr as unknown as AnyNode);
        const no = compileNode(node.falseExpr as unknown as AnyNode);
        return (scope) => (testCondition(condition(scope)) ? yes(scope) : no(scope));
      }
      case "RelationalNode": {
        // `a < b < c`; `==`/`!=` in a chain follow the same NULL and string rules as on their own.
        const comparisons = node.conditionals.map((name) => lookup(name === "equal" ? "databridgeEqual" : name === "unequal" ? "databridgeUnequal" : name));
        const params = node.params.map((param) => compileNode(param as unknown as AnyNode));
        return (scope) => {
          let right = singleValue(params[0](scope));
          for (let i = 0; i < comparisons.length; i++) {
            const left = right;
            right = singleValue(params[i + 1](scope));
            if (!comparisons[i](left, right)) return false;
          }
          return true;
        };
      }
      default:
        throw configError(`${node.type} is not available in expressions`);
    }
  };

  /** `and`/`or` evaluate their right side only when needed, as mathjs's own transforms do. */
  const logical = (node: AnyNode): Evaluator => {
    const fn = lookup(node.fn as string);
    const [left, right] = node.args.map((arg) => compileNode(arg as unknown as AnyNode));
    if (node.fn === "and") {
      return (scope) => {
        const first = singleValue(left(scope));
        return fn(first, true) ? fn(first, singleValue(right(scope))) : false;
      };
    }
    return (scope) => {
      const first = singleValue(left(scope));
      return fn(first, false) ? true : fn(first, singleValue(right(scope)));
    };
  };

  /**
   * A call whose result stays within the size limit and whose arguments are single values (the engine's
   * NULL and equality helpers take any value: they cost what comparing two source values costs).
   */
  const call = (node: AnyNode, name: string, argNodes: MathNode[]): Evaluator => {
    const fn = lookup(name);
    const single = Object.hasOwn(engineFunctions, name) ? (value: unknown) => value : singleValue;
    const args = argNodes.map((arg) => compileNode(arg as unknown as AnyNode));
    const bounded = (result: unknown) => {
      if (isOutOfRange(result)) {
        const about = (result as { toExponential(digits: number): string }).toExponential(0);
        throw new ExpressionLimitError(`\`${node.toString()}\` is about ${about}, beyond the 1e±${MAX_DECIMAL_EXPONENT} an expression may hold`);
      }
      return result;
    };
    if (args.length === 1) {
      const [a] = args;
      return (scope) => bounded(fn(single(a(scope))));
    }
    if (args.length === 2) {
      const [a, b] = args;
      return (scope) => bounded(fn(single(a(scope)), single(b(scope))));
    }
    return (scope) => bounded(fn(...args.map((arg) => single(arg(scope)))));
  };

  return {
    get math() {
      return math();
    },
    toValue(value, numeric) {
      if (value === null || value === undefined) return null;
      if (typeof value === "number") return math().bignumber(value);
      if (typeof value === "bigint") return math().bignumber(value.toString());
      if (numeric && typeof value === "string") return math().bignumber(value);
      return value;
    },
    compile(parsed) {
      const run = compileNode(parsed.node as unknown as AnyNode);
      const source = parsed.source;
      return {
        symbols: parsed.symbols,
        evaluate(scope) {
          const started = now();
          let value: unknown;
          try {
            value = run(scope);
          } catch (error) {
            const message = `expression \`${source}\` failed: ${(error as Error).message}`;
            throw isExpressionLimitError(error) ? new ExpressionLimitError(message, error) : dataError(message, {}, error);
          }
          const elapsed = now() - started;
          if (elapsed > millisPerRow) {
            throw new ExpressionLimitError(`expression \`${source}\` took ${Math.round(elapsed)} ms for one row, more than the ${millisPerRow} ms an expression may take`);
          }
          return value;
        },
      };
    },
  };
}

/** Functions get single values: a list (an array column) would make their cost grow with its length. */
function singleValue(value: unknown): unknown {
  if (isCollection(value)) throw new ExpressionLimitError("expressions work on single values, not lists");
  return value;
}
