import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireRunLock, isDataBridgeError, Ledger, type Target } from "@databridge/core";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { openConnector } from "../support/cli.js";

const ready = await requireServers("postgres");

describe.skipIf(!ready)("the ledger and run lock with key-range partitions (PostgreSQL)", () => {
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let target: Target;
  let ledger: Ledger;

  beforeAll(async () => {
    db = await createPostgresDatabase("bq_ledger");
    // A ledger made before partitions existed, holding a finished run and its checkpoint.
    await db.query(fs.readFileSync(new URL("./fixtures/ledger-before-partitions.sql", import.meta.url), "utf8"));
    await db.query("INSERT INTO databridge.runs (run_id, pipeline, tenant, status, mode, target_table, last_key) VALUES ('old', 'orders', '', 'succeeded', 'insert', 'public.orders', '[10]')");
    await db.query("INSERT INTO databridge.checkpoints (pipeline, tenant, run_id, last_key, complete) VALUES ('orders', '', 'old', '[10]', true)");
    target = (await openConnector("warehouse", db.url)) as Target;
    ledger = new Ledger(target);
    await ledger.ensure();
  });

  afterAll(async () => {
    await target?.close();
    await db?.drop();
  });

  it("widens an existing ledger in place: old rows kept as the whole stage (''), primary keys include the partition", async () => {
    expect(await ledger.checkpoint("orders", "")).toEqual({ runId: "old", lastKey: [10], complete: true, watermark: null });
    const { rows } = await db.query(`SELECT c.relname AS table, array_agg(a.attname::text ORDER BY k.i) AS key
        FROM pg_constraint p JOIN pg_class c ON c.oid = p.conrelid JOIN LATERAL unnest(p.conkey) WITH ORDINALITY k(n, i) ON true
        JOIN pg_attribute a ON a.attrelid = p.conrelid AND a.attnum = k.n
       WHERE p.contype = 'p' AND c.relname IN ('runs', 'batches', 'checkpoints', 'written_keys') GROUP BY c.relname ORDER BY 1`);
    expect(rows).toEqual([
      { table: "batches", key: ["run_id", "pipeline", "tenant", "partition_id", "batch_no"] },
      { table: "checkpoints", key: ["pipeline", "tenant", "partition_id"] },
      { table: "runs", key: ["run_id", "pipeline", "tenant", "partition_id"] },
      { table: "written_keys", key: ["run_id", "pipeline", "tenant", "partition_id", "batch_no"] },
    ]);
    // Ensuring again (another process, a newer version) changes nothing.
    await new Ledger(target).ensure();
  });

  it("each partition has its own checkpoint next to the whole stage's", async () => {
    for (const partition of ["1/2", "2/2"]) {
      await ledger.startRun({ runId: "new", pipeline: "orders", tenant: "", partition, mode: "insert", targetTable: "public.orders", startKey: null });
    }
    await ledger.finishRun({ runId: "new", pipeline: "orders", tenant: "", partition: "1/2", status: "succeeded", complete: true });
    expect(await ledger.checkpoint("orders", "", "1/2")).toMatchObject({ runId: "new", complete: true });
    expect(await ledger.checkpoint("orders", "", "2/2")).toMatchObject({ runId: "new", complete: false });
    expect(await ledger.checkpoint("orders", "")).toMatchObject({ runId: "old", complete: true });
    // What an insert of one partition must not load again: the earlier whole-stage load, not its own run's other partition.
    expect(await ledger.otherPartitionCheckpoint("orders", "", "2/2", "new")).toMatchObject({ runId: "old" });
  });

  it("the partitions of one run hold the pipeline together; a second run, a whole-stage run and a second worker on a held partition are refused", async () => {
    const scope = { pipeline: "locked", tenant: "" };
    const first = await acquireRunLock(target, ledger, { ...scope, runId: "r1", partition: "1/2" });
    const second = await acquireRunLock(target, ledger, { ...scope, runId: "r1", partition: "2/2" });
    const refusal = (promise: Promise<unknown>) => promise.then(() => "acquired", (error: unknown) => (isDataBridgeError(error) ? `${error.kind}: ${error.message}` : String(error)));
    expect(await refusal(acquireRunLock(target, ledger, { ...scope, runId: "r2", partition: "1/3" }))).toMatch(/^terminal: .*is running this pipeline right now; this run changed nothing/);
    expect(await refusal(acquireRunLock(target, ledger, scope))).toMatch(/^terminal: .*is running this pipeline right now/);
    expect(await refusal(acquireRunLock(target, ledger, { ...scope, runId: "r1", partition: "2/2" }))).toBe("transient: partition 2/2 of this pipeline is being loaded by another worker right now");
    await first.release();
    await second.release();
    // All let go: the next run takes it.
    const next = await acquireRunLock(target, ledger, { ...scope, runId: "r2", partition: "1/3" });
    await next.release();
    const whole = await acquireRunLock(target, ledger, scope);
    await whole.release();
  });
});
