import { createHash } from "node:crypto";
import { effectiveSources, isTransformSpec } from "../authoring/pipeline.js";
import type { Connector, TableInfo } from "../connectors/connector.js";
import { isDataBridgeError, messageOf } from "../errors.js";
import { orderByDependencies } from "../engine/analysis.js";
import { compileMappings } from "../engine/compile-mappings.js";
import { findTable, parseTableName } from "../engine/catalog-lookup.js";
import { prepareStage, type PreparedStage } from "../engine/prepare.js";
import type { ConnectionManager } from "../workspace/connections.js";
import { findPipelineFiles, loadPipelineFiles, type LoadedPipeline, type Workspace } from "../workspace/loader.js";
import { columnMeaning, type ValueMeaning } from "./value-meaning.js";
import { countSourceRows } from "../engine/parity.js";
import { rowFilter } from "../engine/pump.js";

export type CheckStatus = "passed" | "failed" | "skipped";

export interface VerifyCheck {
  /** `count`, `row-hash`, `orphans:<column>`. */
  name: string;
  status: CheckStatus;
  message: string;
  durationMs: number;
  details?: {
    source?: number;
    target?: number;
    compared?: number;
    /** Keys (as JSON) of rows missing from the target, extra in it, or with different values. */
    missing?: string[];
    extra?: string[];
    changed?: { key: string; columns: string[] }[];
    /** Source rows known to be in the dead-letter table (rejected on purpose). */
    knownRejects?: number;
    orphans?: number;
    orphanKeys?: string[];
  };
}

export interface VerifyStageResult {
  pipeline: string;
  tenant: string;
  target: string;
  checks: VerifyCheck[];
}

export interface VerifyReport {
  ok: boolean;
  generatedAt: string;
  sample: number | null;
  stages: VerifyStageResult[];
  summary: { checks: number; passed: number; failed: number; skipped: number };
}

export interface VerifyOptions {
  /** Compare a sample of about this many rows per stage instead of every row. */
  sample?: number;
  /** How many differing keys to list per check. */
  listLimit?: number;
}

const digest = (values: (string | null)[]) => {
  let text = "";
  for (const v of values) text += v === null ? "~" : `${v.length}:${v}|`;
  return createHash("sha1").update(text).digest("hex");
};

/**
 * Proves a migration: count parity per table and tenant, a keyed comparison of every (or a sample
 * of) row — the source transformed through the pipeline against what the target holds, normalized
 * by type — and orphan detection for remapped and declared foreign keys.
 */
export async function verifyPipelines(workspace: Workspace, pipelines: LoadedPipeline[], connections: ConnectionManager, options: VerifyOptions = {}): Promise<VerifyReport> {
  const stages: VerifyStageResult[] = [];
  const { ordered } = orderByDependencies(pipelines);
  // Orphan checks need the parents (the pipelines owning the id maps) even when only children are verified.
  const known = await withWorkspacePipelines(workspace, pipelines);
  for (const loaded of ordered) {
    for (const source of effectiveSources(loaded.pipeline)) {
      const result: VerifyStageResult = { pipeline: loaded.pipeline.name, tenant: source.tenant ?? "", target: `${loaded.pipeline.target.connection}:${loaded.pipeline.target.table}`, checks: [] };
      stages.push(result);
      let stage: PreparedStage;
      try {
        stage = await prepareStage(loaded.pipeline, source, connections, workspace.registry, { strict: true });
      } catch (error) {
        result.checks.push({ name: "prepare", status: "failed", message: isDataBridgeError(error) ? error.toLine() : messageOf(error), durationMs: 0 });
        continue;
      }
      result.target = `${stage.target.name}:${stage.targetLabel}`;
      if (!stage.targetTable) {
        result.checks.push({ name: "count", status: "failed", message: `target table ${stage.targetLabel} does not exist`, durationMs: 0 });
        continue;
      }
      const count = await timed("count", () => countCheck(stage));
      result.checks.push(count);
      // The counted rows size the sample (a filtered source has no catalog estimate).
      result.checks.push(await timed("row-hash", () => rowHashCheck(workspace, stage, options, count.details?.source ?? stage.estimatedRows)));
      result.checks.push(...(await orphanChecks(stage, known, connections)));
    }
  }
  const checks = stages.flatMap((s) => s.checks);
  const summary = {
    checks: checks.length,
    passed: checks.filter((c) => c.status === "passed").length,
    failed: checks.filter((c) => c.status === "failed").length,
    skipped: checks.filter((c) => c.status === "skipped").length,
  };
  return { ok: summary.failed === 0, generatedAt: new Date().toISOString(), sample: options.sample ?? null, stages, summary };
}

async function withWorkspacePipelines(workspace: Workspace, selected: LoadedPipeline[]): Promise<LoadedPipeline[]> {
  const all = await loadPipelineFiles(workspace, findPipelineFiles(workspace)).catch(() => [] as LoadedPipeline[]);
  return [...selected, ...all.filter((p) => !selected.some((s) => s.pipeline.name === p.pipeline.name))];
}

async function timed(name: string, check: () => Promise<Omit<VerifyCheck, "name" | "durationMs">>): Promise<VerifyCheck> {
  const started = Date.now();
  try {
    return { name, ...(await check()), durationMs: Date.now() - started };
  } catch (error) {
    return { name, status: "failed", message: isDataBridgeError(error) ? error.toLine() : messageOf(error), durationMs: Date.now() - started };
  }
}

function tenantFilter(stage: PreparedStage): { sql: string; params: unknown[] } | undefined {
  if (!stage.pipeline.sources) return undefined;
  const column = stage.pipeline.target.tenantColumn ?? "tenant_id";
  return { sql: `${stage.target.dialect.quoteIdentifier(column)} = {1}`, params: [stage.tenant] };
}

async function countCheck(stage: PreparedStage): Promise<Omit<VerifyCheck, "name" | "durationMs">> {
  const filter = tenantFilter(stage);
  const targetSql = `SELECT count(*) AS n FROM ${stage.target.dialect.quoteTable(stage.targetRef)}${filter ? ` WHERE ${filter.sql.replace("{1}", "$1")}` : ""}`;
  const [source, t] = await Promise.all([countSourceRows(stage), stage.target.query<{ n: unknown }>(targetSql, filter?.params ?? [])]);
  const target = Number(t.rows[0]?.n ?? 0);
  const rejected = await knownRejects(stage);
  const expected = source - rejected.size;
  const ok = target === expected || (stage.mode !== "replace" && target === source);
  return {
    status: ok ? "passed" : "failed",
    message: `${stage.targetLabel}${stage.tenant ? ` [${stage.tenant}]` : ""}: source ${source} rows${rejected.size ? ` (${rejected.size} in the dead-letter table)` : ""}, target ${target} rows`,
    details: { source, target, knownRejects: rejected.size },
  };
}

async function knownRejects(stage: PreparedStage): Promise<Set<string>> {
  const exists = await stage.target.query<{ ok: boolean }>("SELECT to_regclass('databridge.rejected_rows') IS NOT NULL AS ok");
  if (!exists.rows[0]?.ok) return new Set();
  const { rows } = await stage.target.query<{ source_key: unknown[] }>(
    "SELECT DISTINCT source_key FROM databridge.rejected_rows WHERE pipeline = $1 AND tenant = $2", [stage.pipeline.name, stage.tenant]);
  return new Set(rows.map((r) => JSON.stringify(r.source_key)));
}

async function rowHashCheck(workspace: Workspace, stage: PreparedStage, options: VerifyOptions, sourceRows: number | null): Promise<Omit<VerifyCheck, "name" | "durationMs">> {
  const table = stage.targetTable!;
  if (!stage.targetKey.length) return { status: "skipped", message: "no target key to compare rows by" };
  const limit = options.listLimit ?? 20;
  // Both sides are compared as what the target column means: the source's values are what it should hold.
  const meaningOf = (column: string): ValueMeaning => columnMeaning(table.columns.find((c) => c.name === column) ?? { type: { kind: "text" } });
  const columnMeanings = stage.targetColumns.map(meaningOf);
  const keyAt = stage.targetKey.map((k) => stage.targetColumns.indexOf(k));
  const keyMeanings = stage.targetKey.map(meaningOf);
  const normalizeKey = (values: unknown[]) => JSON.stringify(keyAt.map((i, j) => keyMeanings[j](values[i])));
  const normalizeRow = (values: unknown[]) => values.map((v, i) => columnMeanings[i](v));
  const rejected = await knownRejects(stage);

  // Expected: the source, transformed as a run would, normalized by the target column types.
  const compiled = compileMappings(stage, workspace.registry, { createIds: false });
  const expected = new Map<string, string>();
  // Rows in the dead-letter table that transform now: they may have loaded since (a re-run after a fix).
  const optional = new Map<string, string>();
  let optionalCompared = 0;
  const expectedRows = new Map<string, (string | null)[]>();
  let total = 0;
  let after: unknown[] | undefined;
  const batchSize = 5_000;
  for (;;) {
    const batch = await stage.source.read({ from: stage.from, columns: stage.readColumns, key: stage.key, after, where: rowFilter(stage), limit: batchSize });
    await compiled.beforeBatch(batch.rows);
    for (const row of batch.rows) {
      total++;
      const sourceKey = JSON.stringify(stage.keyIndexes.map((i) => row[i]));
      if (options.sample && !inSample(sourceKey, options.sample, sourceRows)) continue;
      let values: unknown[];
      try {
        values = compiled.mappers.map((map) => map(row));
      } catch {
        if (rejected.has(sourceKey)) continue;
        values = compiled.mappers.map(() => "\u0000transform failed");
      }
      const normalized = normalizeRow(values);
      const key = normalizeKey(values);
      (rejected.has(sourceKey) ? optional : expected).set(key, digest(normalized));
      if (expectedRows.size < 10_000) expectedRows.set(key, normalized);
    }
    if (batch.rows.length < batchSize) break;
    const last = batch.rows[batch.rows.length - 1];
    after = stage.keyIndexes.map((i) => last[i]);
  }

  // Actual: the target's rows (this tenant's), compared key by key.
  const missing: string[] = [];
  const extra: string[] = [];
  const changed: { key: string; columns: string[] }[] = [];
  let changedCount = 0;
  let extraCount = 0;
  const seen = new Set<string>();
  const filter = tenantFilter(stage);
  after = undefined;
  for (;;) {
    const batch = await stage.target.read({ from: { table: stage.targetRef }, columns: stage.targetColumns, key: stage.targetKey, after, where: filter, limit: batchSize });
    for (const row of batch.rows) {
      const key = normalizeKey(row);
      const want = expected.get(key) ?? optional.get(key);
      if (want === undefined) {
        if (!options.sample) {
          extraCount++;
          if (extra.length < limit) extra.push(key);
        }
        continue;
      }
      seen.add(key);
      if (optional.has(key) && !expected.has(key)) optionalCompared++;
      const normalized = normalizeRow(row);
      if (digest(normalized) !== want) {
        changedCount++;
        if (changed.length < limit) {
          const wantRow = expectedRows.get(key);
          changed.push({ key, columns: wantRow ? stage.targetColumns.filter((_, i) => wantRow[i] !== normalized[i]) : [] });
        }
      }
    }
    if (batch.rows.length < batchSize) break;
    const last = batch.rows[batch.rows.length - 1];
    after = keyAt.map((i) => last[i]);
  }
  let missingCount = 0;
  for (const key of expected.keys()) {
    if (seen.has(key)) continue;
    missingCount++;
    if (missing.length < limit) missing.push(key);
  }
  const ok = missingCount === 0 && changedCount === 0 && extraCount === 0;
  const parts = [`${expected.size + optionalCompared} of ${total} source rows compared`];
  if (missingCount) parts.push(`${missingCount} missing (keys ${missing.slice(0, 5).join(", ")})`);
  if (changedCount) parts.push(`${changedCount} changed (${changed.slice(0, 5).map((c) => `key ${c.key}: ${c.columns.join(", ")}`).join("; ")})`);
  if (extraCount) parts.push(`${extraCount} extra in target (keys ${extra.slice(0, 5).join(", ")})`);
  return {
    status: ok ? "passed" : "failed",
    message: `${stage.targetLabel}${stage.tenant ? ` [${stage.tenant}]` : ""}: ${parts.join("; ")}`,
    details: { compared: expected.size + optionalCompared, source: total, missing, extra, changed, knownRejects: rejected.size },
  };
}

/** A deterministic sample: a row is in it when its key's hash falls in the sampled fraction. */
function inSample(key: string, sample: number, estimatedRows: number | null): boolean {
  const fraction = estimatedRows && estimatedRows > sample ? sample / estimatedRows : 1;
  const h = createHash("sha1").update(key).digest().readUInt32BE(0) / 0x1_0000_0000;
  return h < fraction;
}

/** Children in the target whose parent is missing: for remapped columns (parent = the pipeline that owns the id map) and declared foreign keys. */
async function orphanChecks(stage: PreparedStage, pipelines: LoadedPipeline[], connections: ConnectionManager): Promise<VerifyCheck[]> {
  const checks: VerifyCheck[] = [];
  const q = stage.target.dialect.quoteIdentifier;
  const child = stage.target.dialect.quoteTable(stage.targetRef);
  const filter = tenantFilter(stage);
  const relations: { column: string; parentTable: string; parentColumn: string; target: Connector }[] = [];
  for (const [column, mapping] of Object.entries(stage.pipeline.columns)) {
    if (!isTransformSpec(mapping) || mapping.transform !== "remap") continue;
    const entity = mapping.args[1] as string;
    const parent = pipelines.find((p) => p.pipeline.idMap?.entity === entity);
    if (!parent || parent.pipeline.target.connection !== stage.pipeline.target.connection) continue;
    const ref = parseTableName(parent.pipeline.target.table);
    const parentInfo = findTable(await stage.target.introspect({ tables: [ref] }), ref);
    if (!parentInfo) continue;
    relations.push({ column, parentTable: stage.target.dialect.quoteTable({ schema: parentInfo.schema, name: parentInfo.name }), parentColumn: parent.pipeline.idMap!.column ?? "id", target: stage.target });
  }
  for (const fk of (stage.targetTable as TableInfo).foreignKeys) {
    if (fk.columns.length !== 1 || relations.some((r) => r.column === fk.columns[0])) continue;
    relations.push({ column: fk.columns[0], parentTable: stage.target.dialect.quoteTable(fk.referencedTable), parentColumn: fk.referencedColumns[0], target: stage.target });
  }
  void connections;
  for (const relation of relations) {
    checks.push(await timed(`orphans:${relation.column}`, async () => {
      const where = filter ? ` AND c.${filter.sql.replace("{1}", "$1")}` : "";
      const keyList = stage.targetKey.map((k) => `c.${q(k)}`).join(", ") || `c.${q(relation.column)}`;
      const { rows } = await relation.target.query<{ n: string; keys: unknown[] | null }>(
        `SELECT count(*) AS n, (array_agg(json_build_array(${keyList})::text))[1:10] AS keys FROM ${child} c
          WHERE c.${q(relation.column)} IS NOT NULL${where}
            AND NOT EXISTS (SELECT 1 FROM ${relation.parentTable} p WHERE p.${q(relation.parentColumn)} = c.${q(relation.column)})`,
        filter?.params ?? [],
      );
      const n = Number(rows[0]?.n ?? 0);
      const keys = (rows[0]?.keys ?? []).map(String);
      return {
        status: n === 0 ? "passed" : "failed",
        message: n === 0 ? `${stage.targetLabel}.${relation.column}: no orphans` : `${stage.targetLabel}.${relation.column}: ${n} rows reference a missing parent in ${relation.parentTable} (keys ${keys.slice(0, 5).join(", ")})`,
        details: { orphans: n, orphanKeys: keys },
      };
    }));
  }
  return checks;
}
