import pg from "pg";
import { describe, expect, it } from "vitest";
import { closablePool, createPostgresDatabase, POSTGRES_ADMIN_URL, requireServers } from "./servers.js";

const ready = await requireServers("postgres");

/**
 * The harness itself. pg-pool's `end()` resolves before its sessions have closed, so the
 * `DROP DATABASE … WITH (FORCE)` of `drop()` could terminate one of them, and its 57P01 error
 * surfaced as an unhandled error: every test green, the suite red (CI, once).
 */
describe.skipIf(!ready)("test databases (test/support/servers.ts)", () => {
  it("a test pool's end() resolves only once every session has closed, so nothing is left for FORCE to terminate", async () => {
    const db = await createPostgresDatabase("dbt_support_pool");
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      for (let round = 0; round < 10; round++) {
        const { pool, end } = closablePool(db.url);
        let opened = 0;
        let closed = 0;
        pool.on("connect", (client) => {
          opened++;
          client.once("end", () => closed++);
        });
        await Promise.all([pool.query("SELECT 1"), pool.query("SELECT pg_sleep(0.01)")]);
        await end();
        expect({ opened, closed }).toEqual({ opened: 2, closed: 2 });
        // What FORCE does, at once (an open admin session, no connect in between): nothing of the pool is left to terminate.
        const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [db.name]);
        expect(rows[0].n).toBe(0);
      }
    } finally {
      await admin.end();
      await db.drop();
    }
  });
});
