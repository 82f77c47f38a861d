#!/usr/bin/env node
// Benchmark of the foundation's acceptance figures on the real servers of this machine:
//   a 1,000,000-row MariaDB table (ints, varchar with non-ASCII, text with tabs/newlines/backslashes
//   and NULLs, DECIMAL(10,2), DATETIME) → PostgreSQL, measured against
//   `mysql --quick --batch … | psql -c "\copy … FROM STDIN"` in the same session.
// Figures: wall time and peak RSS of `databridge run` (insert, upsert, upsert re-run) on 1M rows and
// on 100k rows, checksum equality source vs target, rows written by the re-run.
// Targets: RSS(1M) < 300 MB and within 20% of RSS(100k); wall(insert 1M) ≤ 2 × baseline.
//
// Env: BENCH_ROWS (1000000), BENCH_SMALL_ROWS (100000), BENCH_REPEAT (2: best of n for timings),
//      BENCH_CPU_PROF=1 (write V8 CPU profiles of the CLI to .bench/prof), DATABRIDGE_TEST_POSTGRES_URL,
//      DATABRIDGE_TEST_MARIADB_URL.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import pg from "pg";
import mysql from "mysql2/promise";
import { hashTable, mysql as mysqlConnectors, postgres as postgresConnectors } from "@databridge/core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "server/bin/databridge.mjs");
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const SMALL = Number(process.env.BENCH_SMALL_ROWS ?? 100_000);
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 2));
const CPU_PROF = process.env.BENCH_CPU_PROF === "1";
const PG_ADMIN = process.env.DATABRIDGE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const MARIA_ADMIN = process.env.DATABRIDGE_TEST_MARIADB_URL ?? "mysql://root@127.0.0.1:3306/";
const TIME_BIN = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const COLUMNS = ["id", "qty", "code", "name", "notes", "price", "created"];
const PG_DDL = (table) => `CREATE TABLE ${table} (id integer PRIMARY KEY, qty integer NOT NULL, code varchar(40) NOT NULL, name varchar(100), notes text, price numeric(10,2) NOT NULL, created timestamp NOT NULL)`;

const log = (...args) => console.log(...args);
const mb = (kb) => kb / 1024;
const seconds = (ms) => ms / 1000;
const name = `dbb_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;

const pgUrl = new URL(PG_ADMIN);
pgUrl.pathname = `/${name}`;
const mariaUrl = new URL(MARIA_ADMIN);
mariaUrl.pathname = `/${name}`;

/** Runs a command; returns wall ms, peak RSS (kB, from `time -v` or /proc VmHWM), exit code and output. */
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
    // Without GNU time, sample the high-water mark of the process itself.
    const poll = TIME_BIN ? undefined : setInterval(() => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
        hwm = Math.max(hwm, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
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

function lastJsonLine(stdout) {
  const lines = stdout.trim().split("\n").filter(Boolean);
  return JSON.parse(lines[lines.length - 1]);
}

async function main() {
  log(`rows: ${ROWS.toLocaleString("en-US")} (small: ${SMALL.toLocaleString("en-US")}), best of ${REPEAT}, ${os.cpus().length} CPUs, Node ${process.version}, peak RSS via ${TIME_BIN ? "/usr/bin/time -v" : "/proc VmHWM sampling"}`);
  // A connection the server drops (restart, terminated backend) must fail the bench, not crash it before cleanup.
  const lost = (error) => console.error(`migrate.bench: lost a connection: ${error.message}`);
  const pgAdmin = new pg.Client({ connectionString: PG_ADMIN });
  pgAdmin.on("error", lost);
  await pgAdmin.connect();
  const mariaAdmin = await mysql.createConnection({ uri: MARIA_ADMIN });
  mariaAdmin.on("error", lost);
  await pgAdmin.query(`CREATE DATABASE "${name}"`);
  await mariaAdmin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const pgDb = new pg.Client({ connectionString: pgUrl.href });
  pgDb.on("error", lost);
  await pgDb.connect();
  const maria = await mysql.createConnection({ uri: mariaUrl.href });
  maria.on("error", lost);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-bench-"));
  const figures = {};
  const checks = [];
  let source;
  let target;
  try {
    // ── Source: 1M rows generated inside MariaDB (seq_1_to_N of the Sequence engine).
    let t = Date.now();
    await maria.query(`CREATE TABLE big (id INT NOT NULL PRIMARY KEY, qty INT NOT NULL, code VARCHAR(40) NOT NULL, name VARCHAR(100) NULL, notes TEXT NULL, price DECIMAL(10,2) NOT NULL, created DATETIME NOT NULL)`);
    await maria.query(`INSERT INTO big
      SELECT seq, seq % 1000, CONCAT('P-', LPAD(seq, 8, '0')),
             CASE WHEN seq % 11 = 0 THEN NULL ELSE CONCAT(ELT(1 + seq % 6, 'Müller', 'Señor', 'Øre', '東京', 'Zoë 🚀', 'plain'), ' ', seq) END,
             CASE WHEN seq % 7 = 0 THEN NULL WHEN seq % 7 = 1 THEN '' ELSE CONCAT('line1\\tcol\\nline2 \\\\ back ', seq) END,
             (seq % 1000000) / 100,
             TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq * 37 SECOND
        FROM seq_1_to_${ROWS}`);
    await maria.query(`CREATE TABLE small LIKE big`);
    await maria.query(`INSERT INTO small SELECT * FROM big WHERE id <= ${SMALL}`);
    await maria.query(`ANALYZE TABLE big, small`);
    log(`source generated in ${seconds(Date.now() - t).toFixed(1)} s`);
    for (const table of ["base", "big_insert", "big_upsert", "small_insert"]) await pgDb.query(PG_DDL(table));

    // ── Workspace and pipelines.
    fs.mkdirSync(path.join(workspace, "pipelines"));
    fs.writeFileSync(path.join(workspace, "databridge.config.ts"), `import { defineConfig } from "@databridge/core";
export default defineConfig({ connections: { legacy: { url: ${JSON.stringify(mariaUrl.href)} }, warehouse: { url: ${JSON.stringify(pgUrl.href)} } } });
`);
    const pipelineFile = (pipelineName, sourceTable, targetTable, mode) => {
      const file = path.join(workspace, "pipelines", `${pipelineName}.etl.ts`);
      fs.writeFileSync(file, `import { pipeline } from "@databridge/core";
export default pipeline({
  name: ${JSON.stringify(pipelineName)},
  source: { connection: "legacy", table: ${JSON.stringify(sourceTable)}, key: "id" },
  target: { connection: "warehouse", table: ${JSON.stringify(`public.${targetTable}`)}, mode: ${JSON.stringify(mode)}, key: ["id"] },
  columns: { ${COLUMNS.map((c) => `${c}: ${JSON.stringify(c)}`).join(", ")} },
});
`);
      return file;
    };
    const insertFile = pipelineFile("big-insert", "big", "big_insert", "insert");
    const upsertFile = pipelineFile("big-upsert", "big", "big_upsert", "upsert");
    const smallFile = pipelineFile("small-insert", "small", "small_insert", "insert");

    const databridge = async (label, file, before) => {
      let best;
      for (let i = 0; i < (before ? REPEAT : 1); i++) {
        if (before) await before();
        const profile = CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${path.join(ROOT, ".bench/prof")}`, `--cpu-prof-name=${label.replace(/\W+/g, "-")}-${Date.now()}.cpuprofile`] : [];
        const run = await measure(process.execPath, [...profile, CLI, "run", file, "--json"], { cwd: workspace });
        if (run.code !== 0) throw new Error(`${label}: databridge run exited ${run.code}: ${run.stderr.split("\n").filter((l) => !/^\s/.test(l)).slice(-5).join(" | ")}`);
        run.finished = lastJsonLine(run.stdout);
        log(`  ${label}: ${seconds(run.wallMs).toFixed(2)} s wall, ${mb(run.rssKb).toFixed(0)} MB peak RSS, written ${run.finished.rows.written}`);
        if (!best || run.wallMs < best.wallMs) best = { ...run, rssKb: Math.max(run.rssKb, best?.rssKb ?? 0) };
        else best.rssKb = Math.max(best.rssKb, run.rssKb);
      }
      return best;
    };

    // ── (a) Baseline: mysql --batch escapes \t \n \\ exactly as COPY's text format reads them; NULL prints as NULL.
    const baselineCommand = [
      `mysql --default-character-set=utf8mb4 -h ${mariaUrl.hostname} -P ${mariaUrl.port || 3306} -u ${decodeURIComponent(mariaUrl.username || "root")}`,
      mariaUrl.password ? `--password=${decodeURIComponent(mariaUrl.password)}` : "",
      `--quick --batch --skip-column-names ${name} -e "SELECT ${COLUMNS.join(", ")} FROM big"`,
      `| psql -X -q -v ON_ERROR_STOP=1 "${pgUrl.href}" -c "\\copy base (${COLUMNS.join(", ")}) FROM STDIN WITH (NULL 'NULL')"`,
    ].join(" ");
    let baseline;
    for (let i = 0; i < REPEAT; i++) {
      await pgDb.query("TRUNCATE base");
      const run = await measure("bash", ["-o", "pipefail", "-c", baselineCommand]);
      if (run.code !== 0) throw new Error(`baseline failed (${run.code}): ${run.stderr.slice(-500)}`);
      log(`  baseline mysql | psql \\copy: ${seconds(run.wallMs).toFixed(2)} s wall`);
      if (!baseline || run.wallMs < baseline.wallMs) baseline = run;
    }
    const baseCount = Number((await pgDb.query("SELECT count(*) AS n FROM base")).rows[0].n);
    figures.baselineMs = baseline.wallMs;

    // ── (b) databridge insert and upsert on 1M rows; (e) upsert re-run.
    const big = ROWS.toLocaleString("en-US");
    const insert = await databridge(`insert ${big}`, insertFile, () => pgDb.query("TRUNCATE big_insert"));
    const upsert = await databridge(`upsert ${big}`, upsertFile, () => pgDb.query("TRUNCATE big_upsert"));
    const rerun = await databridge(`upsert ${big} re-run`, upsertFile);
    // ── (c) 100k rows for the RSS ratio.
    const small = await databridge(`insert ${SMALL.toLocaleString("en-US")}`, smallFile, () => pgDb.query("TRUNCATE small_insert"));

    // ── (d) Checksums.
    t = Date.now();
    source = await mysqlConnectors.mysqlConnectorFactory.create({ name: "legacy", url: mariaUrl, baseDir: workspace });
    target = await postgresConnectors.postgresConnectorFactory.create({ name: "warehouse", url: pgUrl, baseDir: workspace });
    const hashOptions = { columns: COLUMNS, batchSize: 20_000 };
    const sourceHash = await hashTable(source, { table: "big", ...hashOptions });
    const [insertHash, upsertHash, baseHash] = await Promise.all([
      hashTable(target, { table: "public.big_insert", ...hashOptions }),
      hashTable(target, { table: "public.big_upsert", ...hashOptions }),
      hashTable(target, { table: "public.base", ...hashOptions }),
    ]);
    log(`checksums computed in ${seconds(Date.now() - t).toFixed(1)} s`);

    Object.assign(figures, {
      insertMs: insert.wallMs, insertRssMb: mb(insert.rssKb), upsertMs: upsert.wallMs, upsertRssMb: mb(upsert.rssKb),
      rerunMs: rerun.wallMs, rerunWritten: rerun.finished.rows.written, smallMs: small.wallMs, smallRssMb: mb(small.rssKb),
      sourceHash: sourceHash.hash, insertHash: insertHash.hash, upsertHash: upsertHash.hash,
    });

    const maxRss = Math.max(insert.rssKb, upsert.rssKb, rerun.rssKb);
    const check = (what, ok, detail) => checks.push({ what, ok, detail });
    check("baseline loaded every row", baseCount === ROWS, `${baseCount.toLocaleString("en-US")} rows; checksum ${baseHash.hash === sourceHash.hash ? "equals" : "DIFFERS FROM"} the source's`);
    check("insert: rows written", insert.finished.rows.written === ROWS, `${insert.finished.rows.written}`);
    check("insert: target checksum = source checksum", insertHash.hash === sourceHash.hash && insertHash.rows === ROWS, `${insertHash.hash.slice(0, 16)}… (${insertHash.rows} rows)`);
    check("upsert: rows written", upsert.finished.rows.written === ROWS, `${upsert.finished.rows.written}`);
    check("upsert: target checksum = source checksum", upsertHash.hash === sourceHash.hash && upsertHash.rows === ROWS, `${upsertHash.hash.slice(0, 16)}… (${upsertHash.rows} rows)`);
    check("upsert re-run writes 0 rows", rerun.finished.rows.written === 0, `${rerun.finished.rows.written} written, ${rerun.finished.rows.read} read`);
    check(`peak RSS on ${big} rows < 300 MB`, mb(maxRss) < 300, `${mb(maxRss).toFixed(0)} MB (insert ${mb(insert.rssKb).toFixed(0)}, upsert ${mb(upsert.rssKb).toFixed(0)}, re-run ${mb(rerun.rssKb).toFixed(0)})`);
    check(`peak RSS on ${big} rows within 20% of ${SMALL.toLocaleString("en-US")} rows`, maxRss <= small.rssKb * 1.2, `${mb(maxRss).toFixed(0)} MB vs ${mb(small.rssKb).toFixed(0)} MB (×${(maxRss / small.rssKb).toFixed(2)})`);
    check("insert wall ≤ 2× baseline", insert.wallMs <= 2 * baseline.wallMs, `${seconds(insert.wallMs).toFixed(2)} s vs ${seconds(baseline.wallMs).toFixed(2)} s (×${(insert.wallMs / baseline.wallMs).toFixed(2)})`);

    const rate = (ms) => `${Math.round(ROWS / seconds(ms)).toLocaleString("en-US")} rows/s`;
    const table = [
      ["measure", "wall", "rows/s", "peak RSS", "vs baseline"],
      [`baseline mysql|psql \\copy (${ROWS.toLocaleString("en-US")})`, `${seconds(baseline.wallMs).toFixed(2)} s`, rate(baseline.wallMs), "", "1.00×"],
      [`databridge insert (${ROWS.toLocaleString("en-US")})`, `${seconds(insert.wallMs).toFixed(2)} s`, rate(insert.wallMs), `${mb(insert.rssKb).toFixed(0)} MB`, `${(insert.wallMs / baseline.wallMs).toFixed(2)}×`],
      [`databridge upsert (${ROWS.toLocaleString("en-US")})`, `${seconds(upsert.wallMs).toFixed(2)} s`, rate(upsert.wallMs), `${mb(upsert.rssKb).toFixed(0)} MB`, `${(upsert.wallMs / baseline.wallMs).toFixed(2)}×`],
      [`databridge upsert re-run (${ROWS.toLocaleString("en-US")})`, `${seconds(rerun.wallMs).toFixed(2)} s`, rate(rerun.wallMs), `${mb(rerun.rssKb).toFixed(0)} MB`, `${(rerun.wallMs / baseline.wallMs).toFixed(2)}×`],
      [`databridge insert (${SMALL.toLocaleString("en-US")})`, `${seconds(small.wallMs).toFixed(2)} s`, `${Math.round(SMALL / seconds(small.wallMs)).toLocaleString("en-US")} rows/s`, `${mb(small.rssKb).toFixed(0)} MB`, ""],
    ];
    const widths = table[0].map((_, i) => Math.max(...table.map((r) => [...r[i]].length)));
    log("");
    for (const [i, row] of table.entries()) {
      log(row.map((cell, j) => cell.padEnd(widths[j])).join("  "));
      if (i === 0) log(widths.map((w) => "─".repeat(w)).join("  "));
    }
    log("");
    for (const c of checks) log(`${c.ok ? "✔" : "✘"} ${c.what}: ${c.detail}`);
    fs.mkdirSync(path.join(ROOT, ".bench"), { recursive: true });
    fs.writeFileSync(path.join(ROOT, ".bench/migrate.json"), JSON.stringify({ at: new Date().toISOString(), rows: ROWS, small: SMALL, figures, checks }, null, 2));
  } finally {
    await source?.close().catch(() => {});
    await target?.close().catch(() => {});
    await pgDb.end().catch(() => {});
    await maria.end().catch(() => {});
    await pgAdmin.end().catch(() => {});
    await mariaAdmin.end().catch(() => {});
    // Fresh admin connections for the cleanup: the first ones may be the ones that were lost.
    const dropper = new pg.Client({ connectionString: PG_ADMIN });
    dropper.on("error", lost);
    await dropper.connect().then(() => dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch((e) => console.error(`migrate.bench: could not drop PostgreSQL database ${name}: ${e.message}`));
    await dropper.end().catch(() => {});
    const mariaDropper = await mysql.createConnection({ uri: MARIA_ADMIN }).catch(() => undefined);
    await mariaDropper?.query(`DROP DATABASE IF EXISTS \`${name}\``).catch((e) => console.error(`migrate.bench: could not drop MariaDB database ${name}: ${e.message}`));
    await mariaDropper?.end().catch(() => {});
    fs.rmSync(workspace, { recursive: true, force: true });
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  console.error(`migrate.bench: ${error?.message ?? error}`);
  process.exit(1);
});
