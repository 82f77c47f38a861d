import { legacyKeyText } from "./id-map.js";
import type { PreparedStage } from "../engine/prepare.js";
import { rowFilter } from "../engine/pump.js";
import { inTransaction } from "./transaction.js";

/** Source keys travel to the target in pages of this many: memory stays flat whatever the table's size. */
const KEY_PAGE = 50_000;
const KEYS_TABLE = { schema: "pg_temp", name: "databridge_source_keys" };

/**
 * `deletes: "propagate"`: removes the target rows (of this tenant) whose source row is gone — deleted, or
 * no longer matching the pipeline's `source.where`. Every source
 * key is streamed into a temporary table on the target — the comparison is PostgreSQL's anti-join, with the
 * keys typed and encoded exactly as the loaded rows were — and each removed row is kept as a before-image in
 * the same transaction, so `rollback` puts it back. Returns the number of rows removed.
 */
export async function propagateDeletes(stage: PreparedStage, runId: string): Promise<number> {
  const plan = stage.deletes;
  if (!plan) return 0;
  const { target, source } = stage;
  const q = target.dialect.quoteIdentifier;
  const table = target.dialect.quoteTable(stage.targetRef);
  const keysTable = target.dialect.quoteTable(KEYS_TABLE);
  return inTransaction(target, async (session) => {
    const keyColumns = plan.kind === "idMap" ? ["legacy_key"] : plan.targetColumns;
    if (plan.kind === "idMap") await session.query(`CREATE TEMP TABLE ${q(KEYS_TABLE.name)} (legacy_key text) ON COMMIT DROP`);
    else await session.query(`CREATE TEMP TABLE ${q(KEYS_TABLE.name)} ON COMMIT DROP AS SELECT ${keyColumns.map(q).join(", ")} FROM ${table} WITH NO DATA`);

    const readKey = plan.kind === "idMap" ? [...new Set([...stage.key, plan.legacyKeyColumn])] : stage.key;
    const legacyAt = plan.kind === "idMap" ? readKey.indexOf(plan.legacyKeyColumn) : -1;
    const keyIndexes = stage.key.map((k) => readKey.indexOf(k));
    // A row the pipeline's filter leaves out is not in the source: its target row goes too.
    const where = rowFilter(stage);
    let after: unknown[] | undefined;
    for (;;) {
      const page = await source.read({ from: stage.from, columns: readKey, key: stage.key, after, where, limit: KEY_PAGE });
      if (!page.rows.length) break;
      const rows = plan.kind === "idMap"
        ? page.rows.filter((row) => row[legacyAt] !== null && row[legacyAt] !== undefined).map((row) => [legacyKeyText(row[legacyAt])])
        : page.rows;
      await session.bulkLoad(KEYS_TABLE, keyColumns, rows);
      const last = page.rows[page.rows.length - 1];
      after = keyIndexes.map((i) => last[i]);
      if (page.rows.length < KEY_PAGE) break;
    }
    // Without statistics the planner guesses the keys table's size; with them it picks a hash anti-join.
    await session.query(`ANALYZE ${keysTable}`);

    const params: unknown[] = [runId, stage.pipeline.name, stage.tenant, stage.targetLabel, JSON.stringify(stage.targetKey)];
    const bind = (value: unknown) => `$${params.push(value)}`;
    const tenantFilter = stage.tenantColumn ? ` AND t.${q(stage.tenantColumn)} = ${bind(stage.tenant)}` : "";
    const gone = plan.kind === "idMap"
      ? `DELETE FROM ${table} AS t USING databridge.id_map AS m
          WHERE m.new_id = t.${q(plan.idColumn)} AND m.entity = ${bind(plan.entity)} AND m.tenant = ${bind(stage.tenant)}${tenantFilter}
            AND NOT EXISTS (SELECT 1 FROM ${keysTable} AS k WHERE k.legacy_key = m.legacy_key)
          RETURNING t.*`
      : `DELETE FROM ${table} AS t
          WHERE NOT EXISTS (SELECT 1 FROM ${keysTable} AS k WHERE ${keyColumns.map((c) => `k.${q(c)} = t.${q(c)}`).join(" AND ")})${tenantFilter}
          RETURNING t.*`;
    const result = await session.query(
      `WITH gone AS (${gone})
       INSERT INTO databridge.before_images (run_id, pipeline, tenant, batch_no, target_table, key_columns, key, before)
       SELECT $1, $2, $3, 0, $4, $5::jsonb, jsonb_build_array(${stage.targetKey.map((c) => `g.${q(c)}`).join(", ")}), to_jsonb(g) FROM gone AS g`,
      params,
    );
    return result.rowCount;
  });
}
