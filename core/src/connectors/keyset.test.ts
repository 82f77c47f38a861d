import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector, ReadRequest } from "./connector.js";
import { andWhere, buildKeysetCount, buildKeysetSelect, sqlText } from "./keyset.js";
import { mysqlCapabilities, mysqlDialect } from "./mysql/mysql-dialect.js";
import { pgliteConnectorFactory } from "./pglite/pglite-connector.js";
import { postgresCapabilities, postgresDialect } from "./postgres/postgres-dialect.js";

const pg = (request: ReadRequest, rowValues = true) => buildKeysetSelect(postgresDialect, { rowValueComparison: rowValues }, request);
const my = (request: ReadRequest) => buildKeysetSelect(mysqlDialect, mysqlCapabilities, request);

describe("buildKeysetSelect: SQL text", () => {
  it("first page: no predicate, ordered by the key, limited", () => {
    expect(pg({ from: { table: { schema: "public", name: "parts" } }, columns: ["id", "name"], key: ["id"], limit: 500 }))
      .toEqual({ sql: 'SELECT "id", "name" FROM "public"."parts" ORDER BY "id" LIMIT 500', params: [] });
    expect(my({ from: { table: { name: "parts" } }, key: ["id"], limit: 500 }))
      .toEqual({ sql: "SELECT * FROM `parts` ORDER BY `id` LIMIT 500", params: [] });
  });

  it("single key: key > last", () => {
    expect(pg({ from: { table: { name: "parts" } }, columns: ["id"], key: ["id"], after: [42], limit: 10 }))
      .toEqual({ sql: 'SELECT "id" FROM "parts" WHERE "id" > $1 ORDER BY "id" LIMIT 10', params: [42] });
    expect(my({ from: { table: { schema: "legacy", name: "parts" } }, columns: ["id"], key: ["id"], after: ["A-7"], limit: 10 }))
      .toEqual({ sql: "SELECT `id` FROM `legacy`.`parts` WHERE `id` > ? ORDER BY `id` LIMIT 10", params: ["A-7"] });
  });

  it("composite key on PostgreSQL: a row-value comparison", () => {
    expect(pg({ from: { table: { name: "lines" } }, columns: ["order_id", "line_no"], key: ["order_id", "line_no"], after: [7, 3], limit: 100 }))
      .toEqual({ sql: 'SELECT "order_id", "line_no" FROM "lines" WHERE ("order_id", "line_no") > ($1, $2) ORDER BY "order_id", "line_no" LIMIT 100', params: [7, 3] });
  });

  it("composite key on MySQL/MariaDB: the expanded OR form (which uses the index there)", () => {
    expect(my({ from: { table: { name: "lines" } }, columns: ["a", "b", "c"], key: ["a", "b", "c"], after: [1, 2, 3], limit: 5 })).toEqual({
      sql: "SELECT `a`, `b`, `c` FROM `lines` WHERE ((`a` > ?) OR (`a` = ? AND `b` > ?) OR (`a` = ? AND `b` = ? AND `c` > ?)) ORDER BY `a`, `b`, `c` LIMIT 5",
      params: [1, 1, 2, 1, 2, 3],
    });
  });

  it("quotes identifiers with embedded quotes in both dialects", () => {
    expect(pg({ from: { table: { name: 'we"ird' } }, columns: ['col"x'], key: ['col"x'], limit: 1 }).sql).toBe('SELECT "col""x" FROM "we""ird" ORDER BY "col""x" LIMIT 1');
    expect(my({ from: { table: { name: "we`ird" } }, columns: ["c`x"], key: ["c`x"], limit: 1 }).sql).toBe("SELECT `c``x` FROM `we``ird` ORDER BY `c``x` LIMIT 1");
  });

  it("a query source becomes a derived table; a trailing semicolon or comment does not break it", () => {
    expect(pg({ from: { query: "SELECT id, name FROM parts WHERE active;  " }, columns: ["id"], key: ["id"], after: [1], limit: 2 }).sql)
      .toBe('SELECT "id" FROM (SELECT id, name FROM parts WHERE active\n) "databridge_source" WHERE "id" > $1 ORDER BY "id" LIMIT 2');
    expect(my({ from: { query: "SELECT id FROM parts -- active only" }, key: ["id"], limit: 2 }).sql)
      .toBe("SELECT * FROM (SELECT id FROM parts -- active only\n) `databridge_source` ORDER BY `id` LIMIT 2");
  });

  it("a where predicate's {n} parameters are renumbered before the key's", () => {
    expect(pg({ from: { table: { name: "t" } }, key: ["id"], where: { sql: '"updated" >= {1} AND "updated" < {2}', params: ["2024-01-01", "2024-02-01"] }, after: [9], limit: 3 }))
      .toEqual({ sql: 'SELECT * FROM "t" WHERE ("updated" >= $1 AND "updated" < $2) AND "id" > $3 ORDER BY "id" LIMIT 3', params: ["2024-01-01", "2024-02-01", 9] });
  });

  it("positional placeholders get one parameter per occurrence, in text order (reused and out-of-order {n})", () => {
    expect(my({ from: { table: { name: "t" } }, key: ["id"], where: { sql: "`b` < {2} AND `a` > {1} AND `c` <> {1}", params: ["A", "B"] }, after: [5], limit: 3 }))
      .toEqual({ sql: "SELECT * FROM `t` WHERE (`b` < ? AND `a` > ? AND `c` <> ?) AND `id` > ? ORDER BY `id` LIMIT 3", params: ["B", "A", "A", 5] });
    expect(() => my({ from: { table: { name: "t" } }, key: ["id"], where: { sql: "`a` = {2}", params: ["x"] }, limit: 1 }))
      .toThrow("keyset: where clause uses {2} but has 1 parameter(s)");
  });

  it("a user's filter keeps its braces (an array literal '{1}', JSON) and is combined with parameterized predicates", () => {
    const filter = { sql: sqlText("tags @> '{1}' AND meta::text <> '{{}}'"), params: [] };
    const cursor = { sql: '"updated" >= {1}', params: ["2024-01-01"] };
    const where = andWhere(filter, undefined, cursor, { sql: '"id" <> {1} AND "id" <> {2}', params: [7, 8] });
    expect(pg({ from: { table: { name: "t" } }, key: ["id"], where, after: [9], limit: 3 })).toEqual({
      sql: `SELECT * FROM "t" WHERE ((tags @> '{1}' AND meta::text <> '{{}}') AND ("updated" >= $1) AND ("id" <> $2 AND "id" <> $3)) AND "id" > $4 ORDER BY "id" LIMIT 3`,
      params: ["2024-01-01", 7, 8, 9],
    });
    expect(buildKeysetCount(mysqlDialect, mysqlCapabilities, { from: { table: { name: "t" } }, key: ["id"], where: andWhere(filter, cursor), through: [5] })).toEqual({
      sql: "SELECT count(*) AS `n` FROM `t` WHERE ((tags @> '{1}' AND meta::text <> '{{}}') AND (\"updated\" >= ?)) AND `id` <= ?",
      params: ["2024-01-01", 5],
    });
    expect(andWhere(undefined, cursor)).toBe(cursor);
    expect(andWhere()).toBeUndefined();
  });

  it("orderBy overrides the paging columns (incremental: cursor first, then key)", () => {
    expect(pg({ from: { table: { name: "t" } }, columns: ["updated", "id"], key: ["id"], orderBy: ["updated", "id"], after: ["2024-01-01 00:00:00", 3], limit: 10 }).sql)
      .toBe('SELECT "updated", "id" FROM "t" WHERE ("updated", "id") > ($1, $2) ORDER BY "updated", "id" LIMIT 10');
  });

  it("refuses a resume key whose length does not match the key", () => {
    expect(() => pg({ from: { table: { name: "t" } }, key: ["a", "b"], after: [1], limit: 1 })).toThrow("keyset: 2 key columns but 1 values");
  });
});

describe("keyset paging against a real PostgreSQL (PGlite)", () => {
  let db: Connector;
  const all: [number, string, number][] = [];

  beforeAll(async () => {
    db = await pgliteConnectorFactory.create({ name: "keyset", url: new URL("pglite:memory:"), baseDir: process.cwd() });
    await db.query("CREATE TABLE lines (order_id integer, code text, line_no integer, qty integer, PRIMARY KEY (order_id, code, line_no))");
    // Uneven groups so page boundaries fall inside, at the start and at the end of a group.
    const codes = ["A", "B", "b", "Ä", "a b"];
    let qty = 0;
    for (let order = 1; order <= 9; order++) {
      for (const code of codes.slice(0, 1 + (order % codes.length))) {
        for (let line = 1; line <= 1 + (order % 3); line++) all.push([order, code, line]), qty++;
      }
    }
    const values = all.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`).join(", ");
    await db.query(`INSERT INTO lines VALUES ${values}`, all.flatMap((row, i) => [...row, i]));
    expect(qty).toBeGreaterThan(40);
  });

  afterAll(async () => {
    await db?.close();
  });

  /** Pages with the generated SQL until a short page, like the engine's reader. */
  async function pageThrough(base: Omit<ReadRequest, "after" | "limit">, limit: number, rowValues: boolean): Promise<unknown[][]> {
    const seen: unknown[][] = [];
    let after: unknown[] | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const { sql, params } = buildKeysetSelect(postgresDialect, { ...postgresCapabilities, rowValueComparison: rowValues }, { ...base, after, limit });
      const { rows } = await db.query<Record<string, unknown>>(sql, params);
      const arrays = rows.map((r) => (base.columns ?? []).map((c) => r[c]));
      seen.push(...arrays);
      if (rows.length < limit) return seen;
      after = arrays[arrays.length - 1].slice(0, base.key.length);
    }
    throw new Error("paging did not end");
  }

  it.each([
    ["row-value comparison", true],
    ["expanded OR form", false],
  ])("a composite key pages across boundaries: every row exactly once, in key order (%s)", async (_label, rowValues) => {
    const { rows: ordered } = await db.query<{ order_id: number; code: string; line_no: number }>("SELECT order_id, code, line_no FROM lines ORDER BY order_id, code, line_no");
    const expected = ordered.map((r) => [r.order_id, r.code, r.line_no]);
    for (const limit of [1, 4, 7, expected.length, expected.length + 1]) {
      const got = await pageThrough({ from: { table: { name: "lines" } }, columns: ["order_id", "code", "line_no"], key: ["order_id", "code", "line_no"] }, limit, rowValues);
      expect(got, `limit ${limit}`).toEqual(expected);
    }
  });

  it("a query source with a where predicate pages the same way", async () => {
    const base = {
      from: { query: "SELECT order_id, code, line_no, qty FROM lines WHERE code <> 'B' -- not B" },
      columns: ["order_id", "code", "line_no", "qty"], key: ["order_id", "code", "line_no"],
      where: { sql: '"qty" >= {1} AND "order_id" <= {2}', params: [3, 8] },
    };
    const got = await pageThrough(base, 5, true);
    const expected = all
      .map((row, i) => [...row, i])
      .filter(([order, code, , qty]) => code !== "B" && (qty as number) >= 3 && (order as number) <= 8);
    const { rows: sorted } = await db.query<{ k: string }>(
      `SELECT order_id, code, line_no, qty FROM lines WHERE code <> 'B' AND qty >= 3 AND order_id <= 8 ORDER BY order_id, code, line_no`);
    expect(got).toHaveLength(expected.length);
    expect(got).toEqual(sorted.map((r) => Object.values(r)));
  });

  it("the connector's own read() resumes strictly after the last key", async () => {
    const first = await db.read({ from: { table: { name: "lines" } }, columns: ["order_id", "code", "line_no"], key: ["order_id", "code", "line_no"], limit: 3 });
    const next = await db.read({ from: { table: { name: "lines" } }, columns: ["order_id", "code", "line_no"], key: ["order_id", "code", "line_no"], after: first.rows[2], limit: 3 });
    const { rows } = await db.query<Record<string, unknown>>("SELECT order_id, code, line_no FROM lines ORDER BY 1, 2, 3 LIMIT 6");
    expect([...first.rows, ...next.rows]).toEqual(rows.map((r) => Object.values(r)));
    expect(first.columns.map((c) => [c.name, c.type.kind])).toEqual([["order_id", "integer"], ["code", "text"], ["line_no", "integer"]]);
  });
});
