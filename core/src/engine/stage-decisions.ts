import type { LoadMode, Pipeline } from "../authoring/pipeline.js";
import type { ColumnInfo, Connector, TableInfo } from "../connectors/connector.js";
import { configError } from "../errors.js";
import { DURATION_FORMAT, parseDuration } from "../util/duration.js";
import type { DeletePlan, PreparedStage } from "./prepare.js";
import { planTransformPushdown, type ComputedAt } from "./pushdown-plan.js";
import type { TransformDefinition } from "../authoring/plugin.js";

/** Decisions about a stage that more than one part of DataBridge needs: each is made here, once. */

/** The tenant column of a consolidating pipeline (several `sources`), decided here for the engine, plan and verify. */
export function tenantColumnOf(pipeline: Pipeline): string | undefined {
  return pipeline.sources ? pipeline.target.tenantColumn ?? "tenant_id" : undefined;
}

/**
 * Which target rows stand for a source key, for `deletes: "propagate"` — or why that cannot be told. The
 * source key's columns must be copied as they are into target key columns, or the id map must own the key.
 */
export function deletePlan(pipeline: Pipeline, mode: LoadMode, key: string[], targetKey: string[], idMapColumn: string | undefined): DeletePlan | string {
  if (mode === "replace") return `deletes: "propagate" has nothing to do with mode "replace", which reloads the whole table anyway (remove it)`;
  if (pipeline.idMap && idMapColumn && targetKey.length === 1 && targetKey[0] === idMapColumn) {
    return { kind: "idMap", legacyKeyColumn: pipeline.idMap.key, entity: pipeline.idMap.entity, idColumn: idMapColumn };
  }
  const targetColumns = key.map((k) => Object.entries(pipeline.columns).find(([target, mapping]) => mapping === k && targetKey.includes(target))?.[0]);
  if (targetColumns.every(Boolean)) return { kind: "columns", targetColumns: targetColumns as string[] };
  return `deletes: "propagate" needs each source key column (${key.join(", ")}) copied as is into a target key column, to tell which target rows are gone`;
}

/** True when each target column is the plain source column read at the same position (`columns: { id: "id", … }` in order). */
export function passesRowsThrough(stage: Pick<PreparedStage, "targetColumns" | "readColumns" | "pipeline">): boolean {
  const { targetColumns, readColumns, pipeline } = stage;
  return targetColumns.length === readColumns.length && targetColumns.every((column, i) => pipeline.columns[column] === readColumns[i]);
}

/**
 * When rows pass through untouched, the source can render them as COPY text itself; the engine then
 * reads only the leading columns it needs as values (`needed`: keys, by read position) plus that line.
 * The run's `DATABRIDGE_SOURCE_ENCODING=off` keeps the value path (a diagnostic switch, read by `runPipelines`).
 */
export function pushDownEncoding(source: Connector, table: TableInfo | undefined, readColumns: string[], needed: number[]): PreparedStage["sourceEncoding"] {
  if (!table || !source.dialect.copyTextRow) return undefined;
  const columns = readColumns.map((name) => table.columns.find((c) => c.name === name));
  if (columns.some((c) => !c)) return undefined;
  const copyText = source.dialect.copyTextRow(columns as ColumnInfo[]);
  return copyText ? { copyText, format: source.dialect.copyLineFormat ?? "text", valueColumns: Math.max(0, ...needed) + 1 } : undefined;
}

/**
 * How a stage's rows travel from the source: passed through as COPY text the source renders, transforms computed
 * by the source where its SQL gives exactly Node's value (then `readColumns` is what to read instead), or —
 * `undefined` — every value read and encoded in Node.
 */
export function encodingPlan(stage: {
  source: Connector; table: TableInfo | undefined; pipeline: Pipeline; passesThrough: boolean; targetColumns: string[]; readColumns: string[];
  targetKey: string[]; key: string[]; pageKey: string[]; keyIndexes: number[]; tenantColumn: string | undefined; tenant: string;
  transforms: ReadonlyMap<string, TransformDefinition<never>>;
}): { sourceEncoding: PreparedStage["sourceEncoding"]; computedAt: ComputedAt[]; readColumns?: string[] } | undefined {
  const { source, table, pipeline, targetColumns, readColumns, targetKey, key, pageKey } = stage;
  if (stage.passesThrough) {
    const sourceEncoding = pushDownEncoding(source, table, readColumns, [
      ...pageKey.map((_, i) => i), ...stage.keyIndexes, ...targetKey.map((k) => targetColumns.indexOf(k)),
    ]);
    return sourceEncoding && { sourceEncoding, computedAt: targetColumns.map(() => "source") };
  }
  const pushed = planTransformPushdown({
    source, table, pipeline, targetColumns, readColumns, targetKey, tenantColumn: stage.tenantColumn, tenant: stage.tenant, transforms: stage.transforms,
    engineReads: [...pageKey, ...key, ...(pipeline.idMap ? [pipeline.idMap.key] : [])],
  });
  return pushed && {
    sourceEncoding: { copyText: pushed.copyText, format: source.dialect.copyLineFormat ?? "text", valueColumns: pushed.valueColumns, computed: { nodeColumns: pushed.nodeColumns, columns: pushed.loadColumns } },
    computedAt: pushed.computedAt,
    readColumns: pushed.readColumns,
  };
}

/** `"5m"`, `"30s"`, `"2h"`, `"1d"` → seconds. */
export function parseLag(lag: string | undefined, pipeline: string): number {
  if (lag === undefined) return 0;
  const ms = parseDuration(lag);
  if (ms === undefined) throw configError(`incremental.lag must look like ${DURATION_FORMAT} (got ${JSON.stringify(lag)})`, { pipeline });
  return ms / 1000;
}
