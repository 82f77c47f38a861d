import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRunnerServices, createApp, createRunnerServices, loopbackHosts, type RunnerServices } from "@databridge/server/runner";
import { runCli, spawnCli, waitForLine } from "../support/cli.js";
import { flushRedisDb, redisAvailable, REDIS_TEST_URL } from "../support/redis.js";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { apiClient, createWorkspace, pipelineSource, waitForRun, type ApiClient, type RunnerWorkspace } from "./support.js";

const TOKEN = randomBytes(24).toString("base64url");
const HOST = "127.0.0.1:4714";
const QUEUE = REDIS_TEST_URL(6);

/** `queue: { url }` in the config: runs the runner starts are executed by `databridge worker`s, shown as one run. */
describe("the runner with queue: { url } in the config", () => {
  let ready = false;
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: RunnerWorkspace;
  let services: RunnerServices | undefined;
  let api: ApiClient;

  beforeAll(async () => {
    ready = (await requireServers("postgres")) && (await redisAvailable());
    if (!ready) return;
    await flushRedisDb(6);
    db = await createPostgresDatabase("bq_runner");
    await db.query("CREATE TABLE src (id int PRIMARY KEY, label text NOT NULL); INSERT INTO src SELECT g, 'row ' || g FROM generate_series(1, 30000) g; CREATE TABLE copy_target (id int PRIMARY KEY, label text)");
    workspace = createWorkspace({}, "databridge-queue-runner-");
    fs.writeFileSync(workspace.configPath, `import { defineConfig } from "@databridge/core";
export default defineConfig({
  connections: { legacy: { url: ${JSON.stringify(db.url)} }, warehouse: { url: ${JSON.stringify(db.url)} } },
  queue: { url: ${JSON.stringify(QUEUE)} },
});
`);
    workspace.pipeline("copy", pipelineSource({
      name: "copy", source: { connection: "legacy", table: "src", key: "id" }, target: { connection: "warehouse", table: "public.copy_target", mode: "upsert" },
      columns: { id: "id", label: "label" }, parallelism: 3, batchSize: 2000,
    }));
    services = await createRunnerServices({ configPath: workspace.configPath, stateUrl: db.url, env: { ...process.env, DATABRIDGE_SECRET_KEY: "" }, schedulePollMs: 0, log: () => {} });
    const app = createApp(services, { token: TOKEN, allowedHosts: () => loopbackHosts(4714) });
    api = apiClient((path, init) => app.request(`http://${HOST}${path}`, { ...init, headers: { host: HOST, ...(init.headers as Record<string, string>) } }), TOKEN);
  });

  afterAll(async () => {
    if (services) await closeRunnerServices(services, 5_000);
    workspace?.remove();
    await db?.drop();
    if (ready) await flushRedisDb(6);
  });

  it("a run started through the API is loaded by a worker, in key ranges, and recorded as one run", async (ctx) => {
    if (!ready) return ctx.skip();
    const worker = spawnCli(["worker", "--queue", QUEUE], { cwd: workspace.dir });
    const lines: string[] = [];
    worker.stdout!.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n").filter(Boolean)));
    try {
      await waitForLine(worker, (line) => line.startsWith("DataBridge worker for"));
      const id = (await api.post("/runs", { pipelines: ["copy"] })).body.id as string;
      const view = await waitForRun(api, id);
      expect(view.status).toBe("succeeded");
      expect(view.rows).toMatchObject({ read: 30_000, written: 30_000, rejected: 0 });
      const { rows: [copy] } = await db.query("SELECT count(*)::int AS n, sum(id)::bigint AS s FROM copy_target");
      expect(copy).toEqual({ n: 30_000, s: String((30_000 * 30_001) / 2) });
      const { rows: ranges } = await db.query("SELECT partition_id, status FROM databridge.runs WHERE run_id = $1 ORDER BY partition_id", [id]);
      expect(ranges).toEqual(["1/3", "2/3", "3/3"].map((partition_id) => ({ partition_id, status: "succeeded" })));
      expect(lines.filter((l) => l.startsWith(`run ${id}: copy key range`) && l.includes("succeeded"))).toHaveLength(3);
      // `databridge runs` lists it as one run of one pipeline.
      const listed = await runCli(["runs", "--json"], { cwd: workspace.dir });
      expect((JSON.parse(listed.stdout) as { runId: string; pipelines: string[] }[]).find((r) => r.runId === id)?.pipelines).toEqual(["copy"]);
    } finally {
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      worker.kill("SIGTERM");
      await exited;
    }
  }, 90_000);
});
