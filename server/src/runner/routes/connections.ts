import { type Context, Hono } from "hono";
import type { ConnectionList, ConnectorList } from "@databridge/core/runner-protocol";
import type { RunnerServices } from "../context.js";
import { sendJson } from "../json.js";
import { connectionBodySchema, updateConnectionSchema } from "../connection-service.js";
import { parseBody } from "../validation.js";

/** `/connectors`: what each database's connector says it is. `/connections`: saved connections (password encrypted, never returned) and the workspace's own. */
export function connectionRoutes(services: RunnerServices): Hono {
  const service = services.connectionService;
  const update = async (c: Context) => sendJson(c, await service.update(c.req.param("id")!, await parseBody(c, updateConnectionSchema)));
  return new Hono()
    .get("/connectors", async (c) => sendJson(c, { connectors: [...(await services.workspaces.get()).registry.connectors.values()] } satisfies ConnectorList))
    .get("/connections", async (c) => sendJson(c, { connections: await service.list() } satisfies ConnectionList))
    .post("/connections", async (c) => sendJson(c, await service.create(await parseBody(c, connectionBodySchema)), 201))
    .post("/connections/test", async (c) => sendJson(c, await service.testUnsaved(await parseBody(c, connectionBodySchema))))
    .get("/connections/:id", async (c) => sendJson(c, await service.get(c.req.param("id"))))
    .patch("/connections/:id", update)
    .put("/connections/:id", update)
    .delete("/connections/:id", async (c) => {
      await service.delete(c.req.param("id"));
      return c.body(null, 204);
    })
    // With changes in the body: tests the connection as they would make it, saving nothing (an edit is tested first).
    .post("/connections/:id/test", async (c) => {
      const changes = await parseBody(c, updateConnectionSchema);
      const id = c.req.param("id");
      return sendJson(c, Object.keys(changes).length ? await service.testEdited(id, changes) : await service.testSaved(id));
    })
    .post("/connections/:id/discover", async (c) => sendJson(c, await service.discover(c.req.param("id"))));
}
