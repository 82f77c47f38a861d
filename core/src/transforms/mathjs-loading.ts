import { createRequire } from "node:module";
import path from "node:path";
import type { FactoryFunctionMap, MathJsInstance } from "mathjs";

const require = createRequire(import.meta.url);

type Create = (factories: FactoryFunctionMap, config?: object) => MathJsInstance;
type Module = Record<string, unknown>;

/**
 * The files of the factories the expression parser and `format` need, in mathjs's CommonJS build: mathjs's own
 * dependency lists (`dependenciesParse.generated.js`) load every function's factory — 700 modules, a quarter of a
 * second at the start of every run, `plan` and language-server start that reads an expression. The list is
 * those lists' factories less the Unit class (parsing builds no units; creating the class costs another 0.1 s).
 * `mathjs-loading.test.ts` checks it against the lists of the installed mathjs and the trees it parses.
 */
export const PARSER_FACTORY_FILES: Readonly<Record<string, string>> = {
  createAbs: "function/arithmetic/abs.js",
  createAccessorNode: "expression/node/AccessorNode.js",
  createAdd: "function/arithmetic/add.js",
  createAddScalar: "function/arithmetic/addScalar.js",
  createArrayNode: "expression/node/ArrayNode.js",
  createAssignmentNode: "expression/node/AssignmentNode.js",
  createBignumber: "type/bignumber/function/bignumber.js",
  createBigNumberClass: "type/bignumber/BigNumber.js",
  createBlockNode: "expression/node/BlockNode.js",
  createCeil: "function/arithmetic/ceil.js",
  createComplexClass: "type/complex/Complex.js",
  createConcat: "function/matrix/concat.js",
  createConditionalNode: "expression/node/ConditionalNode.js",
  createConj: "function/complex/conj.js",
  createConstantNode: "expression/node/ConstantNode.js",
  createDenseMatrixClass: "type/matrix/DenseMatrix.js",
  createDet: "function/matrix/det.js",
  createDivideScalar: "function/arithmetic/divideScalar.js",
  createDot: "function/matrix/dot.js",
  createEqual: "function/relational/equal.js",
  createEqualScalar: "function/relational/equalScalar.js",
  createFix: "function/arithmetic/fix.js",
  createFloor: "function/arithmetic/floor.js",
  createFormat: "function/string/format.js",
  createFraction: "type/fraction/function/fraction.js",
  createFractionClass: "type/fraction/Fraction.js",
  createFunctionAssignmentNode: "expression/node/FunctionAssignmentNode.js",
  createFunctionNode: "expression/node/FunctionNode.js",
  createIdentity: "function/matrix/identity.js",
  createIndexNode: "expression/node/IndexNode.js",
  createInv: "function/matrix/inv.js",
  createIsBounded: "function/utils/isBounded.js",
  createIsInteger: "function/utils/isInteger.js",
  createIsNumeric: "function/utils/isNumeric.js",
  createIsZero: "function/utils/isZero.js",
  createMatrix: "type/matrix/function/matrix.js",
  createMatrixClass: "type/matrix/Matrix.js",
  createMultiply: "function/arithmetic/multiply.js",
  createMultiplyScalar: "function/arithmetic/multiplyScalar.js",
  createNode: "expression/node/Node.js",
  createNumber: "type/number.js",
  createNumeric: "function/utils/numeric.js",
  createObjectNode: "expression/node/ObjectNode.js",
  createOperatorNode: "expression/node/OperatorNode.js",
  createParenthesisNode: "expression/node/ParenthesisNode.js",
  createParse: "expression/parse.js",
  createPow: "function/arithmetic/pow.js",
  createRangeNode: "expression/node/RangeNode.js",
  createRelationalNode: "expression/node/RelationalNode.js",
  createResultSet: "type/resultset/ResultSet.js",
  createRound: "function/arithmetic/round.js",
  createSize: "function/matrix/size.js",
  createSparseMatrixClass: "type/matrix/SparseMatrix.js",
  createSubset: "function/matrix/subset.js",
  createSubtractScalar: "function/arithmetic/subtractScalar.js",
  createSymbolNode: "expression/node/SymbolNode.js",
  createTyped: "core/function/typed.js",
  createUnaryMinus: "function/arithmetic/unaryMinus.js",
  createZeros: "function/matrix/zeros.js",
};

/** mathjs's CommonJS build, where the factory files are (not in the package's `exports`, so reached by path). */
function mathjsLibrary(): string {
  return path.join(path.dirname(require.resolve("mathjs/package.json")), "lib/cjs");
}

const load = (file: string) => require(path.join(mathjsLibrary(), file)) as Module;

/**
 * The expression parser (with `format`), from the factory files above; from mathjs's own dependency lists if the
 * installed version has moved a file or needs another factory (mathjs creates functions on first use, so the
 * parser and `format` are created here, where a missing dependency still falls back).
 */
export function createParser(config: object): MathJsInstance {
  try {
    const factories: Record<string, unknown> = {};
    for (const [name, file] of Object.entries(PARSER_FACTORY_FILES)) {
      factories[name] = load(file)[name];
      if (typeof factories[name] !== "function") throw new Error(`mathjs has no ${name} in ${file}`);
    }
    const parser = createFunction()(factories as FactoryFunctionMap, config);
    parser.parse("a");
    parser.format(1);
    return parser;
  } catch {
    return createFunction()({ ...dependenciesOf(["parse", "format"]) } as unknown as FactoryFunctionMap, config);
  }
}

/**
 * Each named function's dependency list (`<name>Dependencies`), from its own generated file: they load the
 * factories but, unlike mathjs's main entry, create no default instance with every function (half a second).
 */
export function dependenciesOf(names: readonly string[]): Record<string, FactoryFunctionMap> {
  const found: Record<string, FactoryFunctionMap> = {};
  try {
    for (const name of names) {
      const key = `${name}Dependencies`;
      const dependencies = load(`entry/dependenciesAny/dependencies${dependencyFileName(name)}.generated.js`)[key];
      if (!dependencies || typeof dependencies !== "object") throw new Error(`mathjs has no ${key}`);
      found[key] = dependencies as FactoryFunctionMap;
    }
    return found;
  } catch {
    const all = require("mathjs") as Module;
    return Object.fromEntries(names.map((name) => [`${name}Dependencies`, all[`${name}Dependencies`] as FactoryFunctionMap]));
  }
}

/** `create` without loading mathjs's main entry. */
export function createFunction(): Create {
  try {
    const { create } = load("core/create.js") as { create?: Create };
    if (typeof create === "function") return create;
  } catch {
    // the main entry's
  }
  return (require("mathjs") as { create: Create }).create;
}

/** mathjs names a function's generated file after it, capitalised; all-capital names (`PI`, `E`) as `UppercasePi`, `UppercaseE`. */
function dependencyFileName(name: string): string {
  if (name.length > 0 && name === name.toUpperCase() && name !== name.toLowerCase()) {
    return `Uppercase${name[0]}${name.slice(1).toLowerCase()}`;
  }
  return `${name[0].toUpperCase()}${name.slice(1)}`;
}
