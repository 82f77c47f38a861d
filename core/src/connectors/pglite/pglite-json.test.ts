import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector } from "../connector.js";
import { pgliteConnectorFactory } from "./pglite-connector.js";

describe("json and jsonb values move as JSON text", () => {
  let db: Connector;
  beforeAll(async () => {
    db = await pgliteConnectorFactory.create({ name: "embedded", url: new URL("pglite:memory:"), baseDir: process.cwd() });
    await db.query("CREATE TABLE src (id int PRIMARY KEY, doc jsonb, raw json)");
    await db.query(`INSERT INTO src VALUES (1, '"x"', '"y"'), (2, 'true', 'false'), (3, '{"a": [1, "é\\tb"]}', '[1,2]'), (4, NULL, NULL), (5, '12.50', 'null')`);
    await db.query("CREATE TABLE dst (id int PRIMARY KEY, doc jsonb, raw json)");
  }, 120_000);
  afterAll(() => db?.close());

  it("reads JSON scalars as their JSON text, so COPY loads them into jsonb unchanged", async () => {
    const batch = await db.read({ from: { table: { name: "src" } }, columns: ["id", "doc", "raw"], key: ["id"], limit: 10 });
    expect(batch.rows.map((r) => r[1])).toEqual(['"x"', "true", '{"a": [1, "é\\tb"]}', null, "12.50"]);
    const session = await db.session();
    try {
      await session.query("BEGIN");
      await session.bulkLoad({ name: "dst" }, ["id", "doc", "raw"], batch.rows);
      await session.query("COMMIT");
    } finally {
      await session.release();
    }
    const same = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM src s JOIN dst d USING (id) WHERE s.doc IS NOT DISTINCT FROM d.doc AND s.raw::text IS NOT DISTINCT FROM d.raw::text");
    expect(same.rows[0].n).toBe(5);
  });

  it("keeps parsing JSON for the engine's own queries", async () => {
    const { rows } = await db.query<{ doc: unknown }>("SELECT doc FROM src WHERE id = 3");
    expect(rows[0].doc).toEqual({ a: [1, "é\tb"] });
  });
});
