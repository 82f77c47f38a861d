import { effectiveSources } from "../authoring/pipeline.js";
import { configError } from "../errors.js";
import type { ConnectionManager } from "../workspace/connections.js";
import type { LoadedPipeline, Workspace } from "../workspace/loader.js";
import { IdMapService } from "../target/id-map.js";
import { compileMappings } from "./compile-mappings.js";
import { prepareStage } from "./prepare.js";
import { orderByDependencies } from "./analysis.js";
import { Ledger, type RejectedRow, type RejectedRowRecord } from "../target/ledger.js";
import { inTransaction } from "../target/transaction.js";
import { mappingsOfLoadedRows } from "./transform-batch.js";
import { ledgerTargets } from "../target/rollback.js";
import { hasLedgerTable, underSavepoint } from "../target/statements.js";
import { rowFilter } from "./pump.js";
import { andWhere, sqlText } from "../connectors/keyset.js";


/** The dead-letter rows of a run, across the workspace's targets. */
export async function listRejects(runId: string, pipelines: LoadedPipeline[], connections: ConnectionManager): Promise<RejectedRowRecord[]> {
  const out: RejectedRowRecord[] = [];
  for (const target of await ledgerTargets(pipelines, connections)) {
    if (!(await hasLedgerTable(target, "rejected_rows"))) continue;
    out.push(...(await new Ledger(target).rejectedRowsOf(runId)));
  }
  return out;
}

export interface ReplayResult {
  pipeline: string;
  tenant: string;
  replayed: number;
  loaded: number;
  stillRejected: number;
}

/**
 * Re-processes only a run's rejected rows with the pipeline as it is now: each row is read again
 * from the source by its key, transformed and loaded; rows that now load leave the dead-letter table,
 * rows that still fail keep their entry with the new reason.
 */
export async function replayRejects(workspace: Workspace, runId: string, pipelines: LoadedPipeline[], connections: ConnectionManager): Promise<ReplayResult[]> {
  const rejects = await listRejects(runId, pipelines, connections);
  if (!rejects.length) return [];
  const groups = new Map<string, RejectedRowRecord[]>();
  for (const r of rejects) {
    const id = `${r.pipeline}\u0000${r.tenant}`;
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  const results: ReplayResult[] = [];
  // Parents before children (dependsOn): a replayed student must exist before its enrollments are replayed.
  const order = orderByDependencies(pipelines).ordered.map((p) => p.pipeline.name);
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  for (const group of [...groups.values()].sort((a, b) => rank(a[0].pipeline) - rank(b[0].pipeline))) {
    const { pipeline: name, tenant } = group[0];
    const loaded = pipelines.find((p) => p.pipeline.name === name);
    if (!loaded) throw configError(`run ${runId} has rejected rows of pipeline "${name}", which is not in the workspace`, { pipeline: name });
    const source = effectiveSources(loaded.pipeline).find((s) => (s.tenant ?? "") === tenant);
    if (!source) throw configError(`pipeline has no source for tenant "${tenant}"`, { pipeline: name });
    const stage = await prepareStage(loaded.pipeline, source, connections, workspace.registry, { strict: true });
    const compiled = compileMappings(stage, workspace.registry);
    const { strategy } = stage;
    const result: ReplayResult = { pipeline: name, tenant, replayed: group.length, loaded: 0, stillRejected: 0 };
    for (let start = 0; start < group.length; start += 500) {
      const chunk = group.slice(start, start + 500);
      const q = (name: string) => sqlText(stage.source.dialect.quoteIdentifier(name));
      let n = 0;
      const keys = chunk.map(() => `(${stage.key.map((k) => `${q(k)} = {${++n}}`).join(" AND ")})`).join(" OR ");
      // A row the pipeline's filter now leaves out is no longer part of the source: like a deleted row.
      const batch = await stage.source.read({
        from: stage.from, columns: stage.readColumns, key: stage.key, limit: chunk.length,
        where: andWhere(rowFilter(stage), { sql: keys, params: chunk.flatMap((r) => r.key) }),
      });
      await compiled.beforeBatch(batch.rows);
      const byKey = new Map(batch.rows.map((row) => [JSON.stringify(stage.keyIndexes.map((i) => row[i])), row]));
      const pending = compiled.idMap.takePending();
      await inTransaction(stage.target, async (session) => {
        const stillFailing: RejectedRow[] = [];
        for (const reject of chunk) {
          const row = byKey.get(JSON.stringify(reject.key));
          let failure: { message: string; column?: string; code?: string } | undefined;
          if (!row) failure = { message: stage.sourceSpec.where === undefined ? "the source row no longer exists" : "the source row no longer exists or no longer matches source.where" };
          else {
            let values: unknown[] | undefined;
            try {
              values = compiled.mappers.map((map) => map(row));
            } catch (error) {
              failure = { message: (error as Error).message, column: (error as { context?: { column?: string } }).context?.column };
            }
            if (values) {
              try {
                await underSavepoint(session, "databridge_replay", () => strategy.load(session, [values], { runId, batch: reject.batch }));
              } catch (error) {
                if (stage.target.classifyError(error) !== "data") throw error;
                failure = { message: (error as Error).message, code: (error as { code?: string }).code, column: (error as { column?: string }).column };
              }
            }
          }
          if (failure) {
            if (row) stillFailing.push({ key: reject.key, row: Object.fromEntries(stage.readColumns.map((c, i) => [c, row[i]])), stage: "transform", message: failure.message });
            result.stillRejected++;
            await Ledger.keepRejected(session, reject.id, failure);
          } else {
            result.loaded++;
            await Ledger.removeRejected(session, reject.id);
          }
        }
        // New ids only for the rows that loaded (as in a run).
        await IdMapService.persist(session, mappingsOfLoadedRows(stage, pending, stillFailing));
      });
    }
    results.push(result);
  }
  return results;
}
