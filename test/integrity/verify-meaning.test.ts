import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql from "mysql2/promise";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, finished, pipelineFile, runCli, type Workspace } from "./harness.js";

/**
 * #7 §5, differential: `verify` compares values by meaning. The same logical values are loaded two
 * independent ways — into MariaDB with MariaDB's literals, and into PostgreSQL with PostgreSQL's own
 * literals (spelled differently: `1.50`/`1.5`, padded/unpadded `char`, `{a,b}`/`a,b`, EWKT/EWKB, instants in
 * other zones, JSON reordered) as well as by a DataBridge run — and verify passes on both. Then one value
 * per type changes in the target, each in a row of its own, and verify names exactly those rows and
 * columns, nothing else. The same for PostgreSQL → PostgreSQL into other but compatible column types.
 */
const servers = await requireServers("mariadb", "postgres");

/** A utf8mb4 string literal that means the same bytes whatever sql_mode says about backslashes. */
const str = (text: string) => `_utf8mb4 X'${Buffer.from(text, "utf8").toString("hex")}'`;
/** A PostgreSQL string literal (standard_conforming_strings: backslashes are plain). */
const lit = (text: string) => `'${text.replace(/'/g, "''")}'`;

interface MeaningCase {
  column: string;
  /** The source column's type. */
  source: string;
  /** The target column's type (for MariaDB: what `create: true` makes of the source type). */
  target: string;
  /** The same logical values: [source literal, target literal]. */
  values: [string, string][];
  /** A change of the value in the target, as a PostgreSQL expression over `c`: different by meaning from every value above. */
  change: string;
  /** The change in a target column of the source's own type, where `change` does not apply to it. */
  sameChange?: string;
}

const BLOB = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 151) % 256));
const JSON_DOC = '{"b": 1, "a": [true, null, 1.50, "t\\t東 \\\\"], "big": 12345678901234567890.5}';
const JSON_REORDERED = '{"a":[true,null,1.5,"t\\t東 \\\\"],"big":12345678901234567890.50,"b":1}';

const MARIADB_CASES: MeaningCase[] = [
  { column: "i8", source: "TINYINT", target: "smallint", values: [["-128", "-128"], ["127", "127"], ["0", "0"]], change: "c + 1" },
  { column: "mi", source: "MEDIUMINT", target: "integer", values: [["-8388608", "-8388608"], ["8388607", "8388607"]], change: "c - 1" },
  { column: "u32", source: "INT UNSIGNED", target: "bigint", values: [["4294967295", "4294967295"], ["0", "0"]], change: "c + 1" },
  { column: "i64", source: "BIGINT", target: "bigint", values: [["9007199254740993", "9007199254740993"], ["-9223372036854775808", "-9223372036854775808"], ["9223372036854775807", "9223372036854775807"]],
    change: "CASE WHEN c > 0 THEN c - 1 ELSE c + 1 END" },
  { column: "u64", source: "BIGINT UNSIGNED", target: "numeric(20,0)", values: [["18446744073709551615", "18446744073709551615"], ["0", "0"]], change: "CASE WHEN c > 0 THEN c - 1 ELSE 1 END" },
  { column: "flag", source: "TINYINT(1)", target: "boolean", values: [["1", "true"], ["0", "'f'"]], change: "NOT c" },
  { column: "b1", source: "BIT(1)", target: "boolean", values: [["b'1'", "'t'"], ["b'0'", "false"]], change: "NOT c" },
  { column: "dec", source: "DECIMAL(12,4)", target: "numeric(12,4)", values: [["1.5", "1.50"], ["-0.0001", "-0.0001"], ["99999999.9999", "99999999.9999"], ["-0.0000", "0"]], change: "c - 0.0001" },
  { column: "f", source: "FLOAT", target: "real", values: [["0.1", "0.1"], ["1234567", "1234567"], ["-2.5", "-2.5"], ["3.4028234663852886e38", "3.4028235e38"], ["1.401298464324817e-45", "1.4e-45"]], change: "-c" },
  { column: "d", source: "DOUBLE", target: "double precision", values: [["1.7976931348623157e308", "1.7976931348623157e308"], ["5e-324", "5e-324"], ["0.1", "0.1"], ["-1e0/3", "-0.3333333333333333"]], change: "-c" },
  { column: "y", source: "YEAR", target: "smallint", values: [["1901", "1901"], ["2155", "2155"]], change: "c - 1" },
  { column: "day", source: "DATE", target: "date", values: [["'2024-02-29'", "'2024-02-29'"], ["'1000-01-01'", "'1000-01-01'"]], change: "c + 1" },
  { column: "dt3", source: "DATETIME(3)", target: "timestamp(3) without time zone",
    values: [["'2024-01-01 12:00:00.123'", "'2024-01-01 12:00:00.123'"], ["'1999-12-31 23:59:59.999'", "'1999-12-31T23:59:59.999'"], ["'2024-03-10 02:30:00'", "'2024-03-10 02:30:00.000'"]],
    change: "c + interval '1 millisecond'" },
  // Written in UTC at the source; at the target as the same instants in other zones (its sessions run in Asia/Kathmandu).
  { column: "ts6", source: "TIMESTAMP(6) NULL", target: "timestamp(6) with time zone",
    values: [["'2024-11-03 05:30:00.123456'", "'2024-11-03 00:30:00.123456-05'"], ["'1970-01-01 00:00:01'", "'1970-01-01 00:00:01+00'"], ["'2038-01-19 03:14:07.999999'", "'2038-01-19 08:59:07.999999+05:45'"]],
    change: "c + interval '1 microsecond'" },
  { column: "tm", source: "TIME(6)", target: "time(6) without time zone", values: [["'12:30:15.500001'", "'12:30:15.500001'"], ["'00:00:00'", "'00:00:00.000000'"], ["'23:59:59.999999'", "'23:59:59.999999'"]],
    change: "c + interval '1 microsecond'" },
  // PostgreSQL pads char(n), MariaDB strips the padding.
  { column: "c8", source: "CHAR(8)", target: "character(8)", values: [["'abc'", "'abc'"], ["'  lead'", "'  lead  '"], ["''", "''"], [str("ü€😀x"), lit("ü€😀x")]], change: "c || 'x'" },
  // A trailing space in a varchar counts: removing it (where there is one) is a change.
  { column: "vc", source: "VARCHAR(100)", target: "character varying(100)",
    values: [["'trail '", "'trail '"], [str("tab\there\nline"), lit("tab\there\nline")], [str("back\\slash \\N"), lit("back\\slash \\N")], ["'NULL'", "'NULL'"], ["''", "''"]],
    change: "CASE WHEN c LIKE '% ' THEN rtrim(c) ELSE c || '!' END" },
  { column: "txt", source: "TEXT", target: "text", values: [[str("Grüße — 東京 🚀"), lit("Grüße — 東京 🚀")], ["'x'", "'x'"]], change: "c || ' '" },
  { column: "e", source: "ENUM('a','b c','ü')", target: "text", values: [["'a'", "'a'"], ["'b c'", "'b c'"], [str("ü"), lit("ü")]], change: "CASE c WHEN 'a' THEN 'b c' ELSE 'a' END" },
  // Read from MariaDB as a quoted array literal ({"a","b"}); written here as ARRAY[…] and '{}'.
  { column: "s", source: "SET('a','b','x\"y','{}',' sp')", target: "text[]",
    values: [["'a,b'", "ARRAY['a','b']"], ["''", "'{}'"], [str('x"y,{}'), `ARRAY['x"y','{}']`], ["' sp'", "ARRAY[' sp']"]], change: "array_append(c, 'b')" },
  { column: "j", source: "JSON", target: "jsonb", values: [[str(JSON_DOC), lit(JSON_REORDERED)], [str('"scalar"'), lit('  "scalar"')], ["'[]'", "'[ ]'"]], change: "jsonb_build_array(c)" },
  { column: "bn", source: "BINARY(4)", target: "bytea", values: [["X'00ff10'", "'\\x00ff1000'"], ["X'5c093a0a'", "'\\x5c093a0a'"]], change: "c || '\\x00'::bytea" },
  { column: "vb", source: "VARBINARY(16)", target: "bytea", values: [["''", "'\\x'"], ["X'00ff5c4e'", "'\\x00FF5C4E'"]], change: "c || '\\x01'::bytea" },
  { column: "bl", source: "BLOB", target: "bytea", values: [[`X'${BLOB.toString("hex")}'`, `'\\x${BLOB.toString("hex")}'`]], change: "c || '\\x01'::bytea" },
  { column: "b9", source: "BIT(9)", target: "bit(9)", values: [["b'101010101'", "B'101010101'"], ["b'0'", "B'000000000'"], ["b'111111111'", "B'111111111'"]], change: "~c" },
  { column: "g", source: "GEOMETRY", target: "geometry",
    values: [
      ["ST_GeomFromText('POINT(0.1 0.3333333333333333)', 4326)", "ST_GeomFromEWKT('SRID=4326;POINT(0.1 0.3333333333333333)')"],
      ["ST_GeomFromText('LINESTRING(0 0, 1e300 -2.5, 5e-324 1)')", "ST_GeomFromText('LINESTRING(0 0,1E+300 -2.5,5e-324 1)')"],
      ["ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (1 1, 2 1, 2 2, 1 1))', 3857)", "ST_GeomFromEWKT('SRID=3857;POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,2 1,2 2,1 1))')"],
    ],
    change: "ST_Translate(c, 0, 1e-9)" },
  { column: "pt", source: "POINT", target: "geometry", values: [["POINT(-123.456789012345, 98.7654321098765)", "ST_GeomFromText('POINT(-123.456789012345 98.7654321098765)')"]], change: "ST_Translate(c, 1e-9, 0)" },
  { column: "u", source: "UUID", target: "uuid", values: [["'123e4567-e89b-12d3-a456-426614174000'", "'123E4567-E89B-12D3-A456-426614174000'"], ["'00000000-0000-0000-0000-000000000000'", "'00000000-0000-0000-0000-000000000000'"]],
    change: "md5(c::text)::uuid" },
  { column: "ip", source: "INET6", target: "inet", values: [["'2001:db8::1'", "'2001:db8::1'"], ["'::ffff:1.2.3.4'", "'::ffff:1.2.3.4'"]], change: "c + 1" },
];

/** Row r (1-based) holds each column's value number r−1 (cycling), the last row is all NULL: one row per case to change, plus one. */
const rowsOf = (cases: MeaningCase[]) => cases.length + 2;
const valueAtRow = (all: MeaningCase[], c: MeaningCase, row: number, side: 0 | 1) => (row === rowsOf(all) ? "NULL" : c.values[(row - 1) % c.values.length][side]);

function inserts(all: MeaningCase[], table: string, side: 0 | 1, quote: (name: string) => string): string[] {
  return Array.from({ length: rowsOf(all) }, (_, i) =>
    `INSERT INTO ${quote(table)} (id, ${all.map((c) => quote(c.column)).join(", ")}) VALUES (${i + 1}, ${all.map((c) => valueAtRow(all, c, i + 1, side)).join(", ")})`);
}

/** One change per case, in the row of its own (case i in row i+1); returns what verify must name. */
async function changeOnePerType(all: MeaningCase[], query: (sql: string) => Promise<unknown>, table: string) {
  for (const [i, c] of all.entries()) {
    await query(`UPDATE "${table}" SET "${c.column}" = ${c.change.replace(/'[^']*'|\bc\b/g, (token) => (token === "c" ? `"${c.column}"` : token))} WHERE id = ${i + 1}`);
  }
  return all.map((c, i) => ({ key: `["${i + 1}"]`, columns: [c.column] }));
}

interface CheckJson { name: string; status: string; message: string; details?: { changed?: { key: string; columns: string[] }[]; missing?: string[]; extra?: string[]; compared?: number } }
const checksOf = (stdout: string, pipeline: string): CheckJson[] =>
  (JSON.parse(stdout) as { stages: { pipeline: string; checks: CheckJson[] }[] }).stages.find((s) => s.pipeline === pipeline)!.checks;

const pipelineOf = (name: string, sourceTable: string, targetTable: string, all: MeaningCase[], create = false) => pipelineFile({
  name,
  source: { connection: "legacy", table: sourceTable },
  target: { connection: "warehouse", table: `public.${targetTable}`, ...(create ? { create: true } : {}) },
  columns: Object.fromEntries(["id", ...all.map((c) => c.column)].map((c) => [c, c])),
  batchSize: 7,
});

describe.skipIf(!servers)("verify compares by meaning (differential)", () => {
  let mariadb: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let postgresSource: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let session: mysql.Connection;
  let workspace: Workspace;

  beforeAll(async () => {
    mariadb = await createMariadbDatabase("dbt_meaning_src");
    postgresSource = await createPostgresDatabase("dbt_meaning_pgsrc");
    target = await createPostgresDatabase("dbt_meaning_dst");
    session = await mysql.createConnection({ uri: mariadb.url, multipleStatements: true });
    // TIMESTAMP literals in UTC; the default sql_mode (strict) keeps every value exactly as written.
    await session.query("SET time_zone = '+00:00'");
    await session.query(`CREATE TABLE typed (id INT NOT NULL PRIMARY KEY, ${MARIADB_CASES.map((c) => `\`${c.column}\` ${c.source}${/NULL$/.test(c.source) ? "" : " NULL"}`).join(", ")}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    for (const statement of inserts(MARIADB_CASES, "typed", 0, (n) => `\`${n}\``)) await session.query(statement);

    await target.query("CREATE EXTENSION IF NOT EXISTS postgis");
    await target.query(`ALTER DATABASE "${target.name}" SET timezone = 'Asia/Kathmandu'`);
    // The independent load: PostgreSQL's own literals into the mapped types.
    await target.query(`CREATE TABLE typed_direct (id integer PRIMARY KEY, ${MARIADB_CASES.map((c) => `"${c.column}" ${c.target}`).join(", ")})`);
    for (const statement of inserts(MARIADB_CASES, "typed_direct", 1, (n) => `"${n}"`)) await target.query(statement);

    workspace = createWorkspace({ legacy: mariadb.url, warehouse: target.url, pgsource: postgresSource.url });
    workspace.pipeline("typed_run", pipelineOf("typed_run", "typed", "typed_run", MARIADB_CASES, true));
    workspace.pipeline("typed_direct", pipelineOf("typed_direct", "typed", "typed_direct", MARIADB_CASES));
  }, 120_000);

  afterAll(async () => {
    await session?.end();
    workspace?.remove();
    await target?.drop();
    await postgresSource?.drop();
    await mariadb?.drop();
  });

  it("MariaDB → PostgreSQL: verify passes on a run's copy and on an independent load, then names exactly the one changed value per type", async () => {
    const run = await runCli(["run", "typed_run", "--json"], { cwd: workspace.dir });
    expect(finished(run).status, run.stderr).toBe("succeeded");
    const { rows: created } = await target.query(
      "SELECT attname AS column, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'typed_run'::regclass AND attnum > 1 AND NOT attisdropped ORDER BY attnum");
    expect(created).toEqual(MARIADB_CASES.map((c) => ({ column: c.column, type: c.target })));

    const ok = await runCli(["verify", "typed_run", "typed_direct", "--json", "--report-dir", "reports-ok"], { cwd: workspace.dir });
    for (const pipeline of ["typed_run", "typed_direct"]) {
      const checks = checksOf(ok.stdout, pipeline);
      expect(checks.map((c) => `${c.name}:${c.status}`), `${pipeline}: ${checks.map((c) => c.message).join("\n")}`).toEqual(["count:passed", "row-hash:passed"]);
      expect(checks[1].details?.compared).toBe(rowsOf(MARIADB_CASES));
    }
    expect(ok.code).toBe(0);

    const expected = await changeOnePerType(MARIADB_CASES, (sql) => target.query(sql), "typed_run");
    await changeOnePerType(MARIADB_CASES, (sql) => target.query(sql), "typed_direct");
    const bad = await runCli(["verify", "typed_run", "typed_direct", "--json", "--list", "100", "--report-dir", "reports-bad"], { cwd: workspace.dir });
    expect(bad.code).toBe(1);
    for (const pipeline of ["typed_run", "typed_direct"]) {
      const rowHash = checksOf(bad.stdout, pipeline).find((c) => c.name === "row-hash")!;
      expect({ missing: rowHash.details?.missing, extra: rowHash.details?.extra }).toEqual({ missing: [], extra: [] });
      expect(rowHash.details?.changed, pipeline).toEqual(expected);
    }
  });

  it("PostgreSQL → PostgreSQL: into the same types (create: true) and into other compatible ones, verify passes, then names each change", async () => {
    const PG_CASES: MeaningCase[] = [
      { column: "js", source: "json", target: "jsonb", values: [[lit('{"b": 1,   "a": [1.50, "x"]}'), ""], [lit("12345678901234567890.50"), ""]], change: "jsonb_build_array(c)", sameChange: "json_build_array(c)" },
      { column: "ch", source: "varchar(8)", target: "character(8)", values: [["'abc'", ""], ["''", ""], ["'  lead'", ""]], change: "c || 'x'" },
      { column: "fl", source: "smallint", target: "boolean", values: [["0", ""], ["1", ""]], change: "NOT c", sameChange: "1 - c" },
      { column: "gm", source: "text", target: "geometry", values: [["'SRID=4326;POINT(0.1 0.3333333333333333)'", ""], ["'LINESTRING(0 0,1e300 -2.5)'", ""]], change: "ST_Translate(c, 0, 1e-9)", sameChange: "c || ' '" },
      { column: "ia", source: "integer[]", target: "bigint[]", values: [["'{1,2,3}'", ""], ["'{}'", ""], ["'{-5,NULL}'", ""]], change: "array_append(c, 9::bigint)", sameChange: "array_append(c, 9)" },
      { column: "ta", source: "text[]", target: "character varying(20)[]", values: [[`'{"a b",c,NULL}'`, ""], ["'{}'", ""], [`'{"NULL"}'`, ""]], change: "array_append(c, 'z')" },
      { column: "bt", source: "bit(4)", target: "bit varying(8)", values: [["B'1010'", ""], ["B'0001'", ""]], change: "c || B'1'", sameChange: "~c" },
      { column: "tz", source: "timestamptz", target: "timestamp(6) with time zone", values: [["'2024-11-03 01:30:00-04'", ""], ["'2024-11-03 01:30:00.5-05'", ""]], change: "c + interval '1 microsecond'" },
      { column: "nm", source: "numeric(12,4)", target: "numeric(14,6)", values: [["1.5", ""], ["-0.0001", ""], ["0", ""]], change: "c + 0.000001", sameChange: "c + 0.0001" },
      { column: "by", source: "bytea", target: "bytea", values: [["'\\x00ff'", ""], ["'\\x'", ""]], change: "c || '\\x01'::bytea" },
      { column: "rl", source: "real", target: "real", values: [["0.1", ""], ["3.4028235e38", ""]], change: "-c" },
    ];
    await postgresSource.query(`ALTER DATABASE "${postgresSource.name}" SET timezone = 'America/New_York'`);
    await postgresSource.query(`CREATE TABLE pgtyped (id integer PRIMARY KEY, ${PG_CASES.map((c) => `"${c.column}" ${c.source}`).join(", ")})`);
    for (const statement of inserts(PG_CASES, "pgtyped", 0, (n) => `"${n}"`)) await postgresSource.query(statement);
    await target.query(`CREATE TABLE pg_other (id integer PRIMARY KEY, ${PG_CASES.map((c) => `"${c.column}" ${c.target}`).join(", ")})`);
    const sameTypes = PG_CASES.map((c) => ({ ...c, target: c.source, change: c.sameChange ?? c.change }));
    const file = (name: string, create: boolean) => pipelineFile({
      name, source: { connection: "pgsource", table: "pgtyped" }, target: { connection: "warehouse", table: `public.${name}`, ...(create ? { create: true } : {}) },
      columns: Object.fromEntries(["id", ...PG_CASES.map((c) => c.column)].map((c) => [c, c])), batchSize: 5,
    });
    workspace.pipeline("pg_same", file("pg_same", true));
    workspace.pipeline("pg_other", file("pg_other", false));
    for (const name of ["pg_same", "pg_other"]) {
      const run = await runCli(["run", name, "--json"], { cwd: workspace.dir });
      expect(finished(run).status, `${name}: ${run.stderr}`).toBe("succeeded");
    }

    const ok = await runCli(["verify", "pg_same", "pg_other", "--json", "--report-dir", "reports-pg-ok"], { cwd: workspace.dir });
    for (const pipeline of ["pg_same", "pg_other"]) {
      const checks = checksOf(ok.stdout, pipeline);
      expect(checks.map((c) => `${c.name}:${c.status}`), `${pipeline}: ${checks.map((c) => c.message).join("\n")}`).toEqual(["count:passed", "row-hash:passed"]);
    }
    expect(ok.code).toBe(0);

    const expectedSame = await changeOnePerType(sameTypes, (sql) => target.query(sql), "pg_same");
    const expectedOther = await changeOnePerType(PG_CASES, (sql) => target.query(sql), "pg_other");
    const bad = await runCli(["verify", "pg_same", "pg_other", "--json", "--list", "100", "--report-dir", "reports-pg-bad"], { cwd: workspace.dir });
    expect(bad.code).toBe(1);
    for (const [pipeline, expected] of [["pg_same", expectedSame], ["pg_other", expectedOther]] as const) {
      const rowHash = checksOf(bad.stdout, pipeline).find((c) => c.name === "row-hash")!;
      expect({ missing: rowHash.details?.missing, extra: rowHash.details?.extra, changed: rowHash.details?.changed }, pipeline).toEqual({ missing: [], extra: [], changed: expected });
    }
  });
});
