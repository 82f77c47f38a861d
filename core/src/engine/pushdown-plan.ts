import type { Pipeline } from "../authoring/pipeline.js";
import { isTransformSpec } from "../authoring/pipeline.js";
import type { PushdownContext, TransformDefinition } from "../authoring/plugin.js";
import type { Source, TableInfo } from "../connectors/connector.js";
import type { PushdownExpression } from "../connectors/pushdown.js";
import { mappingColumns } from "../transforms/argument-roles.js";
import { exactExpression } from "../transforms/exact-expression.js";
import { parseExpression } from "../transforms/expression.js";

/** Where a target column's value is computed: by the source (in the SQL that reads the row) or in Node. */
export type ComputedAt = "source" | "node";

export interface TransformPushdownPlan {
  /** The columns to read, reordered: the ones Node needs as values first (`valueColumns` of them). */
  readColumns: string[];
  valueColumns: number;
  /** The SQL rendering the source-computed columns as one COPY text line. */
  copyText: string;
  /** Target column indexes computed in Node, in load order; the source's line follows them. */
  nodeColumns: number[];
  /** Target columns in the order rows are loaded: Node's first, then the source's. */
  loadColumns: string[];
  /** Per target column (in `targetColumns` order). */
  computedAt: ComputedAt[];
}

/**
 * Which target columns the source computes: a column whose mapping has an exact tree (the transforms'
 * `pushdown`) that the source's dialect renders (its `pushdown` capability), except the target key
 * columns and what the engine itself fills (the id map), which Node computes because it needs their
 * values. `undefined` when the source computes nothing (no capability, a query source, or no column).
 */
export function planTransformPushdown(input: {
  source: Source;
  table: TableInfo | undefined;
  pipeline: Pipeline;
  targetColumns: string[];
  readColumns: string[];
  /** Read columns the engine needs as values whatever is pushed down (page key, key, id map key). */
  engineReads: string[];
  targetKey: string[];
  tenantColumn: string | undefined;
  tenant: string;
  transforms: ReadonlyMap<string, TransformDefinition<never>>;
}): TransformPushdownPlan | undefined {
  const { source, table, pipeline, targetColumns, transforms } = input;
  const pushdown = source.dialect.pushdown;
  if (!table || !pushdown) return undefined;
  const context: PushdownContext = {
    mapping(mapping) {
      if (typeof mapping === "string") {
        const column = table.columns.find((c) => c.name === mapping);
        return column && { op: "column", name: column.name, nativeType: column.nativeType, type: column.type, ...(column.characterSet ? { characterSet: column.characterSet } : {}) };
      }
      if (isTransformSpec(mapping)) return transforms.get(mapping.transform)?.pushdown?.(mapping.args as never, context);
      return mapping === null || ["string", "number", "boolean"].includes(typeof mapping) ? { op: "literal", value: mapping as string | number | boolean | null } : undefined;
    },
    expression(text) {
      try {
        return exactExpression(parseExpression(text), (name) => table.columns.find((c) => c.name === name)?.type);
      } catch {
        return undefined;
      }
    },
  };
  const fields = targetColumns.map((column): string | undefined => {
    if (input.targetKey.includes(column)) return undefined;
    let tree: PushdownExpression | undefined;
    if (pipeline.columns[column] !== undefined) tree = context.mapping(pipeline.columns[column]);
    else if (column === input.tenantColumn) tree = { op: "literal", value: input.tenant };
    return tree && pushdown.field(tree);
  });
  if (!fields.some((f) => f !== undefined)) return undefined;
  const nodeColumns = targetColumns.flatMap((_, i) => (fields[i] === undefined ? [i] : []));
  const sourceColumns = targetColumns.flatMap((_, i) => (fields[i] === undefined ? [] : [i]));
  const nodeReads = nodeColumns.flatMap((i) => {
    const mapping = pipeline.columns[targetColumns[i]];
    return mapping === undefined ? [] : mappingColumns(mapping, transforms);
  });
  const values = [...new Set([...input.engineReads, ...nodeReads])].filter((c) => input.readColumns.includes(c));
  return {
    readColumns: [...values, ...input.readColumns.filter((c) => !values.includes(c))],
    valueColumns: values.length,
    copyText: pushdown.line(sourceColumns.map((i) => fields[i]!)),
    nodeColumns,
    loadColumns: [...nodeColumns, ...sourceColumns].map((i) => targetColumns[i]),
    computedAt: fields.map((f) => (f === undefined ? "node" : "source")),
  };
}
