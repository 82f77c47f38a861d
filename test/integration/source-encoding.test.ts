import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffTableHashes, loadWorkspace, openConnections, prepareStage, resolvePipelines, type Connector } from "@databridge/core";
import { requireServers } from "../support/servers.js";
import { createMigrationFixture, type MigrationFixture } from "../support/migration-fixture.js";
import { fidelityRows, MARIADB_FIDELITY_DDL, POSTGRES_FIDELITY_DDL } from "./fidelity-data.js";
import { keyedHash, lastEvent, pipelineSource, protocolProblems, runCli, type TestWorkspace } from "./harness.js";
import { CHILD_TZ } from "./modes-suite.js";
import { pipelineFile } from "../support/cli.js";

/**
 * Rows that pass through untouched are rendered as COPY text by MariaDB itself (the engine reads only
 * the key and that line). These checks hold that path to the value path's results: the same exact
 * values in every mode, the same rejects with the same row, and the value path wherever a column
 * type has no exact server-side rendering (binary).
 */
const COLUMNS = ["id", "label", "body", "amount", "big_amount", "big_int", "happened", "day", "flag", "code", "kind", "doc", "at_noon", "year_no", "small_u"] as const;

const MARIADB_DDL = (table: string) => `CREATE TABLE \`${table}\` (
  id BIGINT NOT NULL PRIMARY KEY, label VARCHAR(100) NULL, body TEXT NULL, amount DECIMAL(10,2) NULL, big_amount DECIMAL(38,10) NULL,
  big_int BIGINT NULL, happened DATETIME(6) NULL, day DATE NULL, flag TINYINT(1) NULL, code CHAR(8) NULL, kind ENUM('a','b','ü') NULL,
  doc LONGTEXT NULL, at_noon TIME NULL, year_no YEAR NULL, small_u SMALLINT UNSIGNED NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`;

const POSTGRES_DDL = (table: string, labelType = "varchar(100)") => `CREATE TABLE "${table}" (
  id bigint PRIMARY KEY, label ${labelType}, body text, amount numeric(10,2), big_amount numeric(38,10), big_int bigint, happened timestamp(6),
  day date, flag boolean, code varchar(8), kind text, doc text, at_noon time, year_no smallint, small_u integer
)`;

/** The fidelity rows' awkward values (NULL vs '', escapes, non-ASCII, big decimals, DST-gap datetimes) plus the extra types. */
function rows(): unknown[][] {
  return fidelityRows().map(([id, label, body, amount, bigAmount, bigInt, happened, day, , flag], i) => [
    id, label, body, amount, bigAmount, bigInt, happened, day, flag,
    i % 5 === 0 ? null : `c${i % 1000}`, i % 4 === 0 ? null : ["a", "b", "ü"][i % 3],
    i % 6 === 0 ? null : JSON.stringify({ i, text: "tab\there \\ \"quoted\" 東京" }),
    i % 7 === 0 ? null : `${String(i % 24).padStart(2, "0")}:30:15`, i % 8 === 0 ? null : 1990 + (i % 50), i % 9 === 0 ? null : 65535 - i,
  ]);
}

describe("source-encoded rows (MariaDB renders COPY text) → PostgreSQL", () => {
  let ready = false;
  let fixture: MigrationFixture;
  let source: MigrationFixture["source"];
  let target: MigrationFixture["target"];
  let workspace: TestWorkspace;
  let sourceConnector: Connector;
  let targetConnector: Connector;

  beforeAll(async () => {
    if (!(await requireServers("mariadb", "postgres"))) return;
    fixture = await createMigrationFixture("dbt_enc");
    ({ source, target, workspace, sourceConnector, targetConnector } = fixture);
    await source.query(MARIADB_DDL("pushed"));
    const all = rows();
    for (let i = 0; i < all.length; i += 100) {
      await source.query(`INSERT INTO pushed (${COLUMNS.join(", ")}) VALUES ?`, [all.slice(i, i + 100)]);
    }
    await source.query(MARIADB_FIDELITY_DDL("with_binary"));
    ready = true;
  });

  afterAll(() => fixture?.close());

  const pipeline = (name: string, sourceTable: string, targetTable: string, mode: string, extra: Record<string, unknown> = {}) =>
    workspace.pipeline(name, pipelineSource({
      name,
      source: { connection: "legacy", table: sourceTable },
      target: { connection: "warehouse", table: `public.${targetTable}`, mode },
      columns: Object.fromEntries(COLUMNS.map((c) => [c, c])),
      batchSize: 40,
      ...extra,
    }));

  const run = async (file: string, env: Record<string, string> = {}) => {
    const result = await runCli(["run", file, "--json"], { cwd: workspace.dir, env: { TZ: CHILD_TZ, ...env } });
    expect(protocolProblems(result.events), result.stderr).toEqual([]);
    return { ...result, finished: lastEvent(result.events, "run.finished") };
  };

  const expectSameRows = async (targetTable: string) => {
    const [expected, actual] = await Promise.all([
      keyedHash(sourceConnector, { table: "pushed", columns: [...COLUMNS], batchSize: 97 }),
      keyedHash(targetConnector, { table: `public.${targetTable}`, columns: [...COLUMNS], batchSize: 97 }),
    ]);
    expect(diffTableHashes(expected, actual)).toEqual({ missing: [], extra: [], changed: [] });
    expect(actual.hash).toBe(expected.hash);
    expect(actual.rows).toBe(rows().length);
  };

  it("is chosen for pass-through mappings of types MariaDB renders exactly, and not for binary", async (ctx) => {
    if (!ready) return ctx.skip();
    await target.query(POSTGRES_DDL("plan_pushed"));
    await target.query(POSTGRES_FIDELITY_DDL("plan_binary"));
    const pushedFile = pipeline("plan-pushed", "pushed", "plan_pushed", "insert");
    const binaryFile = workspace.pipeline("plan-binary", pipelineSource({
      name: "plan-binary", source: { connection: "legacy", table: "with_binary" },
      target: { connection: "warehouse", table: "public.plan_binary" },
      columns: { id: "id", label: "label", payload: "payload", ratio: "ratio" },
    }));
    const transformedFile = workspace.pipeline("plan-transformed", pipelineFile(`{
      name: "plan-transformed", source: { connection: "legacy", table: "pushed" },
      target: { connection: "warehouse", table: "public.plan_pushed" },
      columns: { id: "id", label: upper("label") },
    }`, ["upper"]));
    const workspaceLoaded = await loadWorkspace({ configPath: `${workspace.dir}/databridge.config.ts` });
    const connections = openConnections(workspaceLoaded);
    try {
      const stageOf = async (file: string) => {
        const [loaded] = await resolvePipelines(workspaceLoaded, [file]);
        return prepareStage(loaded.pipeline, loaded.pipeline.source!, connections, workspaceLoaded.registry);
      };
      const pushed = await stageOf(pushedFile);
      expect(pushed.sourceEncoding?.valueColumns).toBe(1); // only the key is read as a value
      expect(pushed.sourceEncoding?.copyText).toMatch(/^CAST\(CONCAT_WS\(.* AS BINARY\)$/);
      expect((await stageOf(binaryFile)).sourceEncoding).toBeUndefined();
      expect((await stageOf(transformedFile)).sourceEncoding).toBeUndefined();
    } finally {
      await connections.closeAll();
    }
  });

  for (const mode of ["insert", "upsert", "replace"] as const) {
    it(`${mode}: the target equals the source exactly, as with the value path (DATABRIDGE_SOURCE_ENCODING=off)`, async (ctx) => {
      if (!ready) return ctx.skip();
      for (const [suffix, env] of [["pushed", {}], ["values", { DATABRIDGE_SOURCE_ENCODING: "off" }]] as const) {
        const table = `${mode}_${suffix}`;
        await target.query(POSTGRES_DDL(table));
        const file = pipeline(`${mode}-${suffix}`, "pushed", table, mode);
        const { finished, stderr, events } = await run(file, env);
        expect({ status: finished.status, rows: finished.rows }, stderr).toEqual({ status: "succeeded", rows: { read: rows().length, written: rows().length, rejected: 0 } });
        // Every page came encoded from the source (none fell back to values).
        expect(events.filter((e) => e.type === "log" && e.message.includes("could not encode"))).toEqual([]);
        await expectSameRows(table);
        if (mode === "upsert") expect((await run(file, env)).finished.rows.written).toBe(0);
      }
    });
  }

  it("a value the target rejects is isolated to its row: key, column and the same values the value path reports", async (ctx) => {
    if (!ready) return ctx.skip();
    // Labels longer than 12 characters do not fit; every other row loads.
    const expected = rows().filter((r) => typeof r[1] === "string" && [...(r[1] as string)].length > 12).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(expected.length).toBeGreaterThan(0);
    const reported: Record<string, unknown[]> = {};
    for (const [suffix, env] of [["pushed", {}], ["values", { DATABRIDGE_SOURCE_ENCODING: "off" }]] as const) {
      const name = `narrow_${suffix}`;
      await target.query(POSTGRES_DDL(name, "varchar(12)"));
      const { finished, stderr } = await run(pipeline(name, "pushed", name, "insert", { onError: "skip" }), env);
      expect({ status: finished.status, rows: finished.rows }, stderr).toEqual({
        status: "succeeded_with_rejects", rows: { read: rows().length, written: rows().length - expected.length, rejected: expected.length },
      });
      const { rows: rejected } = await target.query(
        "SELECT source_key, source_row, column_name, stage FROM databridge.rejected_rows WHERE pipeline = $1 ORDER BY (source_key->>0)::bigint", [name]);
      expect(rejected.map((r) => [r.source_key, r.column_name, r.stage])).toEqual(expected.map((r) => [[r[0]], "label", "load"]));
      expect(rejected[0].source_row).toMatchObject({ label: expected[0][1], body: expected[0][2], amount: expected[0][3] });
      reported[suffix] = rejected.map((r) => r.source_row);
    }
    // The row decoded from its line reads as the value path read it, type for type.
    expect(reported.pushed).toEqual(reported.values);
  });
});
