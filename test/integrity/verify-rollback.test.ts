import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector } from "@databridge/core";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, finished, insertMariadb, keyedHash, openConnector, pipelineFile, runCli, type Workspace } from "./harness.js";

/**
 * Acceptance 4 (`databridge verify` passes, then fails naming the table and keys after a hand edit,
 * with JSON, HTML and JUnit reports) and rollback: exact for insert, exact for upsert with
 * before-images, refused (one clear line) for upsert without them. MariaDB → PostgreSQL, real CLI.
 */
const servers = await requireServers("mariadb", "postgres");

const ITEMS = 5_000;

describe.skipIf(!servers)("verify and rollback", () => {
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: Workspace;
  let targetDb: Connector;
  const tableHash = (table: string, columns: string[]) => keyedHash(targetDb, { table, key: ["id"], columns });

  beforeAll(async () => {
    source = await createMariadbDatabase("dbt_vr_src");
    target = await createPostgresDatabase("dbt_vr_tgt");
    await source.query("CREATE TABLE items (id INT NOT NULL PRIMARY KEY, name VARCHAR(60) NOT NULL, price DECIMAL(10,2), made DATE, updated_at DATETIME NOT NULL)");
    const rows = Array.from({ length: ITEMS }, (_, i) => [i + 1, `Schraube Ø ${i + 1} – Größe ${i % 7}`, ((i * 31) % 100_000 / 100).toFixed(2), i % 11 === 0 ? null : `20${10 + (i % 14)}-0${1 + (i % 9)}-1${i % 10}`, "2024-05-01 08:00:00"]);
    await insertMariadb(source.query, "items", ["id", "name", "price", "made", "updated_at"], rows);
    await target.query("CREATE TABLE items_names (name varchar(80) NOT NULL)");
    for (const table of ["items", "items_log", "items_prices", "items_blind"]) {
      await target.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, name varchar(80) NOT NULL, price numeric(10,2), made date, label text)`);
    }
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
    const columns = `{ id: "id", name: "name", price: "price", made: "made", label: upper(concat(["name", "price"], " / ")) }`;
    const source_ = `{ connection: "legacy", table: "items", key: "id" }`;
    workspace.pipeline("items", pipelineFile(`{ name: "items", source: ${source_}, target: { connection: "warehouse", table: "items", mode: "insert" }, columns: ${columns}, batchSize: 1000 }`, ["upper", "concat"]));
    workspace.pipeline("items_log", pipelineFile(`{ name: "items_log", source: ${source_}, target: { connection: "warehouse", table: "items_log", mode: "insert" }, columns: ${columns},
      incremental: { cursor: "updated_at" }, batchSize: 1000 }`, ["upper", "concat"]));
    workspace.pipeline("items_prices", pipelineFile(`{ name: "items_prices", source: ${source_}, target: { connection: "warehouse", table: "items_prices", mode: "upsert" }, columns: ${columns},
      rollback: "before-images", batchSize: 700 }`, ["upper", "concat"]));
    workspace.pipeline("items_blind", pipelineFile(`{ name: "items_blind", source: ${source_}, target: { connection: "warehouse", table: "items_blind", mode: "upsert" }, columns: ${columns}, batchSize: 1000 }`, ["upper", "concat"]));
    workspace.pipeline("items_names", pipelineFile({ name: "items_names", source: { connection: "legacy", table: "items", key: "id" }, target: { connection: "warehouse", table: "items_names", mode: "insert" }, columns: { name: "name" } }));
    targetDb = await openConnector("warehouse", target.url);
  }, 660_000);

  afterAll(async () => {
    await targetDb?.close();
    workspace?.remove();
    await target?.drop();
    await source?.drop();
  });

  const run = async (pipeline: string) => {
    const result = await runCli(["run", pipeline, "--json"], { cwd: workspace.dir });
    expect(result.code, result.stderr).toBe(0);
    return finished(result);
  };

  it("verify passes after a run, then exits 1 naming the table and keys of a hand-edited, a deleted and an extra row", async () => {
    await run("items");
    const reportDir = path.join(workspace.dir, "reports-ok");
    const ok = await runCli(["verify", "items", "--report-dir", reportDir], { cwd: workspace.dir });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain("reconciliation 100%");
    const okReport = JSON.parse(fs.readFileSync(path.join(reportDir, "verify.json"), "utf8"));
    expect(okReport.ok).toBe(true);
    expect(okReport.stages[0].checks.map((c: { name: string; status: string }) => `${c.name}:${c.status}`)).toEqual(["count:passed", "row-hash:passed"]);
    expect(okReport.stages[0].checks[1].details.compared).toBe(ITEMS);
    const junitOk = fs.readFileSync(path.join(reportDir, "verify.junit.xml"), "utf8");
    expect(junitOk).toMatch(/<testsuites name="databridge verify" tests="2" failures="0"/);
    expect(fs.readFileSync(path.join(reportDir, "verify.html"), "utf8")).toContain("100% of checks passed");

    // A sample compares fewer rows and still passes.
    const sampled = await runCli(["verify", "items", "--sample", "500", "--json", "--report-dir", path.join(workspace.dir, "reports-sample")], { cwd: workspace.dir });
    expect(sampled.code).toBe(0);
    const compared = JSON.parse(sampled.stdout).stages[0].checks[1].details.compared;
    expect(compared).toBeGreaterThan(200);
    expect(compared).toBeLessThan(ITEMS);

    await target.query("UPDATE items SET price = price + 0.01 WHERE id = 4242");
    await target.query("DELETE FROM items WHERE id = 77");
    await target.query("INSERT INTO items (id, name) VALUES (999999, 'not from the source')");
    const badDir = path.join(workspace.dir, "reports-bad");
    const bad = await runCli(["verify", "items", "--report-dir", badDir], { cwd: workspace.dir });
    expect(bad.code).toBe(1);
    const rowHashLine = bad.stdout.split("\n").find((l) => l.includes("row-hash"))!;
    expect(rowHashLine).toMatch(/^✘ items row-hash: public\.items: /);
    expect(rowHashLine).toContain('1 missing (keys ["77"])');
    expect(rowHashLine).toContain('1 changed (key ["4242"]: price)');
    expect(rowHashLine).toContain('1 extra in target (keys ["999999"])');
    // The counts still agree (one row missing, one extra): the keyed row hash is what catches it.
    expect(bad.stdout).toContain("✔ items count: public.items: source 5000 rows, target 5000 rows");
    expect(bad.stdout).toContain("✘ reconciliation 50%: 1 passed, 1 failed");
    const report = JSON.parse(fs.readFileSync(path.join(badDir, "verify.json"), "utf8"));
    const rowHash = report.stages[0].checks.find((c: { name: string }) => c.name === "row-hash");
    expect(rowHash.details).toMatchObject({ missing: ['["77"]'], extra: ['["999999"]'], changed: [{ key: '["4242"]', columns: ["price"] }] });
    const junit = fs.readFileSync(path.join(badDir, "verify.junit.xml"), "utf8");
    expect(junit).toMatch(/<testsuites name="databridge verify" tests="2" failures="1"/);
    expect(junit).toMatch(/<testcase classname="databridge\.verify\.items" name="row-hash"[^>]*><failure message="[^"]*4242/);
  });

  it("rollback of an insert run removes exactly its rows and puts the watermark back (by hash)", async () => {
    const columns = ["name", "price", "made", "label"];
    await target.query("INSERT INTO items_log (id, name, label) VALUES (-1, 'loaded by hand before any run', 'keep me')");
    await run("items_log");
    // A row loaded by hand inside the id range the next run fills: its keys skip it (written keys are kept as
    // ranges of consecutive ids), so the rollback must leave it.
    await target.query(`INSERT INTO items_log (id, name, label) VALUES (${ITEMS + 401}, 'loaded by hand between runs', 'keep me too')`);
    const before = await tableHash("items_log", columns);
    expect(before.rows).toBe(ITEMS + 2);
    const checkpointBefore = (await target.query("SELECT run_id, last_key, complete, watermark FROM databridge.checkpoints WHERE pipeline = 'items_log'")).rows[0];

    await insertMariadb(source.query, "items", ["id", "name", "price", "made", "updated_at"],
      Array.from({ length: 800 }, (_, i) => [ITEMS + 1 + i, `Mutter M${i}`, "1.50", null, "2024-06-01 09:00:00"]).filter(([id]) => id !== ITEMS + 401));
    const second = await run("items_log");
    expect(second.rows.written).toBe(799);
    expect((await tableHash("items_log", columns)).rows).toBe(ITEMS + 801);

    const rollback = await runCli(["rollback", second.runId], { cwd: workspace.dir });
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toContain("items_log (insert into public.items_log): 799 rows removed, 0 restored; checkpoint restored");
    const after = await tableHash("items_log", columns);
    expect(after.hash).toBe(before.hash);
    const checkpointAfter = (await target.query("SELECT run_id, last_key, complete, watermark FROM databridge.checkpoints WHERE pipeline = 'items_log'")).rows[0];
    expect(checkpointAfter).toEqual(checkpointBefore);

    // A second rollback of the same run is refused.
    const again = await runCli(["rollback", second.runId], { cwd: workspace.dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("was already rolled back");
    await source.query(`DELETE FROM items WHERE id > ${ITEMS}`);
  });

  it("rollback of an upsert run with before-images restores the previous contents exactly (by hash)", async () => {
    const columns = ["name", "price", "made", "label"];
    await run("items_prices");
    await target.query("INSERT INTO items_prices (id, name, label) VALUES (-5, 'only in the target', 'untouched')");
    const before = await tableHash("items_prices", columns);

    await source.query("UPDATE items SET price = price * 2, name = CONCAT(name, ' (neu)') WHERE id % 17 = 0");
    await source.query("UPDATE items SET made = NULL WHERE id % 23 = 0");
    await insertMariadb(source.query, "items", ["id", "name", "price", "made", "updated_at"],
      Array.from({ length: 250 }, (_, i) => [ITEMS + 1 + i, `Beilagscheibe ${i}`, "0.10", "2024-02-29", "2024-06-01 09:00:00"]));
    const second = await run("items_prices");
    expect(second.rows.written).toBeGreaterThan(250);
    const changed = await tableHash("items_prices", columns);
    expect(changed.hash).not.toBe(before.hash);

    const rollback = await runCli(["rollback", second.runId, "--json"], { cwd: workspace.dir });
    expect(rollback.code, rollback.stderr).toBe(0);
    const [stage] = JSON.parse(rollback.stdout);
    expect(stage).toMatchObject({ pipeline: "items_prices", mode: "upsert", deleted: 250 });
    expect(stage.restored).toBeGreaterThan(0);
    expect(stage.restored + stage.deleted).toBeLessThanOrEqual(ITEMS + 250);
    const after = await tableHash("items_prices", columns);
    expect(after.hash).toBe(before.hash);
    expect(after.rows).toBe(before.rows);
  });

  it("rollback of an upsert run without before-images is refused with one clear line, and changes nothing", async () => {
    const columns = ["name", "price", "made", "label"];
    await source.query("UPDATE items SET price = 0.5 WHERE id <= 10");
    await run("items_blind");
    await source.query("UPDATE items SET price = 0.75 WHERE id <= 10");
    const second = await run("items_blind");
    expect(second.rows.written).toBe(10);
    const before = await tableHash("items_blind", columns);
    const refused = await runCli(["rollback", second.runId], { cwd: workspace.dir });
    expect(refused.code).toBe(2);
    const lines = refused.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*items_blind.*changed rows with upsert and kept no before-images.*nothing was rolled back/);
    expect(lines[0]).toContain('rollback: "before-images"');
    expect((await tableHash("items_blind", columns)).hash).toBe(before.hash);
    const status = await target.query("SELECT status FROM databridge.runs WHERE run_id = $1", [second.runId]);
    expect(status.rows[0].status).toBe("succeeded");
  });

  it("rollback of an insert into a table without any key is refused with one clear line", async () => {
    const done = await run("items_names");
    const refused = await runCli(["rollback", done.runId], { cwd: workspace.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^error: .*items_names.*which has no key.*nothing was rolled back.*primary key/)]);
    const kept = await target.query("SELECT count(*)::int AS n FROM items_names");
    expect(kept.rows[0].n).toBe(done.rows.written);
  });
});
