import { isTransformSpec } from "../authoring/pipeline.js";
import type { RowFunction, TransformContext } from "../authoring/plugin.js";
import { configError, dataError, isDataBridgeError } from "../errors.js";
import { compileExactEvaluator, exactExpression } from "../transforms/exact-expression.js";
import { createExpressionSandbox, isNumericKind, parseExpression, type ExpressionSandbox } from "../transforms/expression.js";
import { didYouMean } from "../util/suggest.js";
import type { Registry } from "../workspace/registry.js";
import { IdMapService, legacyKeyText } from "../target/id-map.js";
import type { PreparedStage } from "./prepare.js";

export interface CompiledMappings {
  /** One function per target column, in `targetColumns` order. */
  mappers: RowFunction[];
  /** Runs the transforms' per-batch work (batched lookups) before a batch's rows are transformed. */
  beforeBatch(rows: readonly (readonly unknown[])[]): Promise<void>;
  /** Whether `beforeBatch` does anything (a transform looks up a batch's keys at once): such batches are read whole. */
  hasBatchWork: boolean;
  idMap: IdMapService;
}

/**
 * Compiles the column mappings once: each target column becomes a function of the source row
 * (an array in `readColumns` order). Transforms run per row; nothing is parsed per row.
 */
export function compileMappings(stage: PreparedStage, registry: Registry, options: { idMap?: IdMapService; createIds?: boolean } = {}): CompiledMappings {
  const index = new Map(stage.readColumns.map((c, i) => [c, i]));
  const types = new Map(stage.sourceColumns.map((c) => [c.name, c.type]));
  const pipelineName = stage.pipeline.name;
  const idMap = options.idMap ?? new IdMapService(stage.target);
  const services: Record<string, unknown> = { idMap };
  const hooks: ((rows: readonly (readonly unknown[])[]) => Promise<void>)[] = [];
  // Each compiled stage evaluates its expressions in a mathjs instance of its own: nothing one
  // pipeline's expressions do can reach another's, in the CLI or a long-lived runner.
  let sandbox: ExpressionSandbox | undefined;
  const compileFor = (targetColumn: string) => {
    const context: TransformContext = {
      pipeline: pipelineName,
      targetColumn,
      tenant: stage.tenant,
      services,
      onBatch: (hook) => hooks.push(hook),
      column(name) {
        const i = index.get(name);
        if (i === undefined) {
          throw configError(`source has no column "${name}"${didYouMean(name, stage.sourceColumns.map((c) => c.name))}`, { pipeline: pipelineName, column: targetColumn });
        }
        return (row) => row[i];
      },
      columnType: (name) => types.get(name),
      mapping(mapping) {
        if (typeof mapping === "string") return context.column(mapping);
        if (!isTransformSpec(mapping)) return () => mapping;
        const definition = registry.transforms.get(mapping.transform);
        if (!definition) throw configError(`unknown transform "${mapping.transform}"${didYouMean(mapping.transform, registry.transforms.keys())}`, { pipeline: pipelineName, column: targetColumn });
        return definition.compile(mapping.args as never, context);
      },
      expression(source) {
        let parsed;
        try {
          parsed = parseExpression(source);
        } catch (error) {
          throw isDataBridgeError(error) ? error.withContext({ pipeline: pipelineName, column: targetColumn }) : error;
        }
        const expressions = (sandbox ??= createExpressionSandbox());
        // Compiled in mathjs only when evaluated there (not for exact arithmetic): building the instance costs seconds on a busy machine.
        let mathCompiled: ReturnType<ExpressionSandbox["compile"]> | undefined;
        const mathCompile = () => (mathCompiled ??= expressions.compile(parsed));
        const bindings = parsed.symbols.map((name) => ({ name, read: context.column(name), numeric: isNumericKind(types.get(name)?.kind) }));
        // Plain arithmetic and comparisons on integer and DECIMAL columns: scaled integers, no BigNumber per row
        // (the same exact values, and what a source computing the expression itself gives).
        const exact = exactExpression(parsed, (name) => types.get(name));
        const fast = exact && compileExactEvaluator(exact, (name) => context.column(name));
        if (!fast) mathCompile();
        return {
          get compiled() {
            return mathCompile();
          },
          hasNullInput(row) {
            for (const binding of bindings) {
              const value = binding.read(row);
              if (value === null || value === undefined) return true;
            }
            return false;
          },
          evaluate: fast || ((row) => {
            const scope: Record<string, unknown> = {};
            for (const binding of bindings) scope[binding.name] = expressions.toValue(binding.read(row), binding.numeric);
            return mathCompile().evaluate(scope);
          }),
        };
      },
    };
    return context;
  };
  const { pipeline } = stage;
  const { tenantColumn } = stage;
  const mappers = stage.targetColumns.map((column): RowFunction => {
    if (pipeline.columns[column] !== undefined) return compileFor(column).mapping(pipeline.columns[column]);
    if (column === tenantColumn) return () => stage.tenant;
    if (column === stage.idMapColumn && pipeline.idMap) return newIdMapper(compileFor(column), pipeline.idMap.entity, pipeline.idMap.key, idMap, options.createIds ?? true);
    throw configError(`no mapping for target column ${column}`, { pipeline: pipelineName, column });
  });
  return {
    mappers,
    idMap,
    hasBatchWork: hooks.length > 0,
    async beforeBatch(rows) {
      for (const hook of hooks) await hook(rows);
    },
  };
}

/** The id-map column: the stable new id of the row's legacy key, created on first sight. */
function newIdMapper(context: TransformContext, entity: string, keyColumn: string, idMap: IdMapService, create: boolean): RowFunction {
  const read = context.column(keyColumn);
  let ids = new Map<string, string>();
  context.onBatch(async (rows) => {
    const keys: string[] = [];
    for (const row of rows) {
      const value = read(row);
      if (value !== null && value !== undefined) keys.push(legacyKeyText(value));
    }
    ids = await idMap.resolve(entity, context.tenant, keys, create);
  });
  return (row) => {
    const value = read(row);
    if (value === null || value === undefined) throw dataError(`idMap.key ${keyColumn} is NULL`, { column: keyColumn });
    const id = ids.get(legacyKeyText(value));
    if (!id) throw dataError(`no ${entity} id for legacy key ${JSON.stringify(legacyKeyText(value))}`, { column: keyColumn });
    return id;
  };
}
