#!/usr/bin/env node
// Checks the bundles in dist/ before they are packaged:
//  - dist/extension.js loads (with `vscode` standing in as an inert module) and exports activate/deactivate;
//  - the runner CLI bundle starts and prints its help;
//  - the language server bundle answers `initialize` over stdio (real JSON-RPC);
//  - core's shared copy imports, and the files PGlite and jiti load at run time are there.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import Module, { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "dist");
const problems = [];
const check = (ok, message) => {
  if (!ok) problems.push(message);
};

// 1. The extension entry.
{
  const inert = new Proxy(function inert() {}, {
    get: (_target, key) => (key === "then" || typeof key === "symbol" ? undefined : inert),
    apply: () => inert,
    construct: () => inert,
  });
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === "vscode" ? "vscode" : resolve.call(this, request, ...rest);
  };
  createRequire(import.meta.url).cache.vscode = { id: "vscode", filename: "vscode", loaded: true, exports: inert };
  const extension = createRequire(import.meta.url)(path.join(dist, "extension.js"));
  Module._resolveFilename = resolve;
  check(typeof extension.activate === "function", "dist/extension.js does not export activate()");
  check(typeof extension.deactivate === "function", "dist/extension.js does not export deactivate()");
}

// 2. The runner CLI.
{
  const result = spawnSync(process.execPath, [path.join(dist, "runner", "bin", "databridge.mjs"), "--help"], { encoding: "utf8", timeout: 30_000 });
  check(result.status === 0 && /\bserve\b/.test(result.stdout), `dist/runner/bin/databridge.mjs --help failed or lists no serve command: ${result.stderr.trim().split("\n")[0] ?? ""}`);
  check(fs.existsSync(path.join(dist, "drizzle", "meta", "_journal.json")), "dist/drizzle/meta/_journal.json (the runner's state migrations) is missing");
}

// 2b. The runner itself: `serve` in a throwaway workspace writes runner.json and answers /api/v1/health.
{
  const os = await import("node:os");
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "dbx-check-"));
  fs.writeFileSync(path.join(root, "databridge.config.ts"), `export default { connections: { local: { url: "pglite:memory:" } } };\n`);
  const child = spawn(process.execPath, [path.join(dist, "runner", "bin", "databridge.mjs"), "serve"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const started = Date.now();
  let healthy = false;
  while (!healthy && Date.now() - started < 60_000 && child.exitCode === null) {
    try {
      const info = JSON.parse(fs.readFileSync(path.join(root, ".databridge", "runner.json"), "utf8"));
      if (info.url) {
        const response = await fetch(`${info.url}/api/v1/health`, { headers: { authorization: `Bearer ${info.token}` } });
        healthy = response.ok;
      }
    } catch {
      // not there yet
    }
    if (!healthy) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill("SIGTERM");
  await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
  fs.rmSync(root, { recursive: true, force: true });
  check(healthy, `dist/runner/bin/databridge.mjs serve did not answer /api/v1/health within 60 s: ${output.trim().split("\n").slice(-3).join(" | ")}`);
  if (healthy) console.log(`check-bundle: serve answered in ${Date.now() - started} ms`);
}

// 3. The language server: initialize over stdio.
{
  const answer = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(dist, "language-server.mjs"), "--stdio"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => {
      child.kill();
      resolve({ error: "no answer to initialize within 20 s" });
    }, 20_000);
    child.stdout.on("data", (chunk) => {
      out += chunk.toString("utf8");
      const body = out.split("\r\n\r\n")[1];
      if (body && out.includes('"id":1')) {
        clearTimeout(timer);
        child.kill();
        try {
          resolve(JSON.parse(body.slice(0, Number(/Content-Length: (\d+)/.exec(out)[1]))));
        } catch (error) {
          resolve({ error: String(error) });
        }
      }
    });
    child.on("error", (error) => resolve({ error: error.message }));
    const request = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { processId: process.pid, rootUri: null, capabilities: {} } });
    child.stdin.write(`Content-Length: ${Buffer.byteLength(request)}\r\n\r\n${request}`);
  });
  check(answer.result?.capabilities?.completionProvider, `dist/language-server.mjs did not answer initialize with completions: ${answer.error ?? JSON.stringify(answer).slice(0, 200)}`);
}

// 4. Core and the packages loaded from disk at run time.
{
  const core = await import(pathToFileURL(path.join(dist, "node_modules", "@databridge", "core", "index.js")).href);
  check(typeof core.pipeline === "function" && typeof core.defineConfig === "function", "the bundled @databridge/core does not export pipeline/defineConfig");
  // Every subpath export of the core copy resolves (the runner bundle imports @databridge/core/runner-protocol…).
  const coreRequire = createRequire(path.join(dist, "runner", "bin", "databridge.mjs"));
  const coreManifest = JSON.parse(fs.readFileSync(path.join(dist, "node_modules", "@databridge", "core", "package.json"), "utf8"));
  for (const subpath of Object.keys(coreManifest.exports).filter((key) => key !== "." && !key.endsWith(".json"))) {
    const specifier = `@databridge/core${subpath.slice(1)}`;
    try {
      const module = await import(pathToFileURL(coreRequire.resolve(specifier)).href);
      check(Object.keys(module).length > 0, `the bundled ${specifier} exports nothing`);
    } catch (error) {
      check(false, `the bundled ${specifier} does not load: ${error.message}`);
    }
  }
  const protocol = await import(pathToFileURL(coreRequire.resolve("@databridge/core/runner-protocol")).href);
  check(typeof protocol.RunnerClient === "function" && typeof protocol.SseParser === "function", "the bundled @databridge/core/runner-protocol does not export RunnerClient/SseParser");
  // Drivers are imported lazily, so a driver the bundle broke (lost named exports) shows only when a connector is
  // created: create each server connector (its pool connects lazily; nothing listens on port 1) and close it.
  for (const [name, factory] of [["postgres", core.postgres.postgresConnectorFactory], ["mysql", core.mysql.mysqlConnectorFactory]]) {
    try {
      const connector = await factory.create({ name, url: new URL(`${name}://user@127.0.0.1:1/db`), baseDir: dist });
      await connector.close();
    } catch (error) {
      check(false, `the bundled ${name} connector cannot load its driver: ${error.message}`);
    }
  }
  // The SQLite source opens a file read-only through WebAssembly loaded from disk: an empty file is an empty database.
  {
    const empty = path.join(fs.mkdtempSync(path.join((await import("node:os")).tmpdir(), "dbx-sqlite-")), "empty.db");
    fs.writeFileSync(empty, "");
    try {
      const connector = await core.builtinConnectors.find((factory) => factory.type === "sqlite").create({ name: "sqlite", url: new URL(`sqlite:${empty}`), baseDir: dist });
      check(/^SQLite 3\./.test(await connector.serverVersion()), "the bundled sqlite connector does not answer");
      await connector.close();
    } catch (error) {
      check(false, `the bundled sqlite connector cannot load its driver: ${error.message}`);
    } finally {
      fs.rmSync(path.dirname(empty), { recursive: true, force: true });
    }
  }
  for (const file of ["node_modules/node-sqlite3-wasm/dist/node-sqlite3-wasm.wasm", "node_modules/@electric-sql/pglite/dist/pglite.wasm", "node_modules/@electric-sql/pglite/dist/pglite.data", "node_modules/jiti/dist/jiti.cjs", "node_modules/typescript/lib/typescript.js"]) {
    check(fs.existsSync(path.join(dist, file)), `dist/${file} is missing`);
  }
  check(fs.existsSync(path.join(dist, "webview", "bridge.js")), "dist/webview/bridge.js is missing");
  check(fs.existsSync(path.join(dist, "dashboard", "dashboard.js")), "dist/dashboard/dashboard.js is missing (build the server's dashboard first: pnpm build)");
}

// 5. The TypeScript server plugin: a factory tsserver can call, and the declarations it points imports at.
{
  const init = createRequire(import.meta.url)(path.join(dist, "typescript-plugin.cjs"));
  check(typeof init === "function", "dist/typescript-plugin.cjs does not export the plugin's init function");
  check(fs.existsSync(path.join(dist, "node_modules", "@databridge", "core", "dist", "index.d.ts")), "dist/node_modules/@databridge/core/dist/index.d.ts is missing: the TypeScript plugin would have no types to give");
}

if (problems.length) {
  for (const p of problems) console.error(`check-bundle: ${p}`);
  process.exit(1);
}
console.log("check-bundle: extension, runner, language server, core and run-time files are in place");
