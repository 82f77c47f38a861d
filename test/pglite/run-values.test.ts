/**
 * Values survive the trip exactly through `databridge run` on embedded databases: NULL vs empty
 * string, escapes, non-ASCII, decimals, BIGINT beyond 2^53, timestamps (whatever the machine's TZ),
 * bytes, JSON. And bad rows: one clear line when a run stops, counted rejects when it skips them.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorkspace, openConnections, type RunEvent } from "@databridge/core";
import { runCli, spawnCli, stackFrames, tempDir, writeFiles } from "./support.js";

let dir: string;

const CONFIG = `import { defineConfig } from "@databridge/core";
export default defineConfig({
  connections: {
    legacy: { url: "pglite:.databridge/db" },
    warehouse: { url: "pglite:.databridge/db" },
  },
});
`;

const COLUMNS = ["id", "t", "v", "n", "big", "ts", "tz", "d", "b", "bin", "j", "f", "u"];
const copyPipeline = (name: string, table: string, extra = "") => `import { pipeline } from "@databridge/core";
export default pipeline({
  name: "${name}",
  source: { connection: "legacy", table: "src", key: "id" },
  target: { connection: "warehouse", table: "wh.${table}", mode: "insert", create: true },
  columns: { ${COLUMNS.map((c) => `${c}: "${c}"`).join(", ")} },
  batchSize: 3,${extra}
});
`;

async function sql<T = Record<string, unknown>>(statements: string, params: unknown[] = []): Promise<T[]> {
  const workspace = await loadWorkspace({ configPath: path.join(dir, "databridge.config.ts") });
  const connections = openConnections(workspace, {});
  try {
    const db = await connections.get("legacy");
    let rows: T[] = [];
    for (const statement of statements.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean)) rows = (await db.query<T>(statement, params)).rows;
    return rows;
  } finally {
    await connections.closeAll();
  }
}

/** Rows in one table and not in the other, both ways (0 and 0 means equal as sets; counts are checked too). */
async function difference(a: string, b: string): Promise<{ onlyA: number; onlyB: number; countA: number; countB: number }> {
  const list = COLUMNS.join(", ");
  const [row] = await sql<{ onlya: number; onlyb: number; counta: number; countb: number }>(`SELECT
    (SELECT count(*)::int FROM (SELECT ${list} FROM ${a} EXCEPT ALL SELECT ${list} FROM ${b}) x) AS onlya,
    (SELECT count(*)::int FROM (SELECT ${list} FROM ${b} EXCEPT ALL SELECT ${list} FROM ${a}) x) AS onlyb,
    (SELECT count(*)::int FROM ${a}) AS counta, (SELECT count(*)::int FROM ${b}) AS countb`);
  return { onlyA: row.onlya, onlyB: row.onlyb, countA: row.counta, countB: row.countb };
}

beforeAll(async () => {
  dir = tempDir("values");
  writeFiles(dir, {
    "databridge.config.ts": CONFIG,
    "pipelines/copy.etl.ts": copyPipeline("copy", "dst"),
    "other/copy-tz.etl.ts": copyPipeline("copy-tz", "dst_tz"),
    "other/status-strict.etl.ts": `import { pipeline, lookup } from "@databridge/core";
export default pipeline({
  name: "status-strict",
  source: { connection: "legacy", table: "src", key: "id" },
  target: { connection: "warehouse", table: "wh.status_strict", create: true },
  columns: { id: "id", status: lookup("v", { A: "ACTIVE", "": "EMPTY" }) },
  batchSize: 4,
});
`,
    "other/status-skip.etl.ts": `import { pipeline, lookup } from "@databridge/core";
export default pipeline({
  name: "status-skip",
  source: { connection: "legacy", table: "src", key: "id" },
  target: { connection: "warehouse", table: "wh.status_skip", create: true },
  columns: { id: "id", status: lookup("v", { A: "ACTIVE", "": "EMPTY" }) },
  batchSize: 4,
  onError: "skip",
});
`,
  });
  await sql(`
    CREATE TABLE src (
      id bigint PRIMARY KEY, t text, v varchar(20), n numeric(10,2), big numeric(38,10), ts timestamp(6), tz timestamptz, d date,
      b boolean, bin bytea, j jsonb, f double precision, u uuid);
    CREATE SCHEMA wh;
    INSERT INTO src VALUES
      (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (2, '', '', 0, 0, '2023-03-26 02:30:00', '2023-03-26 02:30:00+00', '0001-01-01', false, '\\x', '{}', 0, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
      (9007199254740993, E'tab\\there\\nnew line\\r\\nCRLF \\\\ backslash \\\\N \\\\.', 'A', 12345678.99, 1234567890123456789012345678.0123456789,
        '1999-12-31 23:59:59.999999', '2024-02-29 12:00:00+05:30', '9999-12-31', true, '\\x00015c090aff', '{"k": "tab\\tand\\\\", "n": [1, 2.5, null], "ü": true}',
        0.1, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12'),
      (9223372036854775807, 'Grüße aus Łódź — 東京 🚀', 'Zürich', -0.01, -0.0000000001, '2038-01-19 03:14:08', '1970-01-01 00:00:00+00', '2024-02-29',
        true, '\\xdeadbeef', '[1, "two", {"three": 3}]', -1e-300, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13'),
      (5, ' padded ', 'x', 99999999.99, 1, '2000-01-01 00:00:00', '2000-01-01 00:00:00-08', '2000-01-01', false, '\\x20', '{"a": null}', 1.7976931348623157e308, NULL)
  `);
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("values survive databridge run exactly", () => {
  it("insert into a created table: target equals source, row for row", async () => {
    const result = await runCli(["run", "copy", "--json"], dir);
    expect(result.code, result.stderr).toBe(0);
    const finished = result.events.at(-1) as Extract<RunEvent, { type: "run.finished" }>;
    expect(finished.rows).toEqual({ read: 5, written: 5, rejected: 0 });
    expect(await difference("public.src", "wh.dst")).toEqual({ onlyA: 0, onlyB: 0, countA: 5, countB: 5 });
    const [nulls] = await sql<{ null_t: number; empty_t: number }>("SELECT count(*) FILTER (WHERE t IS NULL)::int AS null_t, count(*) FILTER (WHERE t = '')::int AS empty_t FROM wh.dst");
    expect(nulls).toEqual({ null_t: 1, empty_t: 1 });
    const created = await sql<{ t: string }>("SELECT format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a WHERE a.attrelid = 'wh.dst'::regclass AND a.attnum > 0 ORDER BY a.attnum");
    expect(created.map((r) => r.t)).toEqual([
      // The source's own types (a PostgreSQL source's mapping keeps them), timestamp(6) included.
      "bigint", "text", "character varying(20)", "numeric(10,2)", "numeric(38,10)", "timestamp(6) without time zone", "timestamp with time zone", "date",
      "boolean", "bytea", "jsonb", "double precision", "uuid",
    ]);
  });

  it("the machine's time zone never shifts a timestamp (a run in another TZ gives the same rows)", async () => {
    const result = await spawnCli(["run", "other/copy-tz.etl.ts", "--json"], dir, { TZ: "Pacific/Chatham" });
    expect(result.code, result.stderr).toBe(0);
    expect(await difference("public.src", "wh.dst_tz")).toEqual({ onlyA: 0, onlyB: 0, countA: 5, countB: 5 });
    const [row] = await sql<{ ts: string }>("SELECT ts::text AS ts FROM wh.dst_tz WHERE id = 2");
    expect(row.ts).toBe("2023-03-26 02:30:00");
  });

  it("a second run of an insert pipeline into the same table is refused before writing, naming the run that loaded it", async () => {
    const result = await runCli(["run", "copy"], dir);
    expect(result.code).toBe(2);
    const lines = result.stderr.split("\n").filter((l) => l.includes("already loaded"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/pipeline copy, table wh\.dst: run \S+ already loaded 5 rows into wh\.dst .*nothing was written \(fix: `databridge rollback \S+` to undo that run first/);
    expect(stackFrames(result.stderr)).toEqual([]);
    expect(await difference("public.src", "wh.dst")).toEqual({ onlyA: 0, onlyB: 0, countA: 5, countB: 5 });
  });
});

describe("bad rows", () => {
  it("onError fail (default): exit 1, nothing of the failing batch written, one line naming pipeline, column, batch, row key and value", async () => {
    const result = await runCli(["run", "other/status-strict.etl.ts", "--json"], dir);
    expect(result.code).toBe(1);
    const finished = result.events.at(-1) as Extract<RunEvent, { type: "run.finished" }>;
    expect(finished.type).toBe("run.finished");
    expect(finished.status).toBe("failed");
    // int8 keys arrive as exact text, hence the quotes around 5.
    expect(finished.error).toBe('pipeline status-strict, column v, batch 1, row key 5: no lookup entry for "x" and no default (fix: fix the value or the mapping, or set onError: "skip" to reject such rows)');
    expect(finished.rows).toEqual({ read: 0, written: 0, rejected: 0 });
    const [count] = await sql<{ n: number }>("SELECT count(*)::int AS n FROM wh.status_strict");
    expect(count.n).toBe(0);
  });

  it('onError "skip": exit 3, the bad rows are rejected with key, column and message; the rest is written', async () => {
    const result = await runCli(["run", "other/status-skip.etl.ts", "--json"], dir);
    expect(result.code, result.stderr).toBe(3);
    const rejected = result.events.filter((e) => e.type === "row.rejected") as Extract<RunEvent, { type: "row.rejected" }>[];
    expect(rejected.map((e) => [e.key, e.column, e.stage, e.message])).toEqual([
      [["5"], "v", "transform", 'no lookup entry for "x" and no default'],
      [["9223372036854775807"], "v", "transform", 'no lookup entry for "Zürich" and no default'],
    ]);
    const finished = result.events.at(-1) as Extract<RunEvent, { type: "run.finished" }>;
    expect(finished).toMatchObject({ status: "succeeded_with_rejects", rows: { read: 5, written: 3, rejected: 2 } });
    const [count] = await sql<{ n: number }>("SELECT count(*)::int AS n FROM wh.status_skip");
    expect(count.n).toBe(3);
  });
});
