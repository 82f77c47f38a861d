import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Connector } from "@databridge/core";
import { random } from "../seed-random.js";

/**
 * Seeds the district sample: the same legacy schema (SCHOOLS, STUDENTS, ENROLLMENTS) in each of the
 * three district databases, with legacy ids that start at 1 everywhere (so they overlap across
 * districts), and the consolidated `district` schema in the warehouse. Works on PGlite, PostgreSQL
 * and MySQL/MariaDB sources: only portable DDL and multi-row INSERTs through the connector.
 */
export interface DistrictSeedOptions {
  /** Students in district A; B and C get about 0.7× and 1.3× as many (default 2,500). */
  students?: number;
}

export interface DistrictSeedSummary {
  districts: { connection: string; tenant: string; schools: number; students: number; enrollments: number; seeded: boolean }[];
}

export interface ConnectionSource {
  get(name: string): Promise<Connector>;
}

export const DISTRICTS = [
  { connection: "district_a", tenant: "a", seed: 11, scale: 1.0, flavor: "de" },
  { connection: "district_b", tenant: "b", seed: 23, scale: 0.7, flavor: "fr" },
  { connection: "district_c", tenant: "c", seed: 37, scale: 1.3, flavor: "pl" },
] as const;

type Flavor = (typeof DISTRICTS)[number]["flavor"];

const NAMES: Record<Flavor, { first: string[]; last: string[]; schools: string[]; cities: string[] }> = {
  de: {
    first: ["Jürgen", "Anna", "Zoë", "Lukas", "Mia", "Jonas", "Lea", "Bärbel", "Götz", "Søren", "Ayşe", "Mehmet", "Ирина", "Noah", "Emilia"],
    last: ["Müller", "Schäfer", "Groß", "Weiß", "Öztürk", "Bäcker", "Krüger", "Schmidt", "Hoffmann", "Wagner", "Łęcki", "Ivanova"],
    schools: ["Gymnasium Am Römerhof", "Grundschule Süd", "Realschule Würzburger Straße", "Gesamtschule Nordstadt", "Förderzentrum Lindenhöhe", "Berufskolleg Höhenweg"],
    cities: ["Nordstadt", "Münsterau", "Bad Kötzting", "Lüneburg", "Görlitz"],
  },
  fr: {
    first: ["François", "Chloé", "Noël", "Hélène", "Théo", "Léa", "Maëlle", "Jérôme", "Inès", "Zoé", "Yannick", "Aurélie", "Nguyễn"],
    last: ["Dubois", "Lefèvre", "Girard", "Benoît", "Lemaître", "Moreau", "Faure", "Rousseau", "O'Connor", "Château", "Leclerc"],
    schools: ["École Saint-Exupéry", "Collège Jean-Moulin", "Lycée Émile-Zola", "École élémentaire Les Tilleuls", "Lycée professionnel Rivière"],
    cities: ["Rivière-sur-Tarn", "Évreux", "Saint-Étienne", "Orléans", "Besançon"],
  },
  pl: {
    first: ["Łukasz", "Zofia", "Wojciech", "Małgorzata", "Jędrzej", "Agnieszka", "Paweł", "Żaneta", "Krzysztof", "Ólafur", "陈", "Ágnes"],
    last: ["Wiśniewski", "Nowak", "Kowalczyk", "Wójcik", "Dąbrowska", "Zieliński", "Szymańska", "Kamiński", "Wang", "Kovács", "Grzegorczyk"],
    schools: ["Szkoła Podstawowa nr 5", "Liceum Ogólnokształcące im. Marii Skłodowskiej-Curie", "Technikum Łączności", "Zespół Szkół nr 2", "Gimnazjum Żeromskiego"],
    cities: ["Wschód", "Łódź", "Gdańsk", "Kraków", "Białystok"],
  },
};

const COURSES = ["MATH-101", "MATH-201", "DEU-110", "ENG-120", "FRA-130", "PHY-140", "CHE-150", "BIO-160", "GES-170", "KUN-180", "MUS-190", "SPO-200"];
const TERMS = ["2022-S1", "2022-S2", "2023-S1", "2023-S2", "2024-S1"];

export const LEGACY_DDL = {
  SCHOOLS: [["SchoolID", "integer NOT NULL"], ["SchoolName", "varchar(100) NOT NULL"], ["City", "varchar(60)"], ["OpenedOn", "date"]],
  STUDENTS: [["StudentID", "integer NOT NULL"], ["SchoolID", "integer NOT NULL"], ["FirstName", "varchar(50) NOT NULL"], ["LastName", "varchar(50) NOT NULL"], ["BirthDate", "date"], ["Email", "varchar(120)"]],
  ENROLLMENTS: [["EnrollmentID", "integer NOT NULL"], ["StudentID", "integer NOT NULL"], ["SchoolID", "integer NOT NULL"], ["CourseCode", "varchar(10) NOT NULL"], ["Term", "varchar(7) NOT NULL"], ["Grade", "decimal(3,1)"]],
} as const;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");
const day = (base: number, days: number) => {
  const d = new Date(base + days * 86_400_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
};
const asciiSlug = (text: string) => text.normalize("NFKD").replace(/[^A-Za-z]/g, "").toLowerCase() || "x";

/** The legacy rows of one district. */
export function districtRows(district: (typeof DISTRICTS)[number], studentsInA: number) {
  const rng = random(district.seed);
  const names = NAMES[district.flavor];
  const studentCount = Math.max(1, Math.round(studentsInA * district.scale));
  const schoolCount = Math.max(2, Math.round(studentCount / 180));
  const schools: unknown[][] = [];
  for (let id = 1; id <= schoolCount; id++) {
    const name = `${rng.pick(names.schools)}${id > names.schools.length ? ` ${Math.ceil(id / names.schools.length)}` : ""}`;
    schools.push([id, name, rng.chance(0.05) ? null : rng.pick(names.cities), rng.chance(0.1) ? null : day(Date.UTC(1950, 0, 1), rng.int(0, 25_000))]);
  }
  const students: unknown[][] = [];
  for (let id = 1; id <= studentCount; id++) {
    const first = rng.pick(names.first);
    const last = rng.pick(names.last);
    students.push([
      id, rng.int(1, schoolCount), first, last,
      rng.chance(0.02) ? null : day(Date.UTC(2004, 0, 1), rng.int(0, 6000)),
      rng.chance(0.15) ? null : `${asciiSlug(first)}.${asciiSlug(last)}${id}@Schule-${district.tenant.toUpperCase()}.example`,
    ]);
  }
  const enrollments: unknown[][] = [];
  let enrollmentId = 0;
  for (const student of students) {
    const count = rng.int(1, 5);
    for (let i = 0; i < count; i++) {
      const sameSchool = rng.chance(0.9);
      enrollments.push([
        ++enrollmentId, student[0], sameSchool ? student[1] : rng.int(1, schoolCount), rng.pick(COURSES), rng.pick(TERMS),
        rng.chance(0.08) ? null : (rng.int(10, 60) / 10).toFixed(1),
      ]);
    }
  }
  return { SCHOOLS: schools, STUDENTS: students, ENROLLMENTS: enrollments };
}

async function tableExists(connector: Connector, table: string): Promise<boolean> {
  const schema = await connector.defaultSchema();
  const placeholders = [connector.dialect.placeholder(1), connector.dialect.placeholder(2)];
  const { rows } = await connector.query<{ n: unknown }>(
    `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ${placeholders[0]} AND table_name = ${placeholders[1]}`, [schema, table]);
  return Number(rows[0]?.n ?? 0) > 0;
}

/** Multi-row INSERTs through the connector, in chunks that stay below every dialect's bind limit. */
async function insertRows(connector: Connector, table: string, columns: readonly string[], rows: unknown[][]): Promise<void> {
  const q = connector.dialect.quoteIdentifier;
  const chunk = Math.max(1, Math.floor(Math.min(connector.capabilities.maxBindParams, 20_000) / columns.length));
  for (let start = 0; start < rows.length; start += chunk) {
    const part = rows.slice(start, start + chunk);
    let n = 0;
    const values = part.map((row) => `(${row.map(() => connector.dialect.placeholder(++n)).join(", ")})`).join(", ");
    await connector.query(`INSERT INTO ${q(table)} (${columns.map(q).join(", ")}) VALUES ${values}`, part.flat());
  }
}

/** Creates and fills one district's legacy tables unless SCHOOLS is already there. */
export async function seedDistrict(connector: Connector, district: (typeof DISTRICTS)[number], studentsInA: number) {
  const data = districtRows(district, studentsInA);
  const counts = { schools: data.SCHOOLS.length, students: data.STUDENTS.length, enrollments: data.ENROLLMENTS.length };
  if (await tableExists(connector, "SCHOOLS")) {
    const count = async (table: string) => Number((await connector.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${connector.dialect.quoteIdentifier(table)}`)).rows[0]?.n ?? 0);
    return { schools: await count("SCHOOLS"), students: await count("STUDENTS"), enrollments: await count("ENROLLMENTS"), seeded: false };
  }
  const q = connector.dialect.quoteIdentifier;
  // Children first, so a half-seeded database (SCHOOLS missing) is simply seeded again.
  for (const table of ["ENROLLMENTS", "STUDENTS", "SCHOOLS"] as const) {
    const columns = LEGACY_DDL[table];
    await connector.query(`DROP TABLE IF EXISTS ${q(table)}`);
    await connector.query(`CREATE TABLE ${q(table)} (${columns.map(([name, type]) => `${q(name)} ${type}`).join(", ")}, PRIMARY KEY (${q(columns[0][0])}))`);
    await insertRows(connector, table, columns.map(([name]) => name), data[table]);
  }
  return { ...counts, seeded: true };
}

/** The warehouse's consolidated schema (`warehouse.sql`), created if missing. */
export async function createWarehouseSchema(warehouse: Connector): Promise<void> {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), "warehouse.sql");
  const sql = fs.readFileSync(file, "utf8").replace(/--.*$/gm, "");
  for (const statement of sql.split(";").map((s) => s.trim()).filter(Boolean)) await warehouse.query(statement);
}

/** Seeds the three districts (each only once) and the warehouse schema. */
export default async function seed(connections: ConnectionSource, options: DistrictSeedOptions = {}): Promise<DistrictSeedSummary> {
  const studentsInA = options.students ?? 2_500;
  const districts: DistrictSeedSummary["districts"] = [];
  for (const district of DISTRICTS) {
    const result = await seedDistrict(await connections.get(district.connection), district, studentsInA);
    districts.push({ connection: district.connection, tenant: district.tenant, ...result });
  }
  await createWarehouseSchema(await connections.get("warehouse"));
  return { districts };
}
