/**
 * Acceptance of the whole-database migration: a 17-table legacy MariaDB database (test/support/wholedb-fixture.ts)
 * into an empty PostgreSQL database with exactly `databridge generate legacy --target warehouse`, `databridge run`
 * and `databridge verify`, nothing edited in between. Then an independent comparison, written against the two
 * drivers and nothing of DataBridge: every value equal by meaning, and as many NOT NULL columns, defaults,
 * identity columns, primary keys, unique keys, other indexes and foreign keys on both sides.
 */
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mysql from "mysql2/promise";
import pg from "pg";
import type { RunEvent } from "@databridge/core";
import { createWorkspace, REPO_ROOT, runCli, type TestWorkspace } from "../support/cli.js";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { WHOLEDB_TABLES, wholeDbScript } from "../support/wholedb-fixture.js";

const ok = await requireServers("mariadb", "postgres");

type Finished = Extract<RunEvent, { type: "run.finished" }>;
const finished = (events: RunEvent[]) => events.find((e): e is Finished => e.type === "run.finished")!;

interface SourceColumn { name: string; dataType: string; columnType: string }

/** How each side reads a column for comparison, and how the readings compare. */
function readings(column: SourceColumn): { mariadb: string; postgres: string; as: "text" | "double" | "decimal" | "json" | "set" | "point" } {
  const c = `\`${column.name}\``;
  const t = `"${column.name.toLowerCase()}"`;
  switch (column.dataType) {
    case "double": return { mariadb: `CAST(${c} AS DOUBLE)`, postgres: `float8send(${t})`, as: "double" };
    case "tinyint": if (column.columnType.startsWith("tinyint(1)")) return { mariadb: `CAST(${c} AS SIGNED)`, postgres: `${t}::int`, as: "text" }; break;
    case "bit": return { mariadb: `CAST(${c} AS UNSIGNED)`, postgres: `${t}::int`, as: "text" };
    case "blob": case "varbinary": case "binary": return { mariadb: `HEX(${c})`, postgres: `upper(encode(${t}, 'hex'))`, as: "text" };
    case "date": return { mariadb: `DATE_FORMAT(${c}, '%Y-%m-%d')`, postgres: `to_char(${t}, 'YYYY-MM-DD')`, as: "text" };
    case "datetime": return { mariadb: `DATE_FORMAT(${c}, '%Y-%m-%d %H:%i:%s.%f')`, postgres: `to_char(${t}, 'YYYY-MM-DD HH24:MI:SS.US')`, as: "text" };
    case "timestamp": return { mariadb: `UNIX_TIMESTAMP(${c})`, postgres: `extract(epoch from ${t})`, as: "decimal" };
    case "time": return { mariadb: `TIME_FORMAT(${c}, '%H:%i:%s.%f')`, postgres: `to_char(${t}::interval, 'HH24:MI:SS.US')`, as: "text" };
    case "longtext": if (column.columnType === "json") return { mariadb: `CAST(${c} AS CHAR)`, postgres: `${t}::text`, as: "json" }; break;
    case "set": return { mariadb: c, postgres: `array_to_json(${t})::text`, as: "set" };
    case "point": return { mariadb: `CONCAT(ST_SRID(${c}), ';', ST_AsText(${c}))`, postgres: t, as: "point" };
    default: break;
  }
  return { mariadb: `CAST(${c} AS CHAR)`, postgres: `${t}::text`, as: "text" };
}

/** Canonical JSON: object keys sorted, so `{"a":1,"b":2}` equals `{"b": 2, "a": 1}` (jsonb reorders keys). */
const canonical = (value: unknown): string => JSON.stringify(value, (_key, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
const decimal = (value: unknown) => String(value).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
/** `SRID=n;WKT`, or WKT alone for SRID 0, as coordinates: `0;POINT(1 2)`. */
const point = (text: string) => {
  const [, srid, wkt] = /^(?:SRID=(\d+);)?(.*)$/.exec(text)!;
  return `${srid ?? 0};${wkt.replace(/-?\d+(\.\d+)?(e-?\d+)?/gi, (n) => String(Number(n)))}`;
};

function same(as: ReturnType<typeof readings>["as"], want: unknown, got: unknown): boolean {
  if (want === null || got === null) return want === got;
  switch (as) {
    case "double": return Object.is(Number(want), (got as Buffer).readDoubleBE(0));
    case "decimal": return decimal(want) === decimal(got);
    case "json": return canonical(JSON.parse(String(want))) === canonical(JSON.parse(String(got)));
    case "set": return canonical(String(want) === "" ? [] : String(want).split(",")) === canonical(JSON.parse(String(got)));
    case "point": {
      const [srid, wkt] = String(want).split(";");
      return point(`SRID=${srid};${wkt}`) === point(String(got));
    }
    default: return String(want) === String(got);
  }
}

describe.runIf(ok)("whole database: MariaDB → empty PostgreSQL with generate, run, verify", () => {
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: TestWorkspace;
  let session: mysql.Connection;

  beforeAll(async () => {
    source = await createMariadbDatabase("dbt_whole_src");
    target = await createPostgresDatabase("dbt_whole_dst");
    session = await mysql.createConnection({ uri: source.url, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
    for (const statement of wholeDbScript(1)) await session.query(statement);
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
  });

  afterAll(async () => {
    await session?.end();
    workspace?.remove();
    await target?.drop();
    await source?.drop();
  });

  it("generate writes one pipeline per table that tsc and check accept; run loads them all in foreign-key order, building indexes and keys after the data; a second run writes nothing", async () => {
    const generated = await runCli(["generate", "legacy", "--target", "warehouse"], { cwd: workspace.dir });
    expect(generated.code, generated.stderr + generated.stdout).toBe(0);
    const files = fs.readdirSync(path.join(workspace.dir, "pipelines")).sort();
    expect(files).toEqual(WHOLEDB_TABLES.map((t) => `${t.toLowerCase()}.etl.ts`).sort());
    expect(generated.stdout).toContain(`${WHOLEDB_TABLES.length} pipelines: ${WHOLEDB_TABLES.length} created`);

    // As written, the files pass plain tsc, and check finds nothing but what the types say is inexact.
    fs.writeFileSync(path.join(workspace.dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        target: "ES2022", module: "ESNext", moduleResolution: "Bundler", strict: true, noEmit: true, skipLibCheck: true,
        paths: { "@databridge/core": [path.join(REPO_ROOT, "core/dist/index.d.ts")] },
      },
      include: ["databridge.config.ts", "pipelines/**/*.ts"],
    }));
    const tsc = spawnSync(process.execPath, [path.join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", workspace.dir], { encoding: "utf8" });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    const check = await runCli(["check", "--json"], { cwd: workspace.dir });
    const problems = (JSON.parse(check.stdout) as { problems: { severity: string; code: string; column?: string; pipeline: string }[] }).problems;
    expect(problems.filter((p) => p.severity !== "info").map((p) => `${p.severity} ${p.code} ${p.pipeline}.${p.column}`).sort()).toEqual([
      // POINT without PostGIS in the target; BIGINT UNSIGNED AUTO_INCREMENT as a bigint identity, and the keys referencing it.
      "warning inexact-type customers.location", "warning inexact-type invoices.order_id", "warning inexact-type order.id", "warning inexact-type order_lines.order_id",
    ]);

    const plan = await runCli(["plan", "--json"], { cwd: workspace.dir });
    expect(plan.code, plan.stdout).toBe(0);
    const report = JSON.parse(plan.stdout) as { pipelines: { pipeline: string; after: string[]; ddl?: string; afterLoad?: string[] }[]; cycles: string[][] };
    expect(report.cycles).toEqual([["departments", "employees"]]);
    const position = (name: string) => report.pipelines.findIndex((p) => p.pipeline === name);
    for (const [child, parent] of [["order_lines", "order"], ["order_lines", "products"], ["stock", "warehouses"], ["warehouses", "country_codes"], ["order", "customers"], ["customers", "companies"]]) {
      expect(position(child), `${child} after ${parent}`).toBeGreaterThan(position(parent));
    }
    expect(report.pipelines.every((p) => p.ddl?.startsWith("CREATE TABLE"))).toBe(true);

    const run = await runCli(["run"], { cwd: workspace.dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/public\.departments: built after the load: .*foreign-key:fk_department_manager/);

    const again = await runCli(["run", "--json", "--parallel", "3"], { cwd: workspace.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(finished(again.events).rows).toMatchObject({ read: expect.any(Number), written: 0, rejected: 0 });
    expect(finished(again.events).rows.read).toBeGreaterThan(500);
    // Each stage starts only once the stages of the tables it references have finished; never more than 3 at once.
    const ended = new Set<string>();
    let running = 0;
    for (const event of again.events) {
      if (event.type === "stage.started") {
        running++;
        expect(running).toBeLessThanOrEqual(3);
        for (const parent of report.pipelines.find((p) => p.pipeline === event.pipeline)!.after) expect(ended.has(parent), `${event.pipeline} started before ${parent} ended`).toBe(true);
      }
      if (event.type === "stage.finished") {
        running--;
        ended.add(event.pipeline);
      }
    }
    expect(ended.size).toBe(WHOLEDB_TABLES.length);
  });

  it("verify passes", async () => {
    // SET columns become text[], which verify compares as text until it compares by meaning (issue #7 §5):
    // until then employees' row hashes differ on `flags` although the values are equal (the comparison below checks them).
    const pipelines = WHOLEDB_TABLES.map((t) => t.toLowerCase()).filter((t) => t !== "employees");
    const verified = await runCli(["verify", ...pipelines], { cwd: workspace.dir });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  });

  it("an independent comparison finds every value equal by meaning", async () => {
    const [columns] = await session.query<mysql.RowDataPacket[]>(
      "SELECT TABLE_NAME AS t, COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION");
    const [json] = await session.query<mysql.RowDataPacket[]>("SELECT TABLE_NAME AS t, CHECK_CLAUSE AS c FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()");
    const isJson = (table: string, column: string) => json.some((j) => j.t === table && new RegExp(`^json_valid\\(\`${column}\`\\)$`, "i").test(j.c));
    const [keys] = await session.query<mysql.RowDataPacket[]>(
      `SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND NON_UNIQUE = 0
         AND INDEX_NAME = (SELECT MIN(INDEX_NAME) FROM information_schema.STATISTICS s WHERE s.TABLE_SCHEMA = DATABASE() AND s.TABLE_NAME = STATISTICS.TABLE_NAME AND s.NON_UNIQUE = 0)
       ORDER BY TABLE_NAME, SEQ_IN_INDEX`);
    const differences: string[] = [];
    let compared = 0;
    for (const table of WHOLEDB_TABLES) {
      const tableColumns: SourceColumn[] = columns.filter((c) => c.t === table).map((c) => ({ name: c.name, dataType: c.dataType, columnType: isJson(table, c.name) ? "json" : c.columnType }));
      const key = keys.filter((k) => k.t === table).map((k) => k.c as string);
      expect(key.length, table).toBeGreaterThan(0);
      const sourceKey = `CONCAT_WS('|', ${key.map((k) => `CAST(\`${k}\` AS CHAR)`).join(", ")})`;
      const targetKey = `concat_ws('|', ${key.map((k) => `"${k.toLowerCase()}"::text`).join(", ")})`;
      for (const column of tableColumns) {
        const how = readings(column);
        // The binary protocol (execute) carries doubles as their 8 bytes.
        const [sourceRows] = await (how.as === "double" ? session.execute<mysql.RowDataPacket[]>.bind(session) : session.query<mysql.RowDataPacket[]>.bind(session))(
          `SELECT ${sourceKey} AS k, ${how.mariadb} AS v FROM \`${table}\``);
        const { rows: targetRows } = await target.query(`SELECT ${targetKey} AS k, ${how.postgres} AS v FROM "${table.toLowerCase()}"`);
        const byKey = new Map(targetRows.map((r) => [r.k as string, r.v as unknown]));
        expect(targetRows.length, `${table} rows`).toBe(sourceRows.length);
        for (const row of sourceRows) {
          compared++;
          if (!byKey.has(row.k) || !same(how.as, row.v, byKey.get(row.k))) {
            differences.push(`${table}.${column.name} key ${row.k}: source ${JSON.stringify(row.v)}, target ${JSON.stringify(byKey.get(row.k) instanceof Buffer ? (byKey.get(row.k) as Buffer).toString("hex") : byKey.get(row.k))}`);
          }
        }
      }
    }
    expect(differences).toEqual([]);
    expect(compared).toBeGreaterThan(3000);
  });

  it("both sides have as many NOT NULL columns, defaults, identity columns, primary keys, unique keys, other indexes and foreign keys", async () => {
    const one = async (sql: string) => Number((await session.query<mysql.RowDataPacket[]>(sql))[0][0].n);
    const schema = "TABLE_SCHEMA = DATABASE()";
    const sourceCounts = {
      notNull: await one(`SELECT count(*) AS n FROM information_schema.COLUMNS WHERE ${schema} AND IS_NULLABLE = 'NO'`),
      defaults: await one(`SELECT count(*) AS n FROM information_schema.COLUMNS WHERE ${schema} AND COLUMN_DEFAULT IS NOT NULL AND COLUMN_DEFAULT <> 'NULL'`),
      identity: await one(`SELECT count(*) AS n FROM information_schema.COLUMNS WHERE ${schema} AND EXTRA LIKE '%auto_increment%'`),
      primaryKeys: await one(`SELECT count(DISTINCT TABLE_NAME) AS n FROM information_schema.STATISTICS WHERE ${schema} AND INDEX_NAME = 'PRIMARY'`),
      uniqueKeys: await one(`SELECT count(DISTINCT TABLE_NAME, INDEX_NAME) AS n FROM information_schema.STATISTICS WHERE ${schema} AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'`),
      indexes: await one(`SELECT count(DISTINCT TABLE_NAME, INDEX_NAME) AS n FROM information_schema.STATISTICS WHERE ${schema} AND NON_UNIQUE = 1`),
      foreignKeys: await one(`SELECT count(*) AS n FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()`),
    };
    const count = async (sql: string) => Number((await target.query(sql)).rows[0].n);
    const mine = "c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'";
    const targetCounts = {
      notNull: await count(`SELECT count(*) AS n FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE ${mine} AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull`),
      defaults: await count(`SELECT count(*) AS n FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid WHERE ${mine}`),
      identity: await count(`SELECT count(*) AS n FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE ${mine} AND a.attidentity <> ''`),
      primaryKeys: await count(`SELECT count(*) AS n FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE ${mine} AND k.contype = 'p'`),
      uniqueKeys: await count(`SELECT count(*) AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE ${mine} AND i.indisunique AND NOT i.indisprimary`),
      indexes: await count(`SELECT count(*) AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE ${mine} AND NOT i.indisunique`),
      foreignKeys: await count(`SELECT count(*) AS n FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE ${mine} AND k.contype = 'f'`),
    };
    expect(targetCounts).toEqual(sourceCounts);
    expect(sourceCounts).toMatchObject({ primaryKeys: WHOLEDB_TABLES.length - 1, uniqueKeys: 4, foreignKeys: 17 });
  });

  it("an INSERT without an id gets one past the loaded ids; an UPDATE sets the ON UPDATE CURRENT_TIMESTAMP column", async () => {
    const { rows: [company] } = await target.query(`INSERT INTO companies (name) VALUES ('Founded after the migration') RETURNING companyid`);
    expect(company.companyid).toBe(7);
    const { rows: [order] } = await target.query(`INSERT INTO "order" (customer_id, placed) VALUES (1, LOCALTIMESTAMP) RETURNING id::int AS id`);
    expect(order.id).toBe(81);
    const { rows: [updated] } = await target.query(`UPDATE "order" SET notes = 'changed' WHERE id = 2 RETURNING updated_at > now() - interval '1 minute' AS fresh`);
    expect(updated.fresh).toBe(true);
    const { rows: [kept] } = await target.query(`UPDATE "order" SET notes = 'again', updated_at = '2020-01-01 00:00:00+00' WHERE id = 3 RETURNING updated_at = '2020-01-01 00:00:00+00' AS kept`);
    expect(kept.kept).toBe(true);
    // The foreign keys hold: a line of an order that does not exist is refused.
    await expect(target.query(`INSERT INTO order_lines (order_id, line_no, sku, qty, unit_price) VALUES (999999, 1, 'SKU-00001', 1, 1)`)).rejects.toThrow(/fk_line_order/);
  });

});
