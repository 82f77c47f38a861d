import type { LoadedPipeline, Workspace } from "../workspace/loader.js";
import type { ConnectionManager } from "../workspace/connections.js";
import { isDataBridgeError, messageOf } from "../errors.js";
import { compileMappings } from "./compile-mappings.js";
import { prepareStage } from "./prepare.js";
import { sourceFilter } from "./pump.js";
import { effectiveSources } from "../authoring/pipeline.js";

export interface PreviewRow {
  key: unknown[];
  source: Record<string, unknown>;
  /** Transformed values by target column, or the error that would reject the row. */
  target?: Record<string, unknown>;
  error?: { column?: string; message: string };
}

export interface PreviewResult {
  pipeline: string;
  sourceColumns: string[];
  targetColumns: string[];
  rows: PreviewRow[];
}

/** Reads the first rows of a pipeline's source (those a full run reads first) and transforms them; writes nothing. */
export async function previewPipeline(workspace: Workspace, loaded: LoadedPipeline, connections: ConnectionManager, limit = 10): Promise<PreviewResult> {
  const { pipeline } = loaded;
  // Source rows as values, in the pipeline's read order: nothing here is loaded, so nothing is computed by the source.
  const stage = await prepareStage(pipeline, effectiveSources(pipeline)[0], connections, workspace.registry, { strict: true, sourceEncoding: false });
  // Preview never writes: new ids it needs are made up in memory and never saved.
  const { mappers, beforeBatch } = compileMappings(stage, workspace.registry);
  const batch = await stage.source.read({ from: stage.from, columns: stage.readColumns, key: stage.pageKey, where: sourceFilter(stage, undefined), limit });
  await beforeBatch(batch.rows);
  const rows = batch.rows.map((row): PreviewRow => {
    const source = Object.fromEntries(stage.readColumns.map((c, i) => [c, row[i]]));
    const key = stage.keyIndexes.map((i) => row[i]);
    const target: Record<string, unknown> = {};
    for (const [i, column] of stage.targetColumns.entries()) {
      try {
        target[column] = mappers[i](row);
      } catch (error) {
        return { key, source, error: { column: isDataBridgeError(error) ? error.context.column ?? column : column, message: isDataBridgeError(error) ? error.message : messageOf(error) } };
      }
    }
    return { key, source, target };
  });
  return { pipeline: pipeline.name, sourceColumns: stage.readColumns, targetColumns: stage.targetColumns, rows };
}
