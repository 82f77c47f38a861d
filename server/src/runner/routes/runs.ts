import { Hono } from "hono";
import { z } from "zod";
import { type ConnectionManager, type LoadedPipeline, replayRejects, rollbackRun, type Workspace } from "@databridge/core";
import {
  ACTIVE_RUN_STATUSES, type BatchList, isActiveRunStatus, isRunStatus, isTerminalRunStatus, type ReplayAnswer, type RollbackAnswer, RUN_STATUSES,
  type RunControlAnswer, type RunCreated, type RunErrors, type RunList, type RunStatus,
} from "@databridge/core/runner-protocol";
import type { RunnerServices } from "../context.js";
import { conflict, notFound } from "../errors.js";
import { sendJson } from "../json.js";
import { readRejects } from "../rejects.js";
import { runView } from "../run-views.js";
import { eventStream, lastEventId } from "../sse.js";
import { pagingQuery, parseBody, parseQuery, pipelineName } from "../validation.js";

const startRunSchema = z.object({
  pipelines: z.array(pipelineName).min(1, "needs at least one pipeline name"),
  resume: z.boolean().optional(),
  fullRefresh: z.boolean().optional(),
  batchSize: z.number().int().min(1).max(1_000_000).optional(),
}).strict();

const listQuery = z.object({
  status: z.string().optional().transform((value, ctx) => {
    if (!value) return undefined;
    const statuses = value.split(",").map((s) => s.trim()).filter(Boolean);
    const bad = statuses.find((s) => !isRunStatus(s));
    if (bad) {
      ctx.addIssue({ code: "custom", message: `unknown status "${bad}" (use ${RUN_STATUSES.join(", ")})` });
      return z.NEVER;
    }
    return statuses as RunStatus[];
  }),
  pipeline: z.string().min(1).optional(),
  ...pagingQuery,
});
const rejectsQuery = z.object({ pipeline: z.string().min(1).optional(), ...pagingQuery });
const batchesQuery = z.object({ pipeline: z.string().min(1).optional(), limit: z.coerce.number().int().min(1).max(10_000).default(2_000) });

/** `/runs`: start, inspect, control and stream runs. */
export function runRoutes(services: RunnerServices): Hono {
  const { store, runs, bus, catalog, connections } = services;
  const requireRun = async (id: string) => {
    const run = await store.getRun(id);
    if (!run) throw notFound(`run ${id}`);
    return run;
  };
  /**
   * A run whose writes may be changed again (replay, rollback): it has ended, and no run in progress writes
   * to one of its pipelines (their rows and checkpoints would move underneath).
   */
  const requireSettledRun = async (id: string, action: string) => {
    const run = await requireRun(id);
    if (isActiveRunStatus(run.status)) throw conflict(`run ${id} is ${run.status}; ${action} it once it has ended (or cancel it first)`, "run_active");
    const busy = (await store.runsWithStatus(ACTIVE_RUN_STATUSES)).find((other) => other.pipelines.some((p) => run.pipelines.includes(p)));
    if (busy) throw conflict(`run ${busy.id} (${busy.status}) writes to ${busy.pipelines.filter((p) => run.pipelines.includes(p)).join(", ")}; ${action} run ${id} once it has ended`, "run_active");
    return run;
  };
  /** The workspace's pipelines and connections for one piece of work, as the CLI's ledger commands have them. */
  const withLedgers = async <T>(work: (ledgers: { workspace: Workspace; pipelines: LoadedPipeline[]; manager: ConnectionManager }) => Promise<T>): Promise<T> => {
    const { pipelines } = await catalog.all();
    const lease = await connections.acquire();
    try {
      return await work({ workspace: lease.workspace, pipelines, manager: lease.manager });
    } finally {
      await lease.release();
    }
  };
  return new Hono()
    .get("/runs", async (c) => {
      const query = parseQuery(c, listQuery);
      const { runs: rows, total } = await store.listRuns({ status: query.status, pipeline: query.pipeline, limit: query.limit, offset: query.offset });
      const stages = await store.stagesOf(rows.map((r) => r.id));
      return sendJson(c, { runs: rows.map((r) => runView(r, stages.filter((s) => s.runId === r.id), { held: runs.isHeld(r.id) })), total, limit: query.limit, offset: query.offset } satisfies RunList);
    })
    .post("/runs", async (c) => {
      const body = await parseBody(c, startRunSchema);
      const run = await runs.submit({ pipelines: body.pipelines, resume: body.resume, fullRefresh: body.fullRefresh, batchSize: body.batchSize, trigger: "api" });
      c.header("Location", `/api/v1/runs/${run.id}`);
      return sendJson(c, { id: run.id, status: run.status } satisfies RunCreated, 202);
    })
    .get("/runs/:id", async (c) => {
      const run = await requireRun(c.req.param("id"));
      return sendJson(c, runView(run, await store.stagesOf([run.id]), { held: runs.isHeld(run.id) }));
    })
    .get("/runs/:id/events", async (c) => {
      const run = await requireRun(c.req.param("id"));
      const after = lastEventId(c) ?? 0;
      return eventStream(c, {
        bus, after,
        idOf: (e) => e.seq,
        filter: (e) => e.runId === run.id,
        backlog: async (from, limit) => (await store.runEventsAfter(run.id, from, limit)).map((e) => ({ ...e, id: Number(e.id) })),
        last: (e) => e.type === "run.finished",
        finishedAfterBacklog: async () => isTerminalRunStatus((await requireRun(run.id)).status),
      });
    })
    .get("/runs/:id/batches", async (c) => {
      const query = parseQuery(c, batchesQuery);
      const run = await requireRun(c.req.param("id"));
      const batches = await store.batchesOf(run.id, { pipeline: query.pipeline, limit: query.limit });
      return sendJson(c, {
        batches: batches.map((b) => ({
          pipeline: b.pipeline, tenant: b.tenant || null, batch: b.batch, rows: { read: b.rowsRead, written: b.rowsWritten, rejected: b.rowsRejected },
          rowsPerSecond: b.rowsPerSecond, lastKey: b.lastKey, committedAt: b.committedAt.toISOString(),
        })),
      } satisfies BatchList);
    })
    .get("/runs/:id/errors", async (c) => {
      const run = await requireRun(c.req.param("id"));
      const stages = await store.stagesOf([run.id]);
      const events = await store.eventsOfType(run.id, ["log", "stage.retrying"], 1000);
      const errors: RunErrors["errors"] = [
        ...stages.filter((s) => s.error).map((s) => ({ kind: "stage" as const, pipeline: s.pipeline, tenant: s.tenant || null, message: s.error!, at: s.finishedAt?.toISOString() ?? null })),
        ...events.map((e) => ({ row: e, event: JSON.parse(e.data) as { type: string; level?: string; message: string; pipeline: string } }))
          .filter(({ event }) => event.type === "stage.retrying" || event.level === "error" || event.level === "warn")
          .map(({ row, event }) => ({ kind: event.type === "stage.retrying" ? "retry" as const : event.level === "error" ? "error" as const : "warn" as const, pipeline: event.pipeline, tenant: null, message: event.message, at: row.ts.toISOString() })),
      ];
      return sendJson(c, { error: run.error, errors, rejectedRows: run.rowsRejected } satisfies RunErrors);
    })
    .get("/runs/:id/rejects", async (c) => {
      const query = parseQuery(c, rejectsQuery);
      const run = await requireRun(c.req.param("id"));
      return sendJson(c, await readRejects(services, run, query));
    })
    .post("/runs/:id/replay", async (c) => {
      const run = await requireSettledRun(c.req.param("id"), "replay the rejected rows of");
      const results = await withLedgers(({ workspace, pipelines, manager }) => replayRejects(workspace, run.id, pipelines, manager));
      const sum = (field: "replayed" | "loaded" | "stillRejected") => results.reduce((n, r) => n + r[field], 0);
      services.log(`run ${run.id}: replayed ${sum("replayed")} rejected rows, ${sum("loaded")} loaded, ${sum("stillRejected")} still rejected`);
      return sendJson(c, { runId: run.id, results, replayed: sum("replayed"), loaded: sum("loaded"), stillRejected: sum("stillRejected") } satisfies ReplayAnswer);
    })
    .post("/runs/:id/rollback", async (c) => {
      const run = await requireSettledRun(c.req.param("id"), "roll back");
      const stages = await withLedgers(({ pipelines, manager }) => rollbackRun(run.id, pipelines, manager));
      const answer = { runId: run.id, stages, deleted: stages.reduce((n, s) => n + s.deleted, 0), restored: stages.reduce((n, s) => n + s.restored, 0) } satisfies RollbackAnswer;
      services.log(`run ${run.id}: rolled back (${answer.deleted} rows removed, ${answer.restored} restored)`);
      return sendJson(c, answer);
    })
    .post("/runs/:id/pause", async (c) => {
      await runs.pause(c.req.param("id"));
      return sendJson(c, { id: c.req.param("id"), status: "paused" } satisfies RunControlAnswer, 202);
    })
    .post("/runs/:id/resume", async (c) => {
      await runs.resume(c.req.param("id"));
      return sendJson(c, { id: c.req.param("id"), status: "running" } satisfies RunControlAnswer, 202);
    })
    .post("/runs/:id/cancel", async (c) => {
      await runs.cancel(c.req.param("id"));
      return sendJson(c, { id: c.req.param("id"), cancelling: true } satisfies RunControlAnswer, 202);
    })
    .post("/runs/:id/retry", async (c) => {
      const run = await runs.retry(c.req.param("id"));
      c.header("Location", `/api/v1/runs/${run.id}`);
      return sendJson(c, { id: run.id, status: run.status, retryOf: c.req.param("id") } satisfies RunCreated, 202);
    });
}

/** `GET /events`: every run's events; without Last-Event-ID it starts with the next event. */
export function eventRoutes(services: RunnerServices): Hono {
  const { store, bus } = services;
  return new Hono().get("/events", async (c) => {
    const after = lastEventId(c) ?? (await store.lastEventId());
    return eventStream(c, {
      bus, after,
      idOf: (e) => e.id,
      filter: () => true,
      backlog: async (from, limit) => (await store.eventsAfter(from, limit)).map((e) => ({ ...e, id: Number(e.id) })),
    });
  });
}
