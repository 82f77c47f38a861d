import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffTableHashes, type Connector, type TableHash } from "@databridge/core";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { collect, finished, insertMariadb, keyedHash, openConnector, pipelineFile, sessionsOf, spawnCli, waitFor, createWorkspace, type Workspace } from "../integrity/harness.js";

/**
 * Acceptance 2: `kill -9` of `databridge run --json` at 20 seeded random points — right after a
 * `batch.committed` line (between the data commit and whatever follows), after the very last batch,
 * before the first batch, at random byte offsets of the output, and a second kill during the resume —
 * then `--resume`: the target's keyed hash equals the source's and no key is there twice, every time.
 * The target has no primary key, so a replayed batch would show up as duplicates instead of an error.
 */
const servers = await requireServers("mariadb", "postgres");

const ROWS = 20_000;
const BATCH = 400;
const SEEDS = 20;
const COLUMNS = ["name", "amount", "happened", "note"];
const NAMES = ["Jürgen", "Zoë", "Łukasz", "Søren", "Ирина", "陈", "O'Brien", "José", "Ayşe", "Chloé"];

function mulberry32(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type KillPoint =
  | { kind: "after-batch"; batch: number }
  | { kind: "after-last-batch" }
  | { kind: "at-line"; type: "run.started" | "stage.started" }
  | { kind: "at-byte"; offset: number };

/** The kill plan of a seed: where the first run dies, and (for some seeds) where the first resume dies. */
function planFor(seed: number): { first: KillPoint; second?: KillPoint } {
  const random = mulberry32(seed * 7919 + 1);
  const batches = ROWS / BATCH;
  // run.started + stage.started ≈ 450 bytes, each batch.committed line ≥ 290: offsets stay inside the output.
  const approxBytes = Math.floor((450 + batches * 290) * 0.95);
  const pick = (): KillPoint => {
    const r = random();
    if (r < 0.45) return { kind: "after-batch", batch: 1 + Math.floor(random() * (batches - 1)) };
    return { kind: "at-byte", offset: Math.floor(random() * approxBytes) };
  };
  switch (seed) {
    case 0: return { first: { kind: "after-last-batch" } };
    case 1: return { first: { kind: "at-line", type: "stage.started" } };
    case 2: return { first: { kind: "at-line", type: "run.started" } };
    case 3: return { first: { kind: "after-batch", batch: 1 } };
    default: return seed % 4 === 0 ? { first: pick(), second: pick() } : { first: pick() };
  }
}

const describeKill = (point: KillPoint) =>
  point.kind === "after-batch" ? `after batch.committed #${point.batch}` : point.kind === "at-byte" ? `at output byte ${point.offset}` : point.kind === "at-line" ? `at ${point.type}` : "after the last batch.committed";

/** Runs the CLI and kills it with SIGKILL when the point is reached; resolves with what it printed. */
async function runAndKill(workspace: Workspace, args: string[], point: KillPoint): Promise<{ killed: boolean; committedSeen: number; stdout: string; code: number | null }> {
  const child = spawnCli(args, { cwd: workspace.dir });
  const result = collect(child, false);
  let bytes = 0;
  let buffer = "";
  let committedSeen = 0;
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = child.kill("SIGKILL");
  };
  child.stdout!.on("data", (chunk: string) => {
    if (killed) return;
    if (point.kind === "at-byte" && bytes + chunk.length > point.offset) { kill(); return; }
    bytes += chunk.length;
    buffer += chunk;
    let newline: number;
    while (!killed && (newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const event = JSON.parse(line) as { type: string; rows?: { read: number } };
      if (event.type === "batch.committed") committedSeen++;
      if (point.kind === "at-line" && event.type === point.type) kill();
      if (point.kind === "after-batch" && event.type === "batch.committed" && committedSeen === point.batch) kill();
      if (point.kind === "after-last-batch" && event.type === "batch.committed" && event.rows!.read === ROWS) kill();
    }
  });
  const done = await result;
  return { killed: killed && done.signal === "SIGKILL", committedSeen, stdout: done.stdout, code: done.code };
}

describe.skipIf(!servers)("kill -9 at 20 random points, then --resume (acceptance 2)", () => {
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: Workspace;
  let sourceDb: Connector;
  let sourceHash: TableHash;

  beforeAll(async () => {
    source = await createMariadbDatabase("dbt_kill_src");
    target = await createPostgresDatabase("dbt_kill_tgt");
    await source.query("CREATE TABLE ledger_src (id INT NOT NULL PRIMARY KEY, name VARCHAR(60) NOT NULL, amount DECIMAL(12,2), happened DATETIME(3), note TEXT)");
    const random = mulberry32(99);
    const rows = Array.from({ length: ROWS }, (_, i) => [
      i + 1, `${NAMES[i % NAMES.length]} ${i + 1}`, (Math.floor(random() * 10_000_000) / 100).toFixed(2),
      new Date(Date.UTC(2020, 0, 1) + Math.floor(random() * 1e11)).toISOString().replace("T", " ").replace("Z", ""),
      random() < 0.1 ? null : `note\t${i}\nsecond line ✓`,
    ]);
    await insertMariadb(source.query, "ledger_src", ["id", ...COLUMNS], rows);
    await target.query("CREATE TABLE ledger_copy (id integer NOT NULL, name varchar(60) NOT NULL, amount numeric(12,2), happened timestamp(3), note text)");
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
    workspace.pipeline("ledger_copy", pipelineFile({
      name: "ledger_copy",
      source: { connection: "legacy", table: "ledger_src", key: "id" },
      target: { connection: "warehouse", table: "ledger_copy", mode: "insert" },
      columns: { id: "id", name: "name", amount: "amount", happened: "happened", note: "note" },
      batchSize: BATCH,
    }));
    sourceDb = await openConnector("legacy", source.url);
    sourceHash = await keyedHash(sourceDb, { table: "ledger_src", key: ["id"], columns: COLUMNS });
  }, 660_000);

  afterAll(async () => {
    await sourceDb?.close();
    workspace?.remove();
    await target?.drop();
    await source?.drop();
  });

  /** What the target holds must be exactly what the ledger says was committed: no partial batch. */
  async function expectLedgerMatchesData(context: string) {
    const ledger = await target.query("SELECT to_regclass('databridge.batches') IS NOT NULL AS ok");
    const data = await target.query("SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, coalesce(max(id), 0) AS hi FROM ledger_copy");
    if (!ledger.rows[0].ok) {
      expect(data.rows[0].n, context).toBe(0);
      return;
    }
    const committed = await target.query("SELECT coalesce(sum(rows_written), 0)::int AS n FROM databridge.batches");
    const checkpoint = await target.query("SELECT last_key FROM databridge.checkpoints WHERE pipeline = 'ledger_copy'");
    expect(data.rows[0].n, context).toBe(committed.rows[0].n);
    expect(data.rows[0].d, context).toBe(data.rows[0].n);
    expect(data.rows[0].hi, context).toBe(checkpoint.rows[0]?.last_key?.[0] ?? 0);
  }

  const seeds = Array.from({ length: SEEDS }, (_, seed) => seed);
  it.each(seeds)("seed %i: killed, resumed, target hash = source hash, no duplicates", async (seed) => {
    await target.query("TRUNCATE ledger_copy");
    await target.query("DROP SCHEMA IF EXISTS databridge CASCADE");
    const plan = planFor(seed);
    const context = `seed ${seed}: first kill ${describeKill(plan.first)}${plan.second ? `, second kill ${describeKill(plan.second)}` : ""}`;

    const first = await runAndKill(workspace, ["run", "--json"], plan.first);
    expect(first.killed, `${context}: the kill point was reached`).toBe(true);
    await expectLedgerMatchesData(`${context}, after the first kill`);
    // The dead process's sessions go away (the server notices the closed socket).
    await waitFor("the killed CLI's sessions to end", async () => (await sessionsOf(target.name)).databridge === 0);

    if (plan.second) {
      const second = await runAndKill(workspace, ["run", "--resume", "--json"], plan.second);
      if (second.killed) await expectLedgerMatchesData(`${context}, after the second kill`);
      await waitFor("the killed CLI's sessions to end", async () => (await sessionsOf(target.name)).databridge === 0);
    }

    const resumed = collect(spawnCli(["run", "--resume", "--json"], { cwd: workspace.dir }), true);
    const result = await resumed;
    expect(result.code, `${context}: ${result.stderr}`).toBe(0);
    expect(finished(result).status).toBe("succeeded");

    const counts = await target.query("SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM ledger_copy");
    expect(counts.rows[0], context).toEqual({ n: ROWS, d: ROWS });
    // A connector per check: its pooled sessions (application_name "databridge" too) end with it, not 10 s later.
    const targetDb = await openConnector("warehouse", target.url);
    const targetHash = await keyedHash(targetDb, { table: "ledger_copy", key: ["id"], columns: COLUMNS }).finally(() => targetDb.close());
    expect(diffTableHashes(sourceHash, targetHash, 5), context).toEqual({ missing: [], extra: [], changed: [] });
    expect(targetHash.hash, context).toBe(sourceHash.hash);
    const idle = await sessionsOf(target.name);
    expect(idle.idleInTransaction, context).toBe(0);
  });
});
