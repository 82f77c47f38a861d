import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTerminalRunStatus, RunnerApiError, RunnerClient, type RunView } from "@databridge/core/runner-protocol";
import { startRunner, type RunningRunner } from "@databridge/server/runner";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, pipelineSource, waitFor, type RunnerWorkspace } from "./support.js";

const NOTES = 100;
const BAD_NOTES = [17, 42, 88];
const BULK = 5_000;

/**
 * What VS Code asks of a run besides starting it — verify (report served back), replay of rejected rows,
 * rollback — through the one RunnerClient, over real HTTP, against a runner whose state, sources and
 * targets are a real PostgreSQL database. Every outcome is checked in the target tables themselves.
 */
describe("runner: verify, replay and rollback over HTTP", () => {
  let ready = false;
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: RunnerWorkspace;
  let runner: RunningRunner;
  let client: RunnerClient;

  const count = async (table: string) => (await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
  const finished = (id: string) => waitFor(async () => {
    const run = await client.run(id);
    return isTerminalRunStatus(run.status) ? run : undefined;
  }, `run ${id} to finish`, 120_000);
  const failure = async (work: Promise<unknown>): Promise<RunnerApiError> => {
    try {
      await work;
    } catch (error) {
      if (error instanceof RunnerApiError) return error;
      throw error;
    }
    throw new Error("expected the runner to refuse");
  };

  beforeAll(async () => {
    ready = await requireServers("postgres");
    if (!ready) return;
    db = await createPostgresDatabase("vs_run_actions");
    await db.query(`CREATE TABLE src_items (id int PRIMARY KEY, name text NOT NULL);
      INSERT INTO src_items SELECT g, 'item ' || g FROM generate_series(1, 300) g;
      CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
      CREATE TABLE src_notes (id int PRIMARY KEY, body text);
      INSERT INTO src_notes SELECT g, CASE WHEN g IN (${BAD_NOTES.join(", ")}) THEN NULL ELSE 'note ' || g END FROM generate_series(1, ${NOTES}) g;
      CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);
      CREATE TABLE src_bulk (id int PRIMARY KEY, v text NOT NULL);
      INSERT INTO src_bulk SELECT g, 'v' || g FROM generate_series(1, ${BULK}) g;
      CREATE TABLE bulk (id int PRIMARY KEY, v text NOT NULL);`);
    workspace = createWorkspace({ legacy: db.url, warehouse: db.url }, "databridge-vs-actions-");
    workspace.pipeline("items", pipelineSource({
      name: "items", source: { connection: "legacy", table: "src_items", key: "id" }, target: { connection: "warehouse", table: "public.items", mode: "insert" },
      columns: { id: "id", name: "name" }, batchSize: 100,
    }));
    workspace.pipeline("notes", pipelineSource({
      name: "notes", onError: "skip", source: { connection: "legacy", table: "src_notes", key: "id" }, target: { connection: "warehouse", table: "public.notes", mode: "insert" },
      columns: { id: "id", body: "body" }, batchSize: 25,
    }));
    workspace.pipeline("bulk", pipelineSource({
      name: "bulk", source: { connection: "legacy", table: "src_bulk", key: "id" }, target: { connection: "warehouse", table: "public.bulk", mode: "insert" },
      columns: { id: "id", v: "v" }, batchSize: 100,
    }));
    runner = await startRunner({ configPath: workspace.configPath, port: 0, stateUrl: db.url, env: { ...process.env, DATABRIDGE_SECRET_KEY: "" }, log: () => {} });
    client = new RunnerClient({ url: runner.url, token: runner.token });
  }, 120_000);

  afterAll(async () => {
    await runner?.close();
    workspace?.remove();
    await db?.drop();
  });

  it("verifies a run's pipelines: the report's files are written, its HTML served back; a changed target fails verify", async (ctx) => {
    if (!ready) return ctx.skip();
    const { id: runId } = await client.startRun({ pipelines: ["items"] });
    expect(await finished(runId)).toMatchObject({ status: "succeeded", rows: { written: 300 } });

    const passed = await client.verify({ runId });
    expect(passed).toMatchObject({ ok: true, report: { summary: { failed: 0 } }, htmlPath: `/api/v1/verify/${passed.id}/report.html` });
    expect(passed.report.stages.map((s) => s.pipeline)).toEqual(["items"]);
    expect(passed.report.stages[0]!.checks.find((c) => c.name === "count")).toMatchObject({ status: "passed", details: { source: 300, target: 300 } });
    // The same three files `databridge verify` writes, in the workspace's .databridge/reports/<id>/.
    expect(passed.files.html).toBe(`${workspace.dir}/.databridge/reports/${passed.id}/verify.html`);
    for (const file of Object.values(passed.files)) expect(fs.existsSync(file), file).toBe(true);
    const html = await client.verifyReportHtml(passed.id);
    expect(html).toBe(fs.readFileSync(passed.files.html, "utf8"));
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain("items");

    await db.query("DELETE FROM items WHERE id IN (7, 8)");
    const failed = await client.verify({ pipelines: ["items"] });
    expect(failed.ok).toBe(false);
    expect(failed.report.stages[0]!.checks.find((c) => c.name === "count")).toMatchObject({ status: "failed", details: { source: 300, target: 298 } });
    expect(failed.id).not.toBe(passed.id);
    expect(await client.verifyReportHtml(failed.id)).toContain("298");

    expect(await failure(client.verifyReportHtml("..%2F..%2Fetc"))).toMatchObject({ status: 404, code: "not_found" });
    expect(await failure(client.verifyReportHtml("2020-01-01T00-00-00-000Z"))).toMatchObject({ status: 404, code: "not_found" });
    expect(await failure(client.verify({ runId: "no-such-run" }))).toMatchObject({ status: 404, message: "run no-such-run not found" });
    expect(await failure(client.verify({ pipelines: ["itmes"] }))).toMatchObject({ status: 404, message: expect.stringContaining('did you mean "items"') });
    expect(await failure(client.verify({ pipelines: ["items"], runId }))).toMatchObject({ status: 400, code: "invalid_request" });
    await db.query("INSERT INTO items SELECT id, name FROM src_items WHERE id IN (7, 8)");
  });

  it("replays a run's rejected rows with the source as it is now: fixed rows load and leave the dead-letter table, the rest stay with their key", async (ctx) => {
    if (!ready) return ctx.skip();
    const { id: runId } = await client.startRun({ pipelines: ["notes"] });
    expect(await finished(runId)).toMatchObject({ status: "succeeded_with_rejects", rows: { written: NOTES - 3, rejected: 3 } });
    expect((await client.rejects(runId)).rows.map((r) => r.key)).toEqual(BAD_NOTES.map((id) => [id]));

    // Two of the three source rows are fixed; the third still has no body.
    await db.query(`UPDATE src_notes SET body = 'fixed ' || id WHERE id IN (${BAD_NOTES[0]}, ${BAD_NOTES[1]})`);
    const replayed = await client.replayRejects(runId);
    expect(replayed).toMatchObject({ runId, replayed: 3, loaded: 2, stillRejected: 1, results: [{ pipeline: "notes", replayed: 3, loaded: 2, stillRejected: 1 }] });
    expect(await count("notes")).toBe(NOTES - 1);
    expect((await db.query(`SELECT body FROM notes WHERE id = ${BAD_NOTES[0]}`)).rows).toEqual([{ body: `fixed ${BAD_NOTES[0]}` }]);
    const left = await client.rejects(runId);
    expect(left).toMatchObject({ total: 1, source: "ledger" });
    expect(left.rows[0]).toMatchObject({ key: [BAD_NOTES[2]], pipeline: "notes" });

    // Nothing more to load: a second replay changes nothing.
    expect(await client.replayRejects(runId)).toMatchObject({ replayed: 1, loaded: 0, stillRejected: 1 });
    expect(await count("notes")).toBe(NOTES - 1);
    expect(await failure(client.replayRejects("no-such-run"))).toMatchObject({ status: 404, code: "not_found" });
  });

  it("rolls a run back (rows removed, checkpoint restored), refuses while a run of its pipelines is in progress, and refuses twice", async (ctx) => {
    if (!ready) return ctx.skip();
    const { id: first } = await client.startRun({ pipelines: ["bulk"] });
    expect(await finished(first)).toMatchObject({ status: "succeeded", rows: { written: BULK } });
    expect(await count("bulk")).toBe(BULK);

    const rolledBack = await client.rollbackRun(first);
    expect(rolledBack).toEqual({ runId: first, deleted: BULK, restored: 0, stages: [{ pipeline: "bulk", tenant: "", mode: "insert", targetTable: "public.bulk", deleted: BULK, restored: 0 }] });
    expect(await count("bulk")).toBe(0);

    // The checkpoint went back too: a new run reads from the start. Held at a batch boundary, it blocks both rollbacks.
    const { id: second } = await client.startRun({ pipelines: ["bulk"] });
    await client.pauseRun(second);
    await waitFor(async () => (await client.run(second)).heldAtBoundary, "the second run to hold");
    expect(await failure(client.rollbackRun(second))).toMatchObject({ status: 409, code: "run_active", message: expect.stringContaining(`run ${second} is paused`) });
    expect(await failure(client.replayRejects(second))).toMatchObject({ status: 409, code: "run_active" });
    expect(await failure(client.rollbackRun(first))).toMatchObject({ status: 409, code: "run_active", message: expect.stringContaining(`run ${second} (paused) writes to bulk`) });

    await client.cancelRun(second);
    const cancelled: RunView = await finished(second);
    expect(cancelled.status).toBe("cancelled");
    const written = await count("bulk");
    expect(written).toBe(cancelled.rows.written);
    expect(written).toBeLessThan(BULK);

    expect(await failure(client.rollbackRun(first))).toMatchObject({ status: 400, code: "config_error", message: expect.stringContaining(`run ${first} was already rolled back`) });
    expect(await client.rollbackRun(second)).toMatchObject({ deleted: written });
    expect(await count("bulk")).toBe(0);
    expect(await failure(client.rollbackRun("no-such-run"))).toMatchObject({ status: 404, code: "not_found" });
  });
});
