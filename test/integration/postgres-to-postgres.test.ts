import { createPostgresDatabase, requireServers } from "../support/servers.js";
import { FIDELITY_COLUMNS, fidelityRows, pairRows, POSTGRES_FIDELITY_DDL } from "./fidelity-data.js";
import { describeModes, type SourceFixture } from "./modes-suite.js";

async function insertRows(db: Awaited<ReturnType<typeof createPostgresDatabase>>, table: string, columns: readonly string[], rows: unknown[][]) {
  for (let i = 0; i < rows.length; i += 100) {
    const chunk = rows.slice(i, i + 100);
    const params: unknown[] = [];
    const values = chunk.map((row) => `(${row.map((value) => `$${params.push(value)}`).join(", ")})`);
    await db.query(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES ${values.join(", ")}`, params);
  }
}

describeModes("PostgreSQL → PostgreSQL, every mode", async (): Promise<SourceFixture | undefined> => {
  if (!(await requireServers("postgres"))) return undefined;
  const db = await createPostgresDatabase("dbt_pg_src");
  return {
    label: "postgres",
    url: db.url,
    exec: (sql, params) => db.query(sql, params),
    async createFidelity(table) {
      await db.query(POSTGRES_FIDELITY_DDL(table));
      // flag is boolean here: 0/1 → false/true.
      await insertRows(db, table, FIDELITY_COLUMNS, fidelityRows().map((row) => row.map((v, i) => (FIDELITY_COLUMNS[i] === "flag" && v !== null ? v === 1 : v))));
    },
    async createPairs(table) {
      await db.query(`CREATE TABLE "${table}" (region varchar(20) NOT NULL, seq integer NOT NULL, note text NULL, PRIMARY KEY (region, seq))`);
      await insertRows(db, table, ["region", "seq", "note"], pairRows());
    },
    async createEvents(table, rows) {
      await db.query(`CREATE TABLE "${table}" (id integer NOT NULL PRIMARY KEY, code varchar(10) NOT NULL, val text NULL)`);
      await insertRows(db, table, ["id", "code", "val"], rows);
    },
    mutations: (table) => [
      `UPDATE "${table}" SET body = body || E'\\n changed 🚀', amount = amount + 0.01 WHERE id = 4`,
      `UPDATE "${table}" SET label = NULL, payload = '\\xdeadbeef'::bytea WHERE id = 1005`,
      `INSERT INTO "${table}" (id, label, body, amount, big_int, happened) VALUES (7, 'new', E'a\\tb', 7.70, 9007199254740995, '2024-03-10 02:45:00')`,
    ],
    close: () => db.close(),
    drop: () => db.drop(),
  };
});
