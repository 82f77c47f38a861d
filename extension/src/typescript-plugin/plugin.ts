import path from "node:path";
import type ts from "typescript";
import { withShippedCore } from "./core-types.js";

/**
 * The TypeScript server plugin VS Code loads for every TypeScript project (`contributes.typescriptServerPlugins`):
 * a pipeline file imports `@databridge/core`, and a workspace without `node_modules` gets the declarations
 * shipped in the extension (`dist/node_modules/@databridge/core`, next to this bundle) instead of
 * "Cannot find module" on line 1. Bundled to dist/typescript-plugin.cjs (whose `module.exports` is `init`); loaded through the stub that
 * `ensureTypeScriptPluginStub` writes.
 */
export function init(modules: { typescript: typeof ts }): ts.server.PluginModule {
  const typescript = modules.typescript;
  return {
    create(info) {
      const log = (line: string) => info.project.projectService.logger.info(`[databridge] ${line}`);
      withShippedCore(typescript, info.languageServiceHost, path.resolve(__dirname), log);
      return info.languageService;
    },
  };
}
