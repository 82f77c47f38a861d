import { Hono } from "hono";
import { z } from "zod";
import type { AlertDeliveryList } from "@databridge/core/runner-protocol";
import type { RunnerServices } from "../context.js";
import { sendJson } from "../json.js";
import { pagingQuery, parseQuery } from "../validation.js";

const alertsQuery = z.object({ failed: z.enum(["true", "false"]).optional(), limit: pagingQuery.limit });

/** `/alerts`: what was sent through the webhook and e-mail, and what could not be delivered. */
export function alertRoutes(services: RunnerServices): Hono {
  return new Hono().get("/alerts", async (c) => {
    const query = parseQuery(c, alertsQuery);
    const rows = await services.store.listAlertDeliveries({ failed: query.failed === "true", limit: query.limit });
    return sendJson(c, {
      deliveries: rows.map((d) => ({
        id: d.id, trigger: d.trigger, channel: d.channel, runId: d.runId, pipeline: d.pipeline, ok: d.ok, attempts: d.attempts, error: d.error, at: d.at.toISOString(),
      })),
    } satisfies AlertDeliveryList);
  });
}
