import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "@databridge/core";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, pipelineFile, runCli, type TestWorkspace } from "../support/cli.js";

/**
 * Two batches are in flight against PostgreSQL (the next one's COPY overlaps this one's commit), and
 * commits stay in batch order. Rows of two in-flight batches that collide on a target key can make the
 * earlier batch wait on the later one inside PostgreSQL while the later one waits for the earlier
 * commit: the lock timeout ends that wait, and the retry writes one batch at a time, so the run
 * finishes with the duplicate rejected — never a hang, nothing lost or doubled.
 */
const ready = await requireServers("postgres");

describe("batches in flight on two sessions", () => {
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: TestWorkspace;

  beforeAll(async () => {
    if (!ready) return;
    db = await createPostgresDatabase("dbt_inflight");
    await db.query("CREATE TABLE src (id integer PRIMARY KEY, code text NOT NULL)");
    // Codes are unique except one: row 15 (batch 1 of 20 rows) and row 25 (batch 2) share 'dup'.
    await db.query("INSERT INTO src SELECT g, CASE WHEN g IN (15, 25) THEN 'dup' ELSE 'c' || g END FROM generate_series(1, 60) g");
    await db.query("CREATE TABLE dst (code text PRIMARY KEY, id integer NOT NULL)");
    // Batch 1 stalls at row 12, so batch 2 writes 'dup' first; batch 1 then waits on batch 2's row.
    await db.query(`CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.id = 12 THEN PERFORM pg_sleep(1.5); END IF; RETURN NEW; END $$`);
    await db.query("CREATE TRIGGER stall BEFORE INSERT ON dst FOR EACH ROW EXECUTE FUNCTION stall()");
    workspace = createWorkspace({ db: db.url });
  });

  afterAll(async () => {
    workspace?.remove();
    await db?.drop();
  });

  it("a key collision between in-flight batches ends in a retry one batch at a time, the duplicate rejected", { timeout: 60_000 }, async (ctx) => {
    if (!ready) return ctx.skip();
    const file = workspace.pipeline("collide", pipelineFile({
      name: "collide", source: { connection: "db", table: "src", key: "id" },
      target: { connection: "db", table: "public.dst", mode: "insert", key: ["code"] },
      columns: { code: "code", id: "id" }, batchSize: 20, onError: "skip", retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 100 },
    }));
    const result = await runCli(["run", file, "--json"], { cwd: workspace.dir });
    const retried = result.events.filter((e): e is Extract<RunEvent, { type: "stage.retrying" }> => e.type === "stage.retrying");
    expect(retried.length, result.stdout).toBeGreaterThanOrEqual(1);
    expect(retried[0].message).toMatch(/lock timeout/i);
    const finished = result.events.at(-1) as Extract<RunEvent, { type: "run.finished" }>;
    expect({ code: result.code, status: finished.status, rows: finished.rows }, result.stderr).toEqual({
      code: 3, status: "succeeded_with_rejects", rows: { read: 60, written: 59, rejected: 1 },
    });
    const rejected = result.events.filter((e) => e.type === "row.rejected");
    expect(rejected.map((e) => (e as { key: unknown }).key)).toEqual([[25]]);
    const { rows } = await db.query("SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, min(id) AS lo, max(id) AS hi FROM dst");
    expect(rows[0]).toEqual({ n: 59, ids: 59, lo: 1, hi: 60 });
    expect((await db.query("SELECT id FROM dst WHERE code = 'dup'")).rows).toEqual([{ id: 15 }]);
  });
});
