import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { apiClient, CLI, createWorkspace, pipelineSource, readSse, seedStateDir, serveProcess as serve, waitFor, waitForRun, type RunnerWorkspace } from "./support.js";

const ROWS = 100_000;
const BATCH = 500;

const readRunnerJson = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, ".databridge", "runner.json"), "utf8"));

/**
 * `databridge serve` as a real child process: discovery file, a second serve, the loopback guard,
 * then SIGKILL mid-run: after a restart the run is `interrupted`, and its retry finishes it with
 * no duplicate and no missing row (the target has no primary key, so a replayed batch would show).
 */
describe("databridge serve: discovery, and SIGKILL of the runner mid-run", () => {
  let ready = false;
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: RunnerWorkspace;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    ready = await requireServers("postgres");
    if (!ready) return;
    db = await createPostgresDatabase("dbt_runner_kill");
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, total numeric(10,2) NOT NULL);
      INSERT INTO orders SELECT g, 'customer ' || (g % 977), (g % 10000) / 100.0 FROM generate_series(1, ${ROWS}) g;
      CREATE TABLE orders_copy (id int NOT NULL, customer text NOT NULL, total numeric(10,2) NOT NULL);
      CREATE TABLE tiny (id int PRIMARY KEY); INSERT INTO tiny SELECT generate_series(1, 25);
      CREATE TABLE tiny_copy (id int NOT NULL);`);
    workspace = createWorkspace({ legacy: db.url, warehouse: db.url });
    workspace.pipeline("orders", pipelineSource({
      name: "orders", source: { connection: "legacy", table: "orders", key: "id" }, target: { connection: "warehouse", table: "public.orders_copy", mode: "insert" },
      columns: { id: "id", customer: "customer", total: "total" }, batchSize: BATCH,
    }));
    workspace.pipeline("tiny", pipelineSource({
      name: "tiny", source: { connection: "legacy", table: "tiny", key: "id" }, target: { connection: "warehouse", table: "public.tiny_copy", mode: "insert" }, columns: { id: "id" }, batchSize: 10,
    }));
    await seedStateDir(workspace.dir);
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    workspace?.remove();
    await db?.drop();
  });

  it("kill -9 mid-run → restart shows it interrupted → retry completes it exactly once", async (ctx) => {
    if (!ready) return ctx.skip();
    const first = serve(workspace.dir);
    children.push(first.child);
    await waitFor(() => first.stdout().includes("Dashboard:"), "serve to print its URLs", 90_000);
    const info = readRunnerJson(workspace.dir);
    expect(fs.statSync(path.join(workspace.dir, ".databridge", "runner.json")).mode & 0o777).toBe(0o600);
    expect(info).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), token: expect.any(String), pid: first.child.pid });
    expect(first.stdout()).toContain(`API:        ${info.url}/api/v1`);
    expect(first.stdout()).toContain(`Dashboard:  ${info.url}/#token=${info.token}`);

    // A second serve reports the running one and exits; a non-loopback bind needs the explicit flag.
    const second = serve(workspace.dir);
    const remote = serve(workspace.dir, ["--host", "0.0.0.0"]);
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.stdout()).toContain(`A runner is already running for this workspace: ${info.url} (pid ${first.child.pid})`);
    expect((await remote.exited).code).toBe(2);
    expect(remote.stderr()).toContain("--allow-remote");

    let api = apiClient((p, init) => fetch(`${info.url}${p}`, init), info.token);
    const { body } = await api.post("/runs", { pipelines: ["orders"] });
    const runId: string = body.id;
    // Kill as soon as the first batch is committed (199 to go).
    const seen = await readSse(await api.raw(`/runs/${runId}/events`), (m) => m.event === "batch.committed");
    expect(seen.messages.at(-1)!.event).toBe("batch.committed");
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    const restarted = serve(workspace.dir);
    children.push(restarted.child);
    await waitFor(() => restarted.stdout().includes("Dashboard:"), "the restarted serve", 90_000);
    const info2 = readRunnerJson(workspace.dir);
    expect(info2.pid).toBe(restarted.child.pid);
    api = apiClient((p, init) => fetch(`${info2.url}${p}`, init), info2.token);

    const interrupted = (await api.get(`/runs/${runId}`)).body;
    expect(interrupted.status).toBe("interrupted");
    expect(interrupted.rows.written).toBeGreaterThanOrEqual(BATCH);
    expect(interrupted.rows.written).toBeLessThan(ROWS);
    expect(interrupted.error).toMatch(/interrupted/);
    expect(restarted.stderr()).toContain(`marked 1 run(s) left in flight by a previous runner as interrupted: ${runId}`);
    // Its event stream is complete: it ends with run.finished (interrupted), ids without gaps.
    const history = await readSse(await api.raw(`/runs/${runId}/events`));
    expect(history.ended).toBe(true);
    expect(history.messages.map((m) => Number(m.id))).toEqual(history.messages.map((_, i) => i + 1));
    expect(JSON.parse(history.messages.at(-1)!.data)).toMatchObject({ type: "run.finished", status: "interrupted" });
    const committedBeforeKill = (await db.query("SELECT count(*)::int AS n FROM orders_copy")).rows[0].n;
    expect(committedBeforeKill % BATCH).toBe(0);

    const retry = await api.post(`/runs/${runId}/retry`);
    expect(retry.status).toBe(202);
    const done = await waitForRun(api, retry.body.id, 120_000);
    expect({ status: done.status, error: done.error }).toEqual({ status: "succeeded", error: null });
    expect(done).toMatchObject({ retryOf: runId, resume: true });
    expect(done.rows.written).toBe(ROWS - committedBeforeKill);
    expect(done.stages[0].resumeAfter).toEqual([committedBeforeKill]);
    expect((await db.query("SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, min(id) AS lo, max(id) AS hi FROM orders_copy")).rows[0]).toEqual({ n: ROWS, d: ROWS, lo: 1, hi: ROWS });
    expect((await db.query("SELECT count(*)::int AS n FROM orders o JOIN orders_copy c USING (id) WHERE o.customer <> c.customer OR o.total <> c.total")).rows[0].n).toBe(0);

    // `databridge run --runner` submits to this runner and prints its events like a local run.
    const submit = spawn(process.execPath, [CLI, "run", "tiny", "--runner", "--json"], { cwd: workspace.dir, env: { ...process.env, DATABRIDGE_STATE_URL: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let submitOut = "";
    submit.stdout!.setEncoding("utf8").on("data", (c: string) => (submitOut += c));
    expect(await new Promise((resolve) => submit.on("exit", resolve))).toBe(0);
    const lines = submitOut.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((e) => e.type)).toEqual(["run.started", "stage.started", "batch.committed", "batch.committed", "batch.committed", "stage.finished", "run.finished"]);
    expect((await api.get(`/runs/${lines[0].runId}`)).body).toMatchObject({ status: "succeeded", pipelines: ["tiny"], rows: { written: 25 } });
    const unreachable = spawn(process.execPath, [CLI, "run", "tiny", "--runner", "http://127.0.0.1:9"], { cwd: workspace.dir, env: { ...process.env, DATABRIDGE_RUNNER_TOKEN: "x".repeat(20) }, stdio: ["ignore", "pipe", "pipe"] });
    let unreachableErr = "";
    unreachable.stderr!.setEncoding("utf8").on("data", (c: string) => (unreachableErr += c));
    expect(await new Promise((resolve) => unreachable.on("exit", resolve))).toBe(1);
    expect(unreachableErr).toMatch(/^error: cannot reach the runner at http:\/\/127\.0\.0\.1:9/);

    restarted.child.kill("SIGTERM");
    expect((await restarted.exited).code).toBe(0);
    expect(fs.existsSync(path.join(workspace.dir, ".databridge", "runner.json"))).toBe(false);
  });
});
