import { isTransformSpec } from "../authoring/pipeline.js";
import type { ArgumentRole, TransformDefinition } from "../authoring/plugin.js";
import { parseExpression } from "./expression.js";

/** What the derivations read of a transform: its declared `args` and its optional overrides. */
export type DescribedTransform = Pick<TransformDefinition<never>, "args" | "sourceColumns" | "expressions">;

/** Transforms by name, as a registry holds them. */
export type TransformsByName = ReadonlyMap<string, DescribedTransform>;

/** The role of a transform's `index`-th argument: as declared, and `literal` past the declared ones. */
export function argumentRole(definition: Pick<TransformDefinition<never>, "args">, index: number): ArgumentRole {
  return definition.args[index]?.role ?? "literal";
}

/**
 * The source columns a mapping (a column name or a transform spec) reads, through the registered
 * transforms' argument roles (or a transform's own `sourceColumns`). An unknown transform reads none:
 * `check` reports it as unknown.
 */
export function mappingColumns(mapping: unknown, transforms: TransformsByName): string[] {
  if (typeof mapping === "string") return [mapping];
  if (!isTransformSpec(mapping)) return [];
  const definition = transforms.get(mapping.transform);
  if (!definition) return [];
  const nested = (inner: unknown) => mappingColumns(inner, transforms);
  if (definition.sourceColumns) return definition.sourceColumns(mapping.args as never, nested);
  return mapping.args.flatMap((arg, i) => argumentColumns(argumentRole(definition, i), arg, nested));
}

function argumentColumns(role: ArgumentRole, arg: unknown, nested: (mapping: unknown) => string[]): string[] {
  switch (role) {
    case "column": return typeof arg === "string" ? [arg] : [];
    case "columns": return Array.isArray(arg) ? arg.flatMap(nested) : [];
    case "mapping": return nested(arg);
    case "expression": return typeof arg === "string" ? expressionColumns(arg) : [];
    case "value": return isTransformSpec(arg) ? nested(arg) : [];
    case "literal": return [];
  }
}

/** The mathjs expressions among a transform's arguments (its `expression` arguments, or its own `expressions`). */
export function transformExpressions(definition: DescribedTransform, args: readonly unknown[]): string[] {
  if (definition.expressions) return definition.expressions(args as never);
  return args.filter((arg, i): arg is string => typeof arg === "string" && argumentRole(definition, i) === "expression");
}

// The language server derives columns on every edit, and parsing mathjs text is the costly part.
const symbolsBySource = new Map<string, readonly string[]>();
const SYMBOL_CACHE_SIZE = 2000;

/** The source columns an expression reads; none when it does not parse (`check` reports that on its own). */
export function expressionColumns(source: string): string[] {
  let symbols = symbolsBySource.get(source);
  if (!symbols) {
    try {
      symbols = parseExpression(source).symbols;
    } catch {
      symbols = [];
    }
    if (symbolsBySource.size >= SYMBOL_CACHE_SIZE) symbolsBySource.clear();
    symbolsBySource.set(source, symbols);
  }
  return [...symbols];
}
