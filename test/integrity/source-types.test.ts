import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql from "mysql2/promise";
import path from "node:path";
import pg from "pg";
import { pglite, type Connector } from "@databridge/core";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { canRunScratchMariadb, createScratchMariadb, type ScratchMariadb } from "../support/scratch-mariadb.js";
import { createWorkspace, finished, pipelineFile, runCli, type Workspace } from "./harness.js";

/**
 * Every source type DataBridge reads, over its edge values, through both read paths (values, and COPY
 * text rendered by the source), compared with an INDEPENDENT reading of the source value: MariaDB's own
 * CAST/HEX/UNIX_TIMESTAMP text or its binary protocol (exact IEEE doubles), and PostgreSQL's own text
 * output under fixed session settings. A value that cannot be carried is rejected with its key and column.
 */
const servers = await requireServers("mariadb", "postgres");

/** A column of the wide table: its MariaDB type, the PostgreSQL type `create: true` makes of it (format_type), edge values (MariaDB SQL literals), and how both sides are read for comparison. */
interface TypeCase {
  column: string;
  mariadb: string;
  postgres: string;
  values: string[];
  /** Independent readings: SQL over `c` on each side. `double`: compared as IEEE doubles (MariaDB's binary protocol, PostgreSQL's float8send). */
  compare: { mariadb: string; postgres: string; as?: "text" | "double" | "decimal" | "jsonb" };
}

/** A utf8mb4 string literal that means the same bytes whatever sql_mode says about backslashes. */
const str = (text: string) => `_utf8mb4 X'${Buffer.from(text, "utf8").toString("hex")}'`;
const hex = (bytes: Buffer) => `X'${bytes.toString("hex")}'`;
const asText = { mariadb: "CAST(c AS CHAR)", postgres: "c::text" };
const asUtf8Hex = { mariadb: "HEX(CONVERT(c USING utf8mb4))", postgres: "upper(encode(convert_to(c, 'UTF8'), 'hex'))" };
const asBytes = { mariadb: "HEX(c)", postgres: "upper(encode(c, 'hex'))" };
const asDouble = { mariadb: "CAST(c AS DOUBLE)", postgres: "float8send(c::float8)", as: "double" as const };
const asMicros = (mariadbFormat: string, postgresFormat: string) => ({ mariadb: `DATE_FORMAT(c, '${mariadbFormat}')`, postgres: `to_char(c, '${postgresFormat}')` });
const asEpoch = { mariadb: "UNIX_TIMESTAMP(c)", postgres: "extract(epoch FROM c)", as: "decimal" as const };
/** A geometry's SRID and WKB, read by each side's own spatial functions. */
const asGeometry = { mariadb: "CONCAT(ST_SRID(c), ':', HEX(ST_AsBinary(c)))", postgres: "ST_SRID(c) || ':' || upper(encode(ST_AsBinary(c), 'hex'))" };
/** A bit string's value as a decimal, summed digit by digit (no cast PostgreSQL or the read shares). */
const BIT_VALUE = "(SELECT sum(substr(c::text, i, 1)::numeric * 2::numeric ^ (length(c::text) - i)) FROM generate_series(1, length(c::text)) i)::numeric(30,0)::text";
const TEXTS = ["tab\there", "line1\nline2\r\nline3\rend", "back\\slash \\N \\\\ \\t", "NULL", "\\N", "", " ", "Grüße — 東京 🚀 👩‍👩‍👧 Ελληνικά", "quote ' and \" and `"];

const MARIADB_TYPE_CASES: TypeCase[] = [
  { column: "i8", mariadb: "TINYINT", postgres: "smallint", values: ["-128", "127", "0", "-1"], compare: asText },
  { column: "u8", mariadb: "TINYINT UNSIGNED", postgres: "smallint", values: ["0", "255"], compare: asText },
  { column: "i16", mariadb: "SMALLINT", postgres: "smallint", values: ["-32768", "32767"], compare: asText },
  { column: "u16", mariadb: "SMALLINT UNSIGNED", postgres: "integer", values: ["0", "65535"], compare: asText },
  { column: "i24", mariadb: "MEDIUMINT", postgres: "integer", values: ["-8388608", "8388607"], compare: asText },
  { column: "u24", mariadb: "MEDIUMINT UNSIGNED", postgres: "integer", values: ["16777215"], compare: asText },
  { column: "i32", mariadb: "INT", postgres: "integer", values: ["-2147483648", "2147483647"], compare: asText },
  { column: "u32", mariadb: "INT UNSIGNED", postgres: "bigint", values: ["4294967295", "0"], compare: asText },
  { column: "i64", mariadb: "BIGINT", postgres: "bigint", values: ["-9223372036854775808", "9223372036854775807", "9007199254740993"], compare: asText },
  { column: "u64", mariadb: "BIGINT UNSIGNED", postgres: "numeric(20,0)", values: ["18446744073709551615", "9007199254740993", "0"], compare: asText },
  { column: "flag", mariadb: "TINYINT(1)", postgres: "boolean", values: ["0", "1"], compare: { mariadb: "CAST(c AS CHAR)", postgres: "c::int::text" } },
  { column: "dec", mariadb: "DECIMAL(65,30)", postgres: "numeric(65,30)",
    values: ["99999999999999999999999999999999999.999999999999999999999999999999", "-0.000000000000000000000000000001", "0", "-12345678901234567890.5"], compare: asText },
  { column: "f", mariadb: "FLOAT", postgres: "real",
    values: ["1234567", "16777216", "0.12345679104", "3.4028234663852886e38", "-3.4028234663852886e38", "1.401298464324817e-45", "1.1754943508222875e-38", "0.1", "-2.5", "0"], compare: asDouble },
  { column: "fmd", mariadb: "FLOAT(7,3)", postgres: "real", values: ["1234.567", "-0.001", "0.1"], compare: asDouble },
  { column: "d", mariadb: "DOUBLE", postgres: "double precision",
    values: ["1.7976931348623157e308", "-1.7976931348623157e308", "5e-324", "-5e-324", "2.2250738585072014e-308", "0.1", "1e0/3", "123456789012345680000", "9007199254740993", "1e-7"], compare: asDouble },
  { column: "dmd", mariadb: "DOUBLE(10,2)", postgres: "double precision", values: ["8e0/7", "11e0/7", "13e0/7", "-99999999.99"], compare: asDouble },
  { column: "y", mariadb: "YEAR", postgres: "smallint", values: ["1901", "2155", "0"], compare: { mariadb: "CAST(c + 0 AS CHAR)", postgres: "c::text" } },
  { column: "day", mariadb: "DATE", postgres: "date", values: ["'1000-01-01'", "'9999-12-31'", "'2000-02-29'", "'2024-03-10'"], compare: asMicros("%Y-%m-%d", "YYYY-MM-DD") },
  { column: "dt0", mariadb: "DATETIME", postgres: "timestamp(0) without time zone",
    values: ["'1000-01-01 00:00:00'", "'9999-12-31 23:59:59'", "'2024-03-10 02:30:00'", "'2024-11-03 01:30:00'"], compare: asMicros("%Y-%m-%d %H:%i:%s.%f", "YYYY-MM-DD HH24:MI:SS.US") },
  { column: "dt3", mariadb: "DATETIME(3)", postgres: "timestamp(3) without time zone", values: ["'2024-01-01 12:00:00.123'", "'1999-12-31 23:59:59.999'"], compare: asMicros("%Y-%m-%d %H:%i:%s.%f", "YYYY-MM-DD HH24:MI:SS.US") },
  { column: "dt6", mariadb: "DATETIME(6)", postgres: "timestamp(6) without time zone",
    values: ["'2000-02-29 23:59:59.999999'", "'1970-01-01 00:00:00.000001'", "'9999-12-31 23:59:59.999999'"], compare: asMicros("%Y-%m-%d %H:%i:%s.%f", "YYYY-MM-DD HH24:MI:SS.US") },
  { column: "ts0", mariadb: "TIMESTAMP NULL", postgres: "timestamp(0) with time zone",
    values: ["'1970-01-01 00:00:01'", "'2038-01-19 03:14:07'", "'2024-11-03 05:30:00'", "'2024-11-03 06:30:00'"], compare: asEpoch },
  { column: "ts3", mariadb: "TIMESTAMP(3) NULL", postgres: "timestamp(3) with time zone", values: ["'2024-03-10 07:30:00.001'"], compare: asEpoch },
  { column: "ts6", mariadb: "TIMESTAMP(6) NULL", postgres: "timestamp(6) with time zone", values: ["'2024-11-03 05:30:00.123456'", "'2038-01-19 03:14:07.999999'"], compare: asEpoch },
  { column: "tm", mariadb: "TIME", postgres: "time(0) without time zone", values: ["'00:00:00'", "'23:59:59'", "'24:00:00'"], compare: { mariadb: "TIME_FORMAT(c, '%H:%i:%s.%f')", postgres: "to_char(c::interval, 'HH24:MI:SS.US')" } },
  { column: "tm6", mariadb: "TIME(6)", postgres: "time(6) without time zone", values: ["'12:30:15.500001'", "'00:00:00.000001'"], compare: { mariadb: "TIME_FORMAT(c, '%H:%i:%s.%f')", postgres: "to_char(c::interval, 'HH24:MI:SS.US')" } },
  { column: "c8", mariadb: "CHAR(8)", postgres: "character(8)", values: [str("abc"), str("  lead"), str(""), str("ü€😀x"), str("tab\tx\\")], compare: asUtf8Hex },
  { column: "vc", mariadb: "VARCHAR(100)", postgres: "character varying(100)", values: TEXTS.map(str), compare: asUtf8Hex },
  { column: "txt", mariadb: "TEXT", postgres: "text", values: [...TEXTS.map(str), str("x\t\\".repeat(20_000))], compare: asUtf8Hex },
  { column: "lat", mariadb: "VARCHAR(20) CHARACTER SET latin1", postgres: "character varying(20)", values: [str("café ñ ß ¿"), str("plain")], compare: asUtf8Hex },
  // Character sets whose bytes are UTF-8 are read as stored (binary), others converted; columns whose collations
  // differ from the table's (utf8mb4_bin) and from each other still make one line.
  { column: "u3", mariadb: "VARCHAR(60) CHARACTER SET utf8mb3", postgres: "character varying(60)", values: [str("Grüße — 東京 Ελληνικά"), str("tab\t\\N \"q\""), str("")], compare: asUtf8Hex },
  { column: "asc", mariadb: "VARCHAR(40) CHARACTER SET ascii", postgres: "character varying(40)", values: [str("plain \"q\" \\ tab\t"), str("\\N")], compare: asUtf8Hex },
  { column: "ci", mariadb: "VARCHAR(60) COLLATE utf8mb4_general_ci", postgres: "character varying(60)", values: TEXTS.map(str), compare: asUtf8Hex },
  { column: "uci", mariadb: "TEXT COLLATE utf8mb4_unicode_ci", postgres: "text", values: [str("Straße 🚀"), str("\"\"")], compare: asUtf8Hex },
  { column: "e", mariadb: "ENUM('a','b c','ü','x\\\\y')", postgres: "text", values: ["'a'", "'b c'", str("ü"), str("x\\y")], compare: asUtf8Hex },
  // Read as a text[] literal; compared as MariaDB's own member list against the array's elements, both joined by |.
  { column: "s", mariadb: "SET('a','b','x\"y','z\\\\w','{}',' sp')", postgres: "text[]", values: ["'a,b'", "''", str("x\"y,z\\w"), "'b'", str("{},  sp")],
    compare: { mariadb: "HEX(CONVERT(REPLACE(c, ',', '|') USING utf8mb4))", postgres: "upper(encode(convert_to(array_to_string(c, '|'), 'UTF8'), 'hex'))" } },
  { column: "j", mariadb: "JSON", postgres: "jsonb",
    values: [str('{"a": 1, "b": [true, null, 1.50, "tab\\t東 \\\\"]}'), str('"scalar"'), str("12345678901234567890.5"), str("null"), str("[]")], compare: { mariadb: "CAST(c AS CHAR)", postgres: "c::text", as: "jsonb" } },
  { column: "bn", mariadb: "BINARY(4)", postgres: "bytea", values: [hex(Buffer.from([0])), hex(Buffer.from([0xff, 0xff, 0xff, 0xff])), hex(Buffer.from("\\\t:\n"))], compare: asBytes },
  { column: "vb", mariadb: "VARBINARY(16)", postgres: "bytea", values: ["''", hex(Buffer.from([0, 0xff, 0x5c, 0x4e])), str("\\N")], compare: asBytes },
  { column: "bl", mariadb: "BLOB", postgres: "bytea", values: [hex(Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 151) % 256)))], compare: asBytes },
  // A BIT(n) value is ceil(n/8) bytes, big-endian.
  // Compared as numbers: MariaDB's c + 0 against the bit string's value summed digit by digit in PostgreSQL.
  { column: "b1", mariadb: "BIT(1)", postgres: "boolean", values: ["b'0'", "b'1'"], compare: { mariadb: "CAST(c + 0 AS CHAR)", postgres: "c::int::text" } },
  { column: "b9", mariadb: "BIT(9)", postgres: "bit(9)", values: ["b'101010101'", "b'0'", "b'111111111'"], compare: { mariadb: "CAST(c + 0 AS CHAR)", postgres: BIT_VALUE } },
  { column: "b64", mariadb: "BIT(64)", postgres: "bit(64)", values: ["b'1111111111111111111111111111111111111111111111111111111111111111'", "b'1'"], compare: { mariadb: "CAST(c + 0 AS CHAR)", postgres: BIT_VALUE } },
  { column: "g", mariadb: "GEOMETRY", postgres: "geometry",
    values: ["ST_GeomFromText('POINT(0.1 0.3333333333333333)', 4326)", "ST_GeomFromText('LINESTRING(0 0, 1e300 -2.5, 5e-324 1)')",
      "ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (1 1, 2 1, 2 2, 1 1))', 3857)", "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(1 2, 3 4))')",
      "ST_GeomFromText('MULTIPOINT(1 1, 2 2)')"],
    compare: asGeometry },
  { column: "pt", mariadb: "POINT", postgres: "geometry", values: ["POINT(-123.456789012345, 98.7654321098765)", "POINT(1.7976931348623157e308, -5e-324)"], compare: asGeometry },
  { column: "u", mariadb: "UUID", postgres: "uuid", values: ["'123e4567-e89b-12d3-a456-426614174000'", "'00000000-0000-0000-0000-000000000000'", "'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'"], compare: { mariadb: "LOWER(CAST(c AS CHAR))", postgres: "c::text" } },
  { column: "ip", mariadb: "INET6", postgres: "inet", values: ["'::ffff:1.2.3.4'", "'2001:db8::1'", "'::'"], compare: { mariadb: "CAST(c AS CHAR)", postgres: "host(c)" } },
];

/** `1.500000` → `1.5`, `10.000` → `10`, `10` → `10`: equal decimals, equal text. */
const decimalText = (value: unknown) => {
  const text = String(value);
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
};

const rowCount = (cases: TypeCase[]) => Math.max(...cases.map((c) => c.values.length)) + 1;

/** The wide table: row i holds each column's i-th edge value (NULL past the end, and one row all NULL). */
function mariadbTable(table: string, cases: TypeCase[]): string[] {
  const columns = cases.map((c) => `\`${c.column}\` ${c.mariadb}${/NULL$/.test(c.mariadb) ? "" : " NULL"}`);
  const statements = [`CREATE TABLE \`${table}\` (id INT NOT NULL PRIMARY KEY, ${columns.join(", ")}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`];
  for (let i = 0; i < rowCount(cases); i++) {
    statements.push(`INSERT INTO \`${table}\` (id, ${cases.map((c) => `\`${c.column}\``).join(", ")}) VALUES (${i + 1}, ${cases.map((c) => c.values[i] ?? "NULL").join(", ")})`);
  }
  return statements;
}

/** A direct MariaDB connection of the test's own, in a UTC session so literals of TIMESTAMP columns mean UTC instants. */
async function mariadbSession(url: string) {
  const connection = await mysql.createConnection({ uri: url, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, multipleStatements: true });
  await connection.query("SET time_zone = '+00:00', sql_mode = 'NO_ENGINE_SUBSTITUTION'");
  return connection;
}

/**
 * Rows where the target's value differs from the source's, column by column, each side read on its own:
 * text equality, IEEE bit equality for doubles, numeric equality for epochs, jsonb equality for JSON.
 */
async function mismatches(source: mysql.Connection, target: pg.Pool, sourceTable: string, targetTable: string, cases: TypeCase[]) {
  const found: { column: string; id: number; source: unknown; target: unknown }[] = [];
  for (const c of cases) {
    const sourceSql = `SELECT id, ${c.compare.mariadb.replace(/\bc\b/g, `\`${c.column}\``)} AS v FROM \`${sourceTable}\` ORDER BY id`;
    // The binary protocol carries a double's 8 bytes: no text formatting between MariaDB and the test.
    const [sourceRows] = c.compare.as === "double"
      ? await source.execute<mysql.RowDataPacket[]>(sourceSql)
      : await source.query<mysql.RowDataPacket[]>(sourceSql);
    const targetSql = `SELECT id, ${c.compare.postgres.replace(/\bc\b/g, `"${c.column}"`)} AS v FROM "${targetTable}" ORDER BY id`;
    const { rows: targetRows } = await target.query(targetSql);
    const targetById = new Map(targetRows.map((r) => [Number(r.id), r.v as unknown]));
    for (const row of sourceRows) {
      const id = Number(row.id);
      const want: unknown = row.v;
      const got = targetById.get(id);
      let same: boolean;
      if (!targetById.has(id)) same = false;
      else if (c.compare.as === "jsonb") {
        // PostgreSQL parses MariaDB's own JSON text independently; jsonb equality compares by meaning (numbers exactly).
        const { rows } = await target.query(`SELECT (SELECT "${c.column}" FROM "${targetTable}" WHERE id = $2) IS NOT DISTINCT FROM $1::jsonb AS same`, [want, id]);
        same = rows[0].same === true;
      } else if (want === null || got === null) same = want === got;
      else if (c.compare.as === "double") same = Object.is(want, (got as Buffer).readDoubleBE(0));
      else if (c.compare.as === "decimal") same = decimalText(want) === decimalText(got);
      else same = String(want) === String(got);
      if (!same) found.push({ column: c.column, id, source: want, target: got instanceof Buffer ? got.toString("hex") : got });
    }
    if (targetRows.length !== sourceRows.length) found.push({ column: c.column, id: -1, source: sourceRows.length, target: targetRows.length });
  }
  return found;
}

const pipelineOf = (name: string, sourceTable: string, targetTable: string, columns: string[], extra: Record<string, unknown> = {}) => pipelineFile({
  name,
  source: { connection: "legacy", table: sourceTable },
  target: { connection: "warehouse", table: `public.${targetTable}` },
  columns: Object.fromEntries(["id", ...columns].map((c) => [c, c])),
  batchSize: 3,
  ...extra,
});

const PATHS = [["encoded", {}], ["values", { DATABRIDGE_SOURCE_ENCODING: "off" }]] as const;

describe.skipIf(!servers)("MariaDB source types → PostgreSQL, every value exact (shared server)", () => {
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let sourceSession: mysql.Connection;
  let targetPool: pg.Pool;
  let workspace: Workspace;

  beforeAll(async () => {
    source = await createMariadbDatabase("dbt_types_src");
    target = await createPostgresDatabase("dbt_types_dst");
    sourceSession = await mariadbSession(source.url);
    for (const statement of mariadbTable("typed", MARIADB_TYPE_CASES)) await sourceSession.query(statement);
    // With PostGIS, geometries become geometry columns (a target without it: see below).
    await target.query("CREATE EXTENSION IF NOT EXISTS postgis");
    // A target whose sessions are far from UTC: an instant written without its offset would move.
    await target.query(`ALTER DATABASE "${target.name}" SET timezone = 'Asia/Kathmandu'`);
    targetPool = new pg.Pool({ connectionString: target.url, max: 2 });
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
  });

  afterAll(async () => {
    await sourceSession?.end();
    await targetPool?.end();
    workspace?.remove();
    await target?.drop();
    await source?.drop();
  });

  for (const [path, env] of PATHS) {
    it(`${path}: create: true makes each column the type the rules say, and every value arrives equal to MariaDB's own reading of it`, async () => {
      const table = `typed_${path}`;
      const file = workspace.pipeline(table, pipelineOf(table, "typed", table, MARIADB_TYPE_CASES.map((c) => c.column), { target: { connection: "warehouse", table: `public.${table}`, create: true } }));
      const result = await runCli(["run", file, "--json"], { cwd: workspace.dir, env: { TZ: "Pacific/Auckland", ...env } });
      const done = finished(result);
      expect({ status: done.status, rows: done.rows }, result.stderr).toEqual({ status: "succeeded", rows: { read: rowCount(MARIADB_TYPE_CASES), written: rowCount(MARIADB_TYPE_CASES), rejected: 0 } });
      if (path === "encoded") expect(result.events.filter((e) => e.type === "log" && e.message.includes("reading it as values"))).toEqual([]);
      const { rows: created } = await target.query(
        "SELECT attname AS column, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 1 AND NOT attisdropped ORDER BY attnum", [table]);
      expect(created).toEqual(MARIADB_TYPE_CASES.map((c) => ({ column: c.column, type: c.postgres })));
      expect(await mismatches(sourceSession, targetPool, "typed", table, MARIADB_TYPE_CASES)).toEqual([]);
    });
  }

  // The wide table has binary columns, which keep the value path: text columns of every character set and
  // collation get a table of their own, so MariaDB writes each row's COPY line (the plan must say so).
  it("text of every character set and collation, in lines MariaDB writes, arrives equal to MariaDB's own reading of it", async () => {
    const textCases = MARIADB_TYPE_CASES.filter((c) => ["c8", "vc", "txt", "lat", "u3", "asc", "ci", "uci", "e", "s"].includes(c.column));
    for (const statement of mariadbTable("texts", textCases)) await sourceSession.query(statement);
    const names = textCases.map((c) => c.column);
    const file = workspace.pipeline("texts", pipelineOf("texts", "texts", "texts", names, { target: { connection: "warehouse", table: "public.texts", create: true } }));
    const plan = await runCli(["plan", file, "--json"], { cwd: workspace.dir });
    expect(plan.code, plan.stderr).toBe(0);
    const computedAt = (JSON.parse(plan.stdout) as { pipelines: { columns: { target: string; computedAt: string }[] }[] }).pipelines[0].columns;
    expect(computedAt.filter((c) => c.computedAt !== "source").map((c) => c.target)).toEqual([]);
    const result = await runCli(["run", file, "--json"], { cwd: workspace.dir });
    const done = finished(result);
    expect({ status: done.status, rows: done.rows, error: done.error }, result.stderr).toEqual({ status: "succeeded", rows: { read: rowCount(textCases), written: rowCount(textCases), rejected: 0 }, error: undefined });
    expect(result.events.filter((e) => e.type === "log" && e.message.includes("reading it as values"))).toEqual([]);
    expect(await mismatches(sourceSession, targetPool, "texts", "texts", textCases)).toEqual([]);
  });

  it("create: true carries identity, NOT NULL, defaults and enum/set members; what it cannot carry is a plan warning; an ENUM's invalid '' is rejected by the CHECK", async () => {
    await sourceSession.query(`CREATE TABLE carried (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'it''s', qty INT DEFAULT 5, price DECIMAL(5,2) DEFAULT 1.50,
      active TINYINT(1) NOT NULL DEFAULT 1, flags BIT(4) DEFAULT b'101', status ENUM('new','it''s done') NOT NULL DEFAULT 'new', tags SET('a','b') DEFAULT 'a,b',
      created DATETIME DEFAULT CURRENT_TIMESTAMP, changed TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      born DATE DEFAULT '0000-00-00', token VARCHAR(36) DEFAULT uuid(), doubled INT AS (qty * 2) VIRTUAL)`);
    // Row 3's status is not a member: a non-strict MariaDB stores it as '' (the "error" value of an ENUM).
    await sourceSession.query(`INSERT INTO carried (id, name, qty, status, tags, changed, born) VALUES
      (1, 'a', 1, 'it''s done', '', '2024-01-01 00:00:00.5', '2024-02-29'), (2, 'b', NULL, 'new', 'b,a', '2024-01-02 00:00:00', NULL), (3, 'c', 3, 'gone', 'a', '2024-01-03 00:00:00', NULL)`);
    const columns = ["name", "qty", "price", "active", "flags", "status", "tags", "created", "changed", "born", "token", "doubled"];
    const file = workspace.pipeline("carried", pipelineOf("carried", "carried", "carried", columns, { onError: "skip", target: { connection: "warehouse", table: "public.carried", create: true } }));

    const plan = await runCli(["plan", file], { cwd: workspace.dir });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('"id" bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL');
    expect(plan.stdout).toContain(`"status" text DEFAULT 'new' NOT NULL CHECK ("status" IN ('new', 'it''s done'))`);
    expect(plan.stdout).toContain(`"tags" text[] DEFAULT ARRAY['a', 'b']::text[] CHECK ("tags" <@ ARRAY['a', 'b']::text[])`);
    for (const warning of ["default '0000-00-00' is not carried: a zero date has no PostgreSQL value",
      "a generated (computed) column in the source", "default uuid() is not carried", "ON UPDATE current_timestamp(3)"]) {
      expect(plan.stdout.includes(warning), `${warning}\n${plan.stdout}`).toBe(warning !== "default uuid() is not carried" && !warning.startsWith("ON UPDATE"));
    }
    // ON UPDATE is carried by a trigger built after the load.
    expect(plan.stdout).toContain(`NEW."changed" := CURRENT_TIMESTAMP(3)`);

    const result = await runCli(["run", file, "--json"], { cwd: workspace.dir });
    expect({ status: finished(result).status, rows: finished(result).rows }, result.stderr).toEqual({ status: "succeeded_with_rejects", rows: { read: 3, written: 2, rejected: 1 } });
    const { rows: rejected } = await target.query("SELECT source_key, message FROM databridge.rejected_rows WHERE pipeline = 'carried'");
    expect(rejected.map((r) => r.source_key)).toEqual([[3]]);
    expect(rejected[0].message).toMatch(/violates check constraint "carried_status_check"/);

    const { rows: notNull } = await target.query("SELECT attname FROM pg_attribute WHERE attrelid = 'carried'::regclass AND attnum > 0 AND attnotnull ORDER BY attnum");
    expect(notNull.map((r) => r.attname)).toEqual(["id", "name", "active", "status", "changed"]);
    const { rows: identity } = await target.query("SELECT attname FROM pg_attribute WHERE attrelid = 'carried'::regclass AND attidentity <> ''");
    expect(identity.map((r) => r.attname)).toEqual(["id"]);
    // The defaults, by what PostgreSQL fills in.
    const { rows: [filled] } = await target.query(`INSERT INTO carried (id) VALUES (1000)
      RETURNING name, qty, price::text, active, flags::text, status, tags, created IS NOT NULL AS created, changed IS NOT NULL AS changed, born, token IS NOT NULL AS token`);
    expect(filled).toEqual({ name: "it's", qty: 5, price: "1.50", active: true, flags: "0101", status: "new", tags: ["a", "b"], created: true, changed: true, born: null, token: true });
    const { rows: loaded } = await target.query("SELECT id, status, tags, active, flags::text, doubled, to_char(changed AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS changed FROM carried WHERE id < 1000 ORDER BY id");
    expect(loaded).toEqual([
      { id: "1", status: "it's done", tags: [], active: true, flags: "0101", doubled: 2, changed: "2024-01-01 00:00:00.500" },
      { id: "2", status: "new", tags: ["a", "b"], active: true, flags: "0101", doubled: null, changed: "2024-01-02 00:00:00.000" },
    ]);
  });

  it("a target without PostGIS: geometries become EWKT text (a plan warning), which PostGIS reads back as the very same geometry", async () => {
    const plain = await createPostgresDatabase("dbt_types_nogis");
    const nogis = createWorkspace({ legacy: source.url, warehouse: plain.url });
    try {
      const file = nogis.pipeline("shapes", pipelineOf("shapes", "typed", "shapes", ["g", "pt"], { target: { connection: "warehouse", table: "public.shapes", create: true } }));
      const plan = await runCli(["plan", file], { cwd: nogis.dir });
      expect(plan.stdout).toContain("column g: g (geometry → text): geometry is stored as EWKT text: the target has no PostGIS");
      const result = await runCli(["run", file, "--json"], { cwd: nogis.dir });
      expect(finished(result).status, result.stderr).toBe("succeeded");
      const { rows: created } = await plain.query("SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'shapes'::regclass AND attname IN ('g', 'pt') ORDER BY attnum");
      expect(created.map((r) => r.t)).toEqual(["text", "text"]);
      const { rows } = await plain.query("SELECT id, g, pt FROM shapes ORDER BY id");
      for (const column of ["g", "pt"]) {
        const [want] = await sourceSession.query<mysql.RowDataPacket[]>(`SELECT id, CONCAT(ST_SRID(${column}), ':', HEX(ST_AsBinary(${column}))) AS v FROM typed ORDER BY id`);
        const got = await Promise.all(rows.map(async (row) => (row[column] === null ? null
          : (await targetPool.query("SELECT ST_SRID(ST_GeomFromEWKT($1)) || ':' || upper(encode(ST_AsBinary(ST_GeomFromEWKT($1)), 'hex')) AS v", [row[column]])).rows[0].v)));
        expect(got, column).toEqual(want.map((r) => r.v));
      }
      expect(rows.find((r) => r.id === 1).g).toBe("SRID=4326;POINT(0.1 0.3333333333333333)");
    } finally {
      nogis.remove();
      await plain.drop();
    }
  });

  it("FLOAT arrives equal to MariaDB's CAST(f AS DOUBLE), not to its 6-digit text", async () => {
    const [rows] = await sourceSession.query<mysql.RowDataPacket[]>("SELECT CAST(f AS CHAR) AS shown, CAST(f AS DOUBLE) AS exact FROM typed WHERE id <= 3 ORDER BY id");
    // What the text protocol shows for FLOAT (the bug) and what it holds.
    expect(rows.map((r) => [r.shown, r.exact])).toEqual([["1234570", 1234567], ["16777200", 16777216], ["0.123457", 0.12345679104328156]]);
    const { rows: loaded } = await targetPool.query("SELECT f::float8::text AS f FROM typed_values WHERE id <= 3 ORDER BY id");
    expect((await targetPool.query("SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'typed_values'::regclass AND attname = 'f'")).rows[0].t).toBe("real");
    expect(loaded.map((r) => r.f)).toEqual(["1234567", "16777216", "0.12345679104328156"]);
  });

  it("values PostgreSQL cannot hold are rejected with key, column and reason — zero dates, TIME outside 00:00–24:00 — or read as NULL with zeroDates=null", async () => {
    await sourceSession.query(`CREATE TABLE odd (id INT PRIMARY KEY, zd DATE NULL, zdt DATETIME NULL, zts TIMESTAMP NULL, tm TIME NULL)`);
    await sourceSession.query(`INSERT INTO odd VALUES (1, '2024-01-02', '2024-01-02 03:04:05', '2024-01-02 03:04:05', '12:00:00'),
      (2, '0000-00-00', NULL, NULL, NULL), (3, NULL, '2024-00-15 00:00:00', NULL, NULL), (4, NULL, NULL, '0000-00-00 00:00:00', NULL),
      (5, NULL, NULL, NULL, '-00:00:01'), (6, NULL, NULL, NULL, '25:00:00'), (7, NULL, NULL, NULL, '-838:59:59'), (8, '2024-02-00', NULL, NULL, NULL)`);
    const zeroWorkspace = createWorkspace({ legacy: `${source.url}?zeroDates=null`, warehouse: target.url });
    try {
      for (const [path, env] of PATHS) {
        for (const [zeroDates, where] of [["reject", workspace], ["null", zeroWorkspace]] as const) {
          const table = `odd_${path}_${zeroDates}`;
          await target.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, zd date, zdt timestamp, zts timestamptz, tm time)`);
          const file = where.pipeline(table, pipelineOf(table, "odd", table, ["zd", "zdt", "zts", "tm"], { onError: "skip" }));
          const result = await runCli(["run", file, "--json"], { cwd: where.dir, env });
          const done = finished(result);
          const rejectedIds = zeroDates === "reject" ? [2, 3, 4, 5, 6, 7, 8] : [5, 6, 7];
          expect({ status: done.status, rows: done.rows }, `${path} ${zeroDates}: ${result.stderr}`).toEqual({ status: "succeeded_with_rejects", rows: { read: 8, written: 8 - rejectedIds.length, rejected: rejectedIds.length } });
          const { rows } = await target.query("SELECT source_key, column_name, message FROM databridge.rejected_rows WHERE pipeline = $1 ORDER BY (source_key->>0)::int", [table]);
          const column = (id: number) => (id === 2 || id === 8 ? "zd" : id === 3 ? "zdt" : id === 4 ? "zts" : "tm");
          expect(rows.map((r) => [r.source_key[0], r.column_name]), path).toEqual(rejectedIds.map((id) => [id, column(id)]));
          for (const row of rows) expect(row.message, JSON.stringify(row)).toMatch(/^[^\n]*(out of range|invalid input syntax)[^\n]*$/);
          const { rows: loaded } = await target.query(`SELECT id, zd::text, zdt::text, extract(epoch FROM zts)::text AS zts, tm::text FROM ${table} ORDER BY id`);
          expect(loaded[0]).toEqual({ id: 1, zd: "2024-01-02", zdt: "2024-01-02 03:04:05", zts: "1704164645.000000", tm: "12:00:00" });
          if (zeroDates === "null") expect(loaded.slice(1).map((r) => [r.id, r.zd, r.zdt, r.zts])).toEqual([[2, null, null, null], [3, null, null, null], [4, null, null, null], [8, null, null, null]]);
        }
      }
    } finally {
      zeroWorkspace.remove();
    }
  });

  it("MariaDB's text for a DOUBLE (what COPY text carries) reads back as the same IEEE double, for thousands of random bit patterns", async () => {
    await sourceSession.query("CREATE TABLE doubles (id INT PRIMARY KEY, d DOUBLE NULL, f FLOAT NULL)");
    const bits = new DataView(new ArrayBuffer(8));
    let state = 0x2545f491;
    const random32 = () => ((state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0), state);
    const values: number[] = [];
    while (values.length < 4000) {
      bits.setUint32(0, random32());
      bits.setUint32(4, random32());
      const value = bits.getFloat64(0);
      if (Number.isFinite(value)) values.push(value);
    }
    for (let i = 0; i < values.length; i += 500) {
      const chunk = values.slice(i, i + 500);
      // Bound through the binary protocol: the double's own 8 bytes reach the server.
      await sourceSession.execute(`INSERT INTO doubles (id, d, f) VALUES ${chunk.map(() => "(?, ?, ?)").join(", ")}`,
        chunk.flatMap((v, j) => [i + j, v, Math.abs(v) < 3.4e38 ? v : 1]));
    }
    const [text] = await sourceSession.query<mysql.RowDataPacket[]>({ sql: "SELECT CONCAT(d), CONCAT(CAST(f AS DOUBLE)) FROM doubles ORDER BY id", rowsAsArray: true });
    const [binary] = await sourceSession.execute<mysql.RowDataPacket[]>({ sql: "SELECT d, CAST(f AS DOUBLE) FROM doubles ORDER BY id", rowsAsArray: true });
    const differing = text.map((row, i) => [row[0], binary[i][0], row[1], binary[i][1]]).filter(([dText, d, fText, f]) => !Object.is(Number(dText), d) || !Object.is(Number(fText), f));
    expect(differing).toEqual([]);
    expect(text.length).toBe(4000);
  });
});

describe.skipIf(!servers || !canRunScratchMariadb())("MariaDB TIMESTAMP from a server whose default zone is America/New_York (private instance)", () => {
  let server: ScratchMariadb;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let targetPool: pg.Pool;
  let sourceSession: mysql.Connection;
  let workspace: Workspace;

  beforeAll(async () => {
    server = await createScratchMariadb();
    await server.setDefaultTimeZone("America/New_York");
    const admin = await mysql.createConnection({ uri: server.url() });
    await admin.query("CREATE DATABASE legacy CHARACTER SET utf8mb4");
    // A new session starts in the server's default zone (the bug was reading TIMESTAMP in it).
    const [[zone]] = await admin.query<mysql.RowDataPacket[]>("SELECT @@time_zone AS session, @@global.time_zone AS server");
    expect(zone).toEqual({ session: "America/New_York", server: "America/New_York" });
    await admin.end();
    sourceSession = await mariadbSession(server.url("legacy"));
    await sourceSession.query("CREATE TABLE instants (id INT PRIMARY KEY, ts TIMESTAMP(6) NULL, wall DATETIME(6) NULL)");
    // In a UTC session: 05:30 and 06:30 UTC are both 01:30 in New York on the fall-back night.
    await sourceSession.query(`INSERT INTO instants VALUES (1, '2024-11-03 05:30:00', '2024-11-03 01:30:00'), (2, '2024-11-03 06:30:00', '2024-11-03 01:30:00'),
      (3, '2024-03-10 07:00:00.5', '2024-03-10 02:30:00'), (4, '2038-01-19 03:14:07.999999', '1000-01-01 00:00:00'), (5, NULL, NULL)`);
    target = await createPostgresDatabase("dbt_tz_dst");
    await target.query(`ALTER DATABASE "${target.name}" SET timezone = 'Asia/Kolkata'`);
    targetPool = new pg.Pool({ connectionString: target.url, max: 2 });
    workspace = createWorkspace({ legacy: server.url("legacy"), warehouse: target.url });
  }, 180_000);

  afterAll(async () => {
    await sourceSession?.end();
    await targetPool?.end();
    workspace?.remove();
    await target?.drop();
    await server?.drop();
  });

  for (const [path, env] of PATHS) {
    it(`${path}: the instants arrive as the same instants (distinct at the fall-back), DATETIME as its wall-clock text`, async () => {
      const table = `instants_${path}`;
      await target.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, ts timestamptz, wall timestamp(6))`);
      const file = workspace.pipeline(table, pipelineOf(table, "instants", table, ["ts", "wall"]));
      const result = await runCli(["run", file, "--json"], { cwd: workspace.dir, env: { TZ: "Australia/Lord_Howe", ...env } });
      expect({ status: finished(result).status, rows: finished(result).rows }, result.stderr).toEqual({ status: "succeeded", rows: { read: 5, written: 5, rejected: 0 } });
      const cases: TypeCase[] = [
        { column: "ts", mariadb: "", postgres: "", values: [], compare: asEpoch },
        { column: "wall", mariadb: "", postgres: "", values: [], compare: asMicros("%Y-%m-%d %H:%i:%s.%f", "YYYY-MM-DD HH24:MI:SS.US") },
      ];
      expect(await mismatches(sourceSession, targetPool, "instants", table, cases)).toEqual([]);
      const { rows } = await targetPool.query(`SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS utc FROM ${table} WHERE id <= 2 ORDER BY id`);
      expect(rows.map((r) => r.utc)).toEqual(["2024-11-03 05:30:00.000000", "2024-11-03 06:30:00.000000"]);
    });
  }

  it("an incremental lag compares a TIMESTAMP cursor with now, and a DATETIME cursor with now on the server's own clock", async () => {
    const [[now]] = await sourceSession.query<mysql.RowDataPacket[]>("SELECT UTC_TIMESTAMP() AS utc, CONVERT_TZ(UTC_TIMESTAMP(), '+00:00', 'America/New_York') AS local");
    const shift = (text: string, minutes: number) => new Date(Date.parse(`${text.replace(" ", "T")}Z`) + minutes * 60_000).toISOString().slice(0, 19).replace("T", " ");
    await sourceSession.query("CREATE TABLE recent (id INT PRIMARY KEY, ts TIMESTAMP NULL, wall DATETIME NULL)");
    // Row 1 is two hours old, row 2 thirty minutes old: a one-hour lag reads row 1 only, by either cursor.
    await sourceSession.query("INSERT INTO recent VALUES (1, ?, ?), (2, ?, ?)", [shift(now.utc, -120), shift(now.local, -120), shift(now.utc, -30), shift(now.local, -30)]);
    for (const cursor of ["ts", "wall"]) {
      const table = `recent_${cursor}`;
      await target.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, ts timestamptz, wall timestamp)`);
      const file = workspace.pipeline(table, pipelineOf(table, "recent", table, ["ts", "wall"], { incremental: { cursor, lag: "1h" } }));
      const result = await runCli(["run", file, "--json"], { cwd: workspace.dir });
      expect(finished(result).status, result.stderr).toBe("succeeded");
      const { rows } = await target.query(`SELECT id FROM ${table} ORDER BY id`);
      expect(rows.map((r) => r.id), cursor).toEqual([1]);
    }
  });
});

/** PostgreSQL and PGlite sources: each value's text under fixed settings, on both sides; floats by their 8 bytes. */
interface PostgresCase {
  column: string;
  type: string;
  values: string[];
}

const POSTGRES_CASES: PostgresCase[] = [
  { column: "n", type: "numeric", values: ["'NaN'", "'12345678901234567890.123456789012345678901234567890'", "'-0.000000000000000000000000000001'", "'0'"] },
  { column: "n2", type: "numeric(10,2)", values: ["'-99999999.99'", "'0.10'"] },
  { column: "r", type: "real", values: ["'NaN'", "'Infinity'", "'-Infinity'", "'-0'", "'1.4e-45'", "'3.4028235e38'", "'0.1'", "'1234567'"] },
  { column: "d", type: "double precision", values: ["'NaN'", "'Infinity'", "'-Infinity'", "'-0'", "'5e-324'", "'1.7976931348623157e308'", "'0.1'", "1/3::float8"] },
  { column: "ts", type: "timestamp(6)", values: ["'2024-03-10 02:30:00'", "'0044-03-15 12:00:00 BC'", "'infinity'", "'-infinity'", "'294276-12-31 23:59:59.999999'"] },
  { column: "tz", type: "timestamptz", values: ["'2024-11-03 05:30:00+00'", "'1800-01-01 00:00:00+00'", "'infinity'", "'2024-06-30 23:59:59.999999-09:30'"] },
  { column: "dy", type: "date", values: ["'2024-11-03'", "'0001-01-01 BC'", "'infinity'", "'5874897-12-31'"] },
  { column: "tm", type: "time(6)", values: ["'24:00:00'", "'00:00:00.000001'"] },
  { column: "ttz", type: "timetz", values: ["'12:00:00+05:45'", "'23:59:59-12'"] },
  { column: "iv", type: "interval", values: ["'-1 year +2 days -03:04:05.000006'", "'1 mon -1 day'", "'178000000 years'", "'-00:00:00.000001'"] },
  { column: "ia", type: "integer[]", values: ["'{1,NULL,-3}'", "'{}'", "'{{1,2},{3,4}}'", "'[0:1]={7,8}'"] },
  { column: "ta", type: "text[]", values: [`ARRAY['a,b', 'q"uote', 'back\\slash', 'NULL', NULL, '', 'tab	x', '{}']`, "'{}'"] },
  { column: "tsa", type: "timestamp[]", values: ["ARRAY['2024-03-10 02:30:00'::timestamp, '2000-01-01 00:00:00.5']"] },
  { column: "fa", type: "float8[]", values: ["ARRAY[0.1::float8, 'NaN', '-0', 5e-324]"] },
  { column: "by", type: "bytea", values: ["'\\x00ff5c0a'::bytea", "''::bytea"] },
  { column: "js", type: "json", values: [`'{"b": 1, "a": [1.50, "x"],  "b": 2}'`, "'\"s\"'", "'null'"] },
  { column: "jb", type: "jsonb", values: [`'{"b": 1, "a": [1.50, 12345678901234567890.5]}'`, "'[]'"] },
  { column: "mn", type: "money", values: ["'-92233720368547758.08'", "'1234.56'"] },
  { column: "uu", type: "uuid", values: ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"] },
  { column: "ip", type: "inet", values: ["'192.168.1.5/24'", "'::ffff:1.2.3.4'"] },
  { column: "cd", type: "cidr", values: ["'10.0.0.0/8'"] },
  { column: "pt", type: "point", values: ["'(0.1,-1e300)'"] },
  { column: "bv", type: "bit varying(10)", values: ["B'101'", "B''"] },
  { column: "ch", type: "char(5)", values: ["'ab'", "'     '"] },
  { column: "bo", type: "boolean", values: ["true", "false"] },
  { column: "tx", type: "text", values: TEXTS.map((t) => `convert_from('\\x${Buffer.from(t).toString("hex")}'::bytea, 'UTF8')`) },
];

/** Session settings both comparison reads use, whatever the databases' defaults are. */
const FIXED = "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'; SET TimeZone = 'UTC'; SET lc_monetary = 'C'";

/** Reads every case column as text (floats as their 8 bytes, hex) under FIXED settings, in id order. */
const readAllSql = (table: string) => `SELECT id, ${POSTGRES_CASES.map((c, i) => `${c.type === "real" || c.type === "double precision"
  ? `encode(float8send(${c.column}::float8), 'hex')` : `${c.column}::text`} AS v${i}`).join(", ")} FROM ${table} ORDER BY id`;

async function readPostgres(url: string, table: string): Promise<unknown[][]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(FIXED);
    return (await client.query({ text: readAllSql(table), rowMode: "array" })).rows;
  } finally {
    await client.end();
  }
}

async function withPglite<T>(dir: string, work: (db: Connector) => Promise<T>): Promise<T> {
  const db = await pglite.pgliteConnectorFactory.create({ name: "legacy", url: new URL(`pglite:${dir}`), baseDir: dir });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

const POSTGRES_ROWS = Math.max(...POSTGRES_CASES.map((c) => c.values.length)) + 1;
const createTypedSql = (table: string) => `CREATE TABLE ${table} (id integer PRIMARY KEY, ${POSTGRES_CASES.map((c) => `${c.column} ${c.type}`).join(", ")})`;
const insertTypedSql = () => Array.from({ length: POSTGRES_ROWS }, (_, i) =>
  `INSERT INTO typed (id, ${POSTGRES_CASES.map((c) => c.column).join(", ")}) VALUES (${i + 1}, ${POSTGRES_CASES.map((c) => c.values[i] ?? "NULL").join(", ")})`);
/** Settings a legacy database may have that change how values print: day-first dates, 15-digit floats, SQL-standard intervals, escaped bytea, a far-away zone. */
const HOSTILE_SETTINGS = ["DateStyle = 'SQL, DMY'", "extra_float_digits = 0", "IntervalStyle = 'sql_standard'", "bytea_output = 'escape'", "timezone = 'Pacific/Chatham'"];

describe.skipIf(!servers)("PostgreSQL and PGlite source types → PostgreSQL, every value exact, whatever the databases' own settings", () => {
  let source: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: Workspace;
  let pgliteDir: string;

  beforeAll(async () => {
    source = await createPostgresDatabase("dbt_pgtypes_src");
    target = await createPostgresDatabase("dbt_pgtypes_dst");
    await source.query(createTypedSql("typed"));
    for (const insert of insertTypedSql()) await source.query(insert);
    for (const setting of HOSTILE_SETTINGS) await source.query(`ALTER DATABASE "${source.name}" SET ${setting}`);
    // The target reads day/month text month-first and sits in a zone with a half-hour offset.
    await target.query(`ALTER DATABASE "${target.name}" SET DateStyle = 'SQL, MDY'`);
    await target.query(`ALTER DATABASE "${target.name}" SET timezone = 'America/St_Johns'`);
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url, embedded: "pglite:./legacy-db" });
    pgliteDir = path.join(workspace.dir, "legacy-db");
    await withPglite(pgliteDir, async (db) => {
      await db.query(createTypedSql("typed"));
      for (const insert of insertTypedSql()) await db.query(insert);
      for (const setting of HOSTILE_SETTINGS) await db.query(`ALTER DATABASE postgres SET ${setting}`);
    });
  });

  afterAll(async () => {
    workspace?.remove();
    await target?.drop();
    await source?.drop();
  });

  for (const connection of ["legacy", "embedded"] as const) {
    for (const [path, env] of PATHS) {
      it(`${connection === "legacy" ? "PostgreSQL" : "PGlite"}, ${path}: every value's text (floats' 8 bytes) equals the source's`, async () => {
        const table = `typed_${connection}_${path}`;
        await target.query(createTypedSql(table));
        const file = workspace.pipeline(table, pipelineFile({
          name: table, source: { connection, table: "typed" }, target: { connection: "warehouse", table: `public.${table}` },
          columns: Object.fromEntries(["id", ...POSTGRES_CASES.map((c) => c.column)].map((c) => [c, c])), batchSize: 3,
        }));
        const result = await runCli(["run", file, "--json"], { cwd: workspace.dir, env: { TZ: "Asia/Tokyo", ...env } });
        const done = finished(result);
        expect({ status: done.status, rows: done.rows }, result.stderr).toEqual({ status: "succeeded", rows: { read: POSTGRES_ROWS, written: POSTGRES_ROWS, rejected: 0 } });
        const want = connection === "legacy"
          ? await readPostgres(source.url, "typed")
          : await withPglite(pgliteDir, async (db) => {
            for (const statement of FIXED.split("; ")) await db.query(statement);
            return (await db.query<Record<string, unknown>>(readAllSql("typed"))).rows.map((row) => Object.values(row));
          });
        const got = await readPostgres(target.url, table);
        const differing = want.flatMap((row, r) => row.map((value, i) => ({ column: i ? POSTGRES_CASES[i - 1].column : "id", id: row[0], source: value, target: got[r]?.[i] })))
          .filter((cell) => String(cell.source) !== String(cell.target));
        expect(differing).toEqual([]);
        expect(got.length).toBe(want.length);
      });
    }
  }
});
