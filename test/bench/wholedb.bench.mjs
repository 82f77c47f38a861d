#!/usr/bin/env node
// Whole-database benchmark (#7 acceptance 4): a MariaDB database of 16 tables — composite and auto-increment
// keys, self-referencing and chained foreign keys, ENUM, SET, JSON, BLOB/VARBINARY, POINT, TINYINT(1), BIT(1),
// DECIMAL, DOUBLE, DATETIME(3/6), TIMESTAMP, DATE, YEAR, BIGINT UNSIGNED, non-ASCII text — about 1.75M rows,
// migrated into PostgreSQL side by side in one session:
//   - pgloader (Debian package): `LOAD DATABASE FROM mysql://… INTO postgresql://…` with the full schema
//     (tables, indexes, foreign keys, sequences);
//   - DataBridge: `databridge generate` then `databridge run` (tables, then data, then indexes and foreign keys).
// Each is timed as the median of BENCH_REPEAT runs (default 3) into a fresh database; the bench prints the
// ratio and fails when DataBridge takes more than 1.5× pgloader's time. Both copies are checked equal:
// row counts against the source, and a keyed checksum per table computed inside PostgreSQL over each
// column's canonical text (booleans as 0/1, numbers without trailing zeros, instants as UTC wall time,
// enums and SETs as text, JSON as jsonb, points as WKT, bytes by md5), ordered by the primary key.
//
// DataBridge's side is exactly what a user types: `databridge generate legacy --target warehouse` (once, into an
// empty database), then `databridge run` of the generated, unedited files into each fresh database. The schema
// DataBridge carries over (NOT NULL, defaults, identities, keys, indexes, foreign keys) is counted against the
// source's catalog.
//
// Env: BENCH_SCALE (1: ≈1.75M rows), BENCH_REPEAT (3), BENCH_CPU_PROF=1 (V8 CPU profiles of the DataBridge
// runs in .bench/prof), DATABRIDGE_TEST_POSTGRES_URL, DATABRIDGE_TEST_MARIADB_URL.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import pg from "pg";
import mysql from "mysql2/promise";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "server/bin/databridge.mjs");
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
const CPU_PROF = process.env.BENCH_CPU_PROF === "1";
const MAX_RATIO = 1.5;
const PG_ADMIN = process.env.DATABRIDGE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const MARIA_ADMIN = process.env.DATABRIDGE_TEST_MARIADB_URL ?? "mysql://root@127.0.0.1:3306/";

const log = (...args) => console.log(...args);
const seconds = (ms) => (ms / 1000).toFixed(2);
const n = (rows) => Math.max(1, Math.round(rows * SCALE));
const id = `${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
const sourceName = `dbb_whole_${id}`;
const urlOf = (admin, database) => {
  const url = new URL(admin);
  url.pathname = `/${database}`;
  return url;
};

/**
 * The source schema: tables in dependency order, each generated inside MariaDB from a sequence (deterministic,
 * every foreign key pointing at an existing row).
 */
const ROWS = {
  regions: n(50), countries: n(200), categories: n(2_000), suppliers: n(5_000), products: n(50_000), warehouses: n(100),
  customers: n(100_000), addresses: n(120_000), employees: n(2_000), orders: n(200_000),
  payments: n(200_000), shipments: n(150_000), documents: n(20_000), audit_log: n(100_000),
};
// Up to 2,000 products stocked per warehouse; three lines per order.
const STOCKED = Math.min(ROWS.products, 2_000);
ROWS.inventory = ROWS.warehouses * STOCKED;
ROWS.order_lines = ROWS.orders * 3;
/** 1..count as signed integers (the Sequence engine's are unsigned, and `seq % 10 - 5` must go below zero). */
const sequence = (count) => `(SELECT CAST(seq AS SIGNED) AS seq FROM seq_1_to_${count}) s`;
const TABLES = [
  ["regions", `id INT NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL, code CHAR(3) NOT NULL`,
    `SELECT seq, CONCAT(ELT(1 + seq % 5, 'Nord', 'Süd', 'Øst', '東', 'West'), ' ', seq), LPAD(seq, 3, '0') FROM ${sequence(ROWS.regions)}`],
  ["countries", `id SMALLINT NOT NULL PRIMARY KEY, region_id INT NOT NULL, name VARCHAR(60) NOT NULL, iso CHAR(2) NOT NULL, FOREIGN KEY (region_id) REFERENCES regions (id)`,
    `SELECT seq, 1 + seq % ${ROWS.regions}, CONCAT('Land ', seq, ' – Ελλάδα'), CHAR(65 + seq % 26, 65 + (seq DIV 26) % 26) FROM ${sequence(ROWS.countries)}`],
  ["categories", `id INT NOT NULL PRIMARY KEY, parent_id INT NULL, name VARCHAR(80) NOT NULL, path TEXT NOT NULL, FOREIGN KEY (parent_id) REFERENCES categories (id)`,
    `SELECT seq, IF(seq <= 20, NULL, 1 + seq % 20), CONCAT('Kategorie ', seq), CONCAT('/', seq % 20, '/', seq) FROM ${sequence(ROWS.categories)}`],
  ["suppliers", `id INT NOT NULL PRIMARY KEY, country_id SMALLINT NOT NULL, name VARCHAR(100) NOT NULL, rating DECIMAL(3,1) NULL, active TINYINT(1) NOT NULL DEFAULT 1,
     created DATETIME(3) NOT NULL, FOREIGN KEY (country_id) REFERENCES countries (id)`,
    `SELECT seq, 1 + seq % ${ROWS.countries}, CONCAT('Lieferant ', seq, ' GmbH & Co. KG'), IF(seq % 9 = 0, NULL, (seq % 50) / 10), seq % 7 <> 0,
       TIMESTAMP'2015-01-01 00:00:00' + INTERVAL seq * 3607 SECOND + INTERVAL seq % 1000 * 1000 MICROSECOND FROM ${sequence(ROWS.suppliers)}`],
  ["products", `id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, category_id INT NOT NULL, supplier_id INT NOT NULL, sku VARCHAR(20) NOT NULL, name VARCHAR(120) NOT NULL,
     description TEXT NULL, price DECIMAL(10,2) NOT NULL, weight DOUBLE NULL, status ENUM('active','discontinued','draft') NOT NULL DEFAULT 'active',
     tags SET('new','sale','eco','bulk') NOT NULL DEFAULT '', attributes JSON NULL, created_at TIMESTAMP NULL DEFAULT NULL, UNIQUE KEY (sku),
     FOREIGN KEY (category_id) REFERENCES categories (id), FOREIGN KEY (supplier_id) REFERENCES suppliers (id)`,
    `SELECT seq, 1 + seq % ${ROWS.categories}, 1 + seq % ${ROWS.suppliers}, CONCAT('SKU-', LPAD(seq, 10, '0')), CONCAT(ELT(1 + seq % 4, 'Schraube', 'Mutter', 'Bügel', 'Ventil'), ' Ø', seq % 40, ' mm'),
       IF(seq % 5 = 0, NULL, CONCAT('Line one\\tcolumn\\nline two \\\\ ', seq)), (seq % 100000) / 100 + 0.05, IF(seq % 13 = 0, NULL, seq / 7),
       ELT(1 + seq % 3, 'active', 'discontinued', 'draft'), ELT(1 + seq % 5, '', 'new', 'sale,eco', 'new,bulk', 'eco'),
       IF(seq % 4 = 0, NULL, CONCAT('{"color": "', ELT(1 + seq % 3, 'rot', 'grün', 'blau'), '", "size": ', seq % 50, ', "dims": [', seq % 7, ', 1.50]}')),
       FROM_UNIXTIME(1500000000 + seq * 97) FROM ${sequence(ROWS.products)}`],
  ["warehouses", `id INT NOT NULL PRIMARY KEY, country_id SMALLINT NOT NULL, name VARCHAR(60) NOT NULL, location POINT NULL, opened DATE NOT NULL, FOREIGN KEY (country_id) REFERENCES countries (id)`,
    `SELECT seq, 1 + seq % ${ROWS.countries}, CONCAT('Lager ', seq), IF(seq % 10 = 0, NULL, POINT(seq / 4 - 90, (seq % 360) / 2 - 90)), DATE'2000-01-01' + INTERVAL seq * 11 DAY FROM ${sequence(ROWS.warehouses)}`],
  ["inventory", `warehouse_id INT NOT NULL, product_id INT NOT NULL, qty INT NOT NULL, reorder_level SMALLINT NOT NULL, updated DATETIME NOT NULL, PRIMARY KEY (warehouse_id, product_id),
     FOREIGN KEY (warehouse_id) REFERENCES warehouses (id), FOREIGN KEY (product_id) REFERENCES products (id)`,
    `SELECT 1 + (seq - 1) DIV ${STOCKED}, 1 + (seq - 1) % ${STOCKED}, seq % 5000 - 100, seq % 300,
       TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq SECOND FROM ${sequence(ROWS.inventory)}`],
  ["customers", `id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, country_id SMALLINT NOT NULL, email VARCHAR(120) NOT NULL, first_name VARCHAR(60) NOT NULL, last_name VARCHAR(60) NOT NULL,
     birth_date DATE NULL, vip TINYINT(1) NOT NULL DEFAULT 0, balance DECIMAL(12,2) NOT NULL DEFAULT 0, created_at DATETIME(3) NOT NULL, notes TEXT NULL, UNIQUE KEY (email),
     FOREIGN KEY (country_id) REFERENCES countries (id)`,
    `SELECT seq, 1 + seq % ${ROWS.countries}, CONCAT('kunde', seq, '@example.com'), ELT(1 + seq % 6, 'Jürgen', 'Zoë', 'Søren', '太郎', 'Ana', 'Łukasz'), CONCAT('Nachname', seq),
       IF(seq % 8 = 0, NULL, DATE'1950-01-01' + INTERVAL seq % 20000 DAY), seq % 20 = 0, (seq % 100000) / 100 - 50,
       TIMESTAMP'2018-01-01 00:00:00' + INTERVAL seq * 61 SECOND + INTERVAL seq % 1000 * 1000 MICROSECOND, IF(seq % 3 = 0, NULL, IF(seq % 3 = 1, '', CONCAT('VIP-Notiz\\n', seq)))
       FROM ${sequence(ROWS.customers)}`],
  ["addresses", `id INT NOT NULL PRIMARY KEY, customer_id INT NOT NULL, line1 VARCHAR(120) NOT NULL, city VARCHAR(60) NOT NULL, postcode VARCHAR(12) NULL, is_default TINYINT(1) NOT NULL,
     FOREIGN KEY (customer_id) REFERENCES customers (id)`,
    `SELECT seq, 1 + seq % ${ROWS.customers}, CONCAT('Hauptstraße ', seq % 300), ELT(1 + seq % 4, 'München', 'Köln', 'Zürich', 'Wien'), IF(seq % 17 = 0, NULL, LPAD(seq % 99999, 5, '0')), seq <= ${ROWS.customers}
       FROM ${sequence(ROWS.addresses)}`],
  ["employees", `id INT NOT NULL PRIMARY KEY, manager_id INT NULL, name VARCHAR(80) NOT NULL, title VARCHAR(60) NOT NULL, hired DATE NOT NULL, salary DECIMAL(10,2) NOT NULL, active BIT(1) NOT NULL,
     FOREIGN KEY (manager_id) REFERENCES employees (id)`,
    `SELECT seq, IF(seq = 1, NULL, 1 + (seq - 2) DIV 10), CONCAT('Mitarbeiter ', seq), ELT(1 + seq % 3, 'Sachbearbeiter', 'Leiter', 'Fahrer'), DATE'2005-01-01' + INTERVAL seq DAY,
       30000 + seq % 5000 + 0.5, seq % 9 <> 0 FROM ${sequence(ROWS.employees)}`],
  ["orders", `id BIGINT NOT NULL PRIMARY KEY, customer_id INT NOT NULL, employee_id INT NULL, address_id INT NOT NULL, status ENUM('new','paid','shipped','cancelled') NOT NULL,
     ordered_at DATETIME NOT NULL, total DECIMAL(12,2) NOT NULL, channel VARCHAR(10) NOT NULL, meta JSON NULL, year_placed YEAR NOT NULL,
     FOREIGN KEY (customer_id) REFERENCES customers (id), FOREIGN KEY (employee_id) REFERENCES employees (id), FOREIGN KEY (address_id) REFERENCES addresses (id)`,
    `SELECT seq, 1 + seq % ${ROWS.customers}, IF(seq % 6 = 0, NULL, 1 + seq % ${ROWS.employees}), 1 + seq % ${ROWS.addresses}, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'cancelled'),
       TIMESTAMP'2019-01-01 00:00:00' + INTERVAL seq * 131 SECOND, (seq % 500000) / 100, ELT(1 + seq % 3, 'web', 'shop', 'phone'),
       IF(seq % 5 = 0, CONCAT('{"coupon": "C', seq % 100, '", "gift": ', IF(seq % 2 = 0, 'true', 'false'), '}'), NULL), 2019 + seq % 6
       FROM ${sequence(ROWS.orders)}`],
  ["order_lines", `order_id BIGINT NOT NULL, line_no SMALLINT NOT NULL, product_id INT NOT NULL, qty SMALLINT NOT NULL, unit_price DECIMAL(10,2) NOT NULL, discount DOUBLE NOT NULL,
     PRIMARY KEY (order_id, line_no), FOREIGN KEY (order_id) REFERENCES orders (id), FOREIGN KEY (product_id) REFERENCES products (id)`,
    `SELECT 1 + (seq - 1) DIV 3, 1 + (seq - 1) % 3, 1 + seq % ${ROWS.products}, 1 + seq % 20, (seq % 10000) / 100 + 0.99, (seq % 4) / 8 FROM ${sequence(ROWS.order_lines)}`],
  ["payments", `id BIGINT UNSIGNED NOT NULL PRIMARY KEY, order_id BIGINT NOT NULL, method ENUM('card','invoice','paypal','cash') NOT NULL, amount DECIMAL(12,2) NOT NULL,
     paid_at TIMESTAMP NULL DEFAULT NULL, reference VARBINARY(16) NULL, FOREIGN KEY (order_id) REFERENCES orders (id)`,
    `SELECT 9000000000000000000 + seq, 1 + seq % ${ROWS.orders}, ELT(1 + seq % 4, 'card', 'invoice', 'paypal', 'cash'), (seq % 300000) / 100,
       IF(seq % 10 = 0, NULL, FROM_UNIXTIME(1546300800 + seq * 113)), IF(seq % 3 = 0, NULL, UNHEX(MD5(seq))) FROM ${sequence(ROWS.payments)}`],
  ["shipments", `id INT NOT NULL PRIMARY KEY, order_id BIGINT NOT NULL, warehouse_id INT NOT NULL, shipped DATE NULL, tracking CHAR(20) NOT NULL, delivered TINYINT(1) NOT NULL,
     FOREIGN KEY (order_id) REFERENCES orders (id), FOREIGN KEY (warehouse_id) REFERENCES warehouses (id)`,
    `SELECT seq, 1 + seq % ${ROWS.orders}, 1 + seq % ${ROWS.warehouses}, IF(seq % 11 = 0, NULL, DATE'2019-01-02' + INTERVAL seq % 2000 DAY), CONCAT('TRK', LPAD(seq, 12, '0')), seq % 4 <> 0
       FROM ${sequence(ROWS.shipments)}`],
  ["documents", `id INT NOT NULL PRIMARY KEY, order_id BIGINT NULL, kind VARCHAR(20) NOT NULL, content BLOB NOT NULL, created DATETIME NOT NULL, FOREIGN KEY (order_id) REFERENCES orders (id)`,
    `SELECT seq, IF(seq % 4 = 0, NULL, 1 + seq % ${ROWS.orders}), ELT(1 + seq % 3, 'invoice', 'label', 'scan'), UNHEX(REPEAT(MD5(seq), 1 + seq % 16)), TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq MINUTE
       FROM ${sequence(ROWS.documents)}`],
  ["audit_log", `id BIGINT NOT NULL PRIMARY KEY, entity VARCHAR(30) NOT NULL, entity_id BIGINT NOT NULL, action ENUM('insert','update','delete') NOT NULL, payload JSON NOT NULL,
     happened DATETIME(6) NOT NULL, by_user VARCHAR(40) NULL`,
    `SELECT seq, ELT(1 + seq % 4, 'orders', 'customers', 'products', 'payments'), seq * 7, ELT(1 + seq % 3, 'insert', 'update', 'delete'),
       CONCAT('{"seq": ', seq, ', "changes": {"b": ', seq % 10, ', "a": "x\\\\ty"}, "ok": true}'), TIMESTAMP'2023-01-01 00:00:00' + INTERVAL seq * 1000003 MICROSECOND,
       IF(seq % 2 = 0, NULL, CONCAT('user', seq % 40)) FROM ${sequence(ROWS.audit_log)}`],
];
const TOTAL_ROWS = Object.values(ROWS).reduce((a, b) => a + b, 0);

/** Runs a command to its end; wall time and output. */
function timed(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, wallMs: Number(process.hrtime.bigint() - started) / 1e6, stdout, stderr }));
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Each column's canonical text in SQL, by its PostgreSQL types in the two copies — the same expression on
 * both sides, so pgloader's choices (timestamptz for DATETIME, enum types, point, JSON as text) and
 * DataBridge's (timestamp, text with a CHECK, text[], EWKT text, jsonb) meet on the values.
 */
function canonical(column, types) {
  const c = `"${column}"`;
  const any = (test) => types.some(test);
  if (any((t) => t === "boolean")) return `${c}::int::text`;
  if (any((t) => /^(smallint|integer|bigint|numeric)/.test(t))) return `trim_scale(${c}::numeric)::text`;
  if (any((t) => t === "bytea")) return `md5(${c})`;
  if (any((t) => t === "json" || t === "jsonb")) return `${c}::jsonb::text`;
  if (any((t) => t.startsWith("timestamp"))) {
    return types[0].includes("with time zone") ? `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')` : `to_char(${c}, 'YYYY-MM-DD HH24:MI:SS.US')`;
  }
  if (types[0] === "point") return `CASE WHEN ${c} IS NOT NULL THEN format('POINT(%s %s)', ${c}[0], ${c}[1]) END`;
  if (types[0].endsWith("[]")) return `${c}::text[]::text`;
  return `${c}::text`;
}

/** Where two copies of a table differ: the first keys and columns whose canonical texts are not equal. */
async function firstDifferences(clients, copies, limit = 3) {
  const [a, b] = await Promise.all([0, 1].map((i) => clients[i].query({
    text: `SELECT ${canonicalColumns(copies[i], copies[1 - i]).join(", ")} FROM ${copies[i].relation} ORDER BY ${copies[i].key.map((k) => `"${k}"`).join(", ")}`,
    rowMode: "array",
  })));
  const names = copies[0].columns.map((c) => c.name);
  const found = [];
  for (let r = 0; r < Math.max(a.rows.length, b.rows.length) && found.length < limit; r++) {
    const columns = names.filter((_, i) => a.rows[r]?.[i] !== b.rows[r]?.[i]);
    if (columns.length) found.push(`row ${r + 1}: ${columns.map((c) => `${c} ${JSON.stringify(a.rows[r]?.[names.indexOf(c)])} vs ${JSON.stringify(b.rows[r]?.[names.indexOf(c)])}`).join(", ")}`);
  }
  return found.join("; ");
}

/** Each table's columns and their types (an enum as `enum`), and its primary key, in a copy's `schema`. */
async function describeCopy(client, schema) {
  const tables = {};
  for (const [table] of TABLES) {
    const relation = `"${schema}"."${table}"`;
    const { rows: columns } = await client.query(
      `SELECT a.attname AS name, CASE WHEN t.typtype = 'e' THEN 'enum' ELSE format_type(a.atttypid, a.atttypmod) END AS type
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attname`, [relation]);
    const { rows: [pk] } = await client.query(
      `SELECT array_agg(a.attname::text ORDER BY k.ord) AS columns FROM pg_index i CROSS JOIN unnest(i.indkey) WITH ORDINALITY k(num, ord)
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num WHERE i.indrelid = $1::regclass AND i.indisprimary`, [relation]);
    tables[table] = { relation, columns, key: pk.columns };
  }
  return tables;
}

/** Each column of a copy's table as its canonical text (NULL as `\N`), read with both copies' types. */
const canonicalColumns = (copy, other) => copy.columns.map((column) => {
  const otherType = other.columns.find((c) => c.name === column.name)?.type ?? column.type;
  return `coalesce(${canonical(column.name, [column.type, otherType])}, '\\N')`;
});

/** Row count and a keyed checksum of a table of one copy, its columns read through `canonical` with both copies' types. */
async function checksum(client, copy, other) {
  const parts = canonicalColumns(copy, other);
  const { rows: [row] } = await client.query(
    `SELECT count(*)::int AS rows, md5(string_agg(md5(concat_ws('|', ${parts.join(", ")})), '' ORDER BY ${copy.key.map((k) => `"${k}"`).join(", ")})) AS hash FROM ${copy.relation}`);
  return { rows: row.rows, hash: row.hash, columns: copy.columns.map((c) => c.name).join(",") };
}

/** What the source's schema holds, counted in MariaDB's catalog (indexes include the ones InnoDB adds for foreign keys). */
async function sourceSchemaCounts(url) {
  const client = await mysql.createConnection({ uri: url.href });
  try {
    const [[row]] = await client.query(`SELECT
      (SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND IS_NULLABLE = 'NO') AS not_null,
      (SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_DEFAULT IS NOT NULL AND COLUMN_DEFAULT <> 'NULL') AS defaults,
      (SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND EXTRA LIKE '%auto_increment%') AS identities,
      (SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_TYPE = 'PRIMARY KEY') AS primary_keys,
      (SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY') AS unique_keys,
      (SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND NON_UNIQUE = 1) AS other_indexes,
      (SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()) AS foreign_keys`);
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
  } finally {
    await client.end();
  }
}

/** The same counts in the PostgreSQL copy's public schema (DataBridge's ledger lives in its own schema). */
async function targetSchemaCounts(client) {
  const { rows: [row] } = await client.query(`SELECT
    (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull)::int AS not_null,
    (SELECT count(*) FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public')::int AS defaults,
    (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND a.attidentity <> '')::int AS identities,
    (SELECT count(*) FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = 'public' AND k.contype = 'p')::int AS primary_keys,
    (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND i.indisunique AND NOT i.indisprimary)::int AS unique_keys,
    (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND NOT i.indisunique)::int AS other_indexes,
    (SELECT count(*) FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = 'public' AND k.contype = 'f')::int AS foreign_keys`);
  return row;
}

async function main() {
  log(`${TABLES.length} tables, ${TOTAL_ROWS.toLocaleString("en-US")} rows (scale ${SCALE}), median of ${REPEAT}, ${os.cpus().length} CPUs, Node ${process.version}`);
  const pgloaderVersion = await timed("pgloader", ["--version"]).catch(() => undefined);
  if (!pgloaderVersion || pgloaderVersion.code !== 0) throw new Error("pgloader is not installed (apt-get install pgloader)");
  log(pgloaderVersion.stdout.split("\n")[0]);
  const lost = (error) => console.error(`wholedb.bench: lost a connection: ${error.message}`);
  const mariaAdmin = await mysql.createConnection({ uri: MARIA_ADMIN, multipleStatements: true });
  mariaAdmin.on("error", lost);
  const pgAdmin = new pg.Client({ connectionString: PG_ADMIN });
  pgAdmin.on("error", lost);
  await pgAdmin.connect();
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-wholedb-"));
  const targets = new Set();
  const freshTarget = async (label, i) => {
    const database = `dbb_whole_${label}${i}_${id}`;
    await pgAdmin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await pgAdmin.query(`CREATE DATABASE "${database}"`);
    targets.add(database);
    return database;
  };
  const checks = [];
  const check = (what, ok, detail) => checks.push({ what, ok, detail });
  try {
    // ── The source.
    let t = Date.now();
    await mariaAdmin.query(`CREATE DATABASE \`${sourceName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const maria = await mysql.createConnection({ uri: urlOf(MARIA_ADMIN, sourceName).href, multipleStatements: true });
    maria.on("error", lost);
    await maria.query("SET time_zone = '+00:00'");
    for (const [table, columns, rows] of TABLES) {
      await maria.query(`CREATE TABLE \`${table}\` (${columns}) ENGINE=InnoDB`);
      await maria.query(`INSERT INTO \`${table}\` ${rows}`);
    }
    await maria.query(`ANALYZE TABLE ${TABLES.map(([table]) => `\`${table}\``).join(", ")}`);
    const sourceCounts = {};
    for (const [table] of TABLES) sourceCounts[table] = Number((await maria.query(`SELECT COUNT(*) AS n FROM \`${table}\``))[0][0].n);
    await maria.end();
    log(`source generated in ${seconds(Date.now() - t)} s`);

    // ── DataBridge's workspace: exactly what a user types — `databridge generate legacy --target warehouse` into an
    // empty database (so every table gets `create: true` and the source's full schema), files not edited.
    const sourceUrl = urlOf(MARIA_ADMIN, sourceName);
    const writeConfig = (targetDatabase) => fs.writeFileSync(path.join(workspace, "databridge.config.ts"), `import { defineConfig } from "@databridge/core";
export default defineConfig({ connections: { legacy: { url: ${JSON.stringify(sourceUrl.href)} }, warehouse: { url: ${JSON.stringify(urlOf(PG_ADMIN, targetDatabase).href)} } } });
`);
    writeConfig(await freshTarget("gen", 0));
    const generated = await timed(process.execPath, [CLI, "generate", "legacy", "--target", "warehouse"], { cwd: workspace });
    if (generated.code !== 0) throw new Error(`databridge generate exited ${generated.code}: ${generated.stderr.split("\n").filter(Boolean).slice(-4).join(" | ")}`);
    const pipelineFiles = fs.readdirSync(path.join(workspace, "pipelines")).filter((f) => f.endsWith(".etl.ts"));
    log(`databridge generate: ${pipelineFiles.length} pipelines in ${seconds(generated.wallMs)} s`);
    check("generate wrote one pipeline per table", pipelineFiles.length === TABLES.length, `${pipelineFiles.length} of ${TABLES.length}`);

    // ── Side by side, alternating, each into a fresh database.
    const runs = { pgloader: [], databridge: [] };
    let pgloaderCopy;
    let databridgeCopy;
    for (let i = 0; i < REPEAT; i++) {
      const pgloaderDb = await freshTarget("pgl", i);
      const command = path.join(workspace, "pgloader.load");
      fs.writeFileSync(command, `LOAD DATABASE
  FROM ${sourceUrl.href.replace(/\/$/, "")}
  INTO ${urlOf(PG_ADMIN, pgloaderDb).href}
WITH include drop, create tables, create indexes, reset sequences, foreign keys
SET PostgreSQL PARAMETERS timezone = 'UTC';
`);
      const loaded = await timed("pgloader", ["--on-error-stop", command], { cwd: workspace });
      if (loaded.code !== 0) throw new Error(`pgloader exited ${loaded.code}: ${(loaded.stdout + loaded.stderr).split("\n").filter((l) => /ERROR|FATAL/.test(l)).slice(0, 5).join(" | ")}`);
      runs.pgloader.push(loaded.wallMs);
      log(`  pgloader #${i + 1}: ${seconds(loaded.wallMs)} s`);
      pgloaderCopy = pgloaderDb;

      const databridgeDb = await freshTarget("dbr", i);
      writeConfig(databridgeDb);
      const profile = CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${path.join(ROOT, ".bench/prof")}`, `--cpu-prof-name=wholedb-${i}-${Date.now()}.cpuprofile`] : [];
      const run = await timed(process.execPath, [...profile, CLI, "run", "--json"], { cwd: workspace });
      if (run.code !== 0) throw new Error(`databridge run exited ${run.code}: ${run.stderr.split("\n").filter(Boolean).slice(-4).join(" | ")}`);
      const finished = run.stdout.trim().split("\n").map((line) => JSON.parse(line)).filter((e) => e.type === "run.finished").at(-1);
      runs.databridge.push(run.wallMs);
      log(`  databridge #${i + 1}: ${seconds(run.wallMs)} s (${finished.status}, ${finished.rows.written.toLocaleString("en-US")} rows written)`);
      check(`databridge run #${i + 1} wrote every row`, finished.status === "succeeded" && finished.rows.written === TOTAL_ROWS, `${finished.status}, ${finished.rows.written} of ${TOTAL_ROWS}`);
      databridgeCopy = databridgeDb;
      // Only the last copies are compared: drop the others as soon as the next ones exist.
      for (const database of targets) {
        if (database === pgloaderCopy || database === databridgeCopy) continue;
        await pgAdmin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
        targets.delete(database);
      }
    }

    // ── Both copies equal: counts against the source, keyed checksums against each other.
    t = Date.now();
    const open = async (database) => {
      const client = new pg.Client({ connectionString: urlOf(PG_ADMIN, database).href });
      client.on("error", lost);
      await client.connect();
      return client;
    };
    const [pgloaderClient, databridgeClient] = await Promise.all([open(pgloaderCopy), open(databridgeCopy)]);
    const pgloaderTables = await describeCopy(pgloaderClient, sourceName);
    const databridgeTables = await describeCopy(databridgeClient, "public");
    const sums = {};
    const differences = {};
    for (const [table] of TABLES) {
      sums[table] = await Promise.all([
        checksum(pgloaderClient, pgloaderTables[table], databridgeTables[table]),
        checksum(databridgeClient, databridgeTables[table], pgloaderTables[table]),
      ]);
      if (sums[table][0].hash !== sums[table][1].hash) {
        differences[table] = await firstDifferences([pgloaderClient, databridgeClient], [pgloaderTables[table], databridgeTables[table]]);
      }
    }
    const sourceSchema = await sourceSchemaCounts(sourceUrl);
    const copiedSchema = await targetSchemaCounts(databridgeClient);
    await pgloaderClient.end();
    await databridgeClient.end();
    for (const [what, count] of Object.entries(sourceSchema)) {
      check(`schema: ${what}`, copiedSchema[what] === count, `source ${count}, databridge ${copiedSchema[what]}`);
    }
    log(`checksums computed in ${seconds(Date.now() - t)} s`);
    for (const [table] of TABLES) {
      const [a, b] = sums[table];
      check(`${table}: counts`, a.rows === sourceCounts[table] && b.rows === sourceCounts[table], `source ${sourceCounts[table]}, pgloader ${a.rows}, databridge ${b.rows}`);
      check(`${table}: keyed checksum pgloader = databridge`, a.hash === b.hash && a.columns === b.columns, a.hash === b.hash ? a.hash : `${a.hash} ≠ ${b.hash}${a.columns === b.columns ? "" : ` (columns ${a.columns} vs ${b.columns})`}; pgloader vs databridge: ${differences[table]}`);
    }

    const pgloaderMs = median(runs.pgloader);
    const databridgeMs = median(runs.databridge);
    const ratio = databridgeMs / pgloaderMs;
    check(`databridge ≤ ${MAX_RATIO}× pgloader`, ratio <= MAX_RATIO, `${ratio.toFixed(2)}×`);
    log("");
    log(`tool        median   runs                      rows/s`);
    log(`pgloader    ${seconds(pgloaderMs).padStart(6)} s  ${runs.pgloader.map((ms) => `${seconds(ms)} s`).join(", ").padEnd(24)}  ${Math.round(TOTAL_ROWS / (pgloaderMs / 1000)).toLocaleString("en-US")}`);
    log(`databridge  ${seconds(databridgeMs).padStart(6)} s  ${runs.databridge.map((ms) => `${seconds(ms)} s`).join(", ").padEnd(24)}  ${Math.round(TOTAL_ROWS / (databridgeMs / 1000)).toLocaleString("en-US")}`);
    log(`ratio databridge / pgloader: ${ratio.toFixed(2)}× (limit ${MAX_RATIO}×)`);
    log("");
    for (const c of checks) log(`${c.ok ? "✔" : "✘"} ${c.what}: ${c.detail}`);
    fs.mkdirSync(path.join(ROOT, ".bench"), { recursive: true });
    fs.writeFileSync(path.join(ROOT, ".bench/wholedb.json"), JSON.stringify({ at: new Date().toISOString(), rows: TOTAL_ROWS, tables: TABLES.length, runs, ratio, checks }, null, 2));
  } finally {
    for (const database of targets) {
      await pgAdmin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch((e) => console.error(`wholedb.bench: could not drop ${database}: ${e.message}`));
    }
    await mariaAdmin.query(`DROP DATABASE IF EXISTS \`${sourceName}\``).catch((e) => console.error(`wholedb.bench: could not drop ${sourceName}: ${e.message}`));
    await mariaAdmin.end().catch(() => {});
    await pgAdmin.end().catch(() => {});
    fs.rmSync(workspace, { recursive: true, force: true });
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  console.error(`wholedb.bench: ${error?.message ?? error}`);
  process.exit(1);
});
