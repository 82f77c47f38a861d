import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector, Target } from "@databridge/core";
import { createMariadbDatabase, createPostgresDatabase, MARIADB_ADMIN_URL, POSTGRES_ADMIN_URL, requireServers } from "../support/servers.js";
import { mariadbConnection, openConnector, waitFor } from "../integrity/harness.js";

const ready = await requireServers("postgres", "mariadb");

/**
 * The server ends sessions a connector holds idle — what `DROP DATABASE … WITH (FORCE)`, an
 * administrator's pg_terminate_backend or KILL, or an idle timeout do. The driver then emits 'error'
 * on a pooled client nobody is waiting on; without a listener that is an uncaught exception that
 * ends the process (the runner, the language server) and, here, fails this file. The connector must
 * take it: what fails meanwhile is a transient error (retried by the engine), and the next query works.
 */
describe.skipIf(!ready)("idle sessions ended by the server: the process survives, the connector answers again", () => {
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let admin: pg.Client;

  beforeAll(async () => {
    target = await createPostgresDatabase("dbt_idle_pg");
    source = await createMariadbDatabase("dbt_idle_my");
    admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await source?.drop();
    await target?.drop();
  });

  /** Queries until one succeeds; every failure on the way must be one the engine retries. */
  async function answersAgain(connector: Connector, sql: string) {
    const failures: string[] = [];
    const rows = await waitFor(`${connector.name} to answer again`, async () => {
      try {
        return (await connector.query<{ one: number | string }>(sql)).rows;
      } catch (error) {
        failures.push(`${connector.classifyError(error)}: ${(error as Error).message}`);
        return undefined;
      }
    }, 30_000, 20);
    expect(failures.filter((f) => !f.startsWith("transient:")), failures.join("\n")).toEqual([]);
    return rows;
  }

  const databridgeSessions = async () =>
    (await admin.query("SELECT pid, state FROM pg_stat_activity WHERE datname = $1 AND application_name = 'databridge'", [target.name])).rows as { pid: number; state: string }[];

  it("PostgreSQL: the pool's idle sessions and a target session held between statements are terminated", async () => {
    const connector = await openConnector("warehouse", target.url);
    let session: Awaited<ReturnType<Target["session"]>> | undefined;
    try {
      // The pool's four sessions: three idle in the pool, one checked out as a target session, idle between statements.
      await Promise.all(Array.from({ length: 4 }, () => connector.query("SELECT pg_sleep(0.05)")));
      session = await (connector as Target).session();
      await session.query("SELECT 1");
      await waitFor("four idle sessions", async () => (await databridgeSessions()).filter((s) => s.state === "idle").length === 4);

      const { rows } = await admin.query("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'databridge'", [target.name]);
      expect(rows[0].n).toBe(4);
      // A backend leaves pg_stat_activity before its socket closes: by then its 57P01 is on the way to the client.
      await waitFor("the terminated sessions to be gone", async () => (await databridgeSessions()).length === 0);

      // The session held between statements fails its next statement as transient, and is discarded on release.
      const lost = await session.query("SELECT 1").then(() => undefined, (error: unknown) => error);
      expect(lost, "the terminated session answered").toBeDefined();
      expect(connector.classifyError(lost)).toBe("transient");
      await session.release(true);
      session = undefined;

      expect(await answersAgain(connector, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
      const fresh = await (connector as Target).session();
      expect((await fresh.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
      await fresh.release();
    } finally {
      await session?.release(true);
      await connector.close();
    }
  });

  it("MariaDB: the pool's idle connections are killed", async () => {
    const connector = await openConnector("legacy", source.url);
    const killer = await mariadbConnection(MARIADB_ADMIN_URL);
    try {
      await Promise.all(Array.from({ length: 4 }, () => connector.query("SELECT SLEEP(0.05)")));
      const ours = async () => (await killer.query("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", [source.name]))[0] as { id: number }[];
      // The test database's own pool may hold sessions there too: kill whatever is connected to it.
      const before = await waitFor("the connector's connections", async () => ((await ours()).length >= 4 ? ours() : undefined));
      for (const { id } of before) await killer.query(`KILL CONNECTION ${Number(id)}`);
      await waitFor("the killed connections to be gone", async () => (await ours()).length === 0);

      expect(await answersAgain(connector, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      await killer.end();
      await connector.close();
    }
  });
});
