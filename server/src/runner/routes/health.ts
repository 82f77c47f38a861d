import { Hono } from "hono";
import type { HealthView } from "@databridge/core/runner-protocol";
import type { RunnerServices } from "../context.js";
import { sendJson } from "../json.js";

export const RUNNER_VERSION = "0.1.0";

export function healthRoutes(services: RunnerServices): Hono {
  return new Hono().get("/health", async (c) => {
    const workspace = await services.workspaces.get().then((w) => ({ ok: true, root: w.rootDir }), (error: Error) => ({ ok: false, root: services.workspaces.rootDir, error: error.message }));
    return sendJson(c, {
      ok: true,
      version: RUNNER_VERSION,
      pid: process.pid,
      uptimeMs: Date.now() - services.startedAt,
      workspace,
      state: { kind: services.store.database.kind, location: services.store.database.location },
      runs: { active: services.runs.activeCount, queued: services.runs.queuedCount },
    } satisfies HealthView);
  });
}
