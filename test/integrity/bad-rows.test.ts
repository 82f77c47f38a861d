import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffTableHashes, type Connector } from "@databridge/core";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, finished, insertMariadb, keyedHash, openConnector, pipelineFile, runCli, type Workspace } from "./harness.js";

/**
 * Acceptance 1: a 200,000-row MariaDB table with 37 planted bad rows of six kinds, loaded with
 * `onError: "skip"` into PostgreSQL through the real CLI. Identifiers with spaces, quotes, mixed case
 * and reserved words on both sides. Then `errors --json`, a fix, and `replay`.
 */
const servers = await requireServers("mariadb", "postgres");

const ROWS = 200_000;
const TABLE = "Order Lines";
const SOURCE_COLUMNS = ["Line ID", "select", 'Customer "Nick"', "ShipDate", "Amount", "Note", "Status", "Qty", "Region"];
const NAMES = ["Jürgen Groß", "Zoë Lefèvre", "Łukasz Wiśniewski", "Søren Østergaard", "Ирина Иванова", "陈伟", "O'Brien", "José Núñez", "Ayşe Öztürk"];
const NOTES = ["ok", "tab\there", "two\nlines", "back\\slash", "quote ' and \"", "ünïcödé ✓", "", null];
const REGIONS = ["Nord", "Süd", "Île-de-France", "Łódź", "Kraków"];

type Kind = "nul" | "zero-date" | "overflow" | "too-long" | "not-null" | "lookup" | "convert";
/** 37 rows, six kinds (lookup and convert are the one transform kind): first row, last row, neighbours, and a crowded batch. */
function plantedRows(): Map<number, Kind> {
  const ids = [1, ROWS, 100_000, 100_001, 100_002, 54_321, 54_322];
  let state = 20_240_601;
  const next = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31), state);
  // Six more inside one 10,000-row batch (ids 30,001–40,000) so bisection isolates several per batch.
  while (ids.length < 13) { const id = 30_001 + (next() % 10_000); if (!ids.includes(id)) ids.push(id); }
  while (ids.length < 37) { const id = 1 + (next() % ROWS); if (!ids.includes(id)) ids.push(id); }
  const kinds: Kind[] = [
    ...Array<Kind>(7).fill("nul"), ...Array<Kind>(6).fill("zero-date"), ...Array<Kind>(6).fill("overflow"),
    ...Array<Kind>(6).fill("too-long"), ...Array<Kind>(6).fill("not-null"), ...Array<Kind>(3).fill("lookup"), ...Array<Kind>(3).fill("convert"),
  ];
  // 11 and 37 are coprime: i → 11·i mod 37 spreads the kinds over the ids.
  return new Map(ids.map((id, i) => [id, kinds[(i * 11) % 37]]));
}

function goodRow(id: number): unknown[] {
  const day = new Date(Date.UTC(2019, 0, 1) + (id % 2000) * 86_400_000).toISOString().slice(0, 10);
  return [
    id, `P-${id % 997}`, `${NAMES[id % NAMES.length]} #${id}`, day, ((id * 37) % 1_000_000 / 100).toFixed(2),
    NOTES[id % NOTES.length], id % 3 === 0 ? "C" : "A", String(id % 50), REGIONS[id % REGIONS.length],
  ];
}

function badRow(id: number, kind: Kind): unknown[] {
  const row = goodRow(id);
  switch (kind) {
    case "nul": row[2] = `Null\u0000Byte #${id}`; break;
    case "zero-date": row[3] = "0000-00-00"; break;
    case "overflow": row[4] = "123456789012.34"; break; // fits DECIMAL(14,2), not numeric(10,2)
    case "too-long": row[5] = `this note is far longer than thirty characters (#${id})`; break;
    case "not-null": row[8] = null; break;
    case "lookup": row[6] = "X"; break;
    case "convert": row[7] = "12 boxes"; break;
  }
  return row;
}

/** The transformed source as SQL, to hash against the target with the same keyed hash. */
const expectedQuery = (where: string) => `SELECT \`Line ID\` AS k, \`select\`, \`Customer "Nick"\`, ShipDate, Amount, Note,
  CASE Status WHEN 'A' THEN 'active' WHEN 'C' THEN 'closed' ELSE 'other' END AS status, CAST(Qty AS SIGNED) AS qty, Region
  FROM \`${TABLE}\` ${where}`;
const EXPECTED_COLUMNS = ["select", 'Customer "Nick"', "ShipDate", "Amount", "Note", "status", "qty", "Region"];
const TARGET_COLUMNS = ["Select", 'Customer "Nick"', "ship date", "Amount", "note", "status", "qty", "Region"];

describe.skipIf(!servers)("bad rows: 200k MariaDB rows, 37 planted bad rows, onError skip (acceptance 1)", () => {
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: Workspace;
  let sourceDb: Connector;
  let targetDb: Connector;
  const planted = plantedRows();
  let runId = "";

  const pipeline = (statusDefault: boolean) => pipelineFile(`{
    name: "order_lines",
    source: { connection: "legacy", table: ${JSON.stringify(TABLE)}, key: "Line ID" },
    target: { connection: "warehouse", table: "Sales Data.Order Lines", mode: "insert" },
    columns: {
      "Line ID": "Line ID",
      "Select": "select",
      'Customer "Nick"': 'Customer "Nick"',
      "ship date": "ShipDate",
      "Amount": "Amount",
      "note": "Note",
      "status": lookup("Status", { A: "active", C: "closed" }${statusDefault ? `, "other"` : ""}),
      "qty": convert("Qty", "integer"),
      "Region": "Region",
    },
    onError: "skip",
    batchSize: 10000,
  }`, ["lookup", "convert"]);

  beforeAll(async () => {
    expect(planted.size).toBe(37);
    expect(new Set([...planted.values()].map((k) => (k === "convert" ? "lookup" : k))).size).toBe(6);
    source = await createMariadbDatabase("dbt_bad_src");
    target = await createPostgresDatabase("dbt_bad_tgt");
    await source.query(`CREATE TABLE \`${TABLE}\` (\`Line ID\` INT NOT NULL PRIMARY KEY, \`select\` VARCHAR(40) NOT NULL, \`Customer "Nick"\` VARCHAR(100),
      ShipDate DATE, Amount DECIMAL(14,2), Note VARCHAR(200), Status CHAR(1), Qty VARCHAR(10), Region VARCHAR(20))`);
    const rows: unknown[][] = [];
    for (let id = 1; id <= ROWS; id++) rows.push(planted.has(id) ? badRow(id, planted.get(id)!) : goodRow(id));
    await insertMariadb(source.query, TABLE, SOURCE_COLUMNS, rows, 5_000);
    await target.query(`CREATE SCHEMA "Sales Data"`);
    await target.query(`CREATE TABLE "Sales Data"."Order Lines" ("Line ID" integer PRIMARY KEY, "Select" varchar(40) NOT NULL, "Customer ""Nick""" text,
      "ship date" date, "Amount" numeric(10,2), "note" varchar(30), "status" text NOT NULL, "qty" integer, "Region" varchar(20) NOT NULL)`);
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
    workspace.pipeline("order_lines", pipeline(false));
    sourceDb = await openConnector("legacy", source.url);
    targetDb = await openConnector("warehouse", target.url);
  }, 660_000);

  afterAll(async () => {
    await sourceDb?.close();
    await targetDb?.close();
    workspace?.remove();
    await target?.drop();
    await source?.drop();
  });

  it("rejects exactly the 37 planted rows with a reason each, loads every other row, exits 3", async () => {
    const result = await runCli(["run", "--json"], { cwd: workspace.dir });
    expect(result.code, result.stderr).toBe(3);
    const done = finished(result);
    runId = done.runId;
    expect(done.status).toBe("succeeded_with_rejects");
    expect(done.rows).toEqual({ read: ROWS, written: ROWS - 37, rejected: 37 });
    expect(done.rows.written + done.rows.rejected).toBe(done.rows.read);

    // The event stream names each rejected row once.
    const rejectedEvents = result.events.filter((e) => e.type === "row.rejected");
    expect(rejectedEvents.map((e) => (e as { key: unknown[] }).key[0]).sort((a, b) => Number(a) - Number(b))).toEqual([...planted.keys()].sort((a, b) => a - b));

    // The dead-letter table: exactly the planted keys, each with a reason, the stage and the source row.
    const { rows } = await target.query(`SELECT source_key, source_row, stage, column_name, error_code, message, batch_no FROM databridge.rejected_rows WHERE run_id = $1`, [runId]);
    expect(rows).toHaveLength(37);
    const byKey = new Map(rows.map((r) => [Number(r.source_key[0]), r]));
    expect([...byKey.keys()].sort((a, b) => a - b)).toEqual([...planted.keys()].sort((a, b) => a - b));
    const expectations: Record<Kind, { stage: string; code?: string; column?: string; message: RegExp }> = {
      "nul": { stage: "load", code: "22021", message: /0x00/ },
      "zero-date": { stage: "load", code: "22008", message: /out of range|0000-00-00/ },
      "overflow": { stage: "load", code: "22003", message: /overflow/ },
      "too-long": { stage: "load", code: "22001", message: /too long/ },
      "not-null": { stage: "load", code: "23502", column: "Region", message: /null value in column "Region"/ },
      "lookup": { stage: "transform", column: "Status", message: /no lookup entry for "X"/ },
      "convert": { stage: "transform", column: "Qty", message: /12 boxes/ },
    };
    for (const [id, kind] of planted) {
      const row = byKey.get(id)!;
      const want = expectations[kind];
      expect({ id, kind, stage: row.stage }).toEqual({ id, kind, stage: want.stage });
      expect(row.message, `${kind} row ${id}`).toMatch(want.message);
      if (want.code) expect(row.error_code, `${kind} row ${id}`).toBe(want.code);
      if (want.column) expect(row.column_name, `${kind} row ${id}`).toBe(want.column);
      expect(row.source_row["Line ID"]).toBe(id);
      expect(row.batch_no).toBe(Math.ceil(id / 10_000));
    }
    // Load rejects name the column the database complained about.
    expect(rows.filter((r) => r.stage === "load" && !r.column_name).map((r) => r.source_key)).toEqual([]);

    // Loaded + rejected = read, also in the ledger.
    const ledger = await target.query(`SELECT rows_read, rows_written, rows_rejected FROM databridge.runs WHERE run_id = $1`, [runId]);
    expect(ledger.rows[0]).toEqual({ rows_read: String(ROWS), rows_written: String(ROWS - 37), rows_rejected: "37" });

    // Every good row arrived intact: keyed hash of the transformed source (minus the planted keys) = the target.
    const notPlanted = `WHERE \`Line ID\` NOT IN (${[...planted.keys()].join(", ")})`;
    const [want, got] = await Promise.all([
      keyedHash(sourceDb, { query: expectedQuery(notPlanted), key: ["k"], columns: EXPECTED_COLUMNS }),
      keyedHash(targetDb, { table: "Sales Data.Order Lines", key: ["Line ID"], columns: TARGET_COLUMNS }),
    ]);
    expect(diffTableHashes(want, got)).toEqual({ missing: [], extra: [], changed: [] });
    expect(got.rows).toBe(ROWS - 37);
    expect(got.hash).toBe(want.hash);
  });

  it("`errors <run> --json` lists the 37 rows; after fixing pipeline and data, `replay` loads them and empties the dead-letter table", async () => {
    const listed = await runCli(["errors", runId, "--json"], { cwd: workspace.dir });
    expect(listed.code, listed.stderr).toBe(0);
    const records = JSON.parse(listed.stdout) as { key: number[]; message: string; stage: string; row: Record<string, unknown> }[];
    expect(records.map((r) => r.key[0]).sort((a, b) => a - b)).toEqual([...planted.keys()].sort((a, b) => a - b));
    expect(records.every((r) => r.message.length > 0 && (r.stage === "load" || r.stage === "transform"))).toBe(true);
    const nul = records.find((r) => planted.get(r.key[0]) === "nul")!;
    expect(String(nul.row['Customer "Nick"'])).toContain("Null\\u0000Byte");


    // A replay before anything is fixed keeps every row in the dead-letter table.
    const early = await runCli(["replay", runId, "--json"], { cwd: workspace.dir });
    expect(early.code, early.stderr).toBe(3);
    expect(JSON.parse(early.stdout)).toEqual([{ pipeline: "order_lines", tenant: "", replayed: 37, loaded: 0, stillRejected: 37 }]);

    // The fix: unknown status codes map to "other" (pipeline); the data problems are corrected at the source.
    workspace.pipeline("order_lines", pipeline(true));
    const ids = (kind: Kind) => [...planted].filter(([, k]) => k === kind).map(([id]) => id).join(", ");
    await source.query(`UPDATE \`${TABLE}\` SET \`Customer "Nick"\` = REPLACE(\`Customer "Nick"\`, CHAR(0), ' ') WHERE \`Line ID\` IN (${ids("nul")})`);
    await source.query(`UPDATE \`${TABLE}\` SET ShipDate = NULL WHERE \`Line ID\` IN (${ids("zero-date")})`);
    await source.query(`UPDATE \`${TABLE}\` SET Amount = 99999999.99 WHERE \`Line ID\` IN (${ids("overflow")})`);
    await source.query(`UPDATE \`${TABLE}\` SET Note = LEFT(Note, 30) WHERE \`Line ID\` IN (${ids("too-long")})`);
    await source.query(`UPDATE \`${TABLE}\` SET Region = 'unbekannt' WHERE \`Line ID\` IN (${ids("not-null")})`);
    await source.query(`UPDATE \`${TABLE}\` SET Qty = '12' WHERE \`Line ID\` IN (${ids("convert")})`);

    const replay = await runCli(["replay", runId, "--json"], { cwd: workspace.dir });
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toEqual([{ pipeline: "order_lines", tenant: "", replayed: 37, loaded: 37, stillRejected: 0 }]);
    const left = await target.query(`SELECT count(*)::int AS n FROM databridge.rejected_rows WHERE run_id = $1`, [runId]);
    expect(left.rows[0].n).toBe(0);

    // Now the whole table equals the whole (fixed) source.
    const [want, got] = await Promise.all([
      keyedHash(sourceDb, { query: expectedQuery(""), key: ["k"], columns: EXPECTED_COLUMNS }),
      keyedHash(targetDb, { table: "Sales Data.Order Lines", key: ["Line ID"], columns: TARGET_COLUMNS }),
    ]);
    expect(diffTableHashes(want, got)).toEqual({ missing: [], extra: [], changed: [] });
    expect(got.rows).toBe(ROWS);
    expect(got.hash).toBe(want.hash);

    // And `verify` agrees: count parity and the keyed row hash of every row.
    const verify = await runCli(["verify", "--json", "--report-dir", "reports"], { cwd: workspace.dir });
    expect(verify.code, verify.stdout.slice(0, 2000)).toBe(0);
    const report = JSON.parse(verify.stdout);
    expect(report.summary).toMatchObject({ failed: 0 });
    expect(report.stages[0].checks.find((c: { name: string }) => c.name === "row-hash").details.compared).toBe(ROWS);
  });
});
