import { buildKeysetCount } from "../connectors/keyset.js";
import type { Parity } from "../runner-protocol/events.js";
import type { Ledger } from "../target/ledger.js";
import { countRows } from "../target/statements.js";
import { rowFilter, sourceFilter } from "./pump.js";
import { withPartition } from "./partitions.js";
import type { PreparedStage } from "./prepare.js";

/**
 * Counts both sides once a stage is complete. The source is counted over the range the run covered (up to
 * the last key read, under the same filter), so rows added behind the reader's end do not count against
 * it; the target for the stage's tenant.
 */
export async function countParity(stage: PreparedStage, ledger: Ledger, through: unknown[] | null): Promise<Parity | undefined> {
  if (stage.mode === "update") return undefined;
  const { sql, params } = buildKeysetCount(stage.source.dialect, stage.source.capabilities, { from: stage.from, where: sourceFilter(stage, undefined), key: stage.pageKey, through });
  const [source, target, rejected] = await Promise.all([
    stage.source.query<{ n: unknown }>(sql, params),
    countRows(stage.target, stage.targetRef, stage.tenantColumn ? { column: stage.tenantColumn, value: stage.tenant } : undefined),
    ledger.outstandingRejects(stage.pipeline.name, stage.tenant),
  ]);
  const counts = { source: Number(source.rows[0]?.n ?? 0), target, rejected };
  return stage.rowPerSourceKey ? { ...counts, ok: counts.target >= counts.source - counts.rejected } : counts;
}

/**
 * The rows of the source a full read covers: the table's (or query's) rows the pipeline's `source.where`
 * keeps, counted exactly. What `plan` shows (and a run's progress uses) when no cheaper estimate holds —
 * a catalog's row estimate knows nothing about a filter.
 */
export async function countSourceRows(stage: Pick<PreparedStage, "source" | "from" | "sourceSpec" | "key" | "partition">): Promise<number> {
  const { sql, params } = buildKeysetCount(stage.source.dialect, stage.source.capabilities, { from: stage.from, where: withPartition(rowFilter(stage), stage), key: stage.key });
  const { rows } = await stage.source.query<{ n: unknown }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}
