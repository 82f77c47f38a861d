import { type EncodedRows, isEncodedRows, loadColumns, type Connector, type PreEncodedRows, type TableRef, type TargetSession } from "../connectors/connector.js";
import type { PreparedStage } from "../engine/prepare.js";

/** How one batch reaches the target table, inside the batch's transaction. */
export interface LoadStrategy {
  /** The table batches are bulk-loaded into (the target, or the shadow table of a `replace`). */
  loadTable: TableRef;
  /** Loads one batch (its rows, or their COPY data: see `ordinalLeads`); returns rows inserted or changed. */
  load(session: TargetSession, rows: unknown[][] | EncodedRows, batch: BatchMeta): Promise<number>;
  /** Batches are staged with each row's ordinal (its index in the batch) in front: COPY data encoded ahead must lead with it. */
  ordinalLeads?: boolean;
  /** Before the first batch of a fresh (not resumed) stage. */
  begin?(session: TargetSession): Promise<void>;
  /** After the last batch, in the transaction that marks the stage done. */
  finish?(session: TargetSession): Promise<void>;
}

export interface BatchMeta {
  runId: string;
  batch: number;
  /** The rows carry their COPY text from the source. */
  preEncoded?: PreEncodedRows;
}

const STAGE_TABLE: TableRef = { schema: "pg_temp", name: "databridge_stage" };
const ORDINAL = "databridge_ord";

export function loadStrategy(stage: Omit<PreparedStage, "strategy">): LoadStrategy {
  const { target, targetRef, targetColumns, targetKey } = stage;
  const q = target.dialect.quoteIdentifier;
  const table = target.dialect.quoteTable(targetRef);
  const columns = targetColumns.map(q).join(", ");
  switch (stage.mode) {
    case "insert":
      return { loadTable: targetRef, load: (session, rows, meta) => session.bulkLoad(targetRef, loadColumns(targetColumns, meta.preEncoded), rows, meta.preEncoded) };

    case "replace": {
      const shadowRef = { schema: targetRef.schema, name: shadowName(target, targetRef.name) };
      const shadow = target.dialect.quoteTable(shadowRef);
      return {
        loadTable: shadowRef,
        load: (session, rows, meta) => session.bulkLoad(shadowRef, loadColumns(targetColumns, meta.preEncoded), rows, meta.preEncoded),
        async begin(session) {
          await session.query(`DROP TABLE IF EXISTS ${shadow}`);
          await session.query(`CREATE TABLE ${shadow} (LIKE ${table} INCLUDING DEFAULTS INCLUDING GENERATED)`);
        },
        async finish(session) {
          // The swap is one transaction: readers see the old contents until it commits, then the new.
          await session.query(`DELETE FROM ${table}`);
          await session.query(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${shadow}`);
          await session.query(`DROP TABLE ${shadow}`);
        },
      };
    }

    case "upsert":
    case "update": {
      const keys = targetKey.map(q);
      const nonKeys = targetColumns.filter((c) => !targetKey.includes(c)).map(q);
      // Within a batch the last row of a key wins: DISTINCT ON keeps the highest ordinal.
      const deduplicated = `(SELECT DISTINCT ON (${keys.join(", ")}) ${columns} FROM ${target.dialect.quoteTable(STAGE_TABLE)} ORDER BY ${keys.join(", ")}, ${q(ORDINAL)} DESC) s`;
      const changed = (left: string, right: string) =>
        nonKeys.length ? `(${nonKeys.map((c) => `${left}.${c}`).join(", ")}) IS DISTINCT FROM (${nonKeys.map((c) => `${right}.${c}`).join(", ")})` : "false";
      const statement = stage.mode === "upsert"
        ? `INSERT INTO ${table} AS t (${columns}) SELECT ${columns} FROM ${deduplicated} ` +
          (nonKeys.length
            ? `ON CONFLICT (${keys.join(", ")}) DO UPDATE SET ${nonKeys.map((c) => `${c} = EXCLUDED.${c}`).join(", ")} WHERE ${changed("t", "EXCLUDED")}`
            : `ON CONFLICT (${keys.join(", ")}) DO NOTHING`)
        : `UPDATE ${table} AS t SET ${nonKeys.map((c) => `${c} = s.${c}`).join(", ")} FROM ${deduplicated} WHERE ${keys.map((k) => `t.${k} = s.${k}`).join(" AND ")} AND ${changed("t", "s")}`;
      // Opt-in before-images: the previous version of every row this batch touches (NULL: it did not exist),
      // so `rollback` can restore it. `update` only touches existing rows, so it keeps only those.
      const beforeImages = stage.pipeline.rollback === "before-images"
        ? `INSERT INTO databridge.before_images (run_id, pipeline, tenant, batch_no, target_table, key_columns, key, before)
           SELECT $1, $2, $3, $4, $5, $6::jsonb, jsonb_build_array(${keys.map((k) => `s.${k}`).join(", ")}), to_jsonb(t)
             FROM ${deduplicated} ${stage.mode === "upsert" ? "LEFT" : ""} JOIN ${table} AS t ON ${keys.map((k) => `t.${k} = s.${k}`).join(" AND ")}`
        : undefined;
      return {
        loadTable: targetRef,
        ordinalLeads: true,
        async load(session, rows, meta) {
          if (isEncodedRows(rows) ? !rows.count : !rows.length) return 0;
          await session.query(`CREATE TEMP TABLE ${q(STAGE_TABLE.name)} ON COMMIT DROP AS SELECT 0::integer AS ${q(ORDINAL)}, ${columns} FROM ${table} WITH NO DATA`);
          // The ordinal leads each staged row; a pre-encoded row's text moves one place along with it.
          const preEncoded = meta.preEncoded && { textAt: meta.preEncoded.textAt + 1, leading: meta.preEncoded.leading + 1, format: meta.preEncoded.format };
          await session.bulkLoad(STAGE_TABLE, [ORDINAL, ...loadColumns(targetColumns, meta.preEncoded)], isEncodedRows(rows) ? rows : rows.map((row, i) => [i, ...row]), preEncoded);
          if (beforeImages) await session.query(beforeImages, [meta.runId, stage.pipeline.name, stage.tenant, meta.batch, stage.targetLabel, JSON.stringify(targetKey)]);
          const result = await session.query(statement);
          await session.query(`DROP TABLE ${q(STAGE_TABLE.name)}`);
          return result.rowCount;
        },
      };
    }
  }
}

function shadowName(target: Connector, name: string): string {
  const suffix = "__databridge_replace";
  return name.slice(0, target.capabilities.maxIdentifierLength - suffix.length) + suffix;
}
