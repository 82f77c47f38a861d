import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withShippedCore } from "./core-types.js";
import { ensureTypeScriptPluginStub, TYPESCRIPT_PLUGIN_NAME } from "./stub.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

const PIPELINE = `import { concat, pipeline } from "@databridge/core";
import type { RunView } from "@databridge/core/runner-protocol";

export const shown: RunView["status"] = "succeeded";

export default pipeline({
  name: "customers",
  source: { connection: "legacy", table: "customers", key: "id" },
  target: { connection: "warehouse", table: "public.customers", mode: "upsert", key: ["id"] },
  columns: {
    id: "id",
    full_name: concat(["first_name", "last_name"], " "),
  },
  /*cursor*/
});
`;

/**
 * A language service as VS Code's TypeScript server has one for a loose file (an inferred project, here with
 * the oldest module resolution, which ignores `exports`), over a workspace folder outside this repository.
 */
function languageService(file: string, plugin?: { typesRoot: string }) {
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Node10, strict: true, types: [] };
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [file],
    getScriptVersion: () => "1",
    getScriptSnapshot: (name) => (fs.existsSync(name) ? ts.ScriptSnapshot.fromString(fs.readFileSync(name, "utf8")) : undefined),
    getCurrentDirectory: () => path.dirname(file),
    getCompilationSettings: () => options,
    getDefaultLibFileName: ts.getDefaultLibFilePath,
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
    realpath: ts.sys.realpath,
    resolveModuleNameLiterals: (literals, containingFile, _redirected, compilerOptions) =>
      literals.map((literal) => ts.resolveModuleName(literal.text, containingFile, compilerOptions, ts.sys)),
  };
  const logged: string[] = [];
  if (plugin) withShippedCore(ts, host, plugin.typesRoot, (line) => logged.push(line));
  const service = ts.createLanguageService(host);
  const diagnostics = () => [...service.getSyntacticDiagnostics(file), ...service.getSemanticDiagnostics(file)].map((d) => `${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
  return { service, diagnostics, logged };
}

describe("TypeScript server plugin: @databridge/core types in a workspace without node_modules", () => {
  let base: string;
  let typesRoot: string;
  let file: string;

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "vs-ts-plugin-"));
    // What the extension ships: dist/node_modules/@databridge/core (here: core itself, built by tsc -b).
    typesRoot = path.join(base, "extension", "dist");
    fs.mkdirSync(path.join(typesRoot, "node_modules", "@databridge"), { recursive: true });
    fs.symlinkSync(path.join(repo, "core"), path.join(typesRoot, "node_modules", "@databridge", "core"), "dir");
    file = path.join(base, "workspace", "pipelines", "customers.etl.ts");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, PIPELINE);
  });

  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it("without the plugin, line 1 cannot find @databridge/core (the squiggle users saw)", () => {
    const { diagnostics } = languageService(file);
    expect(diagnostics()).toEqual(expect.arrayContaining([expect.stringMatching(/^2307: Cannot find module '@databridge\/core'/)]));
  });

  it("with the plugin, a valid pipeline has no diagnostics at all, subpath exports resolve, and TypeScript completes pipeline() options", () => {
    const { service, diagnostics, logged } = languageService(file, { typesRoot });
    expect(diagnostics()).toEqual([]);
    expect(logged).toEqual(expect.arrayContaining([expect.stringContaining("@databridge/core in "), expect.stringContaining("@databridge/core/runner-protocol in ")]));
    const completions = service.getCompletionsAtPosition(file, PIPELINE.indexOf("/*cursor*/"), {});
    expect(completions?.entries.map((e) => e.name)).toEqual(expect.arrayContaining(["batchSize", "onError", "dependsOn"]));
    const info = service.getQuickInfoAtPosition(file, PIPELINE.indexOf("pipeline({"));
    expect(ts.displayPartsToString(info?.displayParts)).toMatch(/^\(alias\) pipeline<\{\n\s+readonly name: "customers";/);
  });

  it("a mistake in the pipeline is still an error: the types are real, not `any`", () => {
    const broken = path.join(path.dirname(file), "broken.etl.ts");
    fs.writeFileSync(broken, PIPELINE.replace(`mode: "upsert"`, `mode: "upsret"`));
    const { diagnostics } = languageService(broken, { typesRoot });
    expect(diagnostics()).toEqual([`2820: Type '"upsret"' is not assignable to type 'LoadMode | undefined'. Did you mean '"upsert"'?`]);
  });

  it("a workspace with its own @databridge/core keeps it", () => {
    const own = path.join(base, "installed");
    fs.mkdirSync(path.join(own, "node_modules", "@databridge", "core"), { recursive: true });
    fs.writeFileSync(path.join(own, "node_modules", "@databridge", "core", "package.json"), JSON.stringify({ name: "@databridge/core", types: "index.d.ts" }));
    fs.writeFileSync(path.join(own, "node_modules", "@databridge", "core", "index.d.ts"), "export declare const onlyInTheWorkspaceCopy: 1;\n");
    const mine = path.join(own, "mine.etl.ts");
    fs.writeFileSync(mine, `import { onlyInTheWorkspaceCopy } from "@databridge/core";\nexport const one: 1 = onlyInTheWorkspaceCopy;\n`);
    const { diagnostics, logged } = languageService(mine, { typesRoot });
    expect(diagnostics()).toEqual([]);
    expect(logged).toEqual([]);
  });

  it("the stub TypeScript loads from <extension>/node_modules points at the bundled plugin; written once", () => {
    const extension = path.join(base, "stub-extension");
    fs.mkdirSync(path.join(extension, "dist"), { recursive: true });
    fs.writeFileSync(path.join(extension, "dist", "typescript-plugin.cjs"), `module.exports = function init() { return "the bundled plugin"; };\n`);
    expect(ensureTypeScriptPluginStub(extension)).toEqual({ written: true, dir: path.join(extension, "node_modules", TYPESCRIPT_PLUGIN_NAME) });
    expect(ensureTypeScriptPluginStub(extension).written).toBe(false);
    // Resolved the way tsserver resolves a plugin: by package name from <extension>/node_modules.
    const init = createRequire(path.join(extension, "node_modules", "x.js"))(TYPESCRIPT_PLUGIN_NAME) as () => string;
    expect(init()).toBe("the bundled plugin");
  });
});
