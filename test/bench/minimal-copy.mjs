#!/usr/bin/env node
// The throughput bench's second yardstick (issue #12 names it): the least a Node program must do to copy the
// bench's table with the same transforms — mysql2 streams the rows, plain JavaScript computes full_name, status
// and line_total (exact: the product in BigInt, written without trailing zeros), and one COPY in one
// transaction takes them through pg-copy-streams. No ledger, no checkpoints, no resume, no parity count, no
// rejects: what DataBridge does beyond this is what its extra time buys.
//
// Usage: node minimal-copy.mjs <mysql-url> <postgres-url> <source-table> <target-table> pass|transforms
import mysql from "mysql2";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

const [mysqlUrl, postgresUrl, sourceTable, targetTable, mode] = process.argv.slice(2);
const COLUMNS = ["id", "customer_id", "first_name", "last_name", "email", "status_code", "quantity", "unit_price", "created", "note", "country"];
const STATUSES = { N: "new", P: "paid", S: "shipped", D: "delivered", C: "cancelled" };
const transforms = mode === "transforms";

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };
/** COPY text: NULL as \N, the four special characters escaped. */
const text = (value) => (value === null ? "\\N" : SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]) : value);

/** An integer's text times a decimal's text, exactly, without trailing zeros (as DataBridge writes it). */
function product(integer, decimal) {
  const [whole, fraction = ""] = decimal.split(".");
  const scaled = BigInt(integer) * BigInt(whole + fraction);
  let digits = (scaled < 0n ? -scaled : scaled).toString();
  if (fraction.length) {
    digits = digits.padStart(fraction.length + 1, "0");
    digits = `${digits.slice(0, -fraction.length)}.${digits.slice(-fraction.length)}`.replace(/0+$/, "").replace(/\.$/, "");
  }
  return scaled < 0n ? `-${digits}` : digits;
}

const client = new pg.Client({ connectionString: postgresUrl });
await client.connect();
const columns = transforms ? [...COLUMNS, "full_name", "status", "line_total"] : COLUMNS;
const copy = client.query(copyFrom(`COPY ${targetTable} (${columns.join(", ")}) FROM STDIN`));
const connection = mysql.createConnection({ uri: mysqlUrl, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
const query = connection.query({ sql: `SELECT ${COLUMNS.join(", ")} FROM ${sourceTable}`, rowsAsArray: true });

let chunk = "";
let rows = 0;
await new Promise((resolve, reject) => {
  query.on("result", (r) => {
    chunk += `${r[0]}\t${r[1]}\t${text(r[2])}\t${text(r[3])}\t${text(r[4])}\t${text(r[5])}\t${r[6]}\t${r[7]}\t${r[8]}\t${text(r[9])}\t${text(r[10])}`;
    if (transforms) {
      const fullName = r[2] === null ? r[3] : r[3] === null ? r[2] : `${r[2]} ${r[3]}`;
      chunk += `\t${text(fullName)}\t${STATUSES[r[5]] ?? "unknown"}\t${product(String(r[6]), r[7])}`;
    }
    chunk += "\n";
    if (++rows % 2000 === 0) {
      if (!copy.write(chunk)) {
        connection.pause();
        copy.once("drain", () => connection.resume());
      }
      chunk = "";
    }
  });
  query.on("end", () => copy.end(chunk));
  query.on("error", reject);
  copy.on("finish", resolve);
  copy.on("error", reject);
});
connection.end();
await client.end();
