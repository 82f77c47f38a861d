import type { PortableType, ConnectorFactory } from "../connectors/connector.js";
import type { ExactExpression, PushdownExpression } from "../connectors/pushdown.js";
import { configError } from "../errors.js";

/** A compiled per-row function: reads the source row (an array in source column order). */
export type RowFunction = (row: readonly unknown[]) => unknown;

/** A mathjs expression compiled against a stage's own sandboxed instance. */
export interface CompiledExpression {
  symbols: string[];
  /** Evaluates against one row's values (made by `toValue`); a failure or a broken limit is a data error. */
  evaluate(scope: Record<string, unknown>): unknown;
}

/**
 * The `idMap` service in `TransformContext.services`: the stable new ids of legacy keys (as
 * `legacyKeyText` spells them), looked up for a whole batch at once.
 */
export interface IdMapLookup {
  resolve(entity: string, tenant: string, legacyKeys: Iterable<string>, create: boolean): Promise<Map<string, string>>;
}

export interface TransformContext {
  readonly pipeline: string;
  readonly targetColumn: string;
  /** Reader for a source column; an unknown name fails the compile with a did-you-mean. */
  column(name: string): RowFunction;
  /** The source column's portable type, when known. */
  columnType(name: string): PortableType | undefined;
  /** Compiles a nested mapping: a column name, or another transform. */
  mapping(mapping: unknown): RowFunction;
  /**
   * Compiles a mathjs expression once (refusing what the allow-list does not allow, as a config error);
   * the result evaluates it against a row, in the stage's own sandboxed mathjs instance.
   */
  expression(source: string): { compiled: CompiledExpression; evaluate: RowFunction; hasNullInput: (row: readonly unknown[]) => boolean };
  /** The tenant of the source being read ("" for single-source pipelines). */
  readonly tenant: string;
  /** Run-scoped services plugins may use (`idMap`: an `IdMapLookup`, …). */
  readonly services: Record<string, unknown>;
  /**
   * Registers work to do once per batch, before its rows are transformed (e.g. one query that
   * fetches every lookup the batch needs), so per-row functions stay synchronous and cheap.
   */
  onBatch(hook: (rows: readonly (readonly unknown[])[]) => Promise<void>): void;
}

/**
 * How a transform uses an argument. `plan`, `check` and the language server read the roles: which source
 * columns a mapping reads (completions, unknown-column diagnostics with did-you-mean, the columns the
 * engine selects), and which expressions to check.
 */
export const ARGUMENT_ROLES = {
  column: "a source column name",
  columns: "a list of source column names or nested transforms",
  mapping: "a source column name or a nested transform",
  expression: "a mathjs expression whose names are source columns",
  value: "a literal, or a nested transform computing the value (a string is a literal, not a column)",
  literal: "a value used as is (a separator, a lookup table, options)",
} as const;

export type ArgumentRole = keyof typeof ARGUMENT_ROLES;

export interface TransformArgument {
  /** As in the transform's signature (shown by the language server). */
  name: string;
  role: ArgumentRole;
}

export interface TransformDefinition<Args extends readonly unknown[] = readonly unknown[]> {
  /** The `transform` name in a `TransformSpec`. */
  name: string;
  /** Each argument's role, in order; arguments past the declared ones are literals. */
  args: readonly TransformArgument[];
  /**
   * Overrides the source columns derived from `args` (for lineage, checks and completions), for a transform
   * whose arguments the roles cannot describe; `nested` resolves a nested mapping's columns.
   */
  sourceColumns?(args: Args, nested: (mapping: unknown) => string[]): string[];
  /** Overrides the mathjs expressions derived from `args` (checked by `plan` and the language server). */
  expressions?(args: Args): string[];
  /** The value's type, for `create: true` targets and lossy-mapping checks. */
  outputType?(args: Args, columnType: (name: string) => PortableType | undefined): PortableType | undefined;
  /** Compiled once per run; the returned function runs per row. */
  compile(args: Args, context: TransformContext): RowFunction;
  /**
   * The transform's value as a portable tree a source may compute itself (see `PushdownExpression`), or
   * `undefined` where its meaning cannot be stated exactly that way: the column is then computed in Node.
   */
  pushdown?(args: Args, context: PushdownContext): PushdownExpression | undefined;
}

/** What a transform's `pushdown` builds from: nested mappings and expressions as trees, when they have one. */
export interface PushdownContext {
  /** A source column name, a nested transform or a literal; `undefined` when it has no exact tree. */
  mapping(mapping: unknown): PushdownExpression | undefined;
  /** An expression as exact decimal arithmetic, when it is that (see `exactExpression`). */
  expression(source: string): ExactExpression | undefined;
}

export interface Plugin {
  readonly kind: "databridge.plugin";
  name: string;
  connectors?: ConnectorFactory[];
  transforms?: TransformDefinition<never>[];
}

/**
 * Declares a plugin: connectors and transforms. Built-in connectors and transforms are a plugin too.
 * A transform declares its arguments' roles, so `check` and the editor know which ones are source columns.
 *
 * @example
 * export const masking = definePlugin({
 *   name: "masking",
 *   transforms: [{
 *     name: "maskEmail",
 *     args: [{ name: "email", role: "column" }, { name: "keep", role: "literal" }],
 *     compile: ([email, keep = 1]: [string, number?], ctx) => {
 *       const read = ctx.column(email);
 *       return (row) => String(read(row) ?? "").replace(/^(.*)(?=@)/, (name) => name.slice(0, keep) + "***");
 *     },
 *   }],
 * });
 * // in a pipeline: email: transform("maskEmail", "EMAIL", 2)
 */
export function definePlugin(plugin: Omit<Plugin, "kind">): Plugin {
  for (const transform of plugin.transforms ?? []) checkTransformDefinition(transform as TransformDefinition<never> | undefined, plugin.name);
  return { ...plugin, kind: "databridge.plugin" };
}

const roleList = Object.keys(ARGUMENT_ROLES).join(", ");

/** Refuses a transform that does not say how it uses its arguments, naming the plugin, the transform and the fix. */
function checkTransformDefinition(transform: TransformDefinition<never> | undefined, pluginName: string): void {
  const where = `plugin ${JSON.stringify(pluginName)}`;
  if (typeof transform?.name !== "string" || !transform.name) throw configError(`${where}: every transform needs a name (got ${JSON.stringify(transform?.name)})`);
  const which = `${where}, transform ${JSON.stringify(transform.name)}`;
  if (typeof transform.compile !== "function") throw configError(`${which}: compile(args, context) is missing`);
  if (!Array.isArray(transform.args)) {
    throw configError(`${which} must declare its arguments, e.g. args: [{ name: "email", role: "column" }] (roles: ${roleList})`);
  }
  transform.args.forEach((argument: Partial<TransformArgument> | undefined, i) => {
    if (typeof argument?.name !== "string" || !argument.name) throw configError(`${which}: args[${i}] needs a name`);
    if (!Object.hasOwn(ARGUMENT_ROLES, argument.role ?? "")) {
      throw configError(`${which}: argument ${argument.name} has role ${JSON.stringify(argument.role)}; use one of ${roleList}`);
    }
  });
}
