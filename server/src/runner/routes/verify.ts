import fs from "node:fs";
import path from "node:path";
import { Hono } from "hono";
import { z } from "zod";
import { verifyPipelines } from "@databridge/core";
import type { VerifyAnswer } from "@databridge/core/runner-protocol";
import { verifyReportDir, verifyReportId, writeVerifyReports } from "../../commands/verify-reports.js";
import type { RunnerServices } from "../context.js";
import { notFound } from "../errors.js";
import { sendJson } from "../json.js";
import { parseBody, pipelineName } from "../validation.js";

const verifySchema = z.object({
  pipelines: z.array(pipelineName).min(1, "needs at least one pipeline name (or leave it out for every pipeline)").optional(),
  runId: z.string().min(1).optional(),
  sample: z.number().int().min(1).max(10_000_000).optional(),
}).strict().refine((body) => !(body.pipelines && body.runId), { message: "give pipelines or runId, not both" });

/** A report id as `verifyReportId` makes it: nothing that could leave the reports folder. */
const REPORT_ID = /^[0-9A-Za-z-]{1,64}$/;

/** `/verify`: `databridge verify` through the runner — the same reconciliation and report files, the HTML served back. */
export function verifyRoutes(services: RunnerServices): Hono {
  const { catalog, connections, store, workspaces } = services;
  return new Hono()
    .post("/verify", async (c) => {
      const body = await parseBody(c, verifySchema);
      let names = body.pipelines;
      if (body.runId) {
        const run = await store.getRun(body.runId);
        if (!run) throw notFound(`run ${body.runId}`);
        names = run.pipelines;
      }
      const pipelines = names ? await Promise.all(names.map((name) => catalog.get(name))) : (await catalog.all()).pipelines;
      const lease = await connections.acquire();
      try {
        const report = await verifyPipelines(lease.workspace, pipelines, lease.manager, { sample: body.sample });
        const id = verifyReportId(report);
        const files = writeVerifyReports(report, verifyReportDir(lease.workspace.rootDir, id));
        return sendJson(c, { id, ok: report.ok, report, files, htmlPath: `/api/v1/verify/${id}/report.html` } satisfies VerifyAnswer);
      } finally {
        await lease.release();
      }
    })
    .get("/verify/:id/report.html", async (c) => {
      const id = c.req.param("id");
      const file = REPORT_ID.test(id) ? path.join(verifyReportDir((await workspaces.get()).rootDir, id), "verify.html") : undefined;
      if (!file || !fs.existsSync(file)) throw notFound(`verify report ${id}`);
      // The report is self-contained (inline styles, no script): nothing else may load with it.
      return c.body(fs.readFileSync(file, "utf8"), 200, {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
      });
    });
}
