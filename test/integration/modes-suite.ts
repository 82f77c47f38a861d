import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffTableHashes, type Connector, type RunEvent } from "@databridge/core";
import { createPostgresDatabase } from "../support/servers.js";
import { FIDELITY_COLUMNS, fidelityRows, pairRows, POSTGRES_FIDELITY_DDL } from "./fidelity-data.js";
import { createWorkspace, keyedHash, lastEvent, openConnector, pipelineSource, protocolProblems, runCli, type CliResult, type TestWorkspace } from "./harness.js";

/** What a source database must provide for the shared "every mode" suite. */
export interface SourceFixture {
  label: string;
  url: string;
  /** Runs one statement with bind parameters (`?` for MariaDB, `$n` for PostgreSQL are both accepted via `params`). */
  exec(sql: string, params?: unknown[]): Promise<unknown>;
  /** Creates and fills a fidelity table named `table`. */
  createFidelity(table: string): Promise<void>;
  /** Creates and fills the composite-key table `pairs (region, seq, note)`. */
  createPairs(table: string): Promise<void>;
  /** Creates `events (id, code, val)` with duplicate codes. */
  createEvents(table: string, rows: [number, string, string][]): Promise<void>;
  /** SQL changing two existing rows and adding one, in the source's dialect. */
  mutations(table: string): string[];
  close(): Promise<void>;
  drop(): Promise<void>;
}

/** Every CLI child runs in a zone with DST, so a DATETIME shifted by the machine's zone would show. */
export const CHILD_TZ = "America/New_York";

/**
 * The shared suite: `insert`, `upsert` (twice: the re-run writes nothing; then after source changes),
 * `update`, `replace`, `create: true`, composite keys across batch boundaries and duplicate keys in
 * one upsert batch — each through the real `databridge run` child, each asserting the target's hash
 * equals the source's.
 */
export function describeModes(title: string, setup: () => Promise<SourceFixture | undefined>) {
  describe(title, () => {
    let source: SourceFixture | undefined;
    let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
    let workspace: TestWorkspace;
    let sourceConnector: Connector;
    let targetConnector: Connector;

    beforeAll(async () => {
      source = await setup();
      if (!source) return;
      target = await createPostgresDatabase("dbt_modes");
      workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
      sourceConnector = await openConnector("legacy", source.url);
      targetConnector = await openConnector("warehouse", target.url);
    });

    afterAll(async () => {
      await sourceConnector?.close();
      await targetConnector?.close();
      workspace?.remove();
      await target?.drop();
      await source?.drop();
    });

    const fidelityPipeline = (name: string, sourceTable: string, targetTable: string, mode: string, extra: Record<string, unknown> = {}) =>
      workspace.pipeline(name, pipelineSource({
        name,
        source: { connection: "legacy", table: sourceTable },
        target: { connection: "warehouse", table: `public.${targetTable}`, mode, ...extra },
        columns: Object.fromEntries(FIDELITY_COLUMNS.map((c) => [c, c])),
        batchSize: 50,
      }));

    const run = async (file: string, ...flags: string[]): Promise<CliResult> => {
      const result = await runCli(["run", file, "--json", ...flags], { cwd: workspace.dir, env: { TZ: CHILD_TZ } });
      expect(protocolProblems(result.events), result.stderr).toEqual([]);
      return result;
    };

    const expectSucceeded = (result: CliResult) => {
      const finished = lastEvent(result.events, "run.finished");
      expect({ code: result.code, status: finished.status, error: finished.error }, result.stderr).toEqual({ code: 0, status: "succeeded", error: undefined });
      return finished;
    };

    /** Target hash equals source hash; on a mismatch, the message names the keys that differ. */
    const expectSameRows = async (sourceTable: string, targetTable: string, columns: readonly string[] = FIDELITY_COLUMNS) => {
      const [expected, actual] = await Promise.all([
        keyedHash(sourceConnector, { table: sourceTable, columns: [...columns], batchSize: 97 }),
        keyedHash(targetConnector, { table: `public.${targetTable}`, columns: [...columns], batchSize: 97 }),
      ]);
      expect(expected.rows).toBeGreaterThan(0);
      expect(diffTableHashes(expected, actual)).toEqual({ missing: [], extra: [], changed: [] });
      expect(actual.rows).toBe(expected.rows);
      expect(actual.hash).toBe(expected.hash);
      return expected;
    };

    it("insert: every value arrives exactly (NULL/'' , escapes, non-ASCII, decimals, bigint, DATETIME under a DST zone, binary)", async (ctx) => {
      if (!source) return ctx.skip();
      await source.createFidelity("fid_insert");
      await target.query(POSTGRES_FIDELITY_DDL("fid_insert"));
      const result = await run(fidelityPipeline("fid-insert", "fid_insert", "fid_insert", "insert"));
      const finished = expectSucceeded(result);
      const rows = fidelityRows().length;
      expect(finished.rows).toEqual({ read: rows, written: rows, rejected: 0 });
      expect(result.events.filter((e) => e.type === "batch.committed")).toHaveLength(Math.ceil(rows / 50));
      await expectSameRows("fid_insert", "fid_insert");

      // The hash compares normalized values; check a few raw texts in PostgreSQL's own spelling too.
      const { rows: raw } = await target.query(
        `SELECT id::text, label, body, amount::text, big_amount::text, big_int::text, happened::text, encode(payload, 'hex') AS payload
           FROM fid_insert WHERE id IN (2, 3, 4, 5, 9223372036854775807) ORDER BY id`);
      expect(raw).toEqual([
        { id: "2", label: null, body: "", amount: null, big_amount: null, big_int: null, happened: null, payload: null },
        { id: "3", label: "NULL", body: "\\N", amount: "-0.01", big_amount: "-0.0000000001", big_int: "-1", happened: "2000-02-29 23:59:59.999999", payload: Buffer.from("NULL").toString("hex") },
        { id: "4", label: "tab\there", body: "line1\nline2\r\nline3\rend \\ back\\slash \\\\ double \\t not-a-tab \\N", amount: "12345678.90", big_amount: "1234567890123456789012345678.0123456789", big_int: "9007199254740993", happened: "2024-03-10 02:30:00", payload: "00ff105c090a0d" },
        { id: "5", label: "Ünïcödé — Grüße ½ ñ", body: "日本語のテキスト 🚀 emoji 👩‍👩‍👧 中文 한국어 Ελληνικά", amount: "-99999999.99", big_amount: "99999999999999999999999999.9999999999", big_int: "-9223372036854775808", happened: "2024-11-03 01:30:00.5", payload: Buffer.from("€😀").toString("hex") },
        { id: "9223372036854775807", label: "max key", body: "last row", amount: "1.10", big_amount: "2.5000000000", big_int: "9007199254740992", happened: "9999-12-31 23:59:59.999999", payload: "ff" },
      ]);
    });

    it("upsert: loads, re-run writes 0 rows, then applies exactly the source's changes", async (ctx) => {
      if (!source) return ctx.skip();
      await source.createFidelity("fid_upsert");
      await target.query(POSTGRES_FIDELITY_DDL("fid_upsert"));
      const file = fidelityPipeline("fid-upsert", "fid_upsert", "fid_upsert", "upsert", { key: ["id"] });
      const rows = fidelityRows().length;

      expect(expectSucceeded(await run(file)).rows).toEqual({ read: rows, written: rows, rejected: 0 });
      await expectSameRows("fid_upsert", "fid_upsert");

      const again = expectSucceeded(await run(file));
      expect(again.rows).toEqual({ read: rows, written: 0, rejected: 0 });

      for (const statement of source.mutations("fid_upsert")) await source.exec(statement);
      const changed = expectSucceeded(await run(file));
      expect(changed.rows).toEqual({ read: rows + 1, written: 3, rejected: 0 });
      await expectSameRows("fid_upsert", "fid_upsert");
    });

    it("update: rewrites only rows whose values differ, inserts nothing", async (ctx) => {
      if (!source) return ctx.skip();
      await source.createFidelity("fid_update");
      await target.query(POSTGRES_FIDELITY_DDL("fid_update"));
      expectSucceeded(await run(fidelityPipeline("fid-update-load", "fid_update", "fid_update", "insert")));
      // Stale target values (including a NULL that must become '' and an '' that must become NULL).
      await target.query("UPDATE fid_update SET label = 'stale', body = NULL WHERE id IN (1001, 1002, 1003)");
      await target.query("UPDATE fid_update SET body = '' WHERE id = 1000");
      await target.query("UPDATE fid_update SET body = NULL WHERE id = 2");
      const result = await run(fidelityPipeline("fid-update", "fid_update", "fid_update", "update", { key: ["id"] }));
      const rows = fidelityRows().length;
      expect(expectSucceeded(result).rows).toEqual({ read: rows, written: 5, rejected: 0 });
      await expectSameRows("fid_update", "fid_update");
    });

    it("replace: leaves exactly the source rows (extra target rows gone, stale rows fixed)", async (ctx) => {
      if (!source) return ctx.skip();
      await source.createFidelity("fid_replace");
      await target.query(POSTGRES_FIDELITY_DDL("fid_replace"));
      await target.query("INSERT INTO fid_replace (id, label) VALUES (1, 'stale'), (424242, 'not in the source'), (-5, NULL)");
      const result = await run(fidelityPipeline("fid-replace", "fid_replace", "fid_replace", "replace"));
      const rows = fidelityRows().length;
      expect(expectSucceeded(result).rows).toEqual({ read: rows, written: rows, rejected: 0 });
      await expectSameRows("fid_replace", "fid_replace");
      const { rows: left } = await target.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE '%databridge_replace%'");
      expect(left[0].n).toBe(0);
    });

    it("create: true — plan shows the DDL, run creates the table and loads it", async (ctx) => {
      if (!source) return ctx.skip();
      await source.createFidelity("fid_create");
      const file = fidelityPipeline("fid-create", "fid_create", "fid_created", "insert", { create: true });
      const plan = await runCli(["plan", file], { cwd: workspace.dir, env: { TZ: CHILD_TZ } });
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toMatch(/CREATE TABLE "public"\."fid_created" \(/);
      expect(plan.stdout).toMatch(/"amount" numeric\(10,2\)/);
      expect(plan.stdout).toMatch(/"big_amount" numeric\(38,10\)/);
      expect(plan.stdout).toMatch(/"payload" bytea/);
      expect(plan.stdout).toMatch(/PRIMARY KEY \("id"\)/);
      const { rows: before } = await target.query("SELECT to_regclass('public.fid_created') AS t");
      expect(before[0].t).toBeNull(); // plan writes nothing

      expectSucceeded(await run(file));
      const { rows: columns } = await target.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'fid_created' ORDER BY ordinal_position");
      expect(columns.map((c: { column_name: string }) => c.column_name)).toEqual([...FIDELITY_COLUMNS]);
      await expectSameRows("fid_create", "fid_created");
    });

    it("composite key: keyset paging across many small batches loses and repeats nothing", async (ctx) => {
      if (!source) return ctx.skip();
      await source.createPairs("pairs");
      await target.query(`CREATE TABLE pairs (region varchar(20) NOT NULL, seq integer NOT NULL, note text, PRIMARY KEY (region, seq))`);
      const file = workspace.pipeline("pairs", pipelineSource({
        name: "pairs",
        source: { connection: "legacy", table: "pairs", key: ["region", "seq"] },
        target: { connection: "warehouse", table: "public.pairs", mode: "insert" },
        columns: { region: "region", seq: "seq", note: "note" },
        batchSize: 7,
      }));
      const result = await run(file);
      const total = pairRows().length;
      expect(expectSucceeded(result).rows).toEqual({ read: total, written: total, rejected: 0 });
      const batches = result.events.filter((e): e is Extract<RunEvent, { type: "batch.committed" }> => e.type === "batch.committed");
      expect(batches).toHaveLength(Math.ceil(total / 7));
      expect(batches.slice(0, -1).every((b) => b.batchRows.read === 7)).toBe(true);
      // Batches cross region boundaries (7 does not divide 100), so the composite comparison is exercised.
      expect(batches.some((b, i) => i > 0 && b.lastKey[0] !== batches[i - 1].lastKey[0] && b.batchRows.read === 7)).toBe(true);
      await expectSameRows("pairs", "pairs", ["region", "seq", "note"]);
    });

    it("upsert with duplicate target keys inside one batch: the last row (by source key) wins", async (ctx) => {
      if (!source) return ctx.skip();
      const rows: [number, string, string][] = [[1, "A", "first"], [2, "B", "only"], [3, "A", "second"], [4, "C", "c1"], [5, "C", "c2"], [6, "A", "third"]];
      await source.createEvents("events", rows);
      await target.query("CREATE TABLE latest (code varchar(10) PRIMARY KEY, val text)");
      await target.query("INSERT INTO latest VALUES ('A', 'old'), ('Z', 'untouched')");
      const file = workspace.pipeline("latest", pipelineSource({
        name: "latest",
        source: { connection: "legacy", table: "events", key: "id" },
        target: { connection: "warehouse", table: "public.latest", mode: "upsert", key: ["code"] },
        columns: { code: "code", val: "val" },
        batchSize: 100,
      }));
      const result = await run(file);
      const finished = expectSucceeded(result);
      expect(finished.rows).toEqual({ read: 6, written: 3, rejected: 0 });
      expect(result.events.filter((e) => e.type === "batch.committed")).toHaveLength(1);
      const { rows: latest } = await target.query("SELECT code, val FROM latest ORDER BY code");
      expect(latest).toEqual([{ code: "A", val: "third" }, { code: "B", val: "only" }, { code: "C", val: "c2" }, { code: "Z", val: "untouched" }]);
    });
  });
}
