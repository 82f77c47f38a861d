#!/usr/bin/env node
// Bundles the extension so the installed .vsix needs nothing else:
//   dist/extension.js                         the extension (CommonJS, `vscode` external)
//   dist/typescript-plugin.cjs                the TypeScript server plugin (types of @databridge/core without node_modules)
//   dist/language-server.mjs                  the language server (`--stdio`), from language/src
//   dist/runner/bin/databridge.mjs            the `databridge` CLI (its `serve` is the runner), from server/src
//   dist/drizzle/                             the runner's state-database migrations
//   dist/node_modules/@databridge/core        one shared copy of core, which pipeline files import at run time
//   dist/node_modules/{jiti,@electric-sql/pglite,node-sqlite3-wasm,typescript}  packages that load files next to themselves
//   dist/dashboard/                           the runner's dashboard bundle, hosted by the panel
//
//   node scripts/build.mjs [--watch-free] [--no-minify]
import * as esbuild from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoDir = path.resolve(extensionDir, "..");
const dist = path.join(extensionDir, "dist");
const minify = !process.argv.includes("--no-minify");

/** Packages that resolve files relative to themselves (wasm, lib.d.ts, a lazily required transpiler): copied, not bundled. */
const COPIED_PACKAGES = {
  jiti: { from: "core", keep: (rel) => !rel.endsWith(".d.ts") && !rel.endsWith(".d.mts") && !rel.endsWith(".d.cts") },
  "@electric-sql/pglite": {
    from: "core",
    keep: (rel) => !/\.(map|d\.ts|d\.cts|tar\.gz)$/.test(rel) && !rel.startsWith("dist/contrib/") && !rel.startsWith("dist/vector/"),
  },
  // SQLite compiled to WebAssembly: its loader reads dist/node-sqlite3-wasm.wasm next to itself.
  "node-sqlite3-wasm": { from: "core", keep: (rel) => rel === "package.json" || rel === "LICENSE" || /^dist\/node-sqlite3-wasm\.(js|wasm)$/.test(rel) },
  typescript: {
    from: "language",
    keep: (rel) => rel === "package.json" || rel === "LICENSE.txt" || rel === "lib/typescript.js" || /^lib\/lib\.[^/]*\.d\.ts$/.test(rel),
  },
};
const EXTERNAL_AT_RUNTIME = ["@databridge/core", ...Object.keys(COPIED_PACKAGES), "pg-native", "cpu-features"];

/** ESM bundles still meet CommonJS dependencies (pg, mysql2) that call require() and read __dirname. */
const esmBanner = [
  `import { createRequire as __dbCreateRequire } from "node:module";`,
  `import { fileURLToPath as __dbFileURLToPath } from "node:url";`,
  `import { dirname as __dbDirname } from "node:path";`,
  `const require = __dbCreateRequire(import.meta.url);`,
  `const __filename = __dbFileURLToPath(import.meta.url);`,
  `const __dirname = __dbDirname(__filename);`,
].join("\n");

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  minify,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
  // TypeScript sources of the workspace packages use NodeNext-style ".js" specifiers for ".ts" files.
  resolveExtensions: [".ts", ".tsx", ".mjs", ".js", ".cjs", ".json"],
};

function packageDir(name, fromPackage) {
  // Not `require.resolve("<name>/package.json")`: some packages do not export it.
  for (let dir = path.join(repoDir, fromPackage); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return fs.realpathSync(candidate);
    if (path.dirname(dir) === dir) throw new Error(`build: cannot find package ${name} from ${fromPackage}/`);
  }
}

function copyTree(from, to, keep, rel = "") {
  for (const entry of fs.readdirSync(path.join(from, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.name === "node_modules") continue;
    if (entry.isDirectory()) copyTree(from, to, keep, child);
    else if (keep(child)) {
      fs.mkdirSync(path.dirname(path.join(to, child)), { recursive: true });
      fs.copyFileSync(path.join(from, child), path.join(to, child));
    }
  }
}

/** Writes an entry module for esbuild's stdin that imports a workspace source file by absolute path. */
function entry(contents) {
  return { contents, resolveDir: repoDir, sourcefile: "entry.mjs", loader: "ts" };
}

const exists = (p) => fs.existsSync(path.join(repoDir, p));

async function build() {
  const started = Date.now();
  fs.rmSync(dist, { recursive: true, force: true });
  fs.mkdirSync(dist, { recursive: true });

  const builds = [];
  // The extension itself.
  builds.push(
    esbuild.build({
      ...common,
      entryPoints: [path.join(extensionDir, "src", "extension.ts")],
      outfile: path.join(dist, "extension.js"),
      format: "cjs",
      external: ["vscode"],
      mainFields: ["module", "main"],
    }),
  );
  // The TypeScript server plugin: CommonJS whose module.exports is the plugin's init (what tsserver calls).
  // It uses the TypeScript that tsserver passes in, never one of its own.
  builds.push(
    esbuild.build({
      ...common,
      stdin: entry(`module.exports = require(${JSON.stringify(path.join(extensionDir, "src", "typescript-plugin", "plugin.ts"))}).init;\n`),
      outfile: path.join(dist, "typescript-plugin.cjs"),
      format: "cjs",
      external: ["typescript"],
    }),
  );
  // One copy of core for the runner, the language server and the pipeline files they load (see core's loader:
  // pipelines resolve `@databridge/core` to `<core>/index.js`, one folder above the bundle). Each of core's package
  // exports is bundled on its own (the runner imports `@databridge/core/runner-protocol…` too). Not one build with
  // code splitting: a split-out dynamic import of a CommonJS driver (mysql2/promise) loses its named exports.
  const coreOut = path.join(dist, "node_modules", "@databridge", "core");
  const coreManifest = JSON.parse(fs.readFileSync(path.join(repoDir, "core", "package.json"), "utf8"));
  const coreEntries = Object.entries(coreManifest.exports)
    .filter(([, target]) => typeof target === "object")
    .map(([, target]) => target.default.replace(/^\.\/dist\//, "").replace(/\.js$/, ""));
  for (const name of coreEntries) {
    builds.push(
      esbuild.build({
        ...common,
        entryPoints: [path.join(repoDir, "core", "src", `${name}.ts`)],
        outfile: path.join(coreOut, "dist", `${name}.js`),
        format: "esm",
        banner: { js: esmBanner },
        external: EXTERNAL_AT_RUNTIME.filter((n) => n !== "@databridge/core"),
      }),
    );
  }
  fs.mkdirSync(coreOut, { recursive: true });
  fs.writeFileSync(
    path.join(coreOut, "package.json"),
    JSON.stringify({ name: "@databridge/core", private: true, type: "module", main: "./dist/index.js", types: "./dist/index.d.ts", exports: coreManifest.exports }, null, 2),
  );
  fs.writeFileSync(path.join(coreOut, "index.js"), `export * from "./dist/index.js";\n`);

  // The language server.
  const languageEntry = ["language/src/server.ts", "language/src/main.ts"].find(exists);
  if (languageEntry) {
    builds.push(
      esbuild.build({
        ...common,
        stdin: entry(`import { startServer } from ${JSON.stringify(path.join(repoDir, languageEntry))};\nstartServer();\n`),
        outfile: path.join(dist, "language-server.mjs"),
        format: "esm",
        banner: { js: esmBanner },
        external: EXTERNAL_AT_RUNTIME,
      }),
    );
  } else {
    console.warn("build: language/src/server.ts not found — the language server is not bundled yet");
  }
  // The CLI, whose `serve` command is the runner.
  builds.push(
    esbuild.build({
      ...common,
      stdin: entry(
        `import { main } from ${JSON.stringify(path.join(repoDir, "server/src/cli.ts"))};\n` +
          `main(process.argv).then((code) => { process.exitCode = code; });\n`,
      ),
      // Two folders down, so the runner's own relative paths land in dist/: ../../drizzle (state migrations)
      // and ../../../dist/dashboard (the dashboard page it serves in a browser).
      outfile: path.join(dist, "runner", "bin", "databridge.mjs"),
      format: "esm",
      banner: { js: `#!/usr/bin/env node\n${esmBanner}` },
      external: EXTERNAL_AT_RUNTIME,
    }),
  );
  // The panel's bridge, loaded in the webview before the dashboard (see src/webview/bridge.ts).
  builds.push(
    esbuild.build({
      ...common,
      platform: "browser",
      target: "es2022",
      format: "iife",
      sourcemap: false,
      entryPoints: [path.join(extensionDir, "src", "webview", "bridge.ts")],
      outfile: path.join(dist, "webview", "bridge.js"),
    }),
  );
  await Promise.all(builds);

  // Core's declarations next to its bundle, where `databridge check` (tsc) looks for them.
  const coreTypes = path.join(repoDir, "core", "dist");
  if (fs.existsSync(path.join(coreTypes, "index.d.ts"))) {
    copyTree(coreTypes, path.join(coreOut, "dist"), (rel) => rel.endsWith(".d.ts"));
  } else {
    console.warn("build: core/dist/index.d.ts not found (run pnpm build) — the bundled core has no type declarations");
  }

  for (const [name, spec] of Object.entries(COPIED_PACKAGES)) {
    copyTree(packageDir(name, spec.from), path.join(dist, "node_modules", name), spec.keep);
  }

  copyTree(path.join(repoDir, "server", "drizzle"), path.join(dist, "drizzle"), () => true);

  // The runner's dashboard bundle (one UI, two hosts), built from its sources with the server's own script.
  const dashboardScript = path.join(repoDir, "server", "scripts", "build-dashboard.mjs");
  if (fs.existsSync(dashboardScript)) {
    const { buildDashboard } = await import(pathToFileURL(dashboardScript).href);
    await buildDashboard({ outdir: path.join(dist, "dashboard"), minify });
  } else {
    console.warn("build: server/scripts/build-dashboard.mjs not found — the panel will say the dashboard is missing");
  }
  console.log(`build: extension bundled into ${path.relative(process.cwd(), dist) || "dist"} in ${Date.now() - started} ms`);
}

build().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
