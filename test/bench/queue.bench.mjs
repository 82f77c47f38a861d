#!/usr/bin/env node
// Scale-out figures for the README's "Scale-out with workers": one MariaDB table → PostgreSQL with
// `parallelism: 4`, loaded (1) by a local `databridge run`, (2) by `run --queue` with one worker,
// (3) with two workers (each `--concurrency 1`), every time into an emptied table and ledger.
// Prints rows/s (source rows ÷ wall time of the submitting `run`) and checks the copy's count.
//
// Env: BENCH_QUEUE_ROWS (400000), BENCH_QUEUE_REDIS (redis://127.0.0.1:6379/6 — flushed before each run),
//      DATABRIDGE_TEST_POSTGRES_URL, DATABRIDGE_TEST_MARIADB_URL.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import pg from "pg";
import mysql from "mysql2/promise";
import { Redis } from "ioredis";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "server/bin/databridge.mjs");
const ROWS = Number(process.env.BENCH_QUEUE_ROWS ?? 400_000);
const QUEUE = process.env.BENCH_QUEUE_REDIS ?? "redis://127.0.0.1:6379/6";
const PG_ADMIN = process.env.DATABRIDGE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const MARIA_ADMIN = process.env.DATABRIDGE_TEST_MARIADB_URL ?? "mysql://root@127.0.0.1:3306/";
const name = `bq_bench_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
const pgUrl = new URL(PG_ADMIN);
pgUrl.pathname = `/${name}`;
const mariaUrl = new URL(MARIA_ADMIN);
mariaUrl.pathname = `/${name}`;

const cli = (args, cwd) => spawn(process.execPath, [CLI, ...args], { cwd, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
const exited = (child) => new Promise((resolve) => child.on("exit", (code) => resolve(code)));
const ready = (child) => new Promise((resolve, reject) => {
  let seen = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    seen += chunk;
    if (seen.includes("DataBridge worker for")) resolve();
  });
  child.on("exit", (code) => reject(new Error(`worker exited (${code}) before it was ready: ${seen}`)));
});

const admin = new pg.Client({ connectionString: PG_ADMIN });
await admin.connect();
await admin.query(`CREATE DATABASE "${name}"`);
const maria = await mysql.createConnection(MARIA_ADMIN);
await maria.query(`CREATE DATABASE \`${name}\``);
const target = new pg.Client({ connectionString: pgUrl.href });
await target.connect();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-queue-bench-"));
const workerDirs = [];
try {
  await maria.query(`USE \`${name}\``);
  await maria.query("CREATE TABLE orders (id INT NOT NULL PRIMARY KEY, customer VARCHAR(60) NOT NULL, note TEXT NULL, total DECIMAL(10,2) NOT NULL, placed DATETIME NOT NULL)");
  await maria.query(`INSERT INTO orders SELECT seq, CONCAT('customer ', seq), IF(seq % 10 = 0, NULL, CONCAT('note ', seq)), (seq % 100000) / 100, TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_1_to_${ROWS}`);
  fs.mkdirSync(path.join(dir, "pipelines"));
  fs.writeFileSync(path.join(dir, "databridge.config.ts"), `import { defineConfig } from "@databridge/core";\nexport default defineConfig({ connections: { legacy: { url: ${JSON.stringify(mariaUrl.href)} }, warehouse: { url: ${JSON.stringify(pgUrl.href)} } } });\n`);
  fs.writeFileSync(path.join(dir, "pipelines", "orders.etl.ts"), `import { pipeline } from "@databridge/core";
export default pipeline({
  name: "orders", source: { connection: "legacy", table: "orders" }, target: { connection: "warehouse", table: "public.orders", mode: "insert" },
  columns: { id: "id", customer: "customer", note: "note", total: "total", placed: "placed" }, parallelism: 4,
});\n`);
  const results = [];
  for (const workers of [0, 1, 2]) {
    await target.query("DROP SCHEMA IF EXISTS databridge CASCADE; DROP TABLE IF EXISTS orders; CREATE TABLE orders (id integer PRIMARY KEY, customer varchar(60) NOT NULL, note text, total numeric(10,2) NOT NULL, placed timestamp NOT NULL)");
    const redis = new Redis(QUEUE);
    await redis.flushdb();
    redis.disconnect();
    const children = [];
    for (let i = 0; i < workers; i++) {
      const workerDir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-queue-bench-worker-"));
      workerDirs.push(workerDir);
      fs.cpSync(dir, workerDir, { recursive: true });
      const child = cli(["worker", "--queue", QUEUE], workerDir);
      children.push(child);
    }
    await Promise.all(children.map(ready));
    const started = Date.now();
    const run = cli(workers ? ["run", "orders", "--queue", QUEUE] : ["run", "orders"], dir);
    let stderr = "";
    run.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const code = await exited(run);
    const seconds = (Date.now() - started) / 1000;
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map(exited));
    const { rows: [copy] } = await target.query("SELECT count(*)::int AS n FROM orders");
    if (code !== 0 || copy.n !== ROWS) throw new Error(`${workers} worker(s): exit ${code}, ${copy.n} rows: ${stderr}`);
    const label = workers ? `run --queue, ${workers} worker${workers > 1 ? "s" : ""}` : "local run (no queue)";
    results.push({ label, seconds, rate: Math.round(ROWS / seconds) });
    console.log(`${label.padEnd(24)} ${ROWS.toLocaleString("en-US")} rows in ${seconds.toFixed(1)} s = ${Math.round(ROWS / seconds).toLocaleString("en-US")} rows/s`);
  }
  console.log(`cores: ${os.availableParallelism()} (the workers, the submitter, MariaDB and PostgreSQL share them)`);
} finally {
  await target.end();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
  await maria.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await maria.end();
  fs.rmSync(dir, { recursive: true, force: true });
  for (const workerDir of workerDirs) fs.rmSync(workerDir, { recursive: true, force: true });
}
