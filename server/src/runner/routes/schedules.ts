import { Hono } from "hono";
import type { ScheduleList, ScheduleTriggered } from "@databridge/core/runner-protocol";
import type { RunnerServices } from "../context.js";
import { notFound } from "../errors.js";
import { sendJson } from "../json.js";
import { createScheduleSchema, updateScheduleSchema } from "../scheduler.js";
import { parseBody } from "../validation.js";

/** `/schedules`: cron schedules that start runs. */
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
    .post("/schedules/:id/trigger", async (c) => {
      await scheduler.get(c.req.param("id"));
      const runId = await scheduler.fire(c.req.param("id"));
      // Deleted between the two calls.
      if (!runId) throw notFound(`schedule ${c.req.param("id")}`);
      return sendJson(c, { id: runId } satisfies ScheduleTriggered, 202);
    });
}
