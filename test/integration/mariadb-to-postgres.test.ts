import { createMariadbDatabase, requireServers } from "../support/servers.js";
import { FIDELITY_COLUMNS, fidelityRows, MARIADB_FIDELITY_DDL, pairRows } from "./fidelity-data.js";
import { describeModes, type SourceFixture } from "./modes-suite.js";

async function insertRows(db: Awaited<ReturnType<typeof createMariadbDatabase>>, table: string, columns: readonly string[], rows: unknown[][]) {
  for (let i = 0; i < rows.length; i += 100) {
    const chunk = rows.slice(i, i + 100);
    await db.query(`INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(", ")}) VALUES ?`, [chunk]);
  }
}

describeModes("MariaDB → PostgreSQL, every mode", async (): Promise<SourceFixture | undefined> => {
  if (!(await requireServers("mariadb", "postgres"))) return undefined;
  const db = await createMariadbDatabase("dbt_maria_src");
  return {
    label: "mariadb",
    url: db.url,
    exec: (sql, params) => db.query(sql, params),
    async createFidelity(table) {
      await db.query(MARIADB_FIDELITY_DDL(table));
      await insertRows(db, table, FIDELITY_COLUMNS, fidelityRows());
    },
    async createPairs(table) {
      await db.query(`CREATE TABLE \`${table}\` (region VARCHAR(20) NOT NULL, seq INT NOT NULL, note TEXT NULL, PRIMARY KEY (region, seq))`);
      await insertRows(db, table, ["region", "seq", "note"], pairRows());
    },
    async createEvents(table, rows) {
      await db.query(`CREATE TABLE \`${table}\` (id INT NOT NULL PRIMARY KEY, code VARCHAR(10) NOT NULL, val TEXT NULL)`);
      await insertRows(db, table, ["id", "code", "val"], rows);
    },
    mutations: (table) => [
      `UPDATE \`${table}\` SET body = CONCAT(body, '\\n changed 🚀'), amount = amount + 0.01 WHERE id = 4`,
      `UPDATE \`${table}\` SET label = NULL, payload = X'DEADBEEF' WHERE id = 1005`,
      `INSERT INTO \`${table}\` (id, label, body, amount, big_int, happened) VALUES (7, 'new', 'a\\tb', 7.70, 9007199254740995, '2024-03-10 02:45:00')`,
    ],
    close: () => db.close(),
    drop: () => db.drop(),
  };
});
