import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRunner, type RunningRunner } from "../../server/src/runner/runner.js";
import { apiClient, seedStateDir, waitForRun, type ApiClient } from "../runner/support.js";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, finished, pipelineFile, runCli, spawnCli, collect, type CliResult, type Workspace } from "./harness.js";

/**
 * Issue #8 items 7 and 8 (acceptance 4): expressions cannot reconfigure mathjs for other pipelines, and
 * cannot build huge values or run unbounded — a hostile expression is refused when the pipeline is
 * compiled (a config error), a value beyond the limits rejects its row (a data error). Real PostgreSQL
 * source and target; the runner in this process, the CLI as child processes.
 */
const servers = await requireServers("postgres");

const HOSTILE = [
  "size(ones(1e9))[1] * 0 + amount",
  "zeros(1e5, 1e5)",
  "ones(1e8)",
  "range(1, 1e8)",
  "gamma(1e7)",
  "f(x) = f(x)",
  "config({precision: number(2)}) * 0 + amount",
];

describe.skipIf(!servers)("expressions are sandboxed and bounded", () => {
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: Workspace;

  beforeAll(async () => {
    db = await createPostgresDatabase("dbt_expressions");
    await db.query(`CREATE TABLE amounts (id int PRIMARY KEY, amount numeric(12,2));
      INSERT INTO amounts VALUES (1, 1234.56), (2, 1.5), (3, NULL), (4, -0.01);
      CREATE TABLE priced (id int PRIMARY KEY, total numeric, flag text);
      CREATE TABLE scaled (id int PRIMARY KEY, v numeric);`);
    workspace = createWorkspace({ legacy: db.url, warehouse: db.url });
  }, 180_000);

  afterAll(async () => {
    workspace?.remove();
    await db?.drop();
  });

  const pipeline = (name: string, columns: Record<string, string>, extra: Record<string, unknown> = {}) => workspace.pipeline(name, pipelineFile(`{
    name: ${JSON.stringify(name)},
    source: { connection: "legacy", table: "amounts", key: "id" },
    target: { connection: "warehouse", table: ${JSON.stringify(extra.table ?? "priced")}, mode: "upsert" },
    columns: { id: "id", ${Object.entries(columns).map(([column, code]) => `${column}: ${code}`).join(", ")} },
    onError: ${JSON.stringify(extra.onError ?? "fail")},
  }`, ["expr", "when"]));

  describe("in one runner process", () => {
    let runner: RunningRunner;
    let api: ApiClient;

    beforeAll(async () => {
      if (!servers) return;
      await seedStateDir(workspace.dir);
      runner = await startRunner({ configPath: `${workspace.dir}/databridge.config.ts`, port: 0, log: () => {}, env: { ...process.env, DATABRIDGE_STATE_URL: "" } });
      api = apiClient((path, init) => fetch(`${runner.url}${path}`, init), runner.token);
    }, 180_000);

    afterAll(async () => {
      await runner?.close();
    });

    it("a pipeline whose expression calls config(...) is refused, and a later pipeline's arithmetic stays exact", async () => {
      pipeline("hostile", { total: `expr("config({precision: number(2), relTol: 1, absTol: 1}) * 0 + amount")`, flag: `when("amount == 1234.57", "yes", "no")` });
      pipeline("exact", { total: `expr("amount * 1.5")`, flag: `when("amount == 1234.57", "yes", "no")` });

      const hostile = await waitForRun(api, (await api.post("/runs", { pipelines: ["hostile"] })).body.id);
      expect(hostile.status).toBe("failed");
      expect(hostile.error).toMatch(/^pipeline hostile, column total: expression `config\(.*` may not use `config`, objects `\{…\}` or `number`: expressions compute one value from the row with arithmetic .*\(do anything else in a query source or a plugin transform\)$/);
      expect((await db.query("SELECT count(*)::int AS n FROM priced")).rows[0].n).toBe(0);

      const exact = await waitForRun(api, (await api.post("/runs", { pipelines: ["exact"] })).body.id);
      expect(exact.status, exact.error).toBe("succeeded");
      // The expected values, computed by PostgreSQL's own numeric arithmetic.
      const { rows } = await db.query(`SELECT p.id, p.total = a.amount * 1.5 AS same, p.total::text AS total, p.flag,
          CASE WHEN a.amount = 1234.57 THEN 'yes' WHEN a.amount IS NULL THEN 'no' ELSE 'no' END AS want_flag, a.amount * 1.5 IS NULL AS want_null
        FROM priced p JOIN amounts a USING (id) ORDER BY p.id`);
      expect(rows.map((r) => [r.id, r.total, r.flag])).toEqual([[1, "1851.84", "no"], [2, "2.25", "no"], [3, null, "no"], [4, "-0.015", "no"]]);
      for (const row of rows) {
        expect(row.flag).toBe(row.want_flag);
        if (!row.want_null) expect(row.same).toBe(true);
      }
    });
  });

  describe("through the CLI", () => {
    /** `databridge run --json`, killed if it outlives a minute (so a hang fails the test rather than the suite). */
    const run = async (file: string): Promise<CliResult> => {
      const child = spawnCli(["run", file, "--json"], { cwd: workspace.dir });
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      try {
        return await collect(child, true);
      } finally {
        clearTimeout(timer);
      }
    };

    const expectRefused = (line: string | undefined, name: string) => {
      expect(line?.split("\n")).toHaveLength(1);
      expect(line).toMatch(new RegExp(`^pipeline ${name}, column total: expression \`.*\` may not use .*: expressions compute one value from the row with `));
    };

    it("a 1e9-element matrix is refused when the pipeline compiles: exit 2 with one line, the process never crashes", async () => {
      const result = await run(pipeline("hostile_matrix", { total: `expr("size(ones(1e9))[1] * 0 + amount")` }));
      expect(result.signal, result.stderr).toBeNull();
      expect(result.code, result.stderr).toBe(2);
      expectRefused(finished(result).error, "hostile_matrix");
      expect(finished(result).error).toContain("`size` or `ones`");
      expect(result.stderr).not.toMatch(/heap|FATAL|Allocation failed/i);
    });

    it("so are zeros, ones, range, gamma, a recursive function and config: one process runs them all and fails each with its own line", async () => {
      const files = HOSTILE.map((expression, i) => pipeline(`hostile_${i}`, { total: `expr(${JSON.stringify(expression)})` }));
      const before = (await db.query("SELECT * FROM priced ORDER BY id")).rows;
      const child = spawnCli(["run", ...files, "--json"], { cwd: workspace.dir });
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const result = await collect(child, true).finally(() => clearTimeout(timer));
      expect(result.signal, result.stderr).toBeNull();
      expect(result.code, result.stderr).toBe(2);
      const { stages } = finished(result);
      expect(stages.map((stage) => [stage.pipeline, stage.status])).toEqual(HOSTILE.map((_, i) => [`hostile_${i}`, "failed"]));
      HOSTILE.forEach((_, i) => expectRefused(stages[i].error, `hostile_${i}`));
      expect(stages.map((stage) => /may not use (.*?): /.exec(stage.error!)?.[1])).toEqual([
        "indexing or properties `x[…]`, `x.y`, `size` or `ones`", "`zeros`", "`ones`", "`range`", "`gamma`", "function definitions `f(x) = …`", "`config`, objects `{…}` or `number`",
      ]);
      expect(result.stderr).not.toMatch(/heap|FATAL|Allocation failed/i);
      expect((await db.query("SELECT * FROM priced ORDER BY id")).rows).toEqual(before);
    });

    it("`check` (the CI gate) refuses the same expressions before anything runs, naming the function: exit 1", async () => {
      const file = pipeline("hostile_check", { total: `expr("gamma(1e7) + amount")` });
      const result = await runCli(["check", file], { cwd: workspace.dir });
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toMatch(/expression `gamma\(1e7\) \+ amount` may not use `gamma`/);
    });

    it("a value beyond the size limit is a data error for its row: rejected with key and column under skip, one line under fail", async () => {
      // 1234.56 · 10^998 has 1002 digits (refused); 1.5 · 10^998 and -0.01 · 10^998 fit; NULL stays NULL.
      const scaled = `expr("amount * 10 ^ 998")`;
      const skip = await run(pipeline("scaled_skip", { v: scaled }, { table: "scaled", onError: "skip" }));
      expect(skip.code, skip.stderr).toBe(3);
      expect(finished(skip).rows).toEqual({ read: 4, written: 3, rejected: 1 });
      const { rows } = await db.query(`SELECT s.id, s.v = a.amount * 10::numeric ^ 998 AS exact, s.v IS NULL AS is_null
        FROM scaled s JOIN amounts a USING (id) ORDER BY s.id`);
      expect(rows).toEqual([{ id: 2, exact: true, is_null: false }, { id: 3, exact: null, is_null: true }, { id: 4, exact: true, is_null: false }]);
      const rejected = await db.query("SELECT pipeline, source_key, column_name, message FROM databridge.rejected_rows WHERE pipeline = 'scaled_skip'");
      expect(rejected.rows).toEqual([{
        pipeline: "scaled_skip", source_key: [1], column_name: "v",
        message: expect.stringMatching(/expression `amount \* 10 \^ 998` failed: `amount \* 10 \^ 998` is about 1e\+1001, beyond the 1e±1000 an expression may hold/),
      }]);

      await db.query("TRUNCATE scaled");
      const fail = await run(pipeline("scaled_fail", { v: scaled }, { table: "scaled", onError: "fail" }));
      expect(fail.signal).toBeNull();
      expect(fail.code, fail.stderr).toBe(1);
      const line = finished(fail).error!;
      expect(line.split("\n")).toHaveLength(1);
      expect(line).toContain("scaled_fail");
      expect(line).toContain("column v");
      expect(line).toContain("row key 1");
      expect(line).toMatch(/beyond the 1e±1000 an expression may hold/);
      expect((await db.query("SELECT count(*)::int AS n FROM scaled")).rows[0].n).toBe(0);
    });
  });
});
