import type { Connector } from "@databridge/core";
import { pad, random } from "../seed-random.js";

const FIRST = ["Anna", "Jürgen", "Zoë", "François", "Łukasz", "Søren", "Ana", "Björn", "Chloé", "Mehmet", "Ágnes", "José", "Ирина", "陈", "Noël"];
const LAST = ["Müller", "Schäfer", "Nowak", "Dubois", "García", "Østergaard", "Kovács", "O'Brien", "Øberg", "Yılmaz", "Smith", "Иванова", "王"];
const CITIES: [string, string][] = [["München", "DE"], ["Zürich", "CH"], ["Kraków", "PL"], ["São Paulo", "BR"], ["Malmö", "SE"], ["Köln", "DE"], ["Paris", "FR"], ["Wien", "AT"], ["İstanbul", "TR"]];
const NOTES = ["VIP – call before delivery", "Invoice by post\tno e-mail", "Line one\nLine two", "Path C:\\orders\\2019", "", null];

/** Creates and fills the legacy CUSTOMERS table unless it is already there. */
export default async function seed(legacy: Connector, options: { rows: number }): Promise<number> {
  const exists = await legacy.query<{ n: string }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'CUSTOMERS'`);
  if (Number(exists.rows[0]?.n) > 0) {
    return Number((await legacy.query<{ n: string }>(`SELECT count(*) AS n FROM "CUSTOMERS"`)).rows[0]?.n);
  }
  const rng = random(7);
  const rows: unknown[][] = [];
  for (let id = 1; id <= options.rows; id++) {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    const [city, country] = rng.pick(CITIES);
    const created = new Date(Date.UTC(1998, 0, 1) + rng.int(0, 9000) * 86_400_000);
    const lastOrder = new Date(Date.UTC(2020, 0, 1) + rng.int(0, 1800 * 86_400) * 1000);
    rows.push([
      100_000 + id,
      first,
      rng.chance(0.02) ? null : last,
      `${last}, ${first}`,
      rng.chance(0.1) ? null : rng.chance(0.05) ? "" : `${first}.${last}@example.com`.toLowerCase(),
      city,
      rng.chance(0.03) ? null : country,
      rng.chance(0.02) ? null : rng.pick(["A", "A", "A", "I", "B"]),
      (rng.int(0, 10_000_000) / 100).toFixed(2),
      `${created.getUTCFullYear()}-${pad(created.getUTCMonth() + 1, 2)}-${pad(created.getUTCDate(), 2)}`,
      rng.chance(0.15) ? null : lastOrder.toISOString().replace("T", " ").replace(/\.\d+Z$/, ""),
      rng.pick(NOTES),
    ]);
  }
  const session = await legacy.session();
  try {
    await session.query("BEGIN");
    await session.query(`CREATE TABLE "CUSTOMERS" (
      "CUST_ID" integer PRIMARY KEY, "FIRST_NAME" varchar(40), "LAST_NAME" varchar(40), "CONTACT" varchar(90), "EMAIL" varchar(120),
      "CITY" varchar(60), "COUNTRY" char(2), "STATUS_CODE" char(1), "CREDIT_LIMIT" numeric(12,2), "CREATED_TXT" varchar(10),
      "LAST_ORDER" timestamp, "NOTES" text)`);
    await session.bulkLoad({ name: "CUSTOMERS" }, ["CUST_ID", "FIRST_NAME", "LAST_NAME", "CONTACT", "EMAIL", "CITY", "COUNTRY", "STATUS_CODE", "CREDIT_LIMIT", "CREATED_TXT", "LAST_ORDER", "NOTES"], rows);
    await session.query(`ANALYZE "CUSTOMERS"`);
    await session.query("COMMIT");
  } catch (error) {
    await session.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await session.release();
  }
  return rows.length;
}
