import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDataBridgeError } from "../../errors.js";
import { describeConnector, type Source } from "../connector.js";
import { rejectedValueText, sqliteConnectorFactory, sqliteFilePath } from "./sqlite-connector.js";

const { Database } = createRequire(import.meta.url)("node-sqlite3-wasm") as typeof import("node-sqlite3-wasm");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-sqlite-connector-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const open = (file: string) => sqliteConnectorFactory.create({ name: "legacy", url: new URL(`sqlite:${file}`), baseDir: dir }) as Promise<Source>;
const digest = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const failureOf = (promise: Promise<unknown>) => promise.then(() => { throw new Error("expected a failure"); }, (error: unknown) => error);

/** Reads a whole table or query page by page, the way the engine does. */
async function readAll(source: Source, from: Parameters<Source["read"]>[0]["from"], key: string[], limit: number, first?: unknown[]) {
  const rows: unknown[][] = [];
  let after = first;
  for (;;) {
    const page = await source.read({ from, key, after, limit });
    rows.push(...page.rows);
    if (page.rows.length < limit) return { rows, columns: page.columns.map((c) => c.name) };
    const last = page.rows[page.rows.length - 1];
    after = key.map((k) => last[page.columns.findIndex((c) => c.name === k)]);
  }
}

describe("sqlite: URLs and the file", () => {
  it("a path relative to the config's folder, or absolute; spaces and a query string", () => {
    expect(sqliteFilePath(new URL("sqlite:data/legacy.db"), "/work/ws")).toBe("/work/ws/data/legacy.db");
    expect(sqliteFilePath(new URL("sqlite:./legacy.db"), "/work/ws")).toBe("/work/ws/legacy.db");
    expect(sqliteFilePath(new URL("sqlite:/srv/apps/legacy.db"), "/work/ws")).toBe("/srv/apps/legacy.db");
    expect(sqliteFilePath(new URL("sqlite:///srv/apps/legacy.db"), "/work/ws")).toBe("/srv/apps/legacy.db");
    expect(sqliteFilePath(new URL("sqlite:my data/legacy db.sqlite?x=1"), "/work/ws")).toBe("/work/ws/my data/legacy db.sqlite");
  });

  it("describes itself as a source kept in a file", () => {
    expect(describeConnector(sqliteConnectorFactory)).toEqual({
      type: "sqlite", schemes: ["sqlite"], label: "SQLite (file)", detail: "A SQLite 3 database file, read in-process and never written; source",
      roles: ["source"], storage: "file", defaultPort: undefined, urlExample: "sqlite:data/legacy.db", integrationTested: true, urlOptions: undefined,
    });
    expect(sqliteConnectorFactory.embedded?.location(new URL("sqlite:x.db"), dir)).toBe(path.join(dir, "x.db"));
  });

  it("a missing file is reported and never created; a folder is no database", async () => {
    const missing = path.join(dir, "nowhere", "legacy.db");
    const error = await failureOf(open(missing));
    expect(isDataBridgeError(error) && error.kind).toBe("config");
    expect(isDataBridgeError(error) && error.toLine()).toBe(`connection legacy: no SQLite database at ${missing} (fix: correct the path in the connection URL (sqlite:<file>, relative to the folder of databridge.config.ts))`);
    expect(fs.existsSync(missing)).toBe(false);
    expect(await sqliteConnectorFactory.embedded!.exists(missing)).toBe(false);
    expect(((await failureOf(open(dir))) as Error).message).toBe(`${dir} is a folder, not a SQLite database file`);
    expect(await sqliteConnectorFactory.embedded!.exists(dir)).toBe(false);
  });
});

describe("sqlite source over a real file", () => {
  const file = path.join(dir, "shop.db");
  let source: Source;
  let before: string;

  beforeAll(async () => {
    const db = new Database(file);
    db.exec(`
      CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(40) NOT NULL DEFAULT 'nobody', email TEXT);
      CREATE UNIQUE INDEX customers_email ON customers(email) WHERE email IS NOT NULL;
      CREATE INDEX customers_lower ON customers(lower(name));
      CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers, placed DATETIME DEFAULT CURRENT_TIMESTAMP, total NUMERIC(10,2));
      CREATE TABLE lines (order_id INTEGER NOT NULL REFERENCES orders(id), line_no INT NOT NULL, sku TEXT, PRIMARY KEY (order_id, line_no)) WITHOUT ROWID;
      CREATE TABLE codes (code INTEGER PRIMARY KEY, label) WITHOUT ROWID;
      CREATE TABLE big (id INTEGER PRIMARY KEY, v);
      CREATE VIEW order_totals AS SELECT o.id, c.name, o.total * 2 AS doubled FROM orders o JOIN customers c ON c.id = o.customer_id;
    `);
    db.exec("BEGIN");
    for (let i = 1; i <= 40; i++) db.run("INSERT INTO customers (name, email) VALUES (?, ?)", [`customer ${i}`, i % 3 ? `c${i}@example.com` : null]);
    for (let i = 1; i <= 300; i++) {
      db.run("INSERT INTO orders (id, customer_id, placed, total) VALUES (?, ?, ?, ?)", [i, (i % 40) + 1, `2024-01-${String((i % 28) + 1).padStart(2, "0")} 10:00:00`, `${i}.50`]);
      for (let l = 1; l <= (i % 4) + 1; l++) db.run("INSERT INTO lines VALUES (?, ?, ?)", [i, l, `sku-${i}-${l}`]);
    }
    for (const id of [-9223372036854775808n, -1n, 0n, 9007199254740991n, 9007199254740992n, 9007199254740993n, 9223372036854775807n]) db.run("INSERT INTO big VALUES (?, ?)", [id, String(id)]);
    db.exec("COMMIT; ANALYZE;");
    db.close();
    before = digest(file);
    source = await open(file);
  });
  afterAll(() => source?.close());

  it("introspects tables and views: declared types, NOT NULL, defaults, keys, identity, foreign keys, indexes, estimates", async () => {
    const catalog = await source.introspect();
    expect(catalog).toMatchObject({ connection: "legacy", type: "sqlite", defaultSchema: "main", serverVersion: expect.stringMatching(/^SQLite 3\.\d+/) });
    expect(catalog.tables.map((t) => `${t.kind} ${t.name}`)).toEqual(["table big", "table codes", "table customers", "table lines", "view order_totals", "table orders"]);
    const table = (name: string) => catalog.tables.find((t) => t.name === name)!;
    expect(table("customers").columns).toEqual([
      { name: "id", nativeType: "INTEGER", type: { kind: "bigint" }, nullable: false, default: null, generated: true, identity: true },
      { name: "name", nativeType: "VARCHAR(40)", type: { kind: "string", length: 40 }, nullable: false, default: "'nobody'" },
      { name: "email", nativeType: "TEXT", type: { kind: "text" }, nullable: true, default: null },
    ]);
    // A partial unique index guarantees nothing over the whole table; an expression is no column.
    expect(table("customers").indexes).toEqual([
      { name: "customers_email", columns: ["email"], unique: false },
      { name: "customers_lower", columns: ["(expression 1)"], unique: false },
    ]);
    expect(table("customers").estimatedRows).toBe(40);
    // INTEGER PRIMARY KEY without AUTOINCREMENT is the rowid all the same; in a WITHOUT ROWID table it is not.
    expect(table("orders").columns[0]).toMatchObject({ name: "id", identity: true, nullable: false });
    expect(table("codes").columns[0]).toEqual({ name: "code", nativeType: "INTEGER", type: { kind: "bigint" }, nullable: false, default: null });
    expect(table("orders").columns[2]).toMatchObject({ name: "placed", nativeType: "DATETIME", type: { kind: "timestamp" }, default: "CURRENT_TIMESTAMP" });
    expect(table("orders").foreignKeys).toEqual([{ name: "fk_orders_0", columns: ["customer_id"], referencedTable: { schema: "main", name: "customers" }, referencedColumns: ["id"] }]);
    expect(table("lines")).toMatchObject({ primaryKey: ["order_id", "line_no"], estimatedRows: 750 });
    expect(table("lines").indexes).toEqual([{ name: "sqlite_autoindex_lines_1", columns: ["order_id", "line_no"], unique: true }]);
    expect(table("order_totals")).toMatchObject({ kind: "view", primaryKey: [], estimatedRows: null });
    expect(table("order_totals").columns.map((c) => `${c.name} ${c.nativeType}`)).toEqual(["id INTEGER", "name VARCHAR(40)", "doubled "]);
    expect((await source.introspect({ tables: [{ name: "lines" }] })).tables.map((t) => t.name)).toEqual(["lines"]);
  });

  it("pages through a composite key: every row once, in key order", async () => {
    const { rows } = await readAll(source, { table: { name: "lines" } }, ["order_id", "line_no"], 97);
    expect(rows).toHaveLength(750);
    expect(new Set(rows.map((r) => `${r[0]}/${r[1]}`)).size).toBe(750);
    expect(rows.map((r) => r[2])).toEqual(rows.map((r) => `sku-${r[0]}-${r[1]}`));
    const keys = rows.map((r) => (r[0] as number) * 100 + (r[1] as number));
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
  });

  it("pages integer keys beyond 2^53 exactly, also resuming from a checkpoint's text", async () => {
    const { rows } = await readAll(source, { table: { name: "big" } }, ["id"], 2);
    expect(rows.map((r) => r[0])).toEqual([-9223372036854775808n, -1, 0, 9007199254740991, 9007199254740992n, 9007199254740993n, 9223372036854775807n]);
    expect(rows.map((r) => String(r[0]))).toEqual(rows.map((r) => r[1]));
    const resumed = await readAll(source, { table: { name: "big" } }, ["id"], 2, ["9007199254740992"]);
    expect(resumed.rows.map((r) => r[0])).toEqual([9007199254740993n, 9223372036854775807n]);
  });

  it("query sources: result columns keep their tables' declared types; repeated names are told apart", async () => {
    const query = "SELECT o.id, c.id, o.total * 2 AS doubled, o.placed FROM orders o JOIN customers c ON c.id = o.customer_id -- a comment";
    expect(await source.describeQuery(query)).toEqual([
      { name: "id", type: { kind: "bigint" } }, { name: "id:1", type: { kind: "bigint" } }, { name: "doubled", type: { kind: "text" } }, { name: "placed", type: { kind: "timestamp" } },
    ]);
    const { rows, columns } = await readAll(source, { query }, ["id"], 64);
    expect(columns).toEqual(["id", "id:1", "doubled", "placed"]);
    expect(rows).toHaveLength(300);
    expect(rows[0]).toEqual([1, 2, 3, "2024-01-02 10:00:00"]);
  });

  it("never writes the file: reads, describes and introspection leave it byte for byte as it was, and a write is refused", async () => {
    await readAll(source, { table: { name: "orders" } }, ["id"], 50);
    await source.describeQuery("SELECT * FROM orders");
    await source.introspect();
    expect(((await failureOf(source.query("DELETE FROM orders"))) as Error).message).toBe("attempt to write a readonly database");
    expect(digest(file)).toBe(before);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });
});

describe("sqlite values: the connector's reading against SQLite's own (typeof, hex, printf)", () => {
  const file = path.join(dir, "values.db");
  let source: Source;
  // Each value as an application would bind it, in columns of several declared types.
  const values: unknown[] = [
    null, 0, -0.0, 1, -1, 2 ** 31, 2 ** 53 - 1, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n,
    0.1, 0.1 + 0.2, 1 / 3, 1e308, 5e-324, -2.5e-10, 12.5, Infinity, -Infinity,
    "", " ", "12.50", "0012", "1e400", "abc", "a\u0000b", "tab\tnew\nline\r\nquote ' \" back \\ slash", "Zürich — 東京 🚀 \u{10FFFF}", "2024-02-29 23:59:59.123",
    Uint8Array.of(), Uint8Array.of(0), Uint8Array.of(0, 255, 128, 10, 9), new TextEncoder().encode("bytes that spell text"),
  ];
  const declared = ["INTEGER", "REAL", "NUMERIC(10,2)", "TEXT", "BLOB", ""];

  beforeAll(async () => {
    const db = new Database(file);
    db.exec(`CREATE TABLE v (id INTEGER PRIMARY KEY, ${declared.map((t, i) => `c${i} ${t}`).join(", ")})`);
    values.forEach((value, id) => db.run(`INSERT INTO v VALUES (?${", ?".repeat(declared.length)})`, [id, ...declared.map(() => value)] as never));
    db.close();
    source = await open(file);
  });
  afterAll(() => source?.close());

  it("every stored value arrives exactly (or is rejected with the reason), checked column by column against SQLite's own functions", async () => {
    const { rows } = await readAll(source, { table: { name: "v" } }, ["id"], 7);
    expect(rows).toHaveLength(values.length);
    const checked = new Set<string>();
    for (let c = 0; c < declared.length; c++) {
      const column = `c${c}`;
      const truth = (await source.query<{ id: number; t: string; hex: string | null; digits: string | null }>(
        `SELECT id, typeof(${column}) AS t, hex(${column}) AS hex, CASE typeof(${column}) WHEN 'real' THEN printf('%!.17g', ${column}) WHEN 'integer' THEN printf('%d', ${column}) END AS digits FROM v ORDER BY id`)).rows;
      for (const { id, t, hex, digits } of truth) {
        const read = rows[id][c + 1];
        const where = `${column} ${declared[c] || "(no type)"}, row ${id}: ${t} ${hex}`;
        checked.add(`${declared[c]}:${t}`);
        if (declared[c] === "BLOB" && (t === "integer" || t === "real")) {
          const number = t === "integer" ? digits! : String(Number.isFinite(Number(digits)) ? Number(digits) : digits!.startsWith("-") ? -Infinity : Infinity);
          expect(read, where).toBe(rejectedValueText(`the number ${number} in a column declared BLOB: a bytea holds bytes`));
          continue;
        }
        switch (t) {
          case "null": expect(read, where).toBeNull(); break;
          case "integer": expect(BigInt(read as number | bigint), where).toBe(BigInt(digits!)); expect(typeof read === "bigint" || Number.isSafeInteger(read), where).toBe(true); break;
          case "real":
            if (Number.isFinite(read)) expect(Object.is(read, Number(digits)), where).toBe(true);
            else expect(read, where).toBe(digits!.startsWith("-") ? -Infinity : Infinity);
            break;
          case "text": {
            const bytes = Buffer.from(hex!, "hex");
            if (declared[c] === "BLOB") expect(Buffer.from(read as Uint8Array).toString("hex"), where).toBe(bytes.toString("hex"));
            else expect(Buffer.from(read as string, "utf8").toString("hex"), where).toBe(bytes.toString("hex"));
            break;
          }
          case "blob":
            if (declared[c] === "BLOB") expect(Buffer.from(read as Uint8Array).toString("hex"), where).toBe(hex!.toLowerCase());
            else expect(read, where).toBe(rejectedValueText(`a BLOB of ${hex!.length / 2} bytes in a column declared ${declared[c] || "without a type"}`));
            break;
          default: throw new Error(`unexpected storage class ${t}`);
        }
      }
    }
    // The affinities stored the values in several classes: each (column, class) pair met at least once.
    expect([...checked].sort()).toEqual(expect.arrayContaining(["INTEGER:integer", "INTEGER:real", "INTEGER:text", "INTEGER:blob", "REAL:real", "NUMERIC(10,2):integer", "NUMERIC(10,2):real", "NUMERIC(10,2):text", "TEXT:text", "TEXT:blob", "BLOB:integer", "BLOB:real", "BLOB:text", "BLOB:blob", ":integer", ":real", ":text", ":blob"]));
  });

  it("a key column holding a BLOB stops the read (paging by it would skip or repeat rows)", async () => {
    const error = await failureOf(source.read({ from: { table: { name: "v" } }, key: ["c3"], limit: 1000 }));
    expect(isDataBridgeError(error) && error.toLine()).toMatch(/^connection legacy, table v, column c3: key column c3 holds a BLOB of \d+ bytes in a column declared TEXT: rows cannot be paged by it \(fix: page by another unique column/);
  });
});
