import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Catalog } from "@databridge/core";
import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { openSqliteFile } from "../support/sqlite-file.js";
import { createWorkspace, pipelineSource, runCli, type TestWorkspace } from "./harness.js";

const CUSTOMERS = `CREATE TABLE customers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  city VARCHAR(40) DEFAULT 'Zürich',
  note TEXT,
  photo BLOB,
  vip BOOLEAN NOT NULL DEFAULT 0,
  born DATE,
  created DATETIME DEFAULT CURRENT_TIMESTAMP,
  ext_id INTEGER
)`;
const ORDERS = `CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  price NUMERIC(10,2),
  qty INTEGER NOT NULL,
  weight REAL,
  placed DATETIME,
  shipped DATE
)`;

const customers: unknown[][] = [
  // name, city, note, photo, vip, born, created, ext_id
  ["Ådne Øverås", "Tromsø", "tab\there, newline\nthere, CRLF\r\nand 'single' \"double\" quotes, a back\\slash", Uint8Array.of(0, 1, 2, 255, 254, 10, 9, 92), 1, "1970-01-01", "2024-03-01 12:34:56.789", 9007199254740993n],
  ["李小龍", null, "", Uint8Array.of(), 0, "2024-02-29", "2024-02-29 23:59:59", -9223372036854775808n],
  ["Zoë \"The Quote\" O'Brien", "München", "emoji 🚀 and \\N and \\t literally", null, 1, null, "1999-12-31 23:59:59.123456", 9223372036854775807n],
  ["Null Everything", null, null, null, 0, null, null, null],
  ["Plain", "Paris", "ascii", new TextEncoder().encode("PNG\r\n\u001a\n"), 0, "1900-01-01", "2000-01-01 00:00:00", 42],
];
const orders: unknown[][] = [
  // customer_id, price, qty, weight, placed, shipped
  [1, "12.50", 3, 0.1, "2024-03-01 10:00:00", "2024-03-02"],
  [1, "0.10", 1, 0.30000000000000004, "2024-03-01T10:00:00", null],
  [2, "19.99", 2, 1e-7, "2024-03-03 08:15:30.5", "2024-03-04"],
  [3, "12345678.90", 10, 123456789.125, null, null],
  [3, 7, 5, -0.5, "2024-12-31 23:59:59", "2025-01-01"],
  [4, null, 1, null, null, null],
  [5, "0", 0, 5e-324, "2024-06-15 12:00", "2024-06-15"],
];

/** SQLite's own reading of every value: storage class, bytes (hex) and digits, independently of the connector. */
function sqliteTruth(file: string, table: string, columns: string[]): Map<number, { t: string; hex: string | null; digits: string | null }[]> {
  const db = openSqliteFile(file, { readOnly: true });
  try {
    const select = columns.map((c) => `typeof("${c}") AS "${c}_t", hex("${c}") AS "${c}_hex", CASE typeof("${c}") WHEN 'real' THEN printf('%!.17g', "${c}") WHEN 'integer' THEN printf('%d', "${c}") END AS "${c}_digits"`);
    const rows = db.all(`SELECT id, ${select.join(", ")} FROM "${table}" ORDER BY id`) as Record<string, string | number | null>[];
    return new Map(rows.map((row) => [Number(row.id), columns.map((c) => ({ t: String(row[`${c}_t`]), hex: row[`${c}_hex`] as string | null, digits: row[`${c}_digits`] as string | null }))]));
  } finally {
    db.close();
  }
}

/** What PostgreSQL must hold for a SQLite value, as PostgreSQL's text of the column's type. */
function expectedText(value: { t: string; hex: string | null; digits: string | null }, pgType: string): string | null {
  switch (value.t) {
    case "null": return null;
    case "integer": return pgType === "boolean" ? (value.digits === "1" ? "true" : "false") : value.digits;
    // The stored double, written with the shortest digits that read back as it (PostgreSQL's float8 output does the same).
    case "real": return String(Number(value.digits));
    case "text": return Buffer.from(value.hex!, "hex").toString("utf8");
    case "blob": return `\\x${value.hex!.toLowerCase()}`;
    default: throw new Error(`storage class ${value.t}`);
  }
}

describe("SQLite file → PostgreSQL with the CLI (discover, run, verify) and an independent check of every value", () => {
  let ready = false;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: TestWorkspace;
  let file: string;

  beforeAll(async () => {
    ready = await requireServers("postgres");
    if (!ready) return;
    target = await createPostgresDatabase("dbt_sqlite");
    workspace = createWorkspace({ legacy: "sqlite:data/legacy.db", warehouse: target.url }, "databridge-sqlite-");
    file = path.join(workspace.dir, "data", "legacy.db");
    fs.mkdirSync(path.dirname(file));
    const db = openSqliteFile(file);
    db.exec(`${CUSTOMERS}; ${ORDERS}; CREATE TABLE oddities (id INTEGER PRIMARY KEY, label TEXT, happened DATETIME, flag BOOLEAN);`);
    for (const row of customers) db.run("INSERT INTO customers (name, city, note, photo, vip, born, created, ext_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row as never);
    for (const row of orders) db.run("INSERT INTO orders (customer_id, price, qty, weight, placed, shipped) VALUES (?, ?, ?, ?, ?, ?)", row as never);
    // Values the mapped PostgreSQL types could only take changed: each row is rejected with its key and column.
    db.exec(`INSERT INTO oddities VALUES (1, 'fine', '2024-01-01 00:00:00', 1), (2, X'C3A9', '2024-01-01 00:00:00', 0), (3, 'unix time', 1700000000, 0),
      (4, 'offset', '2024-01-01T00:00:00+02:00', 1), (5, 'a flag of 2', '2024-01-01', 2), (6, 'bad utf-8: ' || CAST(X'E9' AS TEXT), NULL, NULL), (7, 'also fine', NULL, NULL)`);
    db.close();
    const table = (name: string, columns: string[], extra: Record<string, unknown> = {}) => workspace.pipeline(name, pipelineSource({
      name, source: { connection: "legacy", table: name, key: "id" }, target: { connection: "warehouse", table: `public.${name}`, mode: "insert", create: true },
      columns: Object.fromEntries(columns.map((c) => [c, c])), batchSize: 2, ...extra,
    }));
    table("customers", ["id", "name", "city", "note", "photo", "vip", "born", "created", "ext_id"]);
    table("orders", ["id", "customer_id", "price", "qty", "weight", "placed", "shipped"], { dependsOn: ["customers"] });
    table("oddities", ["id", "label", "happened", "flag"], { onError: "skip" });
  });

  afterAll(async () => {
    workspace?.remove();
    await target?.drop();
  });

  it("discover --json lists the tables, their columns with declared types, keys and the foreign key", async (ctx) => {
    if (!ready) return ctx.skip();
    const result = await runCli(["discover", "legacy", "--json"], { cwd: workspace.dir });
    expect(result.code, result.stderr).toBe(0);
    const catalog = JSON.parse(result.stdout) as Catalog;
    expect(catalog).toMatchObject({ connection: "legacy", type: "sqlite", defaultSchema: "main" });
    expect(catalog.tables.map((t) => t.name)).toEqual(["customers", "oddities", "orders"]);
    const customersTable = catalog.tables.find((t) => t.name === "customers")!;
    expect(customersTable.primaryKey).toEqual(["id"]);
    expect(customersTable.columns.map((c) => [c.name, c.nativeType, c.type.kind, c.nullable])).toEqual([
      ["id", "INTEGER", "bigint", false], ["name", "TEXT", "text", false], ["city", "VARCHAR(40)", "string", true], ["note", "TEXT", "text", true],
      ["photo", "BLOB", "binary", true], ["vip", "BOOLEAN", "boolean", false], ["born", "DATE", "date", true], ["created", "DATETIME", "timestamp", true],
      ["ext_id", "INTEGER", "bigint", true],
    ]);
    expect(catalog.tables.find((t) => t.name === "orders")!.foreignKeys).toEqual([
      { name: "fk_orders_0", columns: ["customer_id"], referencedTable: { schema: "main", name: "customers" }, referencedColumns: ["id"] },
    ]);
  });

  it("run (create: true) and verify exit 0; PostgreSQL holds every value SQLite holds, by SQLite's own reading of the file", async (ctx) => {
    if (!ready) return ctx.skip();
    const run = await runCli(["run", "customers", "orders"], { cwd: workspace.dir });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const verify = await runCli(["verify", "customers", "orders"], { cwd: workspace.dir });
    expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0);

    const types = (await target.query(`SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name IN ('customers', 'orders') ORDER BY table_name, ordinal_position`)).rows as { table_name: string; column_name: string; data_type: string; is_identity: string }[];
    expect(types.filter((t) => t.table_name === "customers").map((t) => `${t.column_name} ${t.data_type}${t.is_identity === "YES" ? " identity" : ""}`)).toEqual([
      "id bigint identity", "name text", "city text", "note text", "photo bytea", "vip boolean", "born date", "created timestamp without time zone", "ext_id bigint",
    ]);
    expect(types.filter((t) => t.table_name === "orders").map((t) => `${t.column_name} ${t.data_type}`)).toEqual([
      "id bigint", "customer_id bigint", "price numeric", "qty bigint", "weight double precision", "placed timestamp without time zone", "shipped date",
    ]);

    for (const [table, columns] of [["customers", ["name", "city", "note", "photo", "vip", "born", "created", "ext_id"]], ["orders", ["customer_id", "price", "qty", "weight", "placed", "shipped"]]] as const) {
      const truth = sqliteTruth(file, table, [...columns]);
      const pgTypes = columns.map((c) => types.find((t) => t.table_name === table && t.column_name === c)!.data_type);
      const held = (await target.query(`SELECT id::text, ${columns.map((c) => `"${c}"::text`).join(", ")} FROM public.${table} ORDER BY id`)).rows as Record<string, string | null>[];
      expect(held.map((r) => Number(r.id))).toEqual([...truth.keys()]);
      for (const row of held) {
        const sqliteValues = truth.get(Number(row.id))!;
        for (const [i, column] of columns.entries()) {
          const expected = expectedText(sqliteValues[i], pgTypes[i]);
          const actual = row[column];
          const where = `${table} id ${row.id} ${column} (${sqliteValues[i].t} ${sqliteValues[i].hex})`;
          if (sqliteValues[i].t === "real" && actual !== null) expect(Object.is(Number(actual), Number(sqliteValues[i].digits)), `${where}: ${actual}`).toBe(true);
          else if (pgTypes[i].startsWith("timestamp") && expected !== null) {
            // The same time whatever its spelling (`T` or a space, seconds or none): as PostgreSQL itself reads SQLite's text.
            expect(actual, where).toBe((await target.query("SELECT $1::timestamp::text AS t", [expected])).rows[0].t);
          } else expect(actual, where).toBe(expected);
        }
      }
    }
    // The NUMERIC prices: SQLite stored '12.50' as the REAL 12.5 and '12345678.90' as 12345678.9; what is stored arrives.
    expect((await target.query("SELECT price::text FROM public.orders ORDER BY id")).rows.map((r) => r.price)).toEqual(["12.5", "0.1", "19.99", "12345678.9", "7", null, "0"]);
  });

  it("a value the mapped type cannot take is rejected with its key and column; the rest loads", async (ctx) => {
    if (!ready) return ctx.skip();
    const run = await runCli(["run", "oddities"], { cwd: workspace.dir });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(3);
    expect((await target.query("SELECT id FROM public.oddities ORDER BY id")).rows.map((r) => Number(r.id))).toEqual([1, 7]);
    const rejected = (await target.query(`SELECT source_key::text AS key, column_name, source_row->>(column_name) AS value
      FROM databridge.rejected_rows WHERE pipeline = 'oddities' ORDER BY source_key::text`)).rows as { key: string; column_name: string; value: string }[];
    expect(rejected.map((r) => [r.key, r.column_name])).toEqual([["[2]", "label"], ["[3]", "happened"], ["[4]", "happened"], ["[5]", "flag"], ["[6]", "label"]]);
    expect(rejected.map((r) => r.value.replace(/^\\u0000/, ""))).toEqual([
      "(rejected by the SQLite source: a BLOB of 2 bytes in a column declared TEXT)",
      "(rejected by the SQLite source: the number 1700000000 in a column declared DATETIME: dates and times are read as ISO text (a unix time or a Julian day is not guessed))",
      '(rejected by the SQLite source: "2024-01-01T00:00:00+02:00" in a column declared DATETIME is not a wall-clock time: it has an offset, which a timestamp column would drop)',
      "(rejected by the SQLite source: 2 is not a boolean (0 or 1))",
      "(rejected by the SQLite source: text that is not UTF-8 (12 bytes: 626164207574662d383a20e9))",
    ]);
  });
});
