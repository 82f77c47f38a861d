import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pglite, type Connector, type RunEvent } from "@databridge/core";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { collect, finished, openConnector, REPO_ROOT, runCli, spawnCli, waitForLine } from "./harness.js";

/**
 * Acceptance 5: the district sample — three legacy district databases with overlapping legacy ids
 * consolidated into one multi-tenant schema with UUIDs and remapped foreign keys — ends with a 100%
 * reconciliation report and no orphans, on the embedded default (PGlite) and on real servers
 * (MariaDB districts, PostgreSQL warehouse). Tenants run in parallel.
 */
const SAMPLE = path.join(REPO_ROOT, "samples/district-consolidation");
const SEED = path.join(SAMPLE, "seed.mjs");
const TENANTS = ["a", "b", "c"];

/**
 * The sample copied into a temp folder (its embedded databases live there, not in the repository),
 * next to the seed helpers it shares with the other samples (`../seed-random.ts`).
 */
function copySample(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-district-"));
  const dir = path.join(root, path.basename(SAMPLE));
  fs.cpSync(SAMPLE, dir, { recursive: true, filter: (source) => !source.includes(`${path.sep}.databridge`) });
  fs.copyFileSync(path.join(SAMPLE, "../seed-random.ts"), path.join(root, "seed-random.ts"));
  return dir;
}

function seed(dir: string, students: number, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SEED, "--config", path.join(dir, "databridge.config.ts"), "--students", String(students)], {
    cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Each multi-tenant pipeline's three stages started before the first of them finished. */
function ranInParallel(events: RunEvent[], pipeline: string): boolean {
  const started = events.findIndex((e) => e.type === "stage.started" && e.pipeline === pipeline);
  const firstFinished = events.findIndex((e) => e.type === "stage.finished" && e.pipeline === pipeline);
  const startedBefore = events.slice(started, firstFinished).filter((e) => e.type === "stage.started" && e.pipeline === pipeline);
  return started >= 0 && firstFinished > started && startedBefore.length === 3;
}

interface VerifyReportJson {
  ok: boolean;
  summary: { checks: number; passed: number; failed: number; skipped: number };
  stages: { pipeline: string; tenant: string; checks: { name: string; status: string; message: string; details?: Record<string, unknown> }[] }[];
}

/** Runs the sample, verifies it and checks the report: 100%, every tenant, every orphan check. */
async function runAndVerify(dir: string, env: Record<string, string>, seeded: string) {
  const result = await runCli(["run", "--json"], { cwd: dir, env });
  expect(result.code, `${result.stderr}\n${result.stdout.slice(-2000)}`).toBe(0);
  const done = finished(result);
  expect(done.status).toBe("succeeded");
  expect(done.rows.rejected).toBe(0);
  expect(done.stages.map((s) => s.pipeline).sort()).toEqual(["enrollments", "schools", "students"].flatMap((p) => TENANTS.map((t) => `${p}[${t}]`)).sort());
  // The seed's counts are what was read and written.
  const seededTotal = [...seeded.matchAll(/(\d+) schools, (\d+) students, (\d+) enrollments/g)].reduce((sum, m) => sum + Number(m[1]) + Number(m[2]) + Number(m[3]), 0);
  expect(done.rows).toEqual({ read: seededTotal, written: seededTotal, rejected: 0 });
  // (schools are a handful of rows per district: a tenant may well finish before the next one starts)
  for (const pipeline of ["students", "enrollments"]) expect(ranInParallel(result.events, pipeline), `${pipeline} tenants in parallel`).toBe(true);
  // dependsOn: no student stage starts before every school stage finished, and so on.
  const index = (predicate: (e: RunEvent) => boolean, last = false) => (last ? result.events.findLastIndex(predicate) : result.events.findIndex(predicate));
  expect(index((e) => e.type === "stage.finished" && e.pipeline === "schools", true)).toBeLessThan(index((e) => e.type === "stage.started" && e.pipeline === "students"));
  expect(index((e) => e.type === "stage.finished" && e.pipeline === "students", true)).toBeLessThan(index((e) => e.type === "stage.started" && e.pipeline === "enrollments"));

  const reportDir = path.join(dir, "report");
  const verify = await runCli(["verify", "--json", "--report-dir", reportDir], { cwd: dir, env });
  expect(verify.code, verify.stdout.slice(0, 3000) + verify.stderr).toBe(0);
  const report = JSON.parse(verify.stdout) as VerifyReportJson;
  expect(report.ok).toBe(true);
  expect(report.summary).toEqual({ checks: 27, passed: 27, failed: 0, skipped: 0 });
  const orphanChecks = report.stages.flatMap((s) => s.checks.filter((c) => c.name.startsWith("orphans:")).map((c) => `${s.pipeline}[${s.tenant}] ${c.name}`));
  expect(orphanChecks.sort()).toEqual([
    ...TENANTS.map((t) => `enrollments[${t}] orphans:school_id`), ...TENANTS.map((t) => `enrollments[${t}] orphans:student_id`), ...TENANTS.map((t) => `students[${t}] orphans:school_id`),
  ].sort());
  for (const stage of report.stages) {
    const rowHash = stage.checks.find((c) => c.name === "row-hash")!;
    expect(rowHash.details?.compared, `${stage.pipeline}[${stage.tenant}]`).toBe(rowHash.details?.source);
  }
  expect(fs.readFileSync(path.join(reportDir, "verify.html"), "utf8")).toContain("100% of checks passed");
  expect(fs.readFileSync(path.join(reportDir, "verify.junit.xml"), "utf8")).toMatch(/<testsuites name="databridge verify" tests="27" failures="0" skipped="0">/);
  return { done, report };
}

/** Overlapping legacy ids became distinct UUIDs per tenant; the id map holds one row per legacy key. */
async function expectConsolidated(warehouse: Connector, seeded: string) {
  const { rows } = await warehouse.query<{ tenant_id: string; id: string; school_id: string }>(
    "SELECT tenant_id, id::text AS id, school_id::text AS school_id FROM district.students WHERE legacy_id = 1 ORDER BY tenant_id");
  expect(rows.map((r) => r.tenant_id)).toEqual(TENANTS);
  expect(new Set(rows.map((r) => r.id)).size).toBe(3);
  for (const row of rows) expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  // Each student's school is a school of the same tenant.
  const crossTenant = await warehouse.query<{ n: unknown }>(
    "SELECT count(*) AS n FROM district.students s JOIN district.schools k ON k.id = s.school_id WHERE k.tenant_id <> s.tenant_id");
  expect(Number(crossTenant.rows[0].n)).toBe(0);
  const students = [...seeded.matchAll(/(\d+) students/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  const mapped = await warehouse.query<{ n: unknown }>("SELECT count(*) AS n FROM databridge.id_map WHERE entity = 'student'");
  expect(Number(mapped.rows[0].n)).toBe(students);
  const nonAscii = await warehouse.query<{ n: unknown }>("SELECT count(*) AS n FROM district.students WHERE full_name ~ '[^\\x01-\\x7F]'");
  expect(Number(nonAscii.rows[0].n)).toBeGreaterThan(0);
}

describe("district consolidation sample, embedded (PGlite) default (acceptance 5)", () => {
  let dir: string;
  beforeAll(() => {
    dir = copySample();
  });
  afterAll(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true, maxRetries: 5 }));

  // Four embedded databases are created (initdb) by the seed: the slowest part of this suite.
  it("seeds, runs three tenants in parallel, verifies 100% with no orphans", { timeout: 300_000 }, async () => {
    const seeded = await seed(dir, 400);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toContain("district_c (tenant c): 3 schools, 520 students");
    await runAndVerify(dir, {}, seeded.stdout);

    const warehouse = await pglite.pgliteConnectorFactory.create({ name: "warehouse", url: new URL("pglite:.databridge/warehouse"), baseDir: dir });
    try {
      await expectConsolidated(warehouse, seeded.stdout);
    } finally {
      await warehouse.close();
    }
  });
});

const servers = await requireServers("mariadb", "postgres");

describe.skipIf(!servers)("district consolidation sample on real servers: MariaDB districts → PostgreSQL warehouse (acceptance 5)", () => {
  let dir: string;
  let districts: Awaited<ReturnType<typeof createMariadbDatabase>>[] = [];
  let warehouse: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = copySample();
    districts = await Promise.all(TENANTS.map((t) => createMariadbDatabase(`dbt_district_${t}`)));
    warehouse = await createPostgresDatabase("dbt_district_wh");
    env = {
      DATABRIDGE_CONN_DISTRICT_A: districts[0].url, DATABRIDGE_CONN_DISTRICT_B: districts[1].url, DATABRIDGE_CONN_DISTRICT_C: districts[2].url,
      DATABRIDGE_CONN_WAREHOUSE: warehouse.url,
    };
  }, 660_000);

  afterAll(async () => {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true, maxRetries: 5 });
    await warehouse?.drop();
    for (const d of districts) await d.drop();
  });

  it("seeds MariaDB; a run killed mid-enrollments resumes per tenant; verify 100% with no orphans", async () => {
    const seeded = await seed(dir, 1_500, env);
    expect(seeded.code, seeded.stderr).toBe(0);
    const legacy = (await districts[1].query("SELECT count(*) AS n FROM STUDENTS")) as { n: number }[];
    expect(Number(legacy[0].n)).toBe(1_050);

    // kill -9 in the middle of the three parallel enrollment stages (small batches: many commits per tenant).
    const child = spawnCli(["run", "--json", "--batch-size", "250"], { cwd: dir, env });
    const killed = collect(child, false);
    let enrollmentBatches = 0;
    await waitForLine(child, (line) => line.includes('"type":"batch.committed","pipeline":"enrollments"') && ++enrollmentBatches === 6);
    child.kill("SIGKILL");
    expect((await killed).signal).toBe("SIGKILL");
    const resumed = await runCli(["run", "--resume", "--json", "--batch-size", "250"], { cwd: dir, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const stages = finished(resumed).stages;
    expect(stages.filter((s) => s.pipeline.startsWith("schools") || s.pipeline.startsWith("students")).map((s) => s.status)).toEqual(Array(6).fill("skipped"));
    expect(stages.filter((s) => s.pipeline.startsWith("enrollments")).every((s) => s.status === "succeeded")).toBe(true);

    const reportDir = path.join(dir, "report-resumed");
    const verify = await runCli(["verify", "--json", "--report-dir", reportDir], { cwd: dir, env });
    expect(verify.code, verify.stdout.slice(0, 3000) + verify.stderr).toBe(0);
    expect((JSON.parse(verify.stdout) as VerifyReportJson).summary).toEqual({ checks: 27, passed: 27, failed: 0, skipped: 0 });
    // A fresh run reads everything again and writes nothing: every legacy id maps to the UUID it already has.
    const again = await runCli(["run", "--json"], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(finished(again).rows.written).toBe(0);

    const target = await openConnector("warehouse", warehouse.url);
    try {
      await expectConsolidated(target, seeded.stdout);
      const enrollmentIds = await target.query<{ n: unknown; d: unknown }>("SELECT count(*) AS n, count(DISTINCT (tenant_id, legacy_id)) AS d FROM district.enrollments");
      expect(Number(enrollmentIds.rows[0].n)).toBe(Number(enrollmentIds.rows[0].d));
    } finally {
      await target.close();
    }
  });

  it("a broken legacy reference: the student and its enrollments are rejected (no orphans); fixed at the source, replay loads all three", async () => {
    await districts[1].query("INSERT INTO STUDENTS (StudentID, SchoolID, FirstName, LastName, BirthDate, Email) VALUES (100001, 999, 'Anaïs', 'Lefèvre', '2012-04-01', NULL)");
    await districts[1].query("INSERT INTO ENROLLMENTS (EnrollmentID, StudentID, SchoolID, CourseCode, Term, Grade) VALUES (900001, 100001, 1, 'MATH-101', '2024-S1', 2.0), (900002, 100001, 1, 'FRA-130', '2024-S1', NULL)");
    const run = await runCli(["run", "--json"], { cwd: dir, env });
    expect(run.code, run.stderr).toBe(3);
    const done = finished(run);
    expect(done.rows.rejected).toBe(3);
    const errors = await runCli(["errors", done.runId, "--json"], { cwd: dir, env });
    const rejected = (JSON.parse(errors.stdout) as { pipeline: string; tenant: string; key: number[]; column: string; message: string }[])
      .map((r) => ({ pipeline: r.pipeline, tenant: r.tenant, key: r.key, column: r.column, message: r.message }));
    expect(rejected).toEqual([
      { pipeline: "enrollments", tenant: "b", key: [900001], column: "StudentID", message: 'no student with legacy id "100001" in tenant b (remap)' },
      { pipeline: "enrollments", tenant: "b", key: [900002], column: "StudentID", message: 'no student with legacy id "100001" in tenant b (remap)' },
      { pipeline: "students", tenant: "b", key: [100001], column: "SchoolID", message: 'no school with legacy id "999" in tenant b (remap)' },
    ]);
    // Nothing half-loaded: verify still passes (the rejected rows are accounted for) and finds no orphans.
    const verify = await runCli(["verify", "--json", "--report-dir", path.join(dir, "report-rejects")], { cwd: dir, env });
    expect(verify.code, verify.stdout.slice(0, 3000)).toBe(0);
    const counts = (JSON.parse(verify.stdout) as VerifyReportJson).stages.filter((s) => s.tenant === "b").map((s) => s.checks[0].message);
    expect(counts).toContain("district.students [b]: source 1051 rows (1 in the dead-letter table), target 1050 rows");

    await districts[1].query("UPDATE STUDENTS SET SchoolID = 1 WHERE StudentID = 100001");
    const replay = await runCli(["replay", done.runId, "--json"], { cwd: dir, env });
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toEqual([
      { pipeline: "students", tenant: "b", replayed: 1, loaded: 1, stillRejected: 0 },
      { pipeline: "enrollments", tenant: "b", replayed: 2, loaded: 2, stillRejected: 0 },
    ]);
    const after = await runCli(["verify", "--json", "--report-dir", path.join(dir, "report-replayed")], { cwd: dir, env });
    expect(after.code, after.stdout.slice(0, 3000)).toBe(0);
    const report = JSON.parse(after.stdout) as VerifyReportJson;
    expect(report.summary.failed).toBe(0);
    expect(report.stages.find((s) => s.pipeline === "students" && s.tenant === "b")!.checks[0].message).toBe("district.students [b]: source 1051 rows, target 1051 rows");
  });

  it("orphans are detected: a school deleted by hand makes verify fail naming the rows", async () => {
    const target = await openConnector("warehouse", warehouse.url);
    try {
      const { rows } = await target.query<{ id: string }>("DELETE FROM district.schools WHERE tenant_id = 'b' AND legacy_id = 2 RETURNING id::text AS id");
      expect(rows).toHaveLength(1);
      const orphans = await target.query<{ n: unknown }>("SELECT count(*) AS n FROM district.students WHERE school_id = $1", [rows[0].id]);
      const expectedOrphans = Number(orphans.rows[0].n);
      expect(expectedOrphans).toBeGreaterThan(0);
      const verify = await runCli(["verify", "students", "--report-dir", path.join(dir, "report-orphans")], { cwd: dir, env });
      expect(verify.code).toBe(1);
      expect(verify.stdout).toContain(`✘ students [b] orphans:school_id: district.students.school_id: ${expectedOrphans} rows reference a missing parent in "district"."schools"`);
      expect(verify.stdout).toContain("✔ students [a] orphans:school_id");
    } finally {
      await target.close();
    }
  });
});
