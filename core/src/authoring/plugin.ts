import type { PortableType, ConnectorFactory } from "../connectors/connector.js";
import type { CompiledExpression } from "../transforms/expression-sandbox.js";

/** A compiled per-row function: reads the source row (an array in source column order). */
export type RowFunction = (row: readonly unknown[]) => unknown;

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
  /** Run-scoped services plugins may use (`idMap`, …). */
  readonly services: Record<string, unknown>;
  /**
   * Registers work to do once per batch, before its rows are transformed (e.g. one query that
   * fetches every lookup the batch needs), so per-row functions stay synchronous and cheap.
   */
  onBatch(hook: (rows: readonly (readonly unknown[])[]) => Promise<void>): void;
}

export interface TransformDefinition<Args extends readonly unknown[] = readonly unknown[]> {
  /** The `transform` name in a `TransformSpec`. */
  name: string;
  /** Source columns the transform reads (for checks, completions and lineage); `nested` resolves a nested mapping's. */
  sourceColumns(args: Args, nested: (mapping: unknown) => string[]): string[];
  /** mathjs expressions among its arguments (checked by `plan` and the language server). */
  expressions?(args: Args): string[];
  /** The value's type, for `create: true` targets and lossy-mapping checks. */
  outputType?(args: Args, columnType: (name: string) => PortableType | undefined): PortableType | undefined;
  /** Compiled once per run; the returned function runs per row. */
  compile(args: Args, context: TransformContext): RowFunction;
}

export interface Plugin {
  readonly kind: "databridge.plugin";
  name: string;
  connectors?: ConnectorFactory[];
  transforms?: TransformDefinition<never>[];
}

/**
 * Declares a plugin: connectors and transforms. Built-in connectors and transforms are a plugin too.
 *
 * @example
 * export const upper = definePlugin({
 *   name: "upper",
 *   transforms: [{ name: "upper", sourceColumns: ([c]) => [c], compile: ([c], ctx) => { const read = ctx.column(c); return (row) => String(read(row)).toUpperCase(); } }],
 * });
 */
export function definePlugin(plugin: Omit<Plugin, "kind">): Plugin {
  return { ...plugin, kind: "databridge.plugin" };
}
