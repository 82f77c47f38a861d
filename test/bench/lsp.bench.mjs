#!/usr/bin/env node
// Language-server latency on a synthetic catalog of 2,000 tables × 30 columns per connection.
//   in-process: the pure handlers (completion, hover, diagnostics) after an edit (a new document version
//               each time, so every call re-parses the file);
//   over stdio: the built `databridge-language-server` (schema from `.databridge/schema-cache.json`), the
//               client's round trip for completion and hover right after a didChange, and the time from a
//               didChange to the publishDiagnostics of that version (debounce included).
// Targets (p95): completion < 50 ms, hover < 50 ms, diagnostics of a 300-line pipeline < 100 ms.
// Exit code 1 when a target is missed. Env: BENCH_LSP_ITERATIONS (200).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from "vscode-languageserver-protocol/node";
import { completion, createLanguageContext, diagnostics, hover, SchemaIndex, writeSchemaCache } from "@databridge/language";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { TextDocument } = createRequire(path.join(ROOT, "language", "package.json"))("vscode-languageserver-textdocument");
const SERVER_BIN = path.join(ROOT, "node_modules", ".bin", "databridge-language-server");
const TABLES = 2000;
const COLUMNS = 30;
const N = Number(process.env.BENCH_LSP_ITERATIONS ?? 200);
const TARGETS = { completion: 50, hover: 50, diagnostics: 100 };

// ── a synthetic catalog ──────────────────────────────────────────────────────
const kinds = [
  ["integer", { kind: "integer" }], ["bigint", { kind: "bigint" }], ["varchar(50)", { kind: "string", length: 50 }],
  ["varchar(255)", { kind: "string", length: 255 }], ["numeric(12,2)", { kind: "decimal", precision: 12, scale: 2 }],
  ["timestamp", { kind: "timestamp" }], ["date", { kind: "date" }], ["boolean", { kind: "boolean" }], ["text", { kind: "text" }],
];
function catalog(connection, type, schema, prefix) {
  const tables = [];
  for (let t = 0; t < TABLES; t++) {
    const name = `${prefix}_${String(t).padStart(4, "0")}`;
    const columns = [];
    for (let c = 0; c < COLUMNS; c++) {
      const [nativeType, portable] = c === 0 ? kinds[0] : kinds[(t + c) % kinds.length];
      columns.push({ name: c === 0 ? "id" : `col_${String(c).padStart(2, "0")}_${["code", "name", "amount", "created", "flag"][c % 5]}`, nativeType, type: portable, nullable: c % 3 !== 0, default: c % 7 === 0 ? "0" : null });
    }
    tables.push({
      schema, name, kind: "table", columns, primaryKey: ["id"], indexes: [], estimatedRows: t * 37,
      foreignKeys: t > 0 ? [{ name: `fk_${t}`, columns: [columns[1].name], referencedTable: { schema, name: `${prefix}_0000` }, referencedColumns: ["id"] }] : [],
    });
  }
  return { connection, type, serverVersion: "bench", defaultSchema: schema, tables };
}
const legacy = catalog("legacy", "mysql", "crm", "LEGACY");
const warehouse = catalog("warehouse", "postgres", "public", "dw");

// ── a 300-line pipeline (30 target columns, multi-line lookups, whens and concats; two typos) ──
function pipelineText() {
  const src = legacy.tables[1234].columns.map((c) => c.name);
  const dst = warehouse.tables[777].columns.map((c) => c.name);
  const lines = [
    `import { pipeline, concat, split, lookup, convert, defaultTo, expr, when, trim } from "@databridge/core";`, "",
    "export default pipeline({", `  name: "bench",`,
    `  source: { connection: "legacy", table: "${legacy.tables[1234].name}", key: "id" },`,
    `  target: { connection: "warehouse", table: "public.${warehouse.tables[777].name}", mode: "upsert", key: ["id"] },`,
    "  columns: {",
  ];
  dst.forEach((column, i) => {
    const s = src[i % src.length];
    const s2 = src[(i + 3) % src.length];
    switch (i % 5) {
      case 0: lines.push(`    ${column}: "${i === 10 ? `${s}x` : s}",`); break;
      case 1:
        lines.push(`    ${column}: lookup("${s}", {`);
        for (let k = 0; k < 12; k++) lines.push(`      K${k}: "VALUE_${k}",`);
        lines.push(`    }, "OTHER"),`);
        break;
      case 2:
        lines.push(`    ${column}: when("${s} > 10",`, `      concat(["${s}", "${s2}"], " "),`, `      when("${s2} == 'X'",`, `        trim("${s2}"),`, `        defaultTo(convert("${s}", "string"), "-"),`, `      ),`, `    ),`);
        break;
      case 3: lines.push(`    ${column}: expr("${i === 13 ? "amount_typo" : s} * 2 + round(${s2}, 2)"),`, `    // ${column}: computed`); break;
      default: lines.push(`    ${column}: concat([`, `      "${s}",`, `      split("${s2}", ",", 0),`, `      "${s}",`, `    ], "-"),`);
    }
  });
  lines.push("  },", `  dependsOn: [],`, `  schedule: "@daily",`, "});", "");
  while (lines.length < 300) lines.splice(lines.length - 6, 0, "    // padding comment line to make the file 300 lines long");
  return lines.join("\n");
}
const text = pipelineText();
const lineCount = text.split("\n").length;

const stats = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
};
const fmt = (s) => `p50 ${s.p50.toFixed(2)} ms · p95 ${s.p95.toFixed(2)} ms · max ${s.max.toFixed(2)} ms`;
const results = [];
const report = (label, samples, target) => {
  const s = stats(samples);
  const ok = target === undefined || s.p95 < target;
  results.push({ label, ok });
  console.log(`${ok ? "✔" : "✘"} ${label.padEnd(52)} ${fmt(s)}${target ? `  (target p95 < ${target} ms)` : ""}`);
};

// Cursor positions: inside a column string of a concat, a table string, a target key spot.
const at = (needle, delta = 0) => text.indexOf(needle) + delta;
const cursors = {
  column: at(`concat(["`, 9),
  table: at(`table: "${legacy.tables[1234].name}`, 8),
  key: at("  columns: {", 13),
  expression: at(`expr("`, 7),
};
const hoverAt = at(`lookup("`, 9);

console.log(`catalog: 2 connections × ${TABLES} tables × ${COLUMNS} columns; pipeline file: ${lineCount} lines, ${warehouse.tables[777].columns.length} mapped columns`);

// ── in-process (pure handlers) ───────────────────────────────────────────────
{
  const context = createLanguageContext({
    schema: new SchemaIndex([
      { name: "legacy", type: "mysql", status: "ok", catalog: legacy, fetchedAt: new Date().toISOString() },
      { name: "warehouse", type: "postgres", status: "ok", catalog: warehouse, fetchedAt: new Date().toISOString() },
    ], ["legacy", "warehouse"]),
    transformsComplete: true,
  });
  // One document object updated per edit, as the server's document store does (so parsing is incremental).
  let version = 1;
  const document = TextDocument.create("file:///bench/pipelines/bench.etl.ts", "typescript", version, text);
  const edited = () => TextDocument.update(document, [{ text: text.replace("padding comment", `padding comment ${++version}`) }], version);
  const options = { itemDefaults: ["editRange", "data"] }; // what VS Code's client announces
  const time = (work) => { const t = performance.now(); work(); return performance.now() - t; };
  const warm = edited();
  for (let i = 0; i < 20; i++) {
    for (const offset of Object.values(cursors)) completion(warm, warm.positionAt(offset), context, options);
    diagnostics(edited(), context);
  }

  const items = {};
  for (const [name, offset] of Object.entries(cursors)) {
    const samples = [];
    for (let i = 0; i < N; i++) {
      const document = edited();
      samples.push(time(() => { items[name] = completion(document, document.positionAt(offset), context, options).items.length; }));
    }
    report(`in-process completion (${name}, ${items[name]} items)`, samples, TARGETS.completion);
  }
  const hovers = [];
  for (let i = 0; i < N; i++) {
    const document = edited();
    hovers.push(time(() => hover(document, document.positionAt(hoverAt), context)));
  }
  report("in-process hover (source column)", hovers, TARGETS.hover);
  const diags = [];
  let found = 0;
  for (let i = 0; i < Math.max(50, N / 2); i++) {
    const document = edited();
    diags.push(time(() => { found = diagnostics(document, context).length; }));
  }
  report(`in-process diagnostics (${lineCount} lines, ${found} found)`, diags, TARGETS.diagnostics);
}

// ── over stdio (the built server) ────────────────────────────────────────────
/** `full`: every measurement, against the targets; otherwise table completion only, for information. */
async function overStdio(capabilities, suffix, full) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-lsp-bench-"));
  fs.mkdirSync(path.join(dir, "pipelines"));
  fs.writeFileSync(path.join(dir, "databridge.config.ts"), `export default { connections: { legacy: { url: "mysql://bench@127.0.0.1:1/legacy" }, warehouse: { url: "postgres://bench@127.0.0.1:1/dw" } } };\n`);
  const fetchedAt = new Date().toISOString();
  writeSchemaCache(dir, { version: 1, connections: { legacy: { type: "mysql", fetchedAt, catalog: legacy }, warehouse: { type: "postgres", fetchedAt, catalog: warehouse } } });
  const uri = pathToFileURL(path.join(dir, "pipelines", "bench.etl.ts")).href;
  fs.writeFileSync(fileURLToPath(uri), text);

  const child = spawn(SERVER_BIN, ["--stdio"], { cwd: dir, stdio: "pipe" });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const waiting = new Map();
  connection.onNotification("textDocument/publishDiagnostics", (params) => {
    const resolve = waiting.get(params.version);
    if (resolve) { waiting.delete(params.version); resolve(params); }
  });
  connection.listen();
  const published = (version) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no diagnostics for version ${version}; server stderr: ${stderr}`)), 30_000);
    waiting.set(version, (p) => { clearTimeout(timer); resolve(p); });
  });

  try {
    await connection.sendRequest("initialize", { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities, initializationOptions: { introspect: false } });
    await connection.sendNotification("initialized", {});
    let version = 1;
    const first = published(1);
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version, text } });
    const opened = await first;
    const change = (v) => connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version: v }, contentChanges: [{ text: text.replace("padding comment", `padding comment ${v}`) }],
    });
    const position = (offset) => {
      const before = text.slice(0, offset);
      return { line: before.split("\n").length - 1, character: offset - before.lastIndexOf("\n") - 1 };
    };
    const roundTrip = async (method, params) => { const t = performance.now(); const result = await connection.sendRequest(method, params); return { ms: performance.now() - t, result }; };
    // Warm-up (JIT, incremental parser): edits and requests of every kind, not measured.
    for (let i = 0; i < 20; i++) {
      for (const offset of [cursors.column, cursors.table, hoverAt]) {
        await change(++version);
        await roundTrip(offset === hoverAt ? "textDocument/hover" : "textDocument/completion", { textDocument: { uri }, position: position(offset) });
      }
    }

    for (const name of full ? ["column", "table"] : ["table"]) {
      const samples = [];
      let count = 0;
      for (let i = 0; i < N; i++) {
        await change(++version);
        const { ms, result } = await roundTrip("textDocument/completion", { textDocument: { uri }, position: position(cursors[name]) });
        samples.push(ms);
        count = result.items.length;
      }
      report(`stdio completion after an edit (${name}, ${count} items)${suffix}`, samples, full ? TARGETS.completion : undefined);
    }
    if (!full) return;
    const hovers = [];
    for (let i = 0; i < N; i++) {
      await change(++version);
      hovers.push((await roundTrip("textDocument/hover", { textDocument: { uri }, position: position(hoverAt) })).ms);
    }
    report("stdio hover after an edit", hovers, TARGETS.hover);
    const diags = [];
    let count = 0;
    for (let i = 0; i < Math.max(50, N / 2); i++) {
      const v = ++version;
      const done = published(v);
      const t = performance.now();
      await change(v);
      count = (await done).diagnostics.length;
      diags.push(performance.now() - t);
    }
    report(`stdio edit → publishDiagnostics (${lineCount} lines, ${count} found)`, diags, TARGETS.diagnostics);
    if (opened.diagnostics.length !== count) console.log(`note: ${opened.diagnostics.length} diagnostics on open, ${count} after edits`);
    await connection.sendRequest("shutdown");
    await connection.sendNotification("exit");
  } finally {
    connection.dispose();
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// What VS Code's client announces; then a client without completion-list defaults (each item carries its edit).
await overStdio({ textDocument: { completion: { completionList: { itemDefaults: ["commitCharacters", "editRange", "insertTextFormat", "insertTextMode", "data"] } } } }, "", true);
await overStdio({}, ", client without list defaults", false);

const failed = results.filter((r) => !r.ok);
console.log(failed.length ? `\n${failed.length} latency target(s) missed` : "\nall latency targets met");
process.exit(failed.length ? 1 : 0);
