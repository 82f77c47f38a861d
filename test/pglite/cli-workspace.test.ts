/**
 * The CLI against an embedded database (no servers): plan, check, preview, discover and run, their
 * exit codes and their one-line errors. `main()` runs in this process with captured output; each
 * command opens and closes the PGlite folder as the shipped bin does.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorkspace, openConnections, type Catalog, type RunEvent } from "@databridge/core";
import { runCli, stackFrames, tempDir, writeFiles } from "./support.js";

let dir: string;

// `legacy` and `warehouse` share one embedded database folder (one initdb for the whole file);
// source tables live in `public`, targets in `wh`.
const CONFIG = `import { defineConfig } from "@databridge/core";
export default defineConfig({
  connections: {
    legacy: { url: "pglite:.databridge/db" },
    warehouse: { url: "pglite:.databridge/db" },
  },
});
`;

const pipelineFile = (body: string, imports = "pipeline") => `import { ${imports} } from "@databridge/core";\nexport default pipeline(${body});\n`;

const ITEMS = pipelineFile(`{
  name: "items",
  source: { connection: "legacy", table: "items", key: "id" },
  target: { connection: "warehouse", table: "wh.items", mode: "upsert" },
  columns: { id: "id", code: "code", label: upper("name"), total: expr("price * qty") },
  batchSize: 2,
}`, "pipeline, upper, expr");

const ITEMS_NEW = pipelineFile(`{
  name: "items-new",
  source: { connection: "legacy", table: "items", key: "id" },
  target: { connection: "warehouse", table: "wh.items_new", mode: "insert", create: true },
  columns: { id: "id", code: "code", name: "name", price: "price", made_on: convert("made_txt", "date", { format: "dd.MM.yyyy" }) },
}`, "pipeline, convert");

async function query<T>(sql: string): Promise<T[]> {
  const workspace = await loadWorkspace({ configPath: path.join(dir, "databridge.config.ts") });
  const connections = openConnections(workspace, {});
  try {
    const db = await connections.get("legacy");
    let rows: T[] = [];
    for (const statement of sql.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean)) rows = (await db.query<T>(statement)).rows;
    return rows;
  } finally {
    await connections.closeAll();
  }
}

beforeAll(async () => {
  dir = tempDir("cli");
  writeFiles(dir, { "databridge.config.ts": CONFIG, "pipelines/items.etl.ts": ITEMS, "pipelines/items-new.etl.ts": ITEMS_NEW });
  await query(`
    CREATE TABLE categories (id integer PRIMARY KEY, title text NOT NULL);
    CREATE TABLE items (
      id integer PRIMARY KEY, code varchar(10) NOT NULL, name text, price numeric(10,2), qty integer DEFAULT 1,
      made_txt varchar(10), category_id integer REFERENCES categories (id));
    CREATE UNIQUE INDEX items_code_key ON items (code);
    INSERT INTO categories VALUES (1, 'Schrauben');
    INSERT INTO items VALUES (1, 'A-1', 'Schraube Ø8', 12.50, 3, '01.02.2023', 1), (2, 'B-2', NULL, 0.10, 7, NULL, NULL),
                             (3, 'C-3', 'tab\tand "quotes"', 1.99, NULL, '29.02.2024', 1);
    CREATE SCHEMA wh;
    CREATE TABLE wh.items (id integer PRIMARY KEY, code varchar(10) NOT NULL, label text, total numeric(12,2));
  `);
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("discover", () => {
  it("--json lists tables with columns (types, nullability, defaults), keys, foreign keys and indexes", async () => {
    const result = await runCli(["discover", "legacy", "--json"], dir);
    expect(result.code, result.stderr).toBe(0);
    const catalog = JSON.parse(result.stdout) as Catalog;
    expect(catalog).toMatchObject({ connection: "legacy", type: "pglite", defaultSchema: "public" });
    const items = catalog.tables.find((t) => t.schema === "public" && t.name === "items")!;
    expect(items.kind).toBe("table");
    expect(items.primaryKey).toEqual(["id"]);
    expect(items.columns.map((c) => [c.name, c.nativeType, c.type, c.nullable])).toEqual([
      ["id", "integer", { kind: "integer" }, false],
      ["code", "character varying(10)", { kind: "string", length: 10 }, false],
      ["name", "text", { kind: "text" }, true],
      ["price", "numeric(10,2)", { kind: "decimal", precision: 10, scale: 2 }, true],
      ["qty", "integer", { kind: "integer" }, true],
      ["made_txt", "character varying(10)", { kind: "string", length: 10 }, true],
      ["category_id", "integer", { kind: "integer" }, true],
    ]);
    expect(items.columns.find((c) => c.name === "qty")!.default).toBe("1");
    expect(items.foreignKeys).toEqual([expect.objectContaining({ columns: ["category_id"], referencedTable: { schema: "public", name: "categories" }, referencedColumns: ["id"] })]);
    expect(items.indexes).toEqual(expect.arrayContaining([{ name: "items_code_key", columns: ["code"], unique: true }]));
    expect(catalog.tables.some((t) => t.schema === "wh" && t.name === "items")).toBe(true);
  });

  it("without --json prints a table per table", async () => {
    const result = await runCli(["discover", "legacy"], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^table public\.items · ~.* rows · primary key \(id\)$/m);
    expect(result.stdout).toMatch(/^price\s+numeric\(10,2\)\s+yes\s*$/m);
    expect(result.stdout).toContain("foreign key (category_id) → public.categories (id)");
    expect(result.stdout).toContain("unique index items_code_key (code)");
  });

  it("an unknown connection exits 2 with one line and a did-you-mean", async () => {
    const result = await runCli(["discover", "legasy"], dir);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      'error: connection legasy: unknown connection "legasy" (did you mean "legacy"?) (fix: add it to databridge.config.ts or set DATABRIDGE_CONN_LEGASY)',
    ]);
  });
});

describe("plan", () => {
  it("shows order, source → target, mode and the DDL of a create: true target; writes nothing", async () => {
    const result = await runCli(["plan"], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^1\s+items-new\s+legacy:public\.items\s+warehouse:wh\.items_new\s+insert\s/m);
    expect(result.stdout).toMatch(/^2\s+items\s+legacy:public\.items\s+warehouse:wh\.items\s+upsert\s/m);
    expect(result.stdout).toContain([
      "items-new: target will be created:",
      'CREATE TABLE "wh"."items_new" (',
      '  "id" integer NOT NULL,',
      '  "code" character varying(10) NOT NULL,',
      '  "name" text,',
      '  "price" numeric(10,2),',
      '  "made_on" date,',
      '  PRIMARY KEY ("id")',
      ");",
    ].join("\n"));
    const tables = await query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'wh' AND table_name = 'items_new'");
    expect(tables[0].n).toBe(0);
  });

  it("--json reports problems: unknown columns with did-you-mean, unmapped NOT NULL, lossy conversions", async () => {
    writeFiles(dir, {
      "bad/items-bad.etl.ts": pipelineFile(`{
        name: "items-bad",
        source: { connection: "legacy", table: "items", key: "id" },
        target: { connection: "warehouse", table: "wh.items" },
        columns: { id: "id", label: "nmae", total: "price" },
      }`),
    });
    const result = await runCli(["plan", "bad/items-bad.etl.ts", "--json"], dir);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { problems: { severity: string; code: string; column?: string; message: string }[] };
    expect(report.problems.map((p) => [p.severity, p.code, p.column, p.message])).toEqual([
      ["error", "unknown-source-column", "label", 'source has no column "nmae" (did you mean "name"?)'],
      ["error", "unmapped-not-null", "code", "target column code (character varying(10)) is NOT NULL without a default and is not mapped"],
    ]);

    writeFiles(dir, {
      "bad/items-lossy.etl.ts": pipelineFile(`{
        name: "items-lossy",
        source: { connection: "legacy", table: "items", key: "id" },
        target: { connection: "warehouse", table: "wh.items" },
        columns: { id: "id", code: "name", total: "price" },
      }`),
    });
    const lossy = await runCli(["plan", "bad/items-lossy.etl.ts"], dir);
    expect(lossy.code, "warnings alone do not fail plan").toBe(0);
    expect(lossy.stdout).toContain("warning [lossy-length] pipeline items-lossy, table wh.items, column code: values may be truncated or rejected: text → character varying(10)");
    expect(lossy.stdout).toContain("warning [lossy-nullability] pipeline items-lossy, table wh.items, column code: nullable source into NOT NULL column: NULLs will be rejected (text → character varying(10))");
  });
});

describe("check (the CI gate)", () => {
  it("exits 1 on a misspelled column and 0 once it is fixed", async () => {
    const file = "gate/items-gate.etl.ts";
    const body = (column: string) => pipelineFile(`{
      name: "items-gate",
      source: { connection: "legacy", table: "items", key: "id" },
      target: { connection: "warehouse", table: "wh.items", mode: "upsert" },
      columns: { id: "id", code: "code", label: "${column}" },
    }`);
    writeFiles(dir, { [file]: body("nmae") });
    const broken = await runCli(["check", file], dir);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('gate/items-gate.etl.ts:6:49: error [unknown-source-column] pipeline items-gate, column label: source has no column "nmae" (did you mean "name"?)');
    expect(broken.stdout).toMatch(/^1 problem found$/m);

    writeFiles(dir, { [file]: body("name") });
    const fixed = await runCli(["check", file], dir);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stdout.trim()).toBe("✔ 1 pipeline checked: no problems");
  });

  it("exits 1 on a type error, naming file, line and column", async () => {
    const file = "typed/items-typed.etl.ts";
    writeFiles(dir, {
      [file]: pipelineFile(`{
  name: "items-typed",
  source: { connection: "legacy", table: "items", key: "id" },
  target: { connection: "warehouse", table: "wh.items", mode: "upsrt" },
  columns: { id: "id", code: "code" },
}`),
    });
    const result = await runCli(["check", file, "--json"], dir);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; problems: { code: string; message: string; location?: { file: string; line: number; column: number } }[] };
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0].code).toBe("type-error");
    expect(report.problems[0].location).toEqual({ file: "typed/items-typed.etl.ts", line: 5, column: expect.any(Number) });
    expect(report.problems[0].message).toMatch(/^Type '"upsrt"' is not assignable to type 'LoadMode/);

    const human = await runCli(["check", file], dir);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^typed\/items-typed\.etl\.ts:5:\d+: error \[type-error\] Type '"upsrt"' is not assignable to type 'LoadMode/m);
  });

  it("exits 1 on an invalid cron or time zone, naming file, line and column of the part at fault", async () => {
    const file = "sched/items-sched.etl.ts";
    const text = pipelineFile(`{
  name: "items-sched",
  source: { connection: "legacy", table: "items", key: "id" },
  target: { connection: "warehouse", table: "wh.items", mode: "upsert" },
  columns: { id: "id", code: "code" },
  schedule: { cron: "0 25 * * *", timezone: "Europe/Berln" },
  sla: "every day at 2am",
}`);
    writeFiles(dir, { [file]: text });
    const result = await runCli(["check", file], dir);
    expect(result.code).toBe(1);
    const line = text.split("\n").findIndex((l) => l.includes("schedule:")) + 1;
    const column = (needle: string) => text.split("\n")[line - 1].indexOf(needle) + 1;
    const lines = result.stdout.trim().split("\n");
    expect(lines).toEqual([
      `${file}:${line + 1}:${text.split("\n")[line].indexOf("every") + 1}: error [invalid-duration] pipeline items-sched: sla "every day at 2am" is not a duration: write "30s", "5m", "2h" or "1d"`,
      `${file}:${line}:${column("25 *")}: error [invalid-schedule] pipeline items-sched: schedule "0 25 * * *" hour "25" (field 2, at character 3) is not valid: 0–23`,
      `${file}:${line}:${column("Europe/Berln")}: error [invalid-timezone] pipeline items-sched: schedule.timezone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?): use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC"`,
      "3 problems found",
    ]);
    writeFiles(dir, { [file]: text.replace("0 25 * * *", "*/10 * * * * *").replace("Europe/Berln", "Europe/Berlin").replace("every day at 2am", "2h") });
    const seconds = await runCli(["check", file], dir);
    expect(seconds.stdout).toMatch(/error \[invalid-schedule\] pipeline items-sched: schedule "\*\/10 \* \* \* \* \*" has 6 fields, which makes the first one seconds/);
    writeFiles(dir, { [file]: text.replace("0 25 * * *", "*/10 * * * * *").replace("Europe/Berln\"", "Europe/Berlin\", seconds: true").replace("every day at 2am", "2h") });
    const fixed = await runCli(["check", file], dir);
    expect(fixed.code, fixed.stdout).toBe(0);
  });
});

describe("preview", () => {
  it("shows source rows and transformed rows side by side, and writes nothing", async () => {
    const before = await query<{ n: number }>("SELECT count(*)::int AS n FROM wh.items");
    const result = await runCli(["preview", "items", "--rows", "2"], dir);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("items: first 2 rows (source │ transformed)");
    expect(lines[1].split(/\s+/)).toEqual(["id", "code", "name", "price", "qty", "│", "id", "code", "label", "total"]);
    expect(lines[3].split(/\s{2,}/)).toEqual(["1", "A-1", "Schraube Ø8", "12.50", "3", "│", "1", "A-1", "SCHRAUBE Ø8", "37.5"]);
    expect(lines[4].split(/\s{2,}/)).toEqual(["2", "B-2", "NULL", "0.10", "7", "│", "2", "B-2", "NULL", "0.7"]);
    expect(lines).toHaveLength(5);
    const after = await query<{ n: number }>("SELECT count(*)::int AS n FROM wh.items");
    expect(after[0].n).toBe(before[0].n);
    const ledger = await query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = 'databridge'");
    expect(ledger[0].n).toBe(0);
  });

  it("--json gives each row's source, target and the error that would reject it", async () => {
    const result = await runCli(["preview", "items-new", "--json"], dir);
    expect(result.code, result.stderr).toBe(0);
    const preview = JSON.parse(result.stdout) as { rows: { key: unknown[]; source: Record<string, unknown>; target?: Record<string, unknown>; error?: unknown }[] };
    expect(preview.rows.map((r) => r.key)).toEqual([[1], [2], [3]]);
    expect(preview.rows[0].target).toEqual({ id: 1, code: "A-1", name: "Schraube Ø8", price: "12.50", made_on: "2023-02-01" });
    expect(preview.rows[1].target?.made_on).toBeNull();
    expect(preview.rows[2].target).toEqual({ id: 3, code: "C-3", name: 'tab\tand "quotes"', price: "1.99", made_on: "2024-02-29" });
  });
});

describe("run", () => {
  it("--json: one event per line, the last is run.finished with the counts", async () => {
    const result = await runCli(["run", "items", "--json"], dir);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.length).toBe(result.events.length);
    for (const event of result.events) {
      expect(Object.keys(event)).toEqual(expect.arrayContaining(["type", "runId", "pipeline", "ts"]));
      expect(event.runId).toBe(result.events[0].runId);
    }
    expect(result.events.map((e) => e.type)).toEqual(["run.started", "stage.started", "batch.committed", "batch.committed", "stage.finished", "run.finished"]);
    const finished = result.events.at(-1) as Extract<RunEvent, { type: "run.finished" }>;
    expect(finished).toMatchObject({ type: "run.finished", pipeline: "items", status: "succeeded", rows: { read: 3, written: 3, rejected: 0 } });
    const rows = await query<{ id: number; label: string | null; total: string | null }>("SELECT id, label, total::text AS total FROM wh.items ORDER BY id");
    expect(rows).toEqual([
      { id: 1, label: "SCHRAUBE Ø8", total: "37.50" },
      { id: 2, label: null, total: "0.70" },
      { id: 3, label: 'TAB\tAND "QUOTES"', total: null },
    ]);
  });

  it("an unknown connection exits 2; the error is one line naming the pipeline and the closest connection", async () => {
    writeFiles(dir, {
      "errors/bad-conn.etl.ts": pipelineFile(`{
        name: "bad-conn", source: { connection: "legacyy", table: "items" }, target: { connection: "warehouse", table: "wh.items" }, columns: { id: "id" },
      }`),
    });
    const result = await runCli(["run", "errors/bad-conn.etl.ts"], dir);
    expect(result.code).toBe(2);
    const errorLines = result.stderr.split("\n").filter((l) => l.includes("unknown connection"));
    expect(errorLines).toEqual([expect.stringMatching(/pipeline bad-conn, connection legacyy \(source\): unknown connection "legacyy" \(did you mean "legacy"\?\)/)]);
    expect(stackFrames(result.stderr + result.stdout)).toEqual([]);
  });

  it("an unknown table exits 2; the error is one line naming pipeline, table and the closest table", async () => {
    writeFiles(dir, {
      "errors/bad-table.etl.ts": pipelineFile(`{
        name: "bad-table", source: { connection: "legacy", table: "itemz" }, target: { connection: "warehouse", table: "wh.items" }, columns: { id: "id" },
      }`),
    });
    const human = await runCli(["run", "errors/bad-table.etl.ts"], dir);
    expect(human.code).toBe(2);
    const errorLines = human.stderr.split("\n").filter((l) => l.includes("does not exist"));
    expect(errorLines).toEqual([expect.stringMatching(/pipeline bad-table, connection legacy, table itemz: source table itemz does not exist \(did you mean "items"\?\)/)]);
    expect(stackFrames(human.stderr + human.stdout)).toEqual([]);

    const json = await runCli(["run", "errors/bad-table.etl.ts", "--json"], dir);
    expect(json.code).toBe(2);
    const last = json.events.at(-1) as Extract<RunEvent, { type: "run.finished" }>;
    expect(last.type).toBe("run.finished");
    expect(last.status).toBe("failed");
    expect(last.error).toMatch(/source table itemz does not exist \(did you mean "items"\?\)/);
  });

  it("an unknown pipeline name exits 2 with a did-you-mean", async () => {
    const result = await runCli(["run", "itemz"], dir);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('error: no pipeline file or pipeline named "itemz" (did you mean "items"?)');
  });
});
