import fs from "node:fs";
import { Hono } from "hono";
import { z } from "zod";
import { orderByDependencies, planPipelines, previewPipeline } from "@databridge/core";
import type { PipelineDetail, PipelineList, PlanReport, PreviewResult } from "@databridge/core/runner-protocol";
import type { RunnerServices } from "../context.js";
import { sendJson } from "../json.js";
import { parseBody, parseQuery, pipelineName } from "../validation.js";

const planSchema = z.object({ pipelines: z.array(pipelineName).optional() }).strict();
const previewQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(10) });

/** `/pipelines`: the workspace's `.etl.ts` pipelines, their dependency order, plan and preview. */
export function pipelineRoutes(services: RunnerServices): Hono {
  const { catalog, connections } = services;
  return new Hono()
    .get("/pipelines", async (c) => {
      const { workspace, pipelines } = await catalog.all();
      const { ordered, problems } = orderByDependencies(pipelines);
      return sendJson(c, {
        pipelines: pipelines.map((p) => catalog.summary(workspace, p)),
        order: ordered.map((p) => p.pipeline.name),
        edges: pipelines.flatMap((p) => (p.pipeline.dependsOn ?? []).map((from) => ({ from, to: p.pipeline.name }))),
        problems,
      } satisfies PipelineList);
    })
    .get("/pipelines/:name", async (c) => {
      const { workspace } = await catalog.all();
      const loaded = await catalog.get(c.req.param("name"));
      return sendJson(c, { ...catalog.summary(workspace, loaded), code: fs.readFileSync(loaded.file, "utf8") } satisfies PipelineDetail);
    })
    .post("/pipelines/plan", async (c) => {
      const body = await parseBody(c, planSchema);
      const { pipelines } = body.pipelines?.length ? await catalog.select(body.pipelines) : await catalog.all();
      const lease = await connections.acquire();
      try {
        return sendJson(c, (await planPipelines(lease.workspace, pipelines, lease.manager)) satisfies PlanReport);
      } finally {
        await lease.release();
      }
    })
    .get("/pipelines/:name/preview", async (c) => {
      const { limit } = parseQuery(c, previewQuery);
      const loaded = await catalog.get(c.req.param("name"));
      const lease = await connections.acquire();
      try {
        return sendJson(c, (await previewPipeline(lease.workspace, loaded, lease.manager, limit)) satisfies PreviewResult);
      } finally {
        await lease.release();
      }
    });
}
