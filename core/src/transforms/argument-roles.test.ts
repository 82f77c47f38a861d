import { describe, expect, it } from "vitest";
import { isTransformSpec, type TransformSpec } from "../authoring/pipeline.js";
import { definePlugin, type RowFunction, type TransformContext, type TransformDefinition } from "../authoring/plugin.js";
import { coalesce, concat, constant, convert, defaultTo, expr, lookup, lower, remap, split, transform, trim, upper, when } from "../authoring/transforms.js";
import { isDataBridgeError } from "../errors.js";
import { createRegistry } from "../workspace/registry.js";
import { argumentRole, mappingColumns, transformExpressions } from "./argument-roles.js";
import { builtinTransforms } from "./builtin-transforms.js";
import { parseExpression } from "./expression.js";

const noop: TransformDefinition<never>["compile"] = () => () => null;

/** A plugin transform with one argument of every role. */
const everyRole: TransformDefinition<never> = {
  name: "everyRole",
  args: [
    { name: "key", role: "column" },
    { name: "parts", role: "columns" },
    { name: "input", role: "mapping" },
    { name: "rule", role: "expression" },
    { name: "otherwise", role: "value" },
    { name: "separator", role: "literal" },
  ],
  compile: noop,
};

const registry = createRegistry([definePlugin({ name: "probe", transforms: [everyRole] })]).transforms;

describe("argument roles → the columns a mapping reads", () => {
  it("each role: column, columns (names and nested transforms), mapping, expression symbols, value (only a nested transform), literal (nothing)", () => {
    const spec = transform("everyRole", "KEY", ["A", upper("B")], trim("C"), "D * round(QTY) > F", concat(["G"]), "H");
    expect(mappingColumns(spec, registry)).toEqual(["KEY", "A", "B", "C", "D", "QTY", "F", "G"]);
    // A string in a value position is a literal, and so is every argument past the declared ones.
    expect(mappingColumns(transform("everyRole", "KEY", [], "C", "D", "LITERAL", "SEP", "EXTRA", ["X"]), registry)).toEqual(["KEY", "C", "D"]);
  });

  it("values of the wrong shape read nothing instead of failing (the compile reports them)", () => {
    expect(mappingColumns(transform("everyRole", 42, "not a list", null, 7, "x"), registry)).toEqual([]);
  });

  it("an expression that does not parse reads no column (check reports the expression itself)", () => {
    expect(mappingColumns(transform("everyRole", "KEY", [], null, "D *"), registry)).toEqual(["KEY"]);
  });

  it("an unknown transform reads nothing; a column name reads itself; a literal reads nothing", () => {
    expect(mappingColumns(transform("nope", "A"), registry)).toEqual([]);
    expect(mappingColumns("A", registry)).toEqual(["A"]);
    expect(mappingColumns(42, registry)).toEqual([]);
  });

  it("the role past the declared arguments is literal", () => {
    expect(argumentRole(everyRole, 0)).toBe("column");
    expect(argumentRole(everyRole, 6)).toBe("literal");
  });

  it("expressions are the expression arguments' texts", () => {
    expect(transformExpressions(everyRole, ["KEY", [], null, "D > 1", "E > 2", "F"])).toEqual(["D > 1"]);
    expect(transformExpressions(registry.get("when")!, ["a > 1", "b", "c"])).toEqual(["a > 1"]);
    expect(transformExpressions(registry.get("concat")!, [["a"], " "])).toEqual([]);
  });

  it("a transform's own sourceColumns and expressions override what its roles say", () => {
    const odd: TransformDefinition<never> = {
      name: "odd", args: [{ name: "spec", role: "literal" }], compile: noop,
      sourceColumns: (([spec]: [string], nested: (m: unknown) => string[]) => [...spec.split("+"), ...nested(upper("Z"))]) as never,
      expressions: (([spec]: [string]) => [spec.replace("+", " + ")]) as never,
    };
    const transforms = createRegistry([definePlugin({ name: "odd", transforms: [odd] })]).transforms;
    expect(mappingColumns(transform("odd", "X+Y"), transforms)).toEqual(["X", "Y", "Z"]);
    expect(transformExpressions(odd, ["X+Y"])).toEqual(["X + Y"]);
  });
});

/**
 * The columns a transform's compile actually reads, through a context that records them the way the
 * engine's context resolves them (nested mappings compiled by their own transform, an expression's names
 * bound as columns): an independent path to compare the declared roles with.
 */
function columnsReadByCompile(mapping: unknown): string[] {
  const read: string[] = [];
  const context: TransformContext = {
    pipeline: "p", targetColumn: "t", tenant: "",
    services: { idMap: { resolve: async () => new Map<string, string>() } },
    onBatch: () => {},
    columnType: () => undefined,
    column(name) {
      read.push(name);
      return () => null;
    },
    mapping(inner): RowFunction {
      if (typeof inner === "string") return context.column(inner);
      if (!isTransformSpec(inner)) return () => inner;
      return registry.get(inner.transform)!.compile(inner.args as never, context);
    },
    expression(source) {
      for (const name of parseExpression(source).symbols) context.column(name);
      return { compiled: { symbols: [], evaluate: () => null }, evaluate: () => null, hasNullInput: () => false };
    },
  };
  context.mapping(mapping);
  return [...new Set(read)].sort();
}

const usedTransforms = (mapping: unknown): string[] =>
  Array.isArray(mapping) ? mapping.flatMap(usedTransforms)
  : isTransformSpec(mapping) ? [mapping.transform, ...mapping.args.flatMap(usedTransforms)]
  : [];

describe("the built-in transforms' roles say what their compile reads", () => {
  const mappings: TransformSpec[] = [
    concat(["first", "last"], " "), concat(["a", upper("b"), when("x > 1", lower("c"), "d")], "-"),
    split("full", ", ", -1),
    lookup("code", { A: "ACTIVE", code: "literal key" }, "fallback"),
    expr("qty * price + round(tax, 2)"), expr("pi * r ^ 2"),
    when("kind == 'P' and qty > 2", "literal branch", trim("label")), when("a > 1", concat(["d"]), null), when("a != null", 1),
    convert("created", "date", { format: "yyyy-MM-dd" }), convert(trim("n"), "integer"),
    defaultTo("state", "DRAFT"), defaultTo(coalesce(["a", "b"]), "c"),
    constant("looks like a column"),
    coalesce(["a", convert("b", "integer"), "c"]),
    trim("a"), upper(lower("a")), lower(defaultTo("a", "b")),
    remap("region_id", "region", { onMissing: "null" }),
  ];

  it("every built-in transform is exercised here", () => {
    const used = new Set(mappings.flatMap(usedTransforms));
    expect(builtinTransforms.map((t) => t.name).filter((name) => !used.has(name))).toEqual([]);
  });

  it.each(mappings.map((m) => [JSON.stringify(m), m] as const))("%s", (_name, mapping) => {
    expect([...new Set(mappingColumns(mapping, registry))].sort()).toEqual(columnsReadByCompile(mapping));
  });
});

describe("definePlugin refuses a transform that does not describe its arguments", () => {
  const refusal = (transform: unknown) => {
    try {
      definePlugin({ name: "masking", transforms: [transform as TransformDefinition<never>] });
    } catch (error) {
      if (!isDataBridgeError(error)) throw error;
      return { kind: error.kind, message: error.message };
    }
    throw new Error("definePlugin accepted it");
  };

  it("no args: names the plugin, the transform, an example and the roles", () => {
    expect(refusal({ name: "maskEmail", compile: noop })).toEqual({
      kind: "config",
      message: 'plugin "masking", transform "maskEmail" must declare its arguments, e.g. args: [{ name: "email", role: "column" }] (roles: column, columns, mapping, expression, value, literal)',
    });
  });

  it("an unknown role, a nameless argument, a missing name or compile", () => {
    expect(refusal({ name: "maskEmail", args: [{ name: "email", role: "col" }], compile: noop }).message)
      .toBe('plugin "masking", transform "maskEmail": argument email has role "col"; use one of column, columns, mapping, expression, value, literal');
    expect(refusal({ name: "maskEmail", args: [{ role: "column" }], compile: noop }).message).toBe('plugin "masking", transform "maskEmail": args[0] needs a name');
    expect(refusal({ args: [], compile: noop }).message).toBe("plugin \"masking\": every transform needs a name (got undefined)");
    expect(refusal({ name: "maskEmail", args: [] }).message).toBe('plugin "masking", transform "maskEmail": compile(args, context) is missing');
  });

  it("every built-in transform declares its arguments (the built-ins are a plugin too)", () => {
    for (const definition of builtinTransforms) expect(definition.args.length, definition.name).toBeGreaterThan(0);
  });
});
