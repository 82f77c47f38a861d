import type { Connector } from "@databridge/core";
import { pad, random } from "../seed-random.js";

const NOUNS = ["Schraube M8×40 verzinkt", "Dichtung Ø 12 mm", "Kugellager 6204-2RS", "Zahnrad Modul 2 – gehärtet", "Welle Ø 25 h6", "Flansch DN 50 PN16",
  "Kühlmittelpumpe 230 V", "Steuerplatine Rev. B", "Gehäuse Aluminium eloxiert", "Federring A 10", "Sensor Näherungsschalter", "Kabelbaum 1,5 m",
  "Œillet inox Ø 6", "Rondelle élastique", "Mutter M10 – Güteklasse 8", "Filtre à huile", "Ventil ½″ Messing", "Riemenscheibe SPZ 100"];
const UNITS = ["ST", "ST", "ST", "KG", "M", "L", "PAK"];
const KINDS = ["FERT", "HALB", "ROH", "ROH"];
const PLANTS = ["1000", "1100", "2000"];

/** Creates and fills the legacy PARTS table (SAP column names) unless it is already there. */
export default async function seed(legacy: Connector, options: { rows: number }): Promise<number> {
  const exists = await legacy.query<{ n: string }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'PARTS'`);
  if (Number(exists.rows[0]?.n) > 0) {
    return Number((await legacy.query<{ n: string }>(`SELECT count(*) AS n FROM "PARTS"`)).rows[0]?.n);
  }
  const rng = random(42);
  const rows: unknown[][] = [];
  for (let i = 1; i <= options.rows; i++) {
    const day = rng.int(0, 7000);
    const created = new Date(Date.UTC(2001, 0, 1) + day * 86_400_000);
    rows.push([
      pad(10_000_000 + i, 18),
      `${rng.pick(NOUNS)}${rng.chance(0.3) ? `  ` : ""}`,
      rng.pick(UNITS),
      rng.pick(KINDS),
      (rng.int(0, 5_000_000) / 1000).toFixed(3),
      (rng.int(1, 2_500_000) / 100).toFixed(2),
      rng.chance(0.05) ? null : `${created.getUTCFullYear()}${pad(created.getUTCMonth() + 1, 2)}${pad(created.getUTCDate(), 2)}`,
      rng.chance(0.04) ? "X" : rng.chance(0.5) ? "" : null,
      rng.pick(PLANTS),
    ]);
  }
  const session = await legacy.session();
  try {
    await session.query("BEGIN");
    await session.query(`CREATE TABLE "PARTS" (
      "MATNR" varchar(18) PRIMARY KEY, "MAKTX" varchar(40) NOT NULL, "MEINS" varchar(3) NOT NULL, "MTART" varchar(4) NOT NULL,
      "LABST" numeric(13,3) NOT NULL, "VERPR" numeric(11,2) NOT NULL, "ERSDA" char(8), "LVORM" char(1), "WERKS" char(4) NOT NULL)`);
    await session.bulkLoad({ name: "PARTS" }, ["MATNR", "MAKTX", "MEINS", "MTART", "LABST", "VERPR", "ERSDA", "LVORM", "WERKS"], rows);
    await session.query(`ANALYZE "PARTS"`);
    await session.query("COMMIT");
  } catch (error) {
    await session.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await session.release();
  }
  return rows.length;
}
