import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "@databridge/core";
import { requireServers } from "../support/servers.js";
import { createMigrationFixture, type MigrationFixture } from "../support/migration-fixture.js";
import { pipelineFile, runCli } from "../support/cli.js";

/**
 * #8 acceptance 5 (keys and re-runs): a source key that does not identify rows is refused before anything
 * is read; one that slips through (a query's) stops the reader at the first repeated key instead of skipping
 * rows; a completed insert pipeline run again is refused, naming the run that loaded the rows; a duplicate
 * key never gets `onError: "skip"` as its fix; a run whose own count parity fails does not exit 0.
 */
const ready = await requireServers("mariadb", "postgres");

const finishedOf = (events: RunEvent[]) => events.find((e) => e.type === "run.finished") as Extract<RunEvent, { type: "run.finished" }>;

describe.skipIf(!ready)("source keys, re-runs and parity", () => {
  let fixture: MigrationFixture;

  beforeAll(async () => {
    fixture = await createMigrationFixture("dbt_keys");
    const { source, target } = fixture;
    // 30 rows, each code three times: paging by code in batches of 2 would lose a third of them.
    await source.query("CREATE TABLE tickets (seq INT NOT NULL PRIMARY KEY, code INT NOT NULL, title VARCHAR(40) NOT NULL, KEY by_code (code))");
    await source.query("INSERT INTO tickets SELECT seq, (seq - 1) DIV 3, CONCAT('Ticket ', seq, ' – ä') FROM seq_1_to_30");
    // Unique, but through an index on a NULL-able column: NULLs may repeat, so it guarantees nothing either.
    await source.query("CREATE TABLE loose (ref INT NULL, title VARCHAR(40) NOT NULL, UNIQUE KEY by_ref (ref))");
    await source.query("INSERT INTO loose VALUES (1, 'a'), (NULL, 'b'), (NULL, 'c')");
    await source.query("CREATE TABLE parts (id INT NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL)");
    await source.query("INSERT INTO parts SELECT seq, CONCAT('Teil ', seq) FROM seq_1_to_500");
    // 1,000 rows whose only repeated code (600) straddles a 600-row page boundary inside a group of streamed rows.
    await source.query("CREATE TABLE wide (seq INT NOT NULL PRIMARY KEY, code INT NOT NULL, title VARCHAR(40) NOT NULL)");
    await source.query("INSERT INTO wide SELECT seq, IF(seq = 601, 600, seq), CONCAT('Row ', seq) FROM seq_1_to_1000");
    for (const table of ["tickets", "tickets_q", "loose", "wide_q"]) await target.query(`CREATE TABLE ${table} (code integer, title varchar(40) NOT NULL)`);
    await target.query("CREATE TABLE parts (id integer PRIMARY KEY, name varchar(40) NOT NULL)");
    await target.query("CREATE TABLE parts_taken (id integer PRIMARY KEY, name varchar(40) NOT NULL)");
    await target.query("INSERT INTO parts_taken VALUES (250, 'already here')");
    // A target that silently drops some rows (a BEFORE trigger returning NULL): COPY says nothing, parity does.
    await target.query("CREATE TABLE parts_dropped (id integer PRIMARY KEY, name varchar(40) NOT NULL)");
    await target.query("CREATE FUNCTION drop_tenth() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id % 10 = 0 THEN RETURN NULL; END IF; RETURN NEW; END $$");
    await target.query("CREATE TRIGGER drop_tenth BEFORE INSERT ON parts_dropped FOR EACH ROW EXECUTE FUNCTION drop_tenth()");
  });

  afterAll(() => fixture?.close());

  const write = (name: string, definition: Record<string, unknown>) => fixture.workspace.pipeline(name, pipelineFile({ name, batchSize: 2, ...definition }));

  it("check and run refuse a table key no unique NOT NULL index guarantees, naming the column", async () => {
    const { workspace, target } = fixture;
    write("tickets", {
      source: { connection: "legacy", table: "tickets", key: "code" },
      target: { connection: "warehouse", table: "public.tickets" }, columns: { code: "code", title: "title" },
    });
    write("loose", {
      source: { connection: "legacy", table: "loose", key: "ref" },
      target: { connection: "warehouse", table: "public.loose" }, columns: { code: "ref", title: "title" },
    });
    const check = await runCli(["check", "tickets", "loose"], { cwd: workspace.dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/error \[non-unique-key\] pipeline tickets, column code: source key code of tickets is not guaranteed unique/);
    expect(check.stdout).toMatch(/error \[non-unique-key\] pipeline loose, column ref: source key ref of loose is not guaranteed unique/);

    const run = await runCli(["run", "tickets", "--json"], { cwd: workspace.dir });
    expect(run.code).toBe(2);
    expect(finishedOf(run.events).error).toMatch(/^pipeline tickets, column code: source key code of tickets is not guaranteed unique/);
    expect((await target.query("SELECT count(*)::int AS n FROM tickets")).rows[0].n).toBe(0);
  });

  it("a query's key is unchecked up front, and the reader stops at the first repeated key instead of skipping rows", async () => {
    const { workspace, target } = fixture;
    write("tickets_q", {
      source: { connection: "legacy", query: "SELECT code, title FROM tickets", key: "code" },
      target: { connection: "warehouse", table: "public.tickets_q" }, columns: { code: "code", title: "title" },
    });
    const plan = await runCli(["plan", "tickets_q"], { cwd: workspace.dir });
    expect(plan.stdout).toContain("info [unchecked-key] pipeline tickets_q, column code: source key code of a query is unchecked");
    const run = await runCli(["run", "tickets_q", "--json"], { cwd: workspace.dir });
    expect(run.code).toBe(2);
    const finished = finishedOf(run.events);
    expect(finished.status).toBe("failed");
    expect(finished.error).toContain("column code: source key code is not unique: several rows have 0, and paging by it would skip rows");
    expect((await target.query("SELECT count(*)::int AS n FROM tickets_q")).rows[0].n).toBe(0);
  });

  it("a repeated key at the boundary of a large page stops the reader too (pages read as streams of row groups)", async () => {
    const { workspace, target } = fixture;
    write("wide_q", {
      source: { connection: "legacy", query: "SELECT code, title FROM wide", key: "code" },
      target: { connection: "warehouse", table: "public.wide_q" }, columns: { code: "code", title: "title" }, batchSize: 600,
    });
    const run = await runCli(["run", "wide_q", "--json"], { cwd: workspace.dir });
    expect(run.code).toBe(2);
    expect(finishedOf(run.events).error).toContain("column code: source key code is not unique: several rows have 600, and paging by it would skip rows");
    expect((await target.query("SELECT count(*)::int AS n FROM wide_q")).rows[0].n).toBe(0);
  });

  it("running a completed insert pipeline again is refused before anything is written, naming the earlier run", async () => {
    const { workspace, target } = fixture;
    write("parts", {
      source: { connection: "legacy", table: "parts", key: "id" },
      target: { connection: "warehouse", table: "public.parts", mode: "insert" }, columns: { id: "id", name: "name" }, batchSize: 100,
    });
    const first = await runCli(["run", "parts", "--json"], { cwd: workspace.dir });
    expect(first.code, first.stderr).toBe(0);
    const firstRun = finishedOf(first.events).runId;

    const again = await runCli(["run", "parts", "--json"], { cwd: workspace.dir });
    expect(again.code).toBe(2);
    const error = finishedOf(again.events).error!;
    expect(error).toContain(`run ${firstRun} already loaded 500 rows into public.parts`);
    expect(error).toContain(`fix: \`databridge rollback ${firstRun}\` to undo that run first, or use mode: "upsert"`);
    expect(error).not.toContain("onError");
    expect((await target.query("SELECT count(*)::int AS n FROM parts")).rows[0].n).toBe(500);
    expect(again.events.filter((e) => e.type === "batch.committed")).toEqual([]);

    // After a rollback, the same pipeline loads again.
    const rollback = await runCli(["rollback", firstRun], { cwd: workspace.dir });
    expect(rollback.code, rollback.stderr).toBe(0);
    expect((await target.query("SELECT count(*)::int AS n FROM parts")).rows[0].n).toBe(0);
    const third = await runCli(["run", "parts", "--json"], { cwd: workspace.dir });
    expect(third.code, third.stderr).toBe(0);
    expect((await target.query("SELECT count(*)::int AS n FROM parts")).rows[0].n).toBe(500);
  });

  it("a duplicate key at the target names the row and suggests rollback or upsert, never onError: \"skip\"", async () => {
    const { workspace, target } = fixture;
    write("parts_taken", {
      source: { connection: "legacy", table: "parts", key: "id" },
      target: { connection: "warehouse", table: "public.parts_taken", mode: "insert" }, columns: { id: "id", name: "name" }, batchSize: 100,
    });
    const run = await runCli(["run", "parts_taken", "--json"], { cwd: workspace.dir });
    expect(run.code).toBe(1);
    const error = finishedOf(run.events).error!;
    expect(error).toContain("duplicate key value violates unique constraint");
    expect(error).toContain("row key 250");
    expect(error).toContain("the target already holds a row with this key (Key (id)=(250) already exists.)");
    expect(error).toContain("`databridge rollback <run>` first, or use mode: \"upsert\"");
    expect(error).not.toContain("onError");
    expect((await target.query("SELECT count(*)::int AS n FROM parts_taken")).rows[0].n).toBe(200 + 1);
  });

  it("a run whose count parity fails ends failed with exit 1, naming how many rows are missing", async () => {
    const { workspace } = fixture;
    write("parts_dropped", {
      source: { connection: "legacy", table: "parts", key: "id" },
      target: { connection: "warehouse", table: "public.parts_dropped", mode: "insert" }, columns: { id: "id", name: "name" }, batchSize: 100,
    });
    const run = await runCli(["run", "parts_dropped", "--json"], { cwd: workspace.dir });
    expect(run.code).toBe(1);
    const finished = finishedOf(run.events);
    expect(finished.status).toBe("failed");
    expect(finished.error).toContain("count parity failed: the source has 500 rows in the range read, the target 450: 50 rows are missing");
    const stage = run.events.find((e) => e.type === "stage.finished") as Extract<RunEvent, { type: "stage.finished" }>;
    expect(stage.parity).toEqual({ source: 500, target: 450, rejected: 0, ok: false });
  });
});
