import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffTableHashes, type RunEvent } from "@databridge/core";
import { createMariadbDatabase, requireServers } from "../support/servers.js";
import { createMigrationFixture, type MigrationFixture } from "../support/migration-fixture.js";
import { keyedHash, pipelineFile, runCli } from "../support/cli.js";
import fs from "node:fs";
import path from "node:path";

/**
 * #8 acceptance 5 (deletes): `deletes: "propagate"` removes target rows whose source rows are gone — on an
 * incremental run that reads no changed row at all, per tenant when consolidating (through the id map), and
 * `rollback` of that run brings the removed rows back exactly.
 */
const ready = await requireServers("mariadb", "postgres");

const finishedOf = (events: RunEvent[]) => events.find((e) => e.type === "run.finished") as Extract<RunEvent, { type: "run.finished" }>;

describe.skipIf(!ready)("deletes: \"propagate\"", () => {
  let fixture: MigrationFixture;
  let districtB: Awaited<ReturnType<typeof createMariadbDatabase>>;

  beforeAll(async () => {
    fixture = await createMigrationFixture("dbt_deletes");
    districtB = await createMariadbDatabase("dbt_deletes_b");
    const { source, target, workspace } = fixture;
    await source.query("CREATE TABLE contacts (id INT NOT NULL PRIMARY KEY, name VARCHAR(60) NOT NULL, updated_at DATETIME(3) NOT NULL)");
    await source.query("INSERT INTO contacts SELECT seq, CONCAT('Kontakt ', seq, ' – ø'), '2024-03-01 10:00:00' + INTERVAL (seq DIV 10) MINUTE FROM seq_1_to_1000");
    await target.query("CREATE TABLE contacts (id integer PRIMARY KEY, name varchar(60) NOT NULL, updated_at timestamp(3) NOT NULL)");
    for (const db of [source, districtB]) {
      await db.query("CREATE TABLE Students (StudentID INT NOT NULL PRIMARY KEY, FullName VARCHAR(60) NOT NULL)");
      await db.query("INSERT INTO Students SELECT seq, CONCAT('Schüler ', seq) FROM seq_1_to_40");
    }
    await target.query("CREATE TABLE students (id uuid PRIMARY KEY, tenant_id text NOT NULL, legacy_id integer NOT NULL, full_name varchar(60) NOT NULL)");
    const config = path.join(workspace.dir, "databridge.config.ts");
    fs.writeFileSync(config, fs.readFileSync(config, "utf8").replace(`"warehouse": {`, `"district_b": { "url": ${JSON.stringify(districtB.url)} },\n    "warehouse": {`));
    workspace.pipeline("contacts", pipelineFile({
      name: "contacts", source: { connection: "legacy", table: "contacts", key: "id" },
      target: { connection: "warehouse", table: "public.contacts", mode: "upsert" },
      columns: { id: "id", name: "name", updated_at: "updated_at" }, incremental: { cursor: "updated_at" }, deletes: "propagate", batchSize: 300,
    }));
    workspace.pipeline("students", pipelineFile({
      name: "students", source: { table: "Students", key: "StudentID" },
      sources: [{ connection: "legacy", tenant: "a" }, { connection: "district_b", tenant: "b" }],
      target: { connection: "warehouse", table: "public.students", mode: "upsert" },
      idMap: { entity: "student", key: "StudentID" },
      columns: { legacy_id: "StudentID", full_name: "FullName" }, deletes: "propagate", batchSize: 15,
    }));
  });

  afterAll(async () => {
    await fixture?.close();
    await districtB?.drop();
  });

  const hashes = async () => {
    const columns = ["name", "updated_at"];
    return Promise.all([
      keyedHash(fixture.sourceConnector, { table: "contacts", key: ["id"], columns }),
      keyedHash(fixture.targetConnector, { table: "public.contacts", key: ["id"], columns }),
    ]);
  };

  it("4 rows deleted at the source disappear on the next incremental run, and rollback restores them", async () => {
    const { workspace, source, target } = fixture;
    const first = await runCli(["run", "contacts", "--json"], { cwd: workspace.dir });
    expect(first.code, first.stderr).toBe(0);
    const loaded = await target.query("SELECT * FROM contacts ORDER BY id");

    await source.query("DELETE FROM contacts WHERE id IN (3, 500, 501, 1000)");
    const second = await runCli(["run", "contacts", "--json"], { cwd: workspace.dir });
    expect(second.code, second.stderr).toBe(0);
    const done = finishedOf(second.events);
    expect(done.rows.deleted).toBe(4);
    expect(done.rows.written).toBe(0);
    const [want, got] = await hashes();
    expect(diffTableHashes(want, got)).toEqual({ missing: [], extra: [], changed: [] });
    expect(got.rows).toBe(996);
    const ledger = await target.query("SELECT rows_deleted FROM databridge.runs WHERE run_id = $1", [done.runId]);
    expect(Number(ledger.rows[0].rows_deleted)).toBe(4);

    const rollback = await runCli(["rollback", done.runId], { cwd: workspace.dir });
    expect(rollback.code, rollback.stderr).toBe(0);
    expect((await target.query("SELECT * FROM contacts ORDER BY id")).rows).toEqual(loaded.rows);

    // The rollback put the checkpoint back too: the next run removes them again.
    const third = await runCli(["run", "contacts", "--json"], { cwd: workspace.dir });
    expect(finishedOf(third.events).rows.deleted).toBe(4);
    expect((await hashes())[1].rows).toBe(996);
  });

  it("per tenant through the id map: rows gone from one district leave the other district's same keys alone", async () => {
    const { workspace, source, target } = fixture;
    const first = await runCli(["run", "students", "--json"], { cwd: workspace.dir });
    expect(first.code, first.stderr).toBe(0);
    await source.query("DELETE FROM Students WHERE StudentID IN (5, 6)");
    const second = await runCli(["run", "students", "--json"], { cwd: workspace.dir });
    expect(second.code, second.stderr).toBe(0);
    const stages = second.events.filter((e) => e.type === "stage.finished") as Extract<RunEvent, { type: "stage.finished" }>[];
    expect(Object.fromEntries(stages.map((s) => [s.tenant, s.rows.deleted ?? 0]))).toEqual({ a: 2, b: 0 });
    const byTenant = await target.query("SELECT tenant_id, count(*)::int AS n, bool_or(legacy_id IN (5, 6)) AS has_5_6 FROM students GROUP BY tenant_id ORDER BY tenant_id");
    expect(byTenant.rows).toEqual([{ tenant_id: "a", n: 38, has_5_6: false }, { tenant_id: "b", n: 40, has_5_6: true }]);
  });

  it("plan refuses deletes with a mode that has nothing to propagate to", async () => {
    const { workspace } = fixture;
    workspace.pipeline("contacts_replace", pipelineFile({
      name: "contacts_replace", source: { connection: "legacy", table: "contacts", key: "id" },
      target: { connection: "warehouse", table: "public.contacts", mode: "replace" },
      columns: { id: "id", name: "name", updated_at: "updated_at" }, deletes: "propagate",
    }));
    const plan = await runCli(["plan", "contacts_replace"], { cwd: workspace.dir });
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(`error [bad-deletes] pipeline contacts_replace, table public.contacts: deletes: "propagate" has nothing to do with mode "replace"`);
  });
});
