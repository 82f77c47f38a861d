/**
 * A whole legacy MariaDB database (17 tables) for whole-database migrations: composite primary keys, a
 * self-referencing foreign key, a two-table foreign key cycle, ENUM, SET, YEAR, tinyint(1), BIT(1),
 * BLOB/VARBINARY, POINT, JSON, DATETIME(3), TIME, TIMESTAMP with DEFAULT CURRENT_TIMESTAMP ON UPDATE …,
 * BIGINT UNSIGNED up to its maximum, DOUBLE extremes, reserved-word and mixed-case identifiers, a table
 * whose only key is a unique key, foreign keys with actions and one referencing a unique key.
 * Shared by the acceptance test (test/integration/whole-database.test.ts) and the benchmark (`scale`).
 */

/** The tables, as MariaDB names them. */
export const WHOLEDB_TABLES = [
  "Companies", "categories", "country_codes", "customers", "departments", "employees", "invoices", "measurements",
  "order", "order_lines", "product_tags", "products", "Settings", "stock", "tags", "warehouses", "audit_log",
] as const;

export const WHOLEDB_DDL: readonly string[] = [
  `CREATE TABLE Companies (
    CompanyID INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    Name VARCHAR(100) NOT NULL,
    Founded YEAR NULL,
    IsActive TINYINT(1) NOT NULL DEFAULT 1,
    UNIQUE KEY uq_company_name (Name)
  )`,
  `CREATE TABLE country_codes (
    code CHAR(2) NOT NULL,
    name VARCHAR(60) NOT NULL,
    UNIQUE KEY uq_country_code (code)
  )`,
  `CREATE TABLE categories (
    id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    parent_id SMALLINT UNSIGNED NULL,
    name VARCHAR(60) NOT NULL,
    CONSTRAINT fk_category_parent FOREIGN KEY (parent_id) REFERENCES categories (id)
  )`,
  `CREATE TABLE departments (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    company_id INT NOT NULL,
    name VARCHAR(60) NOT NULL,
    manager_id INT NULL,
    budget DECIMAL(14,2) NOT NULL DEFAULT 0.00,
    KEY ix_department_name (name),
    CONSTRAINT fk_department_company FOREIGN KEY (company_id) REFERENCES Companies (CompanyID) ON DELETE CASCADE
  )`,
  `CREATE TABLE employees (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    department_id INT NULL,
    reports_to INT NULL,
    FirstName VARCHAR(40) NOT NULL,
    LastName VARCHAR(40) NOT NULL,
    hired DATE NOT NULL,
    status ENUM('active','on leave','gone') NOT NULL DEFAULT 'active',
    flags SET('remote','part-time','contractor') NOT NULL DEFAULT '',
    photo BLOB NULL,
    badge VARBINARY(16) NULL,
    shift_start TIME NULL,
    KEY ix_employee_name (LastName, FirstName),
    CONSTRAINT fk_employee_department FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE SET NULL,
    CONSTRAINT fk_employee_manager FOREIGN KEY (reports_to) REFERENCES employees (id)
  )`,
  // The other half of the cycle: a department's manager is an employee of it.
  `ALTER TABLE departments ADD CONSTRAINT fk_department_manager FOREIGN KEY (manager_id) REFERENCES employees (id)`,
  `CREATE TABLE customers (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(120) NOT NULL,
    company_id INT NULL,
    \`Group\` VARCHAR(20) NULL DEFAULT 'retail',
    location POINT NULL,
    prefs JSON NULL,
    created TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_customer_email (email),
    CONSTRAINT fk_customer_company FOREIGN KEY (company_id) REFERENCES Companies (CompanyID)
  )`,
  `CREATE TABLE \`order\` (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id INT NOT NULL,
    placed DATETIME(3) NOT NULL,
    \`select\` VARCHAR(20) NULL,
    notes TEXT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    KEY ix_order_placed (placed),
    CONSTRAINT fk_order_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
  )`,
  `CREATE TABLE products (
    sku VARCHAR(20) NOT NULL PRIMARY KEY,
    category_id SMALLINT UNSIGNED NULL,
    name VARCHAR(100) NOT NULL,
    weight DOUBLE NULL,
    price DECIMAL(12,4) NOT NULL,
    discontinued BIT(1) NOT NULL DEFAULT b'0',
    CONSTRAINT fk_product_category FOREIGN KEY (category_id) REFERENCES categories (id)
  )`,
  `CREATE TABLE order_lines (
    order_id BIGINT UNSIGNED NOT NULL,
    line_no SMALLINT NOT NULL,
    sku VARCHAR(20) NOT NULL,
    qty SMALLINT UNSIGNED NOT NULL DEFAULT 1,
    unit_price DECIMAL(12,4) NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT fk_line_order FOREIGN KEY (order_id) REFERENCES \`order\` (id) ON DELETE CASCADE,
    CONSTRAINT fk_line_product FOREIGN KEY (sku) REFERENCES products (sku)
  )`,
  `CREATE TABLE tags (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    label VARCHAR(30) NOT NULL,
    UNIQUE KEY uq_tag_label (label)
  )`,
  `CREATE TABLE product_tags (
    sku VARCHAR(20) NOT NULL,
    tag_id INT NOT NULL,
    PRIMARY KEY (sku, tag_id),
    CONSTRAINT fk_product_tag_product FOREIGN KEY (sku) REFERENCES products (sku),
    CONSTRAINT fk_product_tag_tag FOREIGN KEY (tag_id) REFERENCES tags (id)
  )`,
  `CREATE TABLE warehouses (
    id TINYINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    city VARCHAR(60) NOT NULL,
    country CHAR(2) NOT NULL,
    CONSTRAINT fk_warehouse_country FOREIGN KEY (country) REFERENCES country_codes (code)
  )`,
  `CREATE TABLE stock (
    warehouse_id TINYINT UNSIGNED NOT NULL,
    sku VARCHAR(20) NOT NULL,
    qty INT NOT NULL DEFAULT 0,
    counted DATETIME(3) NULL,
    PRIMARY KEY (warehouse_id, sku),
    CONSTRAINT fk_stock_warehouse FOREIGN KEY (warehouse_id) REFERENCES warehouses (id),
    CONSTRAINT fk_stock_product FOREIGN KEY (sku) REFERENCES products (sku)
  )`,
  `CREATE TABLE measurements (
    id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    reading DOUBLE NOT NULL,
    big BIGINT UNSIGNED NULL,
    taken TIME(3) NULL,
    note VARCHAR(200) NULL
  )`,
  `CREATE TABLE Settings (
    \`Key\` VARCHAR(40) NOT NULL PRIMARY KEY,
    \`Value\` TEXT NULL,
    IsSecret TINYINT(1) NOT NULL DEFAULT 0
  )`,
  `CREATE TABLE invoices (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id BIGINT UNSIGNED NOT NULL,
    amount DECIMAL(14,2) NOT NULL,
    paid BIT(1) NOT NULL DEFAULT b'0',
    due DATE NULL,
    fiscal YEAR NOT NULL DEFAULT 2024,
    CONSTRAINT fk_invoice_order FOREIGN KEY (order_id) REFERENCES \`order\` (id) ON DELETE CASCADE
  )`,
  `CREATE TABLE audit_log (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    actor_id INT NULL,
    payload JSON NOT NULL,
    at DATETIME(6) NOT NULL,
    KEY ix_audit_at (at),
    CONSTRAINT fk_audit_actor FOREIGN KEY (actor_id) REFERENCES employees (id) ON DELETE SET NULL
  )`,
];

/** MariaDB string literal. */
const s = (value: string | null) => (value === null ? "NULL" : `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''").replace(/\n/g, "\\n").replace(/\t/g, "\\t")}'`);

/** Text that must survive exactly: non-ASCII, tabs, newlines, backslashes, quotes. */
const TRICKY = ["Jürgen Müller", "tab\there", "line\nbreak", "back\\slash", "it's \"quoted\"", "Ødegård 🚀", "", "  padded  "];

/** A deterministic pseudo-random sequence, so every run seeds the same rows. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * INSERT statements for the tables, `scale` times the base row counts (1: a few hundred rows in all).
 * Run them in one session with `SET FOREIGN_KEY_CHECKS=0` (the department/employee cycle).
 */
export function wholeDbSeed(scale = 1): string[] {
  const r = random(42);
  const n = (base: number) => Math.max(1, Math.round(base * scale));
  const statements: string[] = [];
  const insert = (table: string, columns: string[], rows: string[][]) => {
    for (let i = 0; i < rows.length; i += 500) {
      statements.push(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${rows.slice(i, i + 500).map((row) => `(${row.join(", ")})`).join(", ")}`);
    }
  };
  const companies = n(6);
  insert("Companies", ["CompanyID", "Name", "Founded", "IsActive"], Array.from({ length: companies }, (_, i) => [
    String(i + 1), s(i === 1 ? TRICKY[0] : `Company ${i + 1}`), i === 2 ? "NULL" : String([1901, 2155, 1999, 2000, 2024][i % 5]), String(i % 3 === 0 ? 0 : 1),
  ]));
  insert("country_codes", ["code", "name"], [["'US'", "'United States'"], ["'DE'", "'Deutschland'"], ["'NO'", s("Norge Ø")], ["'JP'", s("日本")]]);
  insert("categories", ["id", "parent_id", "name"], [["1", "NULL", "'Root'"], ["2", "1", "'Tools'"], ["3", "2", "'Hand tools'"], ["4", "1", s(TRICKY[3])], ["5", "3", "'Saws'"]]);
  const departments = n(8);
  const employees = n(40);
  insert("departments", ["id", "company_id", "name", "manager_id", "budget"], Array.from({ length: departments }, (_, i) => [
    String(i + 1), String((i % companies) + 1), s(`Dept ${i + 1}`), i % 4 === 3 ? "NULL" : String(((i * 5) % employees) + 1), (r() * 1e9).toFixed(2),
  ]));
  const statuses = ["'active'", "'on leave'", "'gone'"];
  const flags = ["''", "'remote'", "'part-time,contractor'", "'remote,part-time,contractor'"];
  insert("employees", ["id", "department_id", "reports_to", "FirstName", "LastName", "hired", "status", "flags", "photo", "badge", "shift_start"], Array.from({ length: employees }, (_, i) => [
    String(i + 1), i % 9 === 8 ? "NULL" : String((i % departments) + 1), i === 0 ? "NULL" : String(Math.floor(r() * i) + 1),
    s(TRICKY[i % TRICKY.length] || "Ann"), s(`Last${i}`), `'20${String(10 + (i % 15)).padStart(2, "0")}-0${(i % 9) + 1}-${String((i % 28) + 1).padStart(2, "0")}'`,
    statuses[i % 3], flags[i % 4], i % 5 === 0 ? "NULL" : `X'${Buffer.from(`photo-${i}\u0000\u00ff`, "latin1").toString("hex")}'`,
    i % 7 === 0 ? "NULL" : i % 7 === 1 ? "X''" : `X'${(i * 7919).toString(16).padStart(8, "0")}00ff'`,
    i % 6 === 0 ? "NULL" : `'${String(i % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00'`,
  ]));
  const customers = n(50);
  insert("customers", ["id", "email", "company_id", "`Group`", "location", "prefs", "created"], Array.from({ length: customers }, (_, i) => [
    String(i + 1), s(`c${i + 1}@example.com`), i % 4 === 0 ? "NULL" : String((i % companies) + 1), i % 5 === 0 ? "NULL" : i % 5 === 1 ? "DEFAULT" : s(["wholesale", "", TRICKY[5]][i % 3]),
    i % 3 === 0 ? "NULL" : `ST_GeomFromText('POINT(${(r() * 360 - 180).toFixed(6)} ${(r() * 180 - 90).toFixed(6)})')`,
    i % 4 === 1 ? "NULL" : s(JSON.stringify({ theme: ["dark", "light"][i % 2], n: i, nested: { list: [1, 2.5, "x"], empty: {} }, text: TRICKY[i % TRICKY.length] })),
    `'2024-0${(i % 9) + 1}-1${i % 10} 1${i % 10}:0${i % 10}:00.${String(i % 1000).padStart(3, "0")}'`,
  ]));
  const orders = n(80);
  insert("`order`", ["id", "customer_id", "placed", "`select`", "notes", "updated_at"], Array.from({ length: orders }, (_, i) => [
    String(i + 1), String((i % customers) + 1), `'2023-${String((i % 12) + 1).padStart(2, "0")}-${String((i % 28) + 1).padStart(2, "0")} 12:34:56.${String(i % 1000).padStart(3, "0")}'`,
    i % 4 === 0 ? "NULL" : s(["express", "standard", ""][i % 3]), i % 3 === 0 ? "NULL" : s(TRICKY[i % TRICKY.length]),
    `'2024-01-${String((i % 28) + 1).padStart(2, "0")} 0${i % 10}:00:00'`,
  ]));
  const products = n(30);
  const sku = (i: number) => `SKU-${String(i).padStart(5, "0")}`;
  insert("products", ["sku", "category_id", "name", "weight", "price", "discontinued"], Array.from({ length: products }, (_, i) => [
    s(sku(i)), i % 6 === 0 ? "NULL" : String((i % 5) + 1), s(`Product ${i} ${TRICKY[i % TRICKY.length]}`),
    i % 5 === 0 ? "NULL" : String([0.1, 1 / 3, 1e-300, 123456.789, -0.5][i % 5]), (r() * 10000).toFixed(4), `b'${i % 2}'`,
  ]));
  insert("order_lines", ["order_id", "line_no", "sku", "qty", "unit_price"], Array.from({ length: orders }, (_, o) =>
    Array.from({ length: (o % 3) + 1 }, (_, l) => [String(o + 1), String(l + 1), s(sku((o + l) % products)), String([1, 65535, 7][l % 3]), (r() * 100).toFixed(4)])).flat());
  const tagLabels = ["new", "sale", "eco", "bulk", TRICKY[0]];
  insert("tags", ["id", "label"], tagLabels.map((label, i) => [String(i + 1), s(label)]));
  insert("product_tags", ["sku", "tag_id"], Array.from({ length: products }, (_, i) =>
    Array.from({ length: i % 3 }, (_, t) => [s(sku(i)), String(((i + t) % tagLabels.length) + 1)])).flat());
  insert("warehouses", ["id", "city", "country"], [["1", "'Oslo'", "'NO'"], ["2", "'Köln'", "'DE'"], ["255", "'Austin'", "'US'"]]);
  insert("stock", ["warehouse_id", "sku", "qty", "counted"], Array.from({ length: products }, (_, i) => [
    ["1", "2", "255"][i % 3], s(sku(i)), String(Math.floor(r() * 1000) - 100), i % 4 === 0 ? "NULL" : `'2024-06-0${(i % 9) + 1} 08:00:00.${String(i).padStart(3, "0")}'`,
  ]));
  const extremes = ["1.7976931348623157e308", "-1.7976931348623157e308", "2.2250738585072014e-308", "4.9406564584124654e-324", "-4.9406564584124654e-324", "0", "0.1", "-123.456e-7"];
  const bigs = ["18446744073709551615", "18446744073709551614", "9223372036854775808", "0", "NULL"];
  insert("measurements", ["id", "reading", "big", "taken", "note"], [
    ...Array.from({ length: n(40) }, (_, i) => [String(i + 1), extremes[i % extremes.length], bigs[i % bigs.length], i % 4 === 0 ? "NULL" : `'${String(i % 24).padStart(2, "0")}:59:59.${String(i % 1000).padStart(3, "0")}'`, i % 2 ? "NULL" : s(TRICKY[i % TRICKY.length])]),
    // The largest keys BIGINT UNSIGNED holds, beyond PostgreSQL's bigint.
    ["18446744073709551615", extremes[0], bigs[0], "'23:59:59.999'", s("max key")],
    ["9223372036854775808", extremes[3], bigs[2], "'00:00:00.000'", s("2^63")],
  ]);
  insert("Settings", ["`Key`", "`Value`", "IsSecret"], [["'theme'", "'dark'", "0"], ["'select'", "NULL", "1"], ["'Mixed Case'", s(TRICKY[2]), "0"], ["''", "''", "1"]]);
  insert("invoices", ["id", "order_id", "amount", "paid", "due", "fiscal"], Array.from({ length: n(40) }, (_, i) => [
    String(i + 1), String((i % orders) + 1), (r() * 1e6).toFixed(2), `b'${i % 2}'`, i % 5 === 0 ? "NULL" : `'2024-${String((i % 12) + 1).padStart(2, "0")}-15'`, i % 3 === 0 ? "DEFAULT" : "2023",
  ]));
  insert("audit_log", ["id", "actor_id", "payload", "at"], Array.from({ length: n(60) }, (_, i) => [
    String(i + 1), i % 5 === 0 ? "NULL" : String((i % employees) + 1), s(JSON.stringify(i % 7 === 0 ? [] : { action: ["insert", "update", "delete"][i % 3], id: i, ok: i % 2 === 0, ratio: i / 7 })),
    `'2024-02-${String((i % 28) + 1).padStart(2, "0")} 10:00:00.${String(i * 1234 % 1000000).padStart(6, "0")}'`,
  ]));
  return statements;
}

/** The whole script for one session: schema, then rows (foreign key checks off for the cycle), checks back on. */
export function wholeDbScript(scale = 1): string[] {
  return [...WHOLEDB_DDL, "SET FOREIGN_KEY_CHECKS=0", ...wholeDbSeed(scale), "SET FOREIGN_KEY_CHECKS=1"];
}
