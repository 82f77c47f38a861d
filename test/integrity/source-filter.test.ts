import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffTableHashes, type RunEvent } from "@databridge/core";
import { requireServers } from "../support/servers.js";
import { createMigrationFixture, type MigrationFixture } from "../support/migration-fixture.js";
import { finished, keyedHash, pipelineFile, runCli } from "./harness.js";

/**
 * #7 §4: `source: { table, key, where }` — the filter is the source: reading, the run's parity count, plan's
 * estimate, preview, verify's count and row comparison, `deletes: "propagate"` (a row the filter leaves
 * out is gone) and replay all see only its rows; a filter the source cannot run is a plan/check error
 * naming the pipeline. MariaDB source, PostgreSQL target, real CLI.
 */
const servers = await requireServers("mariadb", "postgres");

const PARTS = 3_000;
/** Active parts: every third is inactive; the filter also holds a brace literal that must reach MariaDB as written. */
const FILTER = "ACTIVE_FLAG = 1 AND NOTE <> '{1}'";
const isActive = (id: number) => id % 3 !== 0 && id !== 7;

const stageFinished = (events: RunEvent[]) => events.find((e) => e.type === "stage.finished") as Extract<RunEvent, { type: "stage.finished" }>;

describe.skipIf(!servers)("source filter (source.where)", () => {
  let fixture: MigrationFixture;

  const partsPipeline = (name: string, extra: Record<string, unknown> = {}, where: string = FILTER) => pipelineFile({
    name,
    source: { connection: "legacy", table: "PARTS", key: "PART_ID", where },
    target: { connection: "warehouse", table: `public.${name}`, mode: "upsert" },
    columns: { part_id: "PART_ID", name: "NAME", status: "STATUS" },
    batchSize: 400,
    ...extra,
  });

  /** The active parts as loaded, compared by key with the source rows the filter keeps. */
  const expectTargetHoldsActiveParts = async (table: string) => {
    const want = await keyedHash(fixture.sourceConnector, { query: `SELECT PART_ID, NAME, STATUS FROM PARTS WHERE ${FILTER}`, key: ["PART_ID"], columns: ["NAME", "STATUS"] });
    const got = await keyedHash(fixture.targetConnector, { table: `public.${table}`, key: ["part_id"], columns: ["name", "status"] });
    expect(diffTableHashes(want, got)).toEqual({ missing: [], extra: [], changed: [] });
    return got.rows;
  };

  beforeAll(async () => {
    fixture = await createMigrationFixture("dbt_filter");
    const { source, target, workspace } = fixture;
    await source.query(`CREATE TABLE PARTS (PART_ID INT NOT NULL PRIMARY KEY, NAME VARCHAR(40) NOT NULL, STATUS CHAR(1) NOT NULL, ACTIVE_FLAG TINYINT NOT NULL, NOTE VARCHAR(10) NOT NULL,
      UPDATED_AT DATETIME NOT NULL)`);
    await source.query(`INSERT INTO PARTS SELECT seq, CONCAT('Teil ', seq, ' – Ø'), 'A', IF(seq % 3 = 0, 0, 1), IF(seq = 7, '{1}', ''), '2024-01-01' + INTERVAL seq MINUTE FROM seq_1_to_${PARTS}`);
    for (const table of ["parts", "parts_deletes", "parts_replay", "parts_incremental"]) {
      await target.query(`CREATE TABLE ${table} (part_id integer PRIMARY KEY, name varchar(40) NOT NULL, status text NOT NULL)`);
    }
    workspace.pipeline("parts", partsPipeline("parts"));
    workspace.pipeline("parts_deletes", partsPipeline("parts_deletes", { deletes: "propagate" }));
    workspace.pipeline("parts_incremental", partsPipeline("parts_incremental", { incremental: { cursor: "UPDATED_AT" } }));
    workspace.pipeline("parts_replay", pipelineFile(`{
      name: "parts_replay",
      source: { connection: "legacy", table: "PARTS", key: "PART_ID", where: ${JSON.stringify(FILTER)} },
      target: { connection: "warehouse", table: "public.parts_replay", mode: "upsert" },
      columns: { part_id: "PART_ID", name: "NAME", status: lookup("STATUS", { A: "active", B: "blocked" }) },
      onError: "skip",
    }`, ["lookup"]));
  }, 120_000);

  afterAll(async () => {
    await fixture?.close();
  });

  it("plan counts the filtered rows; preview shows only them; a run loads exactly them and its parity counts them", async () => {
    const { workspace } = fixture;
    const active = Array.from({ length: PARTS }, (_, i) => i + 1).filter(isActive);

    const plan = await runCli(["plan", "parts", "--json"], { cwd: workspace.dir });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).pipelines[0]).toMatchObject({ pipeline: "parts", estimatedRows: active.length, problems: [] });

    const preview = await runCli(["preview", "parts", "--rows", "5", "--json"], { cwd: workspace.dir });
    expect(preview.code, preview.stderr).toBe(0);
    expect(JSON.parse(preview.stdout).rows.map((r: { key: number[] }) => r.key[0])).toEqual(active.slice(0, 5));

    const run = await runCli(["run", "parts", "--json"], { cwd: workspace.dir });
    expect(run.code, run.stderr).toBe(0);
    expect(finished(run).rows).toMatchObject({ read: active.length, written: active.length, rejected: 0 });
    expect(stageFinished(run.events).parity).toEqual({ source: active.length, target: active.length, rejected: 0, ok: true });
    expect(run.events.find((e) => e.type === "stage.started")).toMatchObject({ estimatedRows: active.length });
    expect(await expectTargetHoldsActiveParts("parts")).toBe(active.length);
  });

  it("verify compares only the filtered rows, and still names a row that should not be there", async () => {
    const { workspace, target } = fixture;
    const ok = await runCli(["verify", "parts", "--json", "--report-dir", "reports-filter-ok"], { cwd: workspace.dir });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const active = Array.from({ length: PARTS }, (_, i) => i + 1).filter(isActive).length;
    const checks = JSON.parse(ok.stdout).stages[0].checks;
    expect(checks.map((c: { name: string; status: string }) => `${c.name}:${c.status}`)).toEqual(["count:passed", "row-hash:passed"]);
    expect(checks[0].details).toMatchObject({ source: active, target: active });
    expect(checks[1].details.compared).toBe(active);

    // Part 3 exists at the source but the filter leaves it out: in the target it is an extra row.
    await target.query("INSERT INTO parts (part_id, name, status) VALUES (3, 'Teil 3 – Ø', 'A')");
    const bad = await runCli(["verify", "parts", "--json", "--report-dir", "reports-filter-bad"], { cwd: workspace.dir });
    expect(bad.code).toBe(1);
    const rowHash = JSON.parse(bad.stdout).stages[0].checks.find((c: { name: string }) => c.name === "row-hash");
    expect(rowHash.details).toMatchObject({ missing: [], changed: [], extra: ['["3"]'] });
    await target.query("DELETE FROM parts WHERE part_id = 3");
  });

  it('deletes: "propagate" removes the rows the filter no longer keeps, as if deleted', async () => {
    const { workspace, source, target } = fixture;
    const first = await runCli(["run", "parts_deletes", "--json"], { cwd: workspace.dir });
    expect(first.code, first.stderr).toBe(0);
    await source.query("UPDATE PARTS SET ACTIVE_FLAG = 0 WHERE PART_ID IN (1, 2, 2999)");
    try {
      const second = await runCli(["run", "parts_deletes", "--json"], { cwd: workspace.dir });
      expect(second.code, second.stderr).toBe(0);
      expect(finished(second).rows).toMatchObject({ deleted: 3, written: 0 });
      const { rows } = await target.query("SELECT part_id FROM parts_deletes WHERE part_id IN (1, 2, 4, 2999) ORDER BY part_id");
      expect(rows.map((r) => r.part_id)).toEqual([4]);
      await expectTargetHoldsActiveParts("parts_deletes");
    } finally {
      await source.query("UPDATE PARTS SET ACTIVE_FLAG = 1 WHERE PART_ID IN (1, 2, 2999)");
    }
  });

  it("incremental: the filter and the cursor's parameters together; changed rows the filter leaves out are not read", async () => {
    const { workspace, source } = fixture;
    const first = await runCli(["run", "parts_incremental", "--json"], { cwd: workspace.dir });
    expect(first.code, first.stderr).toBe(0);
    const active = Array.from({ length: PARTS }, (_, i) => i + 1).filter(isActive).length;
    expect(stageFinished(first.events).parity).toEqual({ source: active, target: active, rejected: 0, ok: true });
    // Five rows change after the watermark: 4, 5 and 8 are active, 6 and 9 are not.
    await source.query("UPDATE PARTS SET NAME = CONCAT(NAME, ' (neu)'), UPDATED_AT = '2030-01-01' WHERE PART_ID IN (4, 5, 6, 8, 9)");
    try {
      const second = await runCli(["run", "parts_incremental", "--json"], { cwd: workspace.dir });
      expect(second.code, second.stderr).toBe(0);
      expect(finished(second).rows.written).toBe(3);
      expect(await expectTargetHoldsActiveParts("parts_incremental")).toBe(active);
    } finally {
      await source.query("UPDATE PARTS SET NAME = REPLACE(NAME, ' (neu)', '') WHERE PART_ID IN (4, 5, 6, 8, 9)");
    }
  });

  it("replay reads a rejected row again only while the filter keeps it", async () => {
    const { workspace, source, target } = fixture;
    await source.query("UPDATE PARTS SET STATUS = 'X' WHERE PART_ID IN (10, 11)");
    const run = await runCli(["run", "parts_replay", "--json"], { cwd: workspace.dir });
    expect(run.code, run.stderr).toBe(3);
    const runId = finished(run).runId;
    expect(finished(run).rows.rejected).toBe(2);

    // Part 10 is fixed; part 11 is fixed too but no longer active: the filter says it is not in the source.
    await source.query("UPDATE PARTS SET STATUS = 'B' WHERE PART_ID IN (10, 11)");
    await source.query("UPDATE PARTS SET ACTIVE_FLAG = 0 WHERE PART_ID = 11");
    try {
      const replay = await runCli(["replay", runId, "--json"], { cwd: workspace.dir });
      expect(replay.code, replay.stdout + replay.stderr).toBe(3);
      expect(JSON.parse(replay.stdout)).toEqual([{ pipeline: "parts_replay", tenant: "", replayed: 2, loaded: 1, stillRejected: 1 }]);
      const { rows } = await target.query("SELECT source_key, message FROM databridge.rejected_rows WHERE pipeline = 'parts_replay'");
      expect(rows).toEqual([{ source_key: [11], message: "the source row no longer exists or no longer matches source.where" }]);
      expect((await target.query("SELECT status FROM parts_replay WHERE part_id IN (10, 11)")).rows).toEqual([{ status: "blocked" }]);
    } finally {
      await source.query("UPDATE PARTS SET STATUS = 'A', ACTIVE_FLAG = 1 WHERE PART_ID IN (10, 11)");
    }
  });

  it("a filter the source cannot run is a plan and check error naming the pipeline, and run refuses it in one line naming it", async () => {
    const { workspace } = fixture;
    const file = workspace.pipeline("parts_typo", partsPipeline("parts_typo", { target: { connection: "warehouse", table: "public.parts", mode: "upsert" } }, "ACTIVE_FLAGG = 1"));
    try {
      const plan = await runCli(["plan", file], { cwd: workspace.dir });
      expect(plan.code).toBe(1);
      expect(plan.stdout).toMatch(/^error \[bad-source-filter\] pipeline parts_typo, table legacy:dbt_filter_src_\w+\.PARTS: source\.where "ACTIVE_FLAGG = 1" is not a valid condition on legacy:\S+: .*Unknown column 'ACTIVE_FLAGG'.* \(write it in the mysql source's own SQL, as after WHERE\)$/m);
      const check = await runCli(["check", file], { cwd: workspace.dir });
      expect(check.code).toBe(1);
      expect(check.stdout).toContain("error [bad-source-filter] pipeline parts_typo");
      const run = await runCli(["run", file], { cwd: workspace.dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^ {2}pipeline parts_typo, table legacy:\S+: source\.where "ACTIVE_FLAGG = 1" is not a valid condition on legacy:\S+: Unknown column 'ACTIVE_FLAGG' in 'WHERE' \(write it in the mysql source's own SQL, as after WHERE\)$/m);
    } finally {
      fs.rmSync(file);
    }
  });
});
