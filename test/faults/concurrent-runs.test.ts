import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "@databridge/core";
import { requireServers } from "../support/servers.js";
import { createMigrationFixture, type MigrationFixture } from "../support/migration-fixture.js";
import { collect, pipelineFile, runCli, spawnCli } from "../support/cli.js";

/**
 * #8 acceptance 2: two `databridge run` of the same insert pipeline started together. The target table has no
 * key (the worst case: nothing would stop every row from arriving twice), and a statement trigger slows
 * each batch so the runs certainly overlap. One run loads everything; the other refuses with one line naming
 * the run that holds the pipeline, exits 1, and changes nothing.
 */
const ready = await requireServers("mariadb", "postgres");

const ROWS = 12_000;

describe.skipIf(!ready)("two runs of one pipeline at once", () => {
  let fixture: MigrationFixture;
  let file: string;

  beforeAll(async () => {
    fixture = await createMigrationFixture("dbt_concurrent");
    const { source, target, workspace } = fixture;
    await source.query("CREATE TABLE readings (id INT NOT NULL PRIMARY KEY, sensor VARCHAR(20) NOT NULL, value DECIMAL(10,3))");
    await source.query(`INSERT INTO readings SELECT seq, CONCAT('sensor-', seq % 17), seq / 7 FROM seq_1_to_${ROWS}`);
    await target.query("CREATE TABLE readings (id integer, sensor varchar(20) NOT NULL, value numeric(10,3))");
    await target.query("CREATE FUNCTION slow_batch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.25); RETURN NULL; END $$");
    await target.query("CREATE TRIGGER slow_batch AFTER INSERT ON readings FOR EACH STATEMENT EXECUTE FUNCTION slow_batch()");
    file = workspace.pipeline("readings", pipelineFile({
      name: "readings", source: { connection: "legacy", table: "readings", key: "id" },
      target: { connection: "warehouse", table: "public.readings", mode: "insert" },
      columns: { id: "id", sensor: "sensor", value: "value" }, batchSize: 1_000,
    }));
  });

  afterAll(() => fixture?.close());

  it("one loads every row once; the other refuses, naming it, and changes nothing", async () => {
    const { workspace, target } = fixture;
    const [a, b] = await Promise.all([
      collect(spawnCli(["run", file, "--json"], { cwd: workspace.dir }), true),
      collect(spawnCli(["run", file, "--json"], { cwd: workspace.dir }), true),
    ]);
    const results = [a, b].sort((x, y) => (x.code ?? 9) - (y.code ?? 9));
    const [winner, loser] = results;
    expect(results.map((r) => r.code), `${a.stderr}\n${b.stderr}`).toEqual([0, 1]);
    const winnerRun = (winner.events.find((e) => e.type === "run.finished") as Extract<RunEvent, { type: "run.finished" }>).runId;
    const refusal = (loser.events.find((e) => e.type === "run.finished") as Extract<RunEvent, { type: "run.finished" }>).error ?? "";
    expect(refusal).toContain(`run ${winnerRun}`);
    expect(refusal).toContain("is running this pipeline right now; this run changed nothing");
    expect(refusal.split("\n")).toHaveLength(1);
    expect(loser.events.filter((e) => e.type === "batch.committed")).toEqual([]);

    const counts = await target.query("SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM readings");
    expect(counts.rows[0]).toEqual({ n: ROWS, ids: ROWS });
    // The refused run left no trace in the ledger either: one run, complete.
    const runs = await target.query("SELECT run_id, status FROM databridge.runs WHERE pipeline = 'readings'");
    expect(runs.rows).toEqual([{ run_id: winnerRun, status: "succeeded" }]);

    // Once the first run is over, the lock is free: the next run is refused only because the rows are loaded.
    const third = await runCli(["run", file, "--json"], { cwd: workspace.dir });
    expect(third.code).toBe(2);
    const again = third.events.find((e) => e.type === "run.finished") as Extract<RunEvent, { type: "run.finished" }>;
    expect(again.error).toContain(`run ${winnerRun} already loaded ${ROWS.toLocaleString("en-US")} rows`);
  });
});
