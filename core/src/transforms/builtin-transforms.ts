import type { PortableType } from "../connectors/connector.js";
import { dataError, configError } from "../errors.js";
import type { PushdownContext, RowFunction, TransformDefinition } from "../authoring/plugin.js";
import { exactInputs } from "./exact-expression.js";
import { isExactCondition, type PushdownExpression, type PushdownLiteral } from "../connectors/pushdown.js";
import { isTransformSpec } from "../authoring/pipeline.js";
import { convertTypes, makeConverter, type ConvertOptions, type ConvertType } from "./convert.js";
import { fromMathValue, parseExpression } from "./expression.js";
import { isExpressionLimitError } from "./expression-sandbox.js";
import { remapTransform } from "./remap.js";

const TEXT: PortableType = { kind: "text" };

/** Text of a value the way `convert(…, "string")` renders it: bytes as UTF-8, objects (JSON columns) as JSON, Dates in UTC. */
const asText = (value: unknown): string => (typeof value === "string" ? value : (stringConverter(value) as string));
const stringConverter = makeConverter("string");

// The engine reads a mapping's columns from here.
export { mappingColumns } from "./argument-roles.js";

export const concatTransform: TransformDefinition<[unknown[], string?]> = {
  name: "concat",
  args: [{ name: "parts", role: "columns" }, { name: "separator", role: "literal" }],
  outputType: () => TEXT,
  compile([parts, separator = ""], ctx) {
    const readers = parts.map((part) => ctx.mapping(part));
    // Like CONCAT_WS: NULL parts are skipped; all NULL gives NULL.
    return (row) => {
      let out: string | null = null;
      for (const read of readers) {
        const value = read(row);
        if (value === null || value === undefined) continue;
        out = out === null ? asText(value) : out + separator + asText(value);
      }
      return out;
    };
  },
  pushdown([parts, separator = ""], ctx) {
    if (typeof separator !== "string") return undefined;
    const trees = allOf(parts.map((part) => ctx.mapping(part)));
    return trees && { op: "concat", parts: trees, separator };
  },
};

export const splitTransform: TransformDefinition<[string, string, number]> = {
  name: "split",
  args: [{ name: "column", role: "column" }, { name: "separator", role: "literal" }, { name: "index", role: "literal" }],
  outputType: () => TEXT,
  compile([column, separator, index], ctx) {
    const read = ctx.column(column);
    return (row) => {
      const value = read(row);
      if (value === null || value === undefined) return null;
      const parts = asText(value).split(separator);
      const part = parts[index < 0 ? parts.length + index : index];
      return part === undefined ? null : part;
    };
  },
};

export const lookupTransform: TransformDefinition<[string, Record<string, unknown>, unknown?]> = {
  name: "lookup",
  args: [{ name: "column", role: "column" }, { name: "table", role: "literal" }, { name: "default", role: "literal" }],
  outputType: (args) => {
    // The default is a value too: a longer default than every entry must still fit the created column.
    const values = [...Object.values(args[1]), ...(args.length > 2 ? [args[2]] : [])].filter((v) => v !== null && v !== undefined);
    return values.length && values.every((v) => typeof v === "string") ? { kind: "string", length: Math.max(1, ...values.map((v) => [...(v as string)].length)) } : undefined;
  },
  compile(args, ctx) {
    const [column, table] = args;
    const hasDefault = args.length > 2;
    const fallback = args[2];
    const read = ctx.column(column);
    const entries = new Map(Object.entries(table));
    return (row) => {
      const value = read(row);
      if (value === null || value === undefined) return hasDefault ? fallback : null;
      const key = asText(value);
      if (entries.has(key)) return entries.get(key);
      if (hasDefault) return fallback;
      throw dataError(`no lookup entry for ${JSON.stringify(key)} and no default`, { column });
    };
  },
  // Without a default a missing entry rejects the row, which SQL cannot say: such a lookup stays in Node.
  pushdown(args, ctx) {
    const [column, table] = args;
    if (args.length < 3 || !isLiteral(args[2]) || !Object.values(table).every(isLiteral)) return undefined;
    const input = ctx.mapping(column);
    return input && { op: "lookup", input, entries: Object.entries(table) as [string, PushdownLiteral][], fallback: args[2] as PushdownLiteral };
  },
};

export const exprTransform: TransformDefinition<[string]> = {
  name: "expr",
  args: [{ name: "expression", role: "expression" }],
  outputType: ([source], columnType) => expressionType(source, columnType),
  compile([source], ctx) {
    const { evaluate, hasNullInput } = ctx.expression(source);
    // SQL semantics: arithmetic on NULL is NULL.
    return (row) => (hasNullInput(row) ? null : fromMathValue(evaluate(row)));
  },
  pushdown([source], ctx) {
    const expression = ctx.expression(source);
    return expression && { op: "exact", expression, inputs: exactInputs(expression) };
  },
};

export const whenTransform: TransformDefinition<[string, unknown, unknown?]> = {
  name: "when",
  args: [{ name: "condition", role: "expression" }, { name: "then", role: "value" }, { name: "otherwise", role: "value" }],
  outputType: ([, then, otherwise]) => (typeof then === "string" && (otherwise === undefined || typeof otherwise === "string") ? TEXT : undefined),
  compile([condition, then, otherwise = null], ctx) {
    const { evaluate, hasNullInput } = ctx.expression(condition);
    const yes = branch(then, ctx.mapping);
    const no = branch(otherwise, ctx.mapping);
    return (row) => {
      let holds: boolean;
      try {
        holds = truthy(evaluate(row));
      } catch (error) {
        // A comparison with NULL is unknown, which a condition treats as false (as SQL's CASE does);
        // a broken expression limit is not "unknown" and rejects the row.
        if (!hasNullInput(row) || isExpressionLimitError(error)) throw error;
        holds = false;
      }
      return holds ? yes(row) : no(row);
    };
  },
  pushdown([condition, then, otherwise = null], ctx) {
    const expression = ctx.expression(condition);
    if (!expression || !isExactCondition(expression)) return undefined;
    const [yes, no] = [branchTree(then, ctx), branchTree(otherwise, ctx)];
    return yes && no && { op: "choose", condition: { op: "exact", expression, inputs: exactInputs(expression) }, then: yes, otherwise: no };
  },
};

export const convertTransform: TransformDefinition<[unknown, ConvertType, ConvertOptions?]> = {
  name: "convert",
  args: [{ name: "column", role: "mapping" }, { name: "type", role: "literal" }, { name: "options", role: "literal" }],
  outputType: ([, type]) => convertOutputType(type),
  compile([input, type, options], ctx) {
    if (!convertTypes.includes(type)) {
      throw configError(`convert type must be one of ${convertTypes.join(", ")} (got ${JSON.stringify(type)})`, { column: ctx.targetColumn });
    }
    const read = ctx.mapping(input);
    const convert = makeConverter(type, options);
    const column = typeof input === "string" ? input : undefined;
    return (row) => {
      try {
        return convert(read(row));
      } catch (error) {
        throw column ? (error as { withContext?: (c: object) => Error }).withContext?.({ column }) ?? error : error;
      }
    };
  },
};

export const defaultToTransform: TransformDefinition<[unknown, unknown]> = {
  name: "defaultTo",
  args: [{ name: "column", role: "mapping" }, { name: "fallback", role: "literal" }],
  outputType: ([input, fallback], columnType) => commonType([mappingType(input, columnType), ...(isNullLiteral(fallback) ? [] : [literalType(fallback)])]),
  compile([input, fallback], ctx) {
    const read = ctx.mapping(input);
    return (row) => {
      const value = read(row);
      return value === null || value === undefined ? fallback : value;
    };
  },
  pushdown([input, fallback], ctx) {
    const tree = ctx.mapping(input);
    return tree && isLiteral(fallback) ? { op: "coalesce", parts: [tree, { op: "literal", value: fallback }] } : undefined;
  },
};

export const constantTransform: TransformDefinition<[unknown]> = {
  name: "constant",
  args: [{ name: "value", role: "literal" }],
  outputType: ([value]) => literalType(value),
  compile([value]) {
    return () => value;
  },
  pushdown: ([value]) => (isLiteral(value) ? { op: "literal", value } : undefined),
};

export const coalesceTransform: TransformDefinition<[unknown[]]> = {
  name: "coalesce",
  args: [{ name: "parts", role: "columns" }],
  outputType: ([parts], columnType) => commonType(parts.filter((part) => !isNullLiteral(part)).map((part) => mappingType(part, columnType))),
  compile([parts], ctx) {
    const readers = parts.map((part) => ctx.mapping(part));
    return (row) => {
      for (const read of readers) {
        const value = read(row);
        if (value !== null && value !== undefined) return value;
      }
      return null;
    };
  },
  pushdown([parts], ctx) {
    const trees = allOf(parts.map((part) => ctx.mapping(part)));
    return trees && { op: "coalesce", parts: trees };
  },
};

const textFunction = (name: string, apply: (text: string) => string, keepsLength = false, pushdown?: TransformDefinition<[unknown]>["pushdown"]): TransformDefinition<[unknown]> => ({
  name,
  args: [{ name: "column", role: "mapping" }],
  // trim never lengthens a value, so a varchar(n) input fits varchar(n); case mapping can ("ß" → "SS").
  outputType: ([input], columnType) => {
    const type = mappingType(input, columnType);
    return keepsLength && type && (type.kind === "string" || type.kind === "text") ? type : TEXT;
  },
  compile([input], ctx) {
    const read = ctx.mapping(input);
    return (row) => {
      const value = read(row);
      return value === null || value === undefined ? null : apply(asText(value));
    };
  },
  pushdown,
});

export const trimTransform = textFunction("trim", (s) => s.trim(), true, ([input], ctx) => {
  const tree = ctx.mapping(input);
  return tree && { op: "trim", input: tree };
});
// upper and lower stay in Node: JavaScript maps case by Unicode's full rules ("ß" → "SS", "İ" → "i̇"),
// which neither MariaDB's collations nor PostgreSQL's locales reproduce.
export const upperTransform = textFunction("upper", (s) => s.toUpperCase());
export const lowerTransform = textFunction("lower", (s) => s.toLowerCase());

export const builtinTransforms: TransformDefinition<never>[] = [
  concatTransform, splitTransform, lookupTransform, exprTransform, whenTransform, convertTransform,
  defaultToTransform, constantTransform, coalesceTransform, trimTransform, upperTransform, lowerTransform, remapTransform,
] as TransformDefinition<never>[];

/** The type of a nested mapping: a source column's, a built-in transform's output type, or a literal's. */
function mappingType(mapping: unknown, columnType: (name: string) => PortableType | undefined): PortableType | undefined {
  if (typeof mapping === "string") return columnType(mapping);
  if (!isTransformSpec(mapping)) return literalType(mapping);
  const definition = builtinTransforms.find((t) => t.name === mapping.transform) as TransformDefinition<readonly unknown[]> | undefined;
  return definition?.outputType?.(mapping.args, columnType);
}

function literalType(value: unknown): PortableType | undefined {
  if (typeof value === "string") return { kind: "string", length: Math.max(1, [...value].length) };
  if (typeof value === "boolean") return { kind: "boolean" };
  if (typeof value === "bigint") return { kind: "bigint" };
  if (typeof value === "number") return !Number.isInteger(value) ? { kind: "decimal" } : Math.abs(value) <= 2147483647 ? { kind: "integer" } : { kind: "bigint" };
  return undefined;
}

const isNullLiteral = (value: unknown) => value === null || value === undefined;
const numericKinds = new Set<PortableType["kind"]>(["smallint", "integer", "bigint", "decimal", "float"]);
const integerKinds: PortableType["kind"][] = ["smallint", "integer", "bigint"];

/** One type holding every value of the given types, or undefined when one is unknown or they disagree. */
function commonType(types: (PortableType | undefined)[]): PortableType | undefined {
  if (!types.length || types.some((t) => t === undefined)) return undefined;
  const known = types as PortableType[];
  if (known.every((t) => t.kind === "string" || t.kind === "text")) {
    return known.some((t) => t.kind === "text" || t.length === undefined) ? TEXT : { kind: "string", length: Math.max(...known.map((t) => t.length!)) };
  }
  if (known.every((t) => t.kind === known[0].kind && t.precision === known[0].precision && t.scale === known[0].scale)) return known[0];
  if (known.every((t) => integerKinds.includes(t.kind))) return { kind: integerKinds[Math.max(...known.map((t) => integerKinds.indexOf(t.kind)))] };
  if (known.every((t) => numericKinds.has(t.kind))) return { kind: "decimal" };
  return undefined;
}

const comparisonOperators = new Set(["equal", "unequal", "smaller", "larger", "smallerEq", "largerEq", "and", "or", "xor", "not"]);
const arithmeticOperators = new Set(["add", "subtract", "multiply", "divide", "mod", "pow", "unaryMinus", "unaryPlus"]);
const numericFunctions = new Set(["round", "abs", "floor", "ceil", "fix", "min", "max", "sqrt", "exp", "log", "log10", "mod", "pow", "sum", "mean", "sign"]);

/** A comparison or logical expression is boolean; arithmetic over numeric columns is an (exact) decimal. */
function expressionType(source: string, columnType: (name: string) => PortableType | undefined): PortableType | undefined {
  let parsed;
  try {
    parsed = parseExpression(source);
  } catch {
    return undefined;
  }
  let root = parsed.node as unknown as { isParenthesisNode?: boolean; content?: unknown; isOperatorNode?: boolean; isFunctionNode?: boolean; fn?: unknown; name?: string };
  while (root.isParenthesisNode) root = root.content as typeof root;
  const fn = root.isOperatorNode ? root.fn : root.isFunctionNode ? (root.fn as { name?: string })?.name : undefined;
  if (typeof fn === "string" && (comparisonOperators.has(fn) || fn.startsWith("databridgeIs") || fn === "databridgeEqual" || fn === "databridgeUnequal")) return { kind: "boolean" };
  const numericRoot = (root.isOperatorNode && arithmeticOperators.has(fn as string)) || (root.isFunctionNode && numericFunctions.has(fn as string))
    || (root as { isSymbolNode?: boolean }).isSymbolNode || typeof (root as { value?: unknown }).value === "number";
  return numericRoot && parsed.symbols.every((name) => numericKinds.has(columnType(name)?.kind as PortableType["kind"])) ? { kind: "decimal" } : undefined;
}

function convertOutputType(type: ConvertType): PortableType | undefined {
  switch (type) {
    case "string": return TEXT;
    case "integer": return { kind: "integer" };
    case "bigint": return { kind: "bigint" };
    case "decimal": return { kind: "decimal" };
    case "boolean": return { kind: "boolean" };
    case "date": return { kind: "date" };
    case "timestamp": return { kind: "timestamp" };
    case "uuid": return { kind: "uuid" };
    case "json": return { kind: "json" };
    default: return undefined;
  }
}

const isLiteral = (value: unknown): value is PushdownLiteral =>
  value === null || typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));

function allOf(trees: (PushdownExpression | undefined)[]): PushdownExpression[] | undefined {
  return trees.every(Boolean) ? (trees as PushdownExpression[]) : undefined;
}

/** A `when` branch as a tree: a transform's, or a literal (a string too). */
function branchTree(value: unknown, ctx: PushdownContext): PushdownExpression | undefined {
  if (isTransformSpec(value)) return ctx.mapping(value);
  return isLiteral(value) ? { op: "literal", value } : undefined;
}

/** `when` branches: a transform is evaluated; any other value (a string too) is a literal. */
function branch(value: unknown, compile: (mapping: unknown) => RowFunction): RowFunction {
  if (isTransformSpec(value)) return compile(value);
  return () => value;
}

function truthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const typed = value as { isBigNumber?: boolean; isZero?: () => boolean };
  if (typed.isBigNumber) return !typed.isZero!();
  return Boolean(value);
}
