#!/usr/bin/env node
// Checks packed tarballs the way an installer would meet them, before anyone installs them:
//   node scripts/check-release.mjs release/*.tgz      one line per problem; exit 1 when there is any
// What is checked: publint (package.json against the packed files), arethetypeswrong (every `exports`
// entry resolves to JavaScript and to types, for Node and for TypeScript, ESM-only by design), and what
// those two do not know about this project: released versions agree, no workspace specifier is left, the
// licence and README are in, no source, test, map or build-info file ships, bins run under Node, every
// package the built code imports is a declared dependency, and the server carries its migrations and
// its dashboard bundle.
import fs from "node:fs";
import path from "node:path";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { checkPackage, createPackageFromTarballData } from "@arethetypeswrong/core";
import { problemKindInfo } from "@arethetypeswrong/core/problems";

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Resolution modes an ESM-only package does not serve on purpose (CommonJS `require`, pre-exports `node10`). */
const NOT_SERVED = new Set(["node10", "node16-cjs"]);
const DEPENDENCY_FIELDS = ["dependencies", "optionalDependencies", "peerDependencies"];
const NOT_SHIPPED = [/(^|\/)src\//, /\.test\.[cm]?[jt]s$/, /\.tsbuildinfo$/, /\.map$/];

/** Files a package needs beyond its entry points, which publint and attw cannot know about. */
function requiredFiles(name, files) {
  if (name !== "@databridge/server") return [];
  const journal = JSON.parse(files.get("drizzle/meta/_journal.json") ?? '{"entries":[]}');
  return [
    "dist/dashboard/dashboard.js",
    "dist/dashboard/dashboard.css",
    "drizzle/meta/_journal.json",
    ...journal.entries.map((entry) => `drizzle/${entry.tag}.sql`),
  ];
}

const IMPORTS = [
  /^\s*(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']/gm,
  /^\s*import\s*["']([^"']+)["']/gm,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
];
const PACKAGE_SPECIFIER = /^(@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*(\/|$)/;

/** The package names a built module imports (static and literal dynamic imports), without Node's own. */
export function importedPackages(source) {
  const names = new Set();
  for (const pattern of IMPORTS) {
    for (const [, specifier] of source.matchAll(pattern)) {
      if (specifier.startsWith("node:") || !PACKAGE_SPECIFIER.test(specifier)) continue;
      const parts = specifier.split("/");
      const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
      if (!builtinModules.includes(name)) names.add(name);
    }
  }
  return names;
}

/**
 * The problems of one packed package, as lines naming the file or field and what is wrong.
 * `released` maps every package of the release to its version (internal dependencies must match).
 */
export async function checkTarball(tarball, released, licence) {
  const { file, data, attw, files, manifest } = tarball;
  const problems = [];

  const { messages, pkg } = await publint({ pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) }, level: "warning" });
  for (const message of messages) problems.push(`publint ${message.type}: ${formatMessage(message, pkg, { color: false })}`);

  const analysis = await checkPackage(attw);
  if (!analysis.types) problems.push("types: no type declarations found");
  for (const problem of analysis.types ? analysis.problems : []) {
    if (problem.resolutionKind && NOT_SERVED.has(problem.resolutionKind)) continue;
    const where = [problem.entrypoint, problem.resolutionKind].filter(Boolean).join(" for ");
    problems.push(`types: ${where ? `${where}: ` : ""}${problemKindInfo[problem.kind].description}`);
  }

  if (manifest.version !== released.get(manifest.name)) problems.push(`version ${manifest.version}, but the release has ${released.get(manifest.name)}`);
  for (const field of DEPENDENCY_FIELDS) {
    for (const [dependency, spec] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|link|file|portal):/.test(spec)) problems.push(`${field}.${dependency} is "${spec}": npm cannot install it`);
      else if (released.has(dependency) && spec !== released.get(dependency)) problems.push(`${field}.${dependency} is "${spec}", but the release has ${released.get(dependency)}`);
    }
  }
  if (manifest.license !== "MIT") problems.push(`license is ${JSON.stringify(manifest.license)}, expected "MIT"`);
  if (files.get("LICENSE") !== licence) problems.push("LICENSE is missing or differs from the repository's");
  if (!files.has("README.md")) problems.push("README.md is missing");
  for (const name of files.keys()) {
    if (NOT_SHIPPED.some((pattern) => pattern.test(name))) problems.push(`${name} should not be published (source, test, map or build info)`);
  }
  for (const [bin, target] of Object.entries(typeof manifest.bin === "string" ? { [manifest.name]: manifest.bin } : manifest.bin ?? {})) {
    const script = files.get(target.replace(/^\.\//, ""));
    if (!script) problems.push(`bin ${bin}: ${target} is not in the package`);
    else if (!script.startsWith("#!/usr/bin/env node")) problems.push(`bin ${bin}: ${target} does not start with "#!/usr/bin/env node"`);
  }
  for (const required of requiredFiles(manifest.name, files)) {
    if (!files.has(required)) problems.push(`${required} is missing`);
  }
  const declared = new Set([manifest.name, ...DEPENDENCY_FIELDS.flatMap((field) => Object.keys(manifest[field] ?? {}))]);
  for (const [name, source] of files) {
    if (!/\.(m?js)$/.test(name)) continue;
    for (const imported of importedPackages(source)) {
      if (!declared.has(imported)) problems.push(`${name} imports ${imported}, which is not a dependency`);
    }
  }
  return { file, name: manifest.name, version: manifest.version, files: files.size, problems };
}

/** Checks a whole release: each tarball on its own, and that all of them carry one version. */
export async function checkRelease(files, licence = fs.readFileSync(path.join(repoDir, "LICENSE"), "utf8")) {
  const tarballs = files.map(readTarball);
  const released = new Map(tarballs.map(({ manifest }) => [manifest.name, manifest.version]));
  const results = [];
  for (const tarball of tarballs) results.push(await checkTarball(tarball, released, licence));
  if (new Set(released.values()).size > 1) {
    results[0].problems.push(`the packages carry different versions (${[...released].map(([n, v]) => `${n}@${v}`).join(", ")}); release them with one version`);
  }
  return results;
}

/** A tarball's bytes, its files by path inside the package, and its package.json. */
export function readTarball(file) {
  const data = fs.readFileSync(file);
  const attw = createPackageFromTarballData(new Uint8Array(data));
  const root = `/node_modules/${attw.packageName}/`;
  const files = new Map(attw.listFiles().map((f) => [f.slice(root.length), attw.readFile(f)]));
  return { file, data, attw, files, manifest: JSON.parse(files.get("package.json")) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const tarballs = process.argv.slice(2);
  if (!tarballs.length) {
    process.stderr.write("usage: node scripts/check-release.mjs <tarball.tgz>...\n");
    process.exit(2);
  }
  const results = await checkRelease(tarballs);
  let failed = 0;
  for (const result of results) {
    for (const problem of result.problems) process.stderr.write(`${path.basename(result.file)}: ${problem}\n`);
    failed += result.problems.length;
  }
  if (failed) process.exit(1);
  process.stdout.write(`release check: ${results.map((r) => `${r.name}@${r.version}`).join(", ")}: no problems\n`);
}
