import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { FactoryFunctionMap, MathJsInstance } from "mathjs";
import { EXPRESSION_CONSTANTS, EXPRESSION_FUNCTIONS, EXPRESSION_OPERATORS } from "./expression-rules.js";
import { PARSER_FACTORY_FILES, createFunction, createParser, dependenciesOf } from "./mathjs-loading.js";

const require = createRequire(import.meta.url);
const library = path.join(path.dirname(require.resolve("mathjs/package.json")), "lib/cjs");
const generated = (file: string) => require(path.join(library, "entry/dependenciesAny", file)) as Record<string, FactoryFunctionMap>;

/** Every factory a dependency list reaches, by export name. */
function factoriesIn(list: object, into = new Map<string, unknown>()): Map<string, unknown> {
  for (const [name, value] of Object.entries(list)) {
    if (typeof value === "function") into.set(name, value);
    else if (value && typeof value === "object") factoriesIn(value, into);
  }
  return into;
}

/** A parser built the way mathjs documents it: from its generated dependency lists (Unit class and all). */
function referenceParser(): MathJsInstance {
  const create = createFunction();
  const { parseDependencies } = generated("dependenciesParse.generated.js");
  const { formatDependencies } = generated("dependenciesFormat.generated.js");
  return create({ parseDependencies, formatDependencies } as unknown as FactoryFunctionMap, { number: "BigNumber", precision: 64 });
}

const EXPRESSIONS = [
  "quantity * unit_price", "a + b * (c - 1.5)", "x == null ? 0 : x", "x != null", "round(a / 3, 2)", "-a", "+a", "a ^ 2 ^ 3",
  "a > 1 and b < 2 or not c", "a xor b", "'text' == s", "\"double\" != s", "1e400 * 2", "0.1 + 0.2", "0x1F + 0b101", "5%", "a mod 3",
  "a % b", "f(x)[1]", "a.b", "a?.b", "[1, 2; 3, 4]", "{a: 1, 'b c': 2}", "2x", "2 x", "5 cm", "3 inch + 2 cm", "a = 1", "f(x) = x^2",
  "1:10", "a; b", "a\nb", "pi * e", "PI + E", "true and false", "NaN", "Infinity", "null", "max(a, b, 3)", "sum(a, b)", "abs(-0)",
  "a <= b >= c", "a == b == c", "x ? y : z ? w : v", "12345678901234567890.123456789", "a!", "a'", "mean([1, 2])",
];

describe("loading mathjs for expressions", () => {
  it("a parser loads neither every factory nor the main entry, and the sandbox's functions not the main entry (the built module, in a process of its own)", () => {
    const built = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/transforms/mathjs-loading.js");
    const script = `
      import { createRequire } from "node:module";
      const { createParser, dependenciesOf, createFunction } = await import(${JSON.stringify(built)});
      const loaded = (file) => Object.keys(createRequire(import.meta.url).cache).some((key) => key.endsWith(file));
      createParser({ number: "BigNumber", precision: 64 }).parse("a * b + round(c / 2, 1)");
      const parser = { all: loaded("lib/cjs/factoriesAny.js"), main: loaded("lib/cjs/entry/mainAny.js") };
      createFunction()(dependenciesOf(${JSON.stringify(["round", "multiply", "PI", "E", "e", "bignumber"])}), { number: "BigNumber" }).round(1.5);
      console.log(JSON.stringify({ parser, sandbox: { main: loaded("lib/cjs/entry/mainAny.js") } }));`;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(JSON.parse(output)).toEqual({ parser: { all: false, main: false }, sandbox: { main: false } });
  });


  it("the parser's factory files are mathjs's own parse and format dependencies, less the Unit class", () => {
    const expected = factoriesIn(generated("dependenciesParse.generated.js").parseDependencies);
    factoriesIn(generated("dependenciesFormat.generated.js").formatDependencies, expected);
    expected.delete("createUnitClass");
    expect(Object.keys(PARSER_FACTORY_FILES).sort()).toEqual([...expected.keys()].sort());
    for (const [name, file] of Object.entries(PARSER_FACTORY_FILES)) {
      expect((require(path.join(library, file)) as Record<string, unknown>)[name], `${name} in ${file}`).toBe(expected.get(name));
    }
  });

  // Not its LaTeX: without the Unit class, `b` is no longer typeset as the unit bit (nothing here writes LaTeX).
  it("parses every expression into the same tree, text and error as a parser from mathjs's generated lists", () => {
    const parser = createParser({ number: "BigNumber", precision: 64 });
    const reference = referenceParser();
    const outcome = (math: MathJsInstance, source: string) => {
      try {
        const node = math.parse(source);
        return { tree: JSON.stringify(node), text: node.toString() };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    let parsed = 0;
    for (const source of EXPRESSIONS) {
      const mine = outcome(parser, source);
      expect(mine, source).toEqual(outcome(reference, source));
      if (!("error" in mine)) parsed++;
    }
    expect(parsed).toBeGreaterThan(EXPRESSIONS.length - 3);
    for (const value of [reference.bignumber("1.50"), reference.bignumber("-0"), reference.bignumber("1e-30"), [1, "a", null], { a: 1 }, "text", 12.5, true]) {
      expect(parser.format(value as never), String(value)).toBe(reference.format(value as never));
    }
  });

  it("a mathjs whose parser needs a factory the list lacks still parses, through mathjs's own lists", () => {
    const files = PARSER_FACTORY_FILES as Record<string, string>;
    const removed = files.createConcat;
    delete files.createConcat;
    try {
      const parser = createParser({ number: "BigNumber", precision: 64 });
      expect(JSON.stringify(parser.parse("f(x)[1] + a.b"))).toBe(JSON.stringify(referenceParser().parse("f(x)[1] + a.b")));
    } finally {
      files.createConcat = removed;
    }
  });

  it("the sandbox's functions come with the same dependency lists as mathjs's main entry", () => {
    const names = [...new Set([...EXPRESSION_FUNCTIONS, ...EXPRESSION_OPERATORS, ...EXPRESSION_CONSTANTS, "bignumber"])];
    const mine = dependenciesOf(names);
    const main = require("mathjs") as Record<string, unknown>;
    expect(Object.keys(mine).sort()).toEqual(names.map((name) => `${name}Dependencies`).sort());
    for (const name of names) expect(mine[`${name}Dependencies`], name).toBe(main[`${name}Dependencies`]);
    expect(createFunction()).toBe(main.create);
  });
});
