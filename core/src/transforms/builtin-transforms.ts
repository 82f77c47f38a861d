import type { PortableType } from "../connectors/connector.js";
import { dataError, configError } from "../errors.js";
import type { RowFunction, TransformDefinition } from "../authoring/plugin.js";
import { isTransformSpec } from "../authoring/pipeline.js";
import { convertTypes, makeConverter, type ConvertOptions, type ConvertType } from "./convert.js";
import { fromMathValue, parseExpression } from "./expression.js";
import { remapTransform } from "./remap.js";

const TEXT: PortableType = { kind: "text" };

const asText = (value: unknown): string =>
  typeof value === "string" ? value : value instanceof Uint8Array ? Buffer.from(value).toString("utf8") : String(value);

/** Columns read by a mapping (a column name or a transform spec), through the transforms that are registered. */
export function mappingColumns(mapping: unknown, registry: ReadonlyMap<string, TransformDefinition<never>>): string[] {
  if (typeof mapping === "string") return [mapping];
  if (!isTransformSpec(mapping)) return [];
  const definition = registry.get(mapping.transform);
  return definition ? definition.sourceColumns(mapping.args as never, (nested) => mappingColumns(nested, registry)) : [];
}

export const concatTransform: TransformDefinition<[unknown[], string?]> = {
  name: "concat",
  sourceColumns: ([parts], nested) => parts.flatMap(nested),
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
};

export const splitTransform: TransformDefinition<[string, string, number]> = {
  name: "split",
  sourceColumns: ([column]) => [column],
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
  sourceColumns: ([column]) => [column],
  outputType: ([, table]) => {
    const values = Object.values(table);
    return values.every((v) => typeof v === "string") ? { kind: "string", length: Math.max(1, ...values.map((v) => (v as string).length)) } : undefined;
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
};

export const exprTransform: TransformDefinition<[string]> = {
  name: "expr",
  sourceColumns: ([source]) => safeSymbols(source),
  expressions: ([source]) => [source],
  compile([source], ctx) {
    const { evaluate, hasNullInput } = ctx.expression(source);
    // SQL semantics: arithmetic on NULL is NULL.
    return (row) => (hasNullInput(row) ? null : fromMathValue(evaluate(row)));
  },
};

export const whenTransform: TransformDefinition<[string, unknown, unknown?]> = {
  name: "when",
  sourceColumns: ([condition, then, otherwise], nested) => [...safeSymbols(condition), ...branchColumns(then, nested), ...branchColumns(otherwise, nested)],
  expressions: ([condition]) => [condition],
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
        // A comparison with NULL is unknown, which a condition treats as false (as SQL's CASE does).
        if (!hasNullInput(row)) throw error;
        holds = false;
      }
      return holds ? yes(row) : no(row);
    };
  },
};

export const convertTransform: TransformDefinition<[unknown, ConvertType, ConvertOptions?]> = {
  name: "convert",
  sourceColumns: ([input], nested) => nested(input),
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
  sourceColumns: ([input], nested) => nested(input),
  compile([input, fallback], ctx) {
    const read = ctx.mapping(input);
    return (row) => {
      const value = read(row);
      return value === null || value === undefined ? fallback : value;
    };
  },
};

export const constantTransform: TransformDefinition<[unknown]> = {
  name: "constant",
  sourceColumns: () => [],
  outputType: ([value]) => (typeof value === "string" ? { kind: "string", length: Math.max(1, value.length) } : typeof value === "boolean" ? { kind: "boolean" } : undefined),
  compile([value]) {
    return () => value;
  },
};

export const coalesceTransform: TransformDefinition<[unknown[]]> = {
  name: "coalesce",
  sourceColumns: ([parts], nested) => parts.flatMap(nested),
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
};

const textFunction = (name: string, apply: (text: string) => string): TransformDefinition<[unknown]> => ({
  name,
  sourceColumns: ([input], nested) => nested(input),
  compile([input], ctx) {
    const read = ctx.mapping(input);
    return (row) => {
      const value = read(row);
      return value === null || value === undefined ? null : apply(asText(value));
    };
  },
});

export const trimTransform = textFunction("trim", (s) => s.trim());
export const upperTransform = textFunction("upper", (s) => s.toUpperCase());
export const lowerTransform = textFunction("lower", (s) => s.toLowerCase());

export const builtinTransforms: TransformDefinition<never>[] = [
  concatTransform, splitTransform, lookupTransform, exprTransform, whenTransform, convertTransform,
  defaultToTransform, constantTransform, coalesceTransform, trimTransform, upperTransform, lowerTransform, remapTransform,
] as TransformDefinition<never>[];

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

/** `when` branches: a transform is evaluated; any other value (a string too) is a literal. */
function branch(value: unknown, compile: (mapping: unknown) => RowFunction): RowFunction {
  if (isTransformSpec(value)) return compile(value);
  return () => value;
}

function branchColumns(value: unknown, nested: (mapping: unknown) => string[]): string[] {
  return isTransformSpec(value) ? nested(value) : [];
}

function truthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const typed = value as { isBigNumber?: boolean; isZero?: () => boolean };
  if (typed.isBigNumber) return !typed.isZero!();
  return Boolean(value);
}

function safeSymbols(source: string): string[] {
  try {
    return parseExpression(source).symbols;
  } catch {
    return [];
  }
}
