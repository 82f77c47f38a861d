import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffTableHashes, hashTable, type Connector } from "@databridge/core";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { openConnector } from "./harness.js";

/**
 * The checksum the integration suites (and `databridge verify`) rely on: equal for the same data
 * held by MariaDB and PostgreSQL in different physical types, different as soon as one value,
 * one row or one NULL-ness differs.
 */
describe("hashTable on real MariaDB and PostgreSQL", () => {
  let ready = false;
  let maria: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let pg: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let mariaConnector: Connector;
  let pgConnector: Connector;
  const columns = ["id", "name", "price", "at", "blob", "flag", "big"];

  beforeAll(async () => {
    ready = await requireServers("mariadb", "postgres");
    if (!ready) return;
    maria = await createMariadbDatabase("dbt_hash");
    pg = await createPostgresDatabase("dbt_hash");
    await maria.query(`CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50), price DECIMAL(10,2), at DATETIME, \`blob\` VARBINARY(10), flag TINYINT(1), big BIGINT)`);
    await maria.query(`INSERT INTO items VALUES
      (1, '', 1.50, '2024-03-10 02:30:00', X'00FF', 1, 9007199254740993),
      (2, NULL, NULL, NULL, NULL, NULL, NULL),
      (3, 'Grüße 🚀', -0.10, '1999-12-31 23:59:59', X'', 0, -9223372036854775808)`);
    // Same values, different physical types: wider numeric scale, fractional timestamp, boolean, bytea.
    for (const table of ["items", "items_copy"]) {
      await pg.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name text, price numeric(12,4), at timestamp(3), blob bytea, flag boolean, big numeric(20,0))`);
      await pg.query(`INSERT INTO ${table} VALUES
        (1, '', 1.5000, '2024-03-10 02:30:00.000', '\\x00ff', true, 9007199254740993),
        (2, NULL, NULL, NULL, NULL, NULL, NULL),
        (3, 'Grüße 🚀', -0.1, '1999-12-31 23:59:59', '\\x', false, -9223372036854775808)`);
    }
    mariaConnector = await openConnector("maria", maria.url);
    pgConnector = await openConnector("pg", pg.url);
  });

  afterAll(async () => {
    await mariaConnector?.close();
    await pgConnector?.close();
    await maria?.drop();
    await pg?.drop();
  });

  const pgHash = (table = "items_copy") => hashTable(pgConnector, { table, columns, perKey: true, batchSize: 2 });

  it("is equal across databases and types for the same values", async (ctx) => {
    if (!ready) return ctx.skip();
    const a = await hashTable(mariaConnector, { table: "items", columns, perKey: true, batchSize: 2 });
    const b = await hashTable(pgConnector, { table: "public.items", columns, perKey: true, batchSize: 2 });
    expect(diffTableHashes(a, b)).toEqual({ missing: [], extra: [], changed: [] });
    expect(a).toMatchObject({ rows: 3, key: ["id"], columns });
    expect(b.hash).toBe(a.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes when NULL becomes '' and names the row", async (ctx) => {
    if (!ready) return ctx.skip();
    const before = await pgHash("items");
    await pg.query("UPDATE items_copy SET name = '' WHERE id = 2");
    const after = await pgHash();
    expect(after.hash).not.toBe(before.hash);
    expect(diffTableHashes(before, after)).toEqual({ missing: [], extra: [], changed: ['["2"]'] });
    await pg.query("UPDATE items_copy SET name = NULL WHERE id = 2");
    expect((await pgHash()).hash).toBe(before.hash);
  });

  it("changes with one cent, one microsecond-free second, one byte, or one unit beyond 2^53", async (ctx) => {
    if (!ready) return ctx.skip();
    const before = await pgHash("items");
    for (const [change, undo] of [
      ["UPDATE items_copy SET price = 1.51 WHERE id = 1", "UPDATE items_copy SET price = 1.5 WHERE id = 1"],
      ["UPDATE items_copy SET at = '2024-03-10 02:30:01' WHERE id = 1", "UPDATE items_copy SET at = '2024-03-10 02:30:00' WHERE id = 1"],
      ["UPDATE items_copy SET blob = '\\x0000' WHERE id = 3", "UPDATE items_copy SET blob = '\\x' WHERE id = 3"],
      ["UPDATE items_copy SET big = 9007199254740992 WHERE id = 1", "UPDATE items_copy SET big = 9007199254740993 WHERE id = 1"],
    ]) {
      await pg.query(change);
      const changed = await pgHash();
      expect(changed.hash, change).not.toBe(before.hash);
      expect(diffTableHashes(before, changed).changed, change).toHaveLength(1);
      await pg.query(undo);
    }
    expect((await pgHash()).hash).toBe(before.hash);
  });

  it("counts missing and extra rows", async (ctx) => {
    if (!ready) return ctx.skip();
    const before = await pgHash("items");
    await pg.query("DELETE FROM items_copy WHERE id = 3");
    await pg.query("INSERT INTO items_copy (id, name) VALUES (4, 'extra')");
    const after = await pgHash();
    expect(after.rows).toBe(3);
    expect(after.hash).not.toBe(before.hash);
    expect(diffTableHashes(before, after)).toEqual({ missing: ['["3"]'], extra: ['["4"]'], changed: [] });
  });

  it("reports an unknown table or column in one line", async (ctx) => {
    if (!ready) return ctx.skip();
    await expect(hashTable(pgConnector, { table: "nope" })).rejects.toThrow(/table nope does not exist/);
    await expect(hashTable(pgConnector, { table: "items", columns: ["id", "nmae"] })).rejects.toThrow(/column nmae does not exist.*name/);
  });
});
