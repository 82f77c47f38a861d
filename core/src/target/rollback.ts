import { isTarget, type TableInfo, type Target, type TargetSession } from "../connectors/connector.js";
import { isKeyRanges, type WrittenKeys } from "./written-keys.js";
import { configError, isDataBridgeError, terminalError } from "../errors.js";
import type { ConnectionManager } from "../workspace/connections.js";
import type { LoadedPipeline } from "../workspace/loader.js";
import { findTable, parseTableName } from "../engine/catalog-lookup.js";
import { inTransaction } from "./transaction.js";
import { orderPipelines } from "../engine/analysis.js";

export interface RollbackStage {
  pipeline: string;
  tenant: string;
  mode: string;
  targetTable: string;
  /** Rows deleted (inserted by the run) and rows restored from before-images. */
  deleted: number;
  restored: number;
}

interface RunRow {
  pipeline: string;
  tenant: string;
  /** The key-range partition of the stage ('' for a whole stage). */
  partition_id: string;
  mode: string;
  status: string;
  target_table: string;
  prev_checkpoint: { run_id: string; last_key: unknown; complete: boolean; watermark: unknown } | null;
}

/** Target connections the given pipelines write to (where a run's ledger lives). */
export async function ledgerTargets(pipelines: LoadedPipeline[], connections: ConnectionManager): Promise<Target[]> {
  const names = [...new Set(pipelines.map((p) => p.pipeline.target.connection))];
  const opened = await Promise.all(names.map((n) => connections.get(n).catch((error: unknown) => {
    throw isDataBridgeError(error) ? error.withContext({ connection: n, connectionRole: "target" }) : error;
  })));
  return opened.filter(isTarget);
}

async function hasLedger(target: Target): Promise<boolean> {
  const { rows } = await target.query<{ ok: boolean }>("SELECT to_regclass('databridge.runs') IS NOT NULL AS ok");
  return Boolean(rows[0]?.ok);
}

/**
 * Removes what a run wrote and puts each pipeline's checkpoint back where the run found it, in one
 * transaction per target. Exact for `insert` (the ledger holds every key a batch wrote); `upsert` and
 * `update` need `rollback: "before-images"`, otherwise the previous values are unknown and this refuses.
 */
export async function rollbackRun(runId: string, pipelines: LoadedPipeline[], connections: ConnectionManager): Promise<RollbackStage[]> {
  const results: RollbackStage[] = [];
  let found = false;
  for (const target of await ledgerTargets(pipelines, connections)) {
    if (!(await hasLedger(target))) continue;
    const { rows } = await target.query<RunRow>(
      "SELECT pipeline, tenant, partition_id, mode, status, target_table, prev_checkpoint FROM databridge.runs WHERE run_id = $1 ORDER BY pipeline DESC, tenant, partition_id",
      [runId],
    );
    if (!rows.length) continue;
    found = true;
    for (const run of rows) {
      if (run.status === "rolled_back") throw configError(`run ${runId} was already rolled back`, { pipeline: run.pipeline });
      if (run.status === "running") throw configError(`run ${runId} is still running (or its process died: resume or let it finish first)`, { pipeline: run.pipeline });
    }
    // Batch 0 holds the images of rows `deletes: "propagate"` removed; batches from 1 those of rows the run wrote.
    const images = await target.query<{ pipeline: string; tenant: string; writes: string; deletes: string }>(
      `SELECT pipeline, tenant, count(*) FILTER (WHERE batch_no > 0) AS writes, count(*) FILTER (WHERE batch_no = 0) AS deletes
         FROM databridge.before_images WHERE run_id = $1 GROUP BY pipeline, tenant`, [runId]);
    const withImages = new Set(images.rows.filter((r) => Number(r.writes) > 0).map((r) => `${r.pipeline}\u0000${r.tenant}`));
    const withDeletes = new Set(images.rows.filter((r) => Number(r.deletes) > 0).map((r) => `${r.pipeline}\u0000${r.tenant}`));
    for (const run of rows) {
      if ((run.mode === "upsert" || run.mode === "update") && !withImages.has(`${run.pipeline}\u0000${run.tenant}`)) {
        const written = await target.query<{ n: string }>("SELECT sum(rows_written) AS n FROM databridge.runs WHERE run_id = $1 AND pipeline = $2 AND tenant = $3", [runId, run.pipeline, run.tenant]);
        if (Number(written.rows[0]?.n ?? 0) > 0) {
          throw configError(`run ${runId} changed rows with ${run.mode} and kept no before-images, so their previous values are unknown; nothing was rolled back`, {
            pipeline: run.pipeline, table: run.target_table, fix: 'set rollback: "before-images" on the pipeline for future runs',
          });
        }
      }
      if (run.mode === "replace") {
        throw configError(`run ${runId} replaced the whole table; the previous contents are gone, so it cannot be rolled back`, { pipeline: run.pipeline, table: run.target_table });
      }
    }
    const ordered = await childrenFirst(target, rows);
    await inTransaction(target, async (session) => {
      // Foreign keys DataBridge adds are deferrable: checked at commit, when the rows of tables that
      // reference each other are gone together. Others are checked per statement, hence children first.
      await session.query("SET CONSTRAINTS ALL DEFERRED");
      for (const run of ordered) {
        const table = await targetTable(target, run.target_table);
        const stage: RollbackStage = { pipeline: run.pipeline, tenant: run.tenant, mode: run.mode, targetTable: run.target_table, deleted: 0, restored: 0 };
        if (run.mode === "insert") {
          stage.deleted = await deleteWrittenKeys(session, target, table, runId, run);
          // Rows the run removed because their source rows were gone come back from their images.
          if (withDeletes.has(`${run.pipeline}\u0000${run.tenant}`)) stage.restored = (await restoreBeforeImages(session, target, table, runId, run)).restored;
        } else {
          const restored = await restoreBeforeImages(session, target, table, runId, run);
          stage.deleted = restored.deleted;
          stage.restored = restored.restored;
        }
        await restoreCheckpoint(session, runId, run);
        results.push(stage);
      }
    }, { lockTable: `databridge.rollback` });
  }
  if (!found) throw configError(`no run ${runId} in the ledger of ${pipelines.length ? "the workspace's targets" : "any target"}`, { fix: "see `databridge run --json` output or the runner's history for run ids" });
  return results;
}

/** The run's stages with those writing tables that reference others first (a parent's rows go last). */
async function childrenFirst(target: Target, rows: RunRow[]): Promise<RunRow[]> {
  const labels = [...new Set(rows.map((r) => r.target_table))];
  if (labels.length < 2) return rows;
  const catalog = await target.introspect({ tables: labels.map(parseTableName) });
  const tables = labels.map((label) => ({ label, info: findTable(catalog, parseTableName(label)) }));
  const parents = new Map(tables.map(({ label, info }) => [label, (info?.foreignKeys ?? []).flatMap((fk) => {
    const referenced = findTable(catalog, { schema: fk.referencedTable.schema ?? info!.schema, name: fk.referencedTable.name });
    const parent = referenced && tables.find((t) => t.info === referenced);
    return parent && parent.label !== label ? [parent.label] : [];
  })]));
  const { ordered } = orderPipelines(labels.map((name) => ({ pipeline: { name } })), { foreignKeyParents: parents });
  const position = new Map(ordered.reverse().map((t, i) => [t.pipeline.name, i]));
  return [...rows].sort((a, b) => position.get(a.target_table)! - position.get(b.target_table)!);
}

async function targetTable(target: Target, label: string): Promise<TableInfo> {
  const ref = parseTableName(label);
  const table = findTable(await target.introspect({ tables: [ref] }), ref);
  if (!table) throw terminalError(`target table ${label} no longer exists`, { table: label });
  return table;
}

/** `t.a = (k.v->>0)::type AND …`: typed casts so the key index is used. */
function keyMatch(target: Target, table: TableInfo, keyColumns: string[], json: string): string {
  const q = target.dialect.quoteIdentifier;
  return keyColumns.map((column, i) => {
    const type = table.columns.find((c) => c.name === column)?.nativeType ?? "text";
    return `t.${q(column)} = (${json}->>${i})::${type}`;
  }).join(" AND ");
}

/** `t.id BETWEEN (r.v->>0)::type AND (r.v->>1)::type`: a range of an integer key (see written-keys.ts). */
function keyInRange(target: Target, table: TableInfo, keyColumn: string, json: string): string {
  const type = table.columns.find((c) => c.name === keyColumn)?.nativeType ?? "bigint";
  return `t.${target.dialect.quoteIdentifier(keyColumn)} BETWEEN (${json}->>0)::${type} AND (${json}->>1)::${type}`;
}

async function deleteWrittenKeys(session: TargetSession, target: Target, table: TableInfo, runId: string, run: RunRow): Promise<number> {
  const batches = await session.query<{ key_columns: string[]; keys: WrittenKeys }>(
    "SELECT key_columns, keys FROM databridge.written_keys WHERE run_id = $1 AND pipeline = $2 AND tenant = $3 AND partition_id = $4 ORDER BY batch_no",
    [runId, run.pipeline, run.tenant, run.partition_id],
  );
  let deleted = 0;
  const ref = target.dialect.quoteTable({ schema: table.schema, name: table.name });
  for (const batch of batches.rows) {
    if (!batch.key_columns.length) {
      throw configError(`run ${runId} inserted into ${run.target_table}, which has no key, so its rows cannot be told from others; nothing was rolled back`, {
        pipeline: run.pipeline, table: run.target_table, fix: "give the target table a primary key or set target.key for future runs",
      });
    }
    const result = isKeyRanges(batch.keys)
      ? await session.query(
        `DELETE FROM ${ref} AS t USING jsonb_array_elements($1::jsonb) AS r(v) WHERE ${keyInRange(target, table, batch.key_columns[0], "r.v")}`,
        [JSON.stringify(batch.keys.ranges)],
      )
      : await session.query(
        `DELETE FROM ${ref} AS t USING jsonb_array_elements($1::jsonb) AS k(v) WHERE ${keyMatch(target, table, batch.key_columns, "k.v")}`,
        [JSON.stringify(batch.keys)],
      );
    deleted += result.rowCount;
  }
  return deleted;
}

async function restoreBeforeImages(session: TargetSession, target: Target, table: TableInfo, runId: string, run: RunRow): Promise<{ deleted: number; restored: number }> {
  const ref = target.dialect.quoteTable({ schema: table.schema, name: table.name });
  const params = [runId, run.pipeline, run.tenant];
  // The earliest image of each key in this run is the row as it was before the run.
  const earliest = `(SELECT DISTINCT ON (key) key, before FROM databridge.before_images WHERE run_id = $1 AND pipeline = $2 AND tenant = $3 ORDER BY key, id) b`;
  const first = await session.query<{ key_columns: string[] }>(`SELECT key_columns FROM databridge.before_images WHERE run_id = $1 AND pipeline = $2 AND tenant = $3 LIMIT 1`, params);
  const columns = first.rows[0]?.key_columns ?? table.primaryKey;
  const deleted = await session.query(`DELETE FROM ${ref} AS t USING ${earliest} WHERE ${keyMatch(target, table, columns, "b.key")}`, params);
  const restored = await session.query(
    `INSERT INTO ${ref} OVERRIDING SYSTEM VALUE SELECT (jsonb_populate_record(NULL::${ref}, b.before)).* FROM ${earliest} WHERE b.before IS NOT NULL`,
    params,
  );
  return { deleted: deleted.rowCount - restored.rowCount, restored: restored.rowCount };
}

async function restoreCheckpoint(session: TargetSession, runId: string, run: RunRow): Promise<void> {
  const previous = run.prev_checkpoint;
  if (!previous) {
    await session.query("DELETE FROM databridge.checkpoints WHERE pipeline = $1 AND tenant = $2 AND partition_id = $3", [run.pipeline, run.tenant, run.partition_id]);
  } else {
    await session.query(
      `INSERT INTO databridge.checkpoints (pipeline, tenant, partition_id, run_id, last_key, complete, watermark) VALUES ($1, $2, $7, $3, $4::jsonb, $5, $6::jsonb)
       ON CONFLICT (pipeline, tenant, partition_id) DO UPDATE SET run_id = EXCLUDED.run_id, last_key = EXCLUDED.last_key, complete = EXCLUDED.complete,
         watermark = EXCLUDED.watermark, updated_at = clock_timestamp()`,
      [run.pipeline, run.tenant, previous.run_id, JSON.stringify(previous.last_key ?? null), previous.complete, JSON.stringify(previous.watermark ?? null), run.partition_id],
    );
  }
  await session.query("UPDATE databridge.runs SET status = 'rolled_back' WHERE run_id = $1 AND pipeline = $2 AND tenant = $3 AND partition_id = $4", [runId, run.pipeline, run.tenant, run.partition_id]);
}
