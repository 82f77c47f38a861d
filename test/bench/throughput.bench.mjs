#!/usr/bin/env node
// Issue #12's figures, measured side by side in one session on this machine's real servers:
//   an 11-column MariaDB table → PostgreSQL, against the raw pipe
//   `mysql --quick --batch … | psql -c "\copy … FROM STDIN"` of the same table, in rounds (each round runs
//   the raw pipe and every pipeline once, so a noisy neighbour slows all of them alike):
//   - pass-through: the 11 columns as they are (insert)           target ≤ 1.3× the raw pipe
//   - transforms: the 11 columns + concat, lookup, expr("quantity * unit_price") (insert)   ≤ 1.5×
//   - upsert: the transforms pipeline in upsert mode into an empty table                  (reported)
//   - minimal script: `minimal-copy.mjs`, the least a Node program does for the same two copies (mysql2 → one COPY
//     through pg-copy-streams, the transforms in plain JavaScript), run in the same rounds: a second yardstick
//   Medians of BENCH_ROUNDS rounds; peak RSS of the transforms pipeline at BENCH_ROWS and BENCH_LARGE_ROWS
//   rows (≤ 300 MB, the larger within 10% of the smaller); the garbage collector's share of CPU from a
//   separate `--cpu-prof` run. Checks: the pass-through copy equals the raw pipe's row for row; the
//   transformed columns equal MariaDB's own CONCAT_WS, CASE and DECIMAL product.
// Exit code 1 when a target is missed or a check fails.
//
// Env: BENCH_ROWS (1000000), BENCH_LARGE_ROWS (3000000; 0 skips the large run), BENCH_ROUNDS (3),
//      DATABRIDGE_TEST_POSTGRES_URL, DATABRIDGE_TEST_MARIADB_URL.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import pg from "pg";
import mysql from "mysql2/promise";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "server/bin/databridge.mjs");
const MINIMAL = path.join(ROOT, "test/bench/minimal-copy.mjs");
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const LARGE = Number(process.env.BENCH_LARGE_ROWS ?? 3_000_000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const PG_ADMIN = process.env.DATABRIDGE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const MARIA_ADMIN = process.env.DATABRIDGE_TEST_MARIADB_URL ?? "mysql://root@127.0.0.1:3306/";
const TIME_BIN = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const TARGETS = { passThrough: 1.3, transforms: 1.5, rssMb: 300, rssGrowth: 1.1 };

const COLUMNS = ["id", "customer_id", "first_name", "last_name", "email", "status_code", "quantity", "unit_price", "created", "note", "country"];
const PG_COLUMNS = `id integer PRIMARY KEY, customer_id integer NOT NULL, first_name varchar(40) NOT NULL, last_name varchar(40), email varchar(100),
  status_code varchar(2) NOT NULL, quantity integer NOT NULL, unit_price numeric(10,2) NOT NULL, created timestamp NOT NULL, note text, country varchar(2)`;
const TRANSFORMED = `${PG_COLUMNS}, full_name text, status text, line_total numeric(20,2)`;
const STATUSES = { N: "new", P: "paid", S: "shipped", D: "delivered", C: "cancelled" };

const log = (...args) => console.log(...args);
const mb = (kb) => kb / 1024;
const seconds = (ms) => ms / 1000;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const name = `tp_bench_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
const pgUrl = new URL(PG_ADMIN);
pgUrl.pathname = `/${name}`;
const mariaUrl = new URL(MARIA_ADMIN);
mariaUrl.pathname = `/${name}`;

/** Runs a command; wall ms, peak RSS (kB, `time -v` or /proc VmHWM sampling), exit code and output. */
function measure(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const wrapped = TIME_BIN ? [TIME_BIN, ["-v", command, ...args]] : [command, args];
    const started = process.hrtime.bigint();
    const child = spawn(wrapped[0], wrapped[1], { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let hwm = 0;
    child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const poll = TIME_BIN ? undefined : setInterval(() => {
      try {
        hwm = Math.max(hwm, Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0));
      } catch { /* exited */ }
    }, 20);
    child.on("error", reject);
    child.on("close", (code) => {
      if (poll) clearInterval(poll);
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const rssKb = TIME_BIN ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? 0) : hwm;
      resolve({ code, wallMs, rssKb, stdout, stderr });
    });
  });
}

/** The garbage collector's share of the sampled CPU time (idle excluded) in a V8 `.cpuprofile`. */
function gcShare(file) {
  const profile = JSON.parse(fs.readFileSync(file, "utf8"));
  const kind = new Map(profile.nodes.map((node) => [node.id, node.callFrame.functionName]));
  let gc = 0;
  let busy = 0;
  for (const [i, id] of profile.samples.entries()) {
    const fn = kind.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (fn === "(idle)") continue;
    busy += dt;
    if (fn === "(garbage collector)") gc += dt;
  }
  return busy ? gc / busy : 0;
}

async function main() {
  log(`rows: ${ROWS.toLocaleString("en-US")} (large: ${LARGE ? LARGE.toLocaleString("en-US") : "skipped"}), ${ROUNDS} rounds, ${os.cpus().length} CPUs, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  const lost = (error) => console.error(`throughput.bench: lost a connection: ${error.message}`);
  const pgAdmin = new pg.Client({ connectionString: PG_ADMIN });
  pgAdmin.on("error", lost);
  await pgAdmin.connect();
  const mariaAdmin = await mysql.createConnection({ uri: MARIA_ADMIN });
  mariaAdmin.on("error", lost);
  await pgAdmin.query(`CREATE DATABASE "${name}"`);
  await mariaAdmin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  const pgDb = new pg.Client({ connectionString: pgUrl.href });
  pgDb.on("error", lost);
  await pgDb.connect();
  const maria = await mysql.createConnection({ uri: mariaUrl.href });
  maria.on("error", lost);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-throughput-"));
  const checks = [];
  const check = (what, ok, detail) => checks.push({ what, ok, detail });
  try {
    // ── Source tables generated inside MariaDB (seq_1_to_N of the Sequence engine).
    let t = Date.now();
    const createSource = async (table, rows) => {
      await maria.query(`CREATE TABLE ${table} (id INT NOT NULL PRIMARY KEY, customer_id INT NOT NULL, first_name VARCHAR(40) NOT NULL, last_name VARCHAR(40) NULL,
        email VARCHAR(100) NULL, status_code VARCHAR(2) NOT NULL, quantity INT NOT NULL, unit_price DECIMAL(10,2) NOT NULL, created DATETIME NOT NULL, note TEXT NULL, country CHAR(2) NULL)`);
      await maria.query(`INSERT INTO ${table}
        SELECT seq, 1 + seq % 50000, ELT(1 + seq % 6, 'Jürgen', 'Señor', 'Øre', '東京', 'Zoë', 'Anna'),
               CASE WHEN seq % 13 = 0 THEN NULL ELSE CONCAT(ELT(1 + seq % 5, 'Müller', 'García', 'Smith', 'Ñandú', 'Lee'), '-', seq % 997) END,
               CASE WHEN seq % 17 = 0 THEN NULL ELSE CONCAT('user', seq, '@example.com') END,
               ELT(1 + seq % 6, 'N', 'P', 'S', 'D', 'C', 'X'),
               1 + seq % 40, (seq % 100000) / 100 + 0.05,
               TIMESTAMP'2021-01-01 00:00:00' + INTERVAL seq * 17 SECOND,
               CASE WHEN seq % 7 = 0 THEN NULL WHEN seq % 7 = 1 THEN '' ELSE CONCAT('deliver\\tafter 5pm\\\\back door ', seq) END,
               ELT(1 + seq % 4, 'DE', 'FR', 'JP', NULL)
          FROM seq_1_to_${rows}`);
      await maria.query(`ANALYZE TABLE ${table}`);
    };
    await createSource("orders", ROWS);
    if (LARGE) await createSource("orders_large", LARGE);
    log(`source generated in ${seconds(Date.now() - t).toFixed(1)} s`);
    for (const table of ["base", "pass", "minimal_pass"]) await pgDb.query(`CREATE TABLE ${table} (${PG_COLUMNS})`);
    for (const table of ["transformed", "transformed_large", "upserted", "expected", "profiled", "minimal_transformed"]) await pgDb.query(`CREATE TABLE ${table} (${TRANSFORMED})`);

    // ── Workspace and pipelines.
    fs.mkdirSync(path.join(workspace, "pipelines"));
    fs.writeFileSync(path.join(workspace, "databridge.config.ts"), `import { defineConfig } from "@databridge/core";
export default defineConfig({ connections: { legacy: { url: ${JSON.stringify(mariaUrl.href)} }, warehouse: { url: ${JSON.stringify(pgUrl.href)} } } });
`);
    const plain = COLUMNS.map((c) => `${c}: ${JSON.stringify(c)}`).join(", ");
    const transforms = `full_name: concat(["first_name", "last_name"], " "), status: lookup("status_code", ${JSON.stringify(STATUSES)}, "unknown"), line_total: expr("quantity * unit_price")`;
    const pipelineFile = (pipelineName, sourceTable, targetTable, mode, columns) => {
      const file = path.join(workspace, "pipelines", `${pipelineName}.etl.ts`);
      fs.writeFileSync(file, `import { pipeline, concat, lookup, expr } from "@databridge/core";
export default pipeline({
  name: ${JSON.stringify(pipelineName)},
  source: { connection: "legacy", table: ${JSON.stringify(sourceTable)}, key: "id" },
  target: { connection: "warehouse", table: ${JSON.stringify(`public.${targetTable}`)}, mode: ${JSON.stringify(mode)}, key: ["id"] },
  columns: { ${columns} },
});
`);
      return file;
    };
    const files = {
      pass: pipelineFile("pass", "orders", "pass", "insert", plain),
      transforms: pipelineFile("transforms", "orders", "transformed", "insert", `${plain}, ${transforms}`),
      upsert: pipelineFile("upsert", "orders", "upserted", "upsert", `${plain}, ${transforms}`),
      large: pipelineFile("large", "orders_large", "transformed_large", "insert", `${plain}, ${transforms}`),
      profiled: pipelineFile("profiled", "orders", "profiled", "insert", `${plain}, ${transforms}`),
    };
    const plan = await measure(process.execPath, [CLI, "plan", files.transforms, "--json"], { cwd: workspace });
    const computed = JSON.parse(plan.stdout).pipelines[0].columns;
    const atSource = computed.filter((c) => c.computedAt === "source").map((c) => c.target);
    log(`transforms pipeline: computed by the source: ${atSource.join(", ")}; in Node: ${computed.filter((c) => c.computedAt !== "source").map((c) => c.target).join(", ")}`);

    const run = async (label, file, extra = []) => {
      const result = await measure(process.execPath, [...extra, CLI, "run", file, "--json"], { cwd: workspace });
      if (result.code !== 0) throw new Error(`${label}: databridge run exited ${result.code}: ${result.stderr.split("\n").filter((l) => !/^\s/.test(l)).slice(-5).join(" | ")} ${result.stdout.slice(-500)}`);
      const lines = result.stdout.trim().split("\n");
      result.finished = JSON.parse(lines[lines.length - 1]);
      return result;
    };
    const mysqlCommand = (select) => [
      `mysql --default-character-set=utf8mb4 -h ${mariaUrl.hostname} -P ${mariaUrl.port || 3306} -u ${decodeURIComponent(mariaUrl.username || "root")}`,
      mariaUrl.password ? `--password=${decodeURIComponent(mariaUrl.password)}` : "",
      `--quick --batch --skip-column-names ${name} -e "${select}"`,
    ].join(" ");
    const pipe = (select, table, columns) => `${mysqlCommand(select)} | psql -X -q -v ON_ERROR_STOP=1 "${pgUrl.href}" -c "\\copy ${table} (${columns.join(", ")}) FROM STDIN WITH (NULL 'NULL')"`;
    const baselineCommand = pipe(`SELECT ${COLUMNS.join(", ")} FROM orders`, "base", COLUMNS);

    // ── Rounds: the raw pipe and each pipeline once per round, side by side.
    const times = { baseline: [], pass: [], transforms: [], upsert: [], minimalPass: [], minimalTransforms: [] };
    const minimal = async (mode, table) => {
      const result = await measure(process.execPath, [MINIMAL, mariaUrl.href, pgUrl.href, "orders", table, mode]);
      if (result.code !== 0) throw new Error(`minimal-copy.mjs ${mode} exited ${result.code}: ${result.stderr.slice(-500)}`);
      return result;
    };
    const rss = { transforms: 0 };
    for (let round = 1; round <= ROUNDS; round++) {
      await pgDb.query("TRUNCATE base, pass, transformed, upserted, minimal_pass, minimal_transformed");
      const baseline = await measure("bash", ["-o", "pipefail", "-c", baselineCommand]);
      if (baseline.code !== 0) throw new Error(`raw pipe failed (${baseline.code}): ${baseline.stderr.slice(-500)}`);
      const pass = await run("pass", files.pass);
      const transformed = await run("transforms", files.transforms);
      const upsert = await run("upsert", files.upsert);
      const minimalPass = await minimal("pass", "minimal_pass");
      const minimalTransforms = await minimal("transforms", "minimal_transformed");
      times.minimalPass.push(minimalPass.wallMs);
      times.minimalTransforms.push(minimalTransforms.wallMs);
      times.baseline.push(baseline.wallMs);
      times.pass.push(pass.wallMs);
      times.transforms.push(transformed.wallMs);
      times.upsert.push(upsert.wallMs);
      rss.transforms = Math.max(rss.transforms, transformed.rssKb);
      log(`  round ${round}: raw pipe ${seconds(baseline.wallMs).toFixed(2)} s; pass-through ${seconds(pass.wallMs).toFixed(2)} s (×${(pass.wallMs / baseline.wallMs).toFixed(2)}); ` +
        `transforms ${seconds(transformed.wallMs).toFixed(2)} s (×${(transformed.wallMs / baseline.wallMs).toFixed(2)}, ${mb(transformed.rssKb).toFixed(0)} MB); ` +
        `upsert ${seconds(upsert.wallMs).toFixed(2)} s (×${(upsert.wallMs / baseline.wallMs).toFixed(2)}, ${mb(upsert.rssKb).toFixed(0)} MB); ` +
        `minimal script: pass-through ${seconds(minimalPass.wallMs).toFixed(2)} s (×${(minimalPass.wallMs / baseline.wallMs).toFixed(2)}), ` +
        `transforms ${seconds(minimalTransforms.wallMs).toFixed(2)} s (×${(minimalTransforms.wallMs / baseline.wallMs).toFixed(2)})`);
    }
    const ratio = (key) => median(times[key]) / median(times.baseline);

    // ── The larger run, for memory; a profiled run, for the GC share.
    let largeRssKb;
    if (LARGE) {
      const large = await run("large", files.large);
      largeRssKb = large.rssKb;
      log(`  transforms on ${LARGE.toLocaleString("en-US")} rows: ${seconds(large.wallMs).toFixed(2)} s, ${mb(large.rssKb).toFixed(0)} MB peak RSS`);
    }
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-prof-"));
    await run("profiled", files.profiled, ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]);
    const profile = fs.readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
    const gc = profile ? gcShare(path.join(profileDir, profile)) : NaN;
    fs.rmSync(profileDir, { recursive: true, force: true });

    // ── Checks: the copy is the raw pipe's row for row; the transformed values are MariaDB's own.
    t = Date.now();
    const differ = async (a, b, columns) => Number((await pgDb.query(
      `SELECT (SELECT count(*) FROM (SELECT ${columns} FROM ${a} EXCEPT ALL SELECT ${columns} FROM ${b}) x) + (SELECT count(*) FROM (SELECT ${columns} FROM ${b} EXCEPT ALL SELECT ${columns} FROM ${a}) y) AS n`)).rows[0].n);
    const count = async (table) => Number((await pgDb.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    const own = pipe(`SELECT ${COLUMNS.join(", ")}, CONCAT_WS(' ', first_name, last_name),
      CASE status_code ${Object.entries(STATUSES).map(([k, v]) => `WHEN '${k}' THEN '${v}'`).join(" ")} ELSE 'unknown' END, quantity * unit_price FROM orders`,
    "expected", [...COLUMNS, "full_name", "status", "line_total"]);
    const expected = await measure("bash", ["-o", "pipefail", "-c", own]);
    if (expected.code !== 0) throw new Error(`MariaDB's own values: ${expected.stderr.slice(-500)}`);
    const all = [...COLUMNS, "full_name", "status", "line_total"].join(", ");
    check(`raw pipe loaded every row`, (await count("base")) === ROWS, `${await count("base")} rows`);
    check("pass-through: the copy equals the raw pipe's, row for row", (await count("pass")) === ROWS && (await differ("pass", "base", COLUMNS.join(", "))) === 0, `${await count("pass")} rows, ${await differ("pass", "base", COLUMNS.join(", "))} differ`);
    const transformedDiffer = await differ("transformed", "expected", all);
    check("transforms: full_name, status, line_total equal MariaDB's CONCAT_WS, CASE and quantity * unit_price", (await count("transformed")) === ROWS && transformedDiffer === 0,
      `${await count("transformed")} rows, ${transformedDiffer} differ`);
    check("minimal script: its copies equal the raw pipe's and MariaDB's own values (a valid yardstick)",
      (await count("minimal_pass")) === ROWS && (await differ("minimal_pass", "base", COLUMNS.join(", "))) === 0 && (await differ("minimal_transformed", "expected", all)) === 0,
      `${await differ("minimal_pass", "base", COLUMNS.join(", "))} and ${await differ("minimal_transformed", "expected", all)} differ`);
    check("upsert: the same rows", (await differ("upserted", "expected", all)) === 0, `${await differ("upserted", "expected", all)} differ`);
    check("the source computes full_name, status and line_total", ["full_name", "status", "line_total"].every((c) => atSource.includes(c)), atSource.join(", "));
    log(`checks in ${seconds(Date.now() - t).toFixed(1)} s`);

    check(`pass-through ≤ ${TARGETS.passThrough}× the raw pipe (median of ${ROUNDS})`, ratio("pass") <= TARGETS.passThrough, `×${ratio("pass").toFixed(2)}`);
    check(`transforms ≤ ${TARGETS.transforms}× the raw pipe (median of ${ROUNDS})`, ratio("transforms") <= TARGETS.transforms, `×${ratio("transforms").toFixed(2)}`);
    check(`peak RSS ≤ ${TARGETS.rssMb} MB at ${ROWS.toLocaleString("en-US")} rows`, mb(rss.transforms) <= TARGETS.rssMb, `${mb(rss.transforms).toFixed(0)} MB`);
    if (largeRssKb !== undefined) {
      check(`peak RSS ≤ ${TARGETS.rssMb} MB at ${LARGE.toLocaleString("en-US")} rows, within ${Math.round((TARGETS.rssGrowth - 1) * 100)}% of ${ROWS.toLocaleString("en-US")}`,
        mb(largeRssKb) <= TARGETS.rssMb && largeRssKb <= rss.transforms * TARGETS.rssGrowth, `${mb(largeRssKb).toFixed(0)} MB (×${(largeRssKb / rss.transforms).toFixed(2)})`);
    }

    const table = [
      ["pipeline", "median wall", "rows/s", "vs raw pipe", "target"],
      ["raw pipe mysql | psql \\copy", `${seconds(median(times.baseline)).toFixed(2)} s`, `${Math.round(ROWS / seconds(median(times.baseline))).toLocaleString("en-US")}`, "1.00×", ""],
      ["pass-through (11 columns)", `${seconds(median(times.pass)).toFixed(2)} s`, `${Math.round(ROWS / seconds(median(times.pass))).toLocaleString("en-US")}`, `${ratio("pass").toFixed(2)}×`, `≤ ${TARGETS.passThrough}×`],
      ["concat + lookup + expr", `${seconds(median(times.transforms)).toFixed(2)} s`, `${Math.round(ROWS / seconds(median(times.transforms))).toLocaleString("en-US")}`, `${ratio("transforms").toFixed(2)}×`, `≤ ${TARGETS.transforms}×`],
      ["the same, upsert", `${seconds(median(times.upsert)).toFixed(2)} s`, `${Math.round(ROWS / seconds(median(times.upsert))).toLocaleString("en-US")}`, `${ratio("upsert").toFixed(2)}×`, ""],
      ["minimal script, pass-through", `${seconds(median(times.minimalPass)).toFixed(2)} s`, `${Math.round(ROWS / seconds(median(times.minimalPass))).toLocaleString("en-US")}`, `${ratio("minimalPass").toFixed(2)}×`, ""],
      ["minimal script, transforms", `${seconds(median(times.minimalTransforms)).toFixed(2)} s`, `${Math.round(ROWS / seconds(median(times.minimalTransforms))).toLocaleString("en-US")}`, `${ratio("minimalTransforms").toFixed(2)}×`, ""],
    ];
    const widths = table[0].map((_, i) => Math.max(...table.map((r) => [...r[i]].length)));
    log("");
    for (const [i, row] of table.entries()) {
      log(row.map((cell, j) => cell.padEnd(widths[j])).join("  "));
      if (i === 0) log(widths.map((w) => "─".repeat(w)).join("  "));
    }
    log(`\npeak RSS (transforms): ${mb(rss.transforms).toFixed(0)} MB at ${ROWS.toLocaleString("en-US")} rows${largeRssKb !== undefined ? `, ${mb(largeRssKb).toFixed(0)} MB at ${LARGE.toLocaleString("en-US")}` : ""}`);
    log(`garbage collector: ${(gc * 100).toFixed(1)}% of CPU (transforms pipeline, --cpu-prof)`);
    log("");
    for (const c of checks) log(`${c.ok ? "✔" : "✘"} ${c.what}: ${c.detail}`);
    fs.mkdirSync(path.join(ROOT, ".bench"), { recursive: true });
    fs.writeFileSync(path.join(ROOT, ".bench/throughput.json"), JSON.stringify({
      at: new Date().toISOString(), rows: ROWS, large: LARGE, rounds: ROUNDS, times, ratios: { pass: ratio("pass"), transforms: ratio("transforms"), upsert: ratio("upsert"), minimalPass: ratio("minimalPass"), minimalTransforms: ratio("minimalTransforms") },
      rssMb: { rows: mb(rss.transforms), large: largeRssKb === undefined ? null : mb(largeRssKb) }, gcShare: gc, checks,
    }, null, 2));
  } finally {
    await pgDb.end().catch(() => {});
    await maria.end().catch(() => {});
    await pgAdmin.end().catch(() => {});
    await mariaAdmin.end().catch(() => {});
    const dropper = new pg.Client({ connectionString: PG_ADMIN });
    dropper.on("error", lost);
    await dropper.connect().then(() => dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch((e) => console.error(`throughput.bench: could not drop PostgreSQL database ${name}: ${e.message}`));
    await dropper.end().catch(() => {});
    const mariaDropper = await mysql.createConnection({ uri: MARIA_ADMIN }).catch(() => undefined);
    await mariaDropper?.query(`DROP DATABASE IF EXISTS \`${name}\``).catch((e) => console.error(`throughput.bench: could not drop MariaDB database ${name}: ${e.message}`));
    await mariaDropper?.end().catch(() => {});
    fs.rmSync(workspace, { recursive: true, force: true });
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  console.error(`throughput.bench: ${error?.message ?? error}`);
  process.exit(1);
});
