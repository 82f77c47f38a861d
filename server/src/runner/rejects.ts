import { messageOf, type RowRejectedEvent } from "@databridge/core";
import type { RejectedRowView, RejectsPage } from "@databridge/core/runner-protocol";
import type { RunRow } from "../state/schema.js";
import type { RunnerServices } from "./context.js";

const parse = (value: unknown) => (typeof value === "string" ? JSON.parse(value) : value);

/**
 * A run's rejected rows with their source data, read from the checkpoint ledger
 * (`databridge.rejected_rows`) in each pipeline's target; the events are the fallback when a
 * target cannot be read (e.g. a pipeline file was renamed since).
 */
export async function readRejects(services: RunnerServices, run: RunRow, options: { pipeline?: string; limit: number; offset: number }): Promise<RejectsPage> {
  const names = options.pipeline ? run.pipelines.filter((p) => p === options.pipeline) : run.pipelines;
  try {
    const { pipelines } = await services.catalog.all();
    const targets = new Map<string, string[]>();
    for (const name of names) {
      const loaded = pipelines.find((p) => p.pipeline.name === name);
      if (!loaded) throw new Error(`pipeline ${name} is no longer in the workspace`);
      const connection = loaded.pipeline.target.connection;
      targets.set(connection, [...(targets.get(connection) ?? []), name]);
    }
    const lease = await services.connections.acquire();
    try {
      const rows: RejectedRowView[] = [];
      let total = 0;
      for (const [connection, pipelineNames] of targets) {
        const connector = await lease.manager.get(connection);
        const exists = await connector.query<{ t: string | null }>("SELECT to_regclass('databridge.rejected_rows')::text AS t");
        if (!exists.rows[0]?.t) continue;
        const p = (i: number) => connector.dialect.placeholder(i);
        const inList = pipelineNames.map((_, i) => p(i + 2)).join(", ");
        const where = `run_id = ${p(1)} AND pipeline IN (${inList})`;
        const counted = await connector.query<{ n: unknown }>(`SELECT count(*) AS n FROM databridge.rejected_rows WHERE ${where}`, [run.id, ...pipelineNames]);
        total += Number(counted.rows[0]?.n ?? 0);
        const { rows: found } = await connector.query<Record<string, unknown>>(
          `SELECT pipeline, tenant, batch_no, source_key, source_row, stage, column_name, error_code, message, rejected_at
             FROM databridge.rejected_rows WHERE ${where} ORDER BY id LIMIT ${options.offset + options.limit}`,
          [run.id, ...pipelineNames],
        );
        for (const r of found) {
          rows.push({
            pipeline: String(r.pipeline), tenant: r.tenant ? String(r.tenant) : null, batch: Number(r.batch_no), key: parse(r.source_key) as unknown[],
            row: parse(r.source_row) as Record<string, unknown>, stage: String(r.stage), column: (r.column_name as string | null) ?? null,
            code: (r.error_code as string | null) ?? null, message: String(r.message), at: r.rejected_at ? new Date(r.rejected_at as string).toISOString() : null,
          });
        }
      }
      return { rows: rows.slice(options.offset, options.offset + options.limit), total, source: "ledger" };
    } finally {
      await lease.release();
    }
  } catch (error) {
    const events = (await services.store.eventsOfType(run.id, ["row.rejected"], 100_000))
      .map((e) => ({ event: JSON.parse(e.data) as RowRejectedEvent, at: e.ts }))
      .filter(({ event }) => !options.pipeline || event.pipeline === options.pipeline);
    return {
      rows: events.slice(options.offset, options.offset + options.limit).map(({ event, at }) => ({
        pipeline: event.pipeline, tenant: event.tenant ?? null, batch: event.batch, key: event.key, row: null, stage: event.stage,
        column: event.column ?? null, code: event.code ?? null, message: event.message, at: at.toISOString(),
      })),
      total: events.length,
      source: "events",
      warning: `source rows unavailable (${messageOf(error)}); showing the rejection events`,
    };
  }
}
