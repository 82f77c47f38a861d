import { Hono } from "hono";
import type { ScheduleList, ScheduleTickList, ScheduleTriggered } from "@databridge/core/runner-protocol";
import type { RunnerServices } from "../context.js";
import { z } from "zod";
import { notFound } from "../errors.js";
import { sendJson } from "../json.js";
import { createScheduleSchema, updateScheduleSchema } from "../scheduler.js";
import { pagingQuery, parseBody, parseQuery } from "../validation.js";

const ticksQuery = z.object({ limit: pagingQuery.limit });

/** `/schedules`: cron schedules that start runs (created here, or read from pipeline files). */
export function scheduleRoutes(services: RunnerServices): Hono {
  const { scheduler } = services;
  return new Hono()
    .get("/schedules", async (c) => sendJson(c, { schedules: await scheduler.list() } satisfies ScheduleList))
    .post("/schedules", async (c) => sendJson(c, await scheduler.create(await parseBody(c, createScheduleSchema)), 201))
    .get("/schedules/:id", async (c) => sendJson(c, await scheduler.get(c.req.param("id"))))
    .patch("/schedules/:id", async (c) => sendJson(c, await scheduler.update(c.req.param("id"), await parseBody(c, updateScheduleSchema))))
    .delete("/schedules/:id", async (c) => {
      await scheduler.delete(c.req.param("id"));
      return c.body(null, 204);
    })
    .get("/schedules/:id/ticks", async (c) => {
      const rows = await scheduler.ticks(c.req.param("id"), parseQuery(c, ticksQuery).limit);
      return sendJson(c, {
        ticks: rows.map((t) => ({
          id: t.id, scheduleId: t.scheduleId, tickAt: t.tickAt.toISOString(), firstTickAt: t.firstTickAt?.toISOString() ?? null, ticks: t.ticks,
          outcome: t.outcome, runId: t.runId, reason: t.reason, at: t.at.toISOString(),
        })),
      } satisfies ScheduleTickList);
    })
    .post("/schedules/:id/trigger", async (c) => {
      await scheduler.get(c.req.param("id"));
      const runId = await scheduler.fire(c.req.param("id"));
      // Deleted between the two calls.
      if (!runId) throw notFound(`schedule ${c.req.param("id")}`);
      return sendJson(c, { id: runId } satisfies ScheduleTriggered, 202);
    });
}
