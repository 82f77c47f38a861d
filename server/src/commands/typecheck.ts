import path from "node:path";
import { createRequire } from "node:module";
import ts from "typescript";

export interface TypeProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

const require = createRequire(import.meta.url);

/**
 * Type-checks pipeline and config files with the TypeScript compiler, resolving `@databridge/core`
 * to the workspace's own copy or, when it has none, to the CLI's (as the loader does at run time).
 */
export function typecheckFiles(rootDir: string, files: string[]): TypeProblem[] {
  const configFile = ts.findConfigFile(rootDir, ts.sys.fileExists, "tsconfig.json");
  const inWorkspace = configFile && path.dirname(configFile).startsWith(rootDir);
  const parsed = inWorkspace
    ? ts.parseJsonConfigFileContent(ts.readConfigFile(configFile, ts.sys.readFile).config, ts.sys, path.dirname(configFile))
    : undefined;
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    types: [],
    ...parsed?.options,
    noEmit: true,
  };
  // Ask TypeScript itself: Node's resolution would also look in NODE_PATH (set by pnpm's bin shims),
  // which the type checker never does.
  const hasOwnCore = ts.resolveModuleName("@databridge/core", path.join(rootDir, "databridge.config.ts"), options, ts.sys).resolvedModule !== undefined;
  if (!hasOwnCore) {
    const coreTypes = path.join(path.dirname(require.resolve("@databridge/core")), "index.d.ts");
    options.baseUrl = options.baseUrl ?? rootDir;
    options.paths = { ...options.paths, "@databridge/core": [coreTypes] };
  }
  const rootNames = [...new Set([...files, ...(parsed?.fileNames ?? []).filter((f) => f.endsWith(".d.ts"))])];
  const program = ts.createProgram({ rootNames, options });
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => !d.file || !d.file.fileName.includes("node_modules"));
  return diagnostics.map((d) => {
    const position = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
    return {
      file: d.file ? path.relative(rootDir, d.file.fileName) : "",
      line: position.line + 1,
      column: position.character + 1,
      message: ts.flattenDiagnosticMessageText(d.messageText, " "),
    };
  });
}
