import fs from "node:fs";
import path from "node:path";

/** The plugin's name in `contributes.typescriptServerPlugins` (a package name: TypeScript loads nothing else). */
export const TYPESCRIPT_PLUGIN_NAME = "databridge-typescript-plugin";

/**
 * TypeScript loads a server plugin from `<extension>/node_modules/<name>`, but a .vsix cannot carry a
 * top-level `node_modules` (vsce leaves it out), so the installed extension gets a two-file stub pointing at
 * the bundled plugin in dist/. Answers whether it was (re)written: a TypeScript server started before that
 * did not load the plugin and must restart.
 */
export function ensureTypeScriptPluginStub(extensionPath: string): { written: boolean; dir: string } {
  const dir = path.join(extensionPath, "node_modules", TYPESCRIPT_PLUGIN_NAME);
  const files = {
    "package.json": `${JSON.stringify({ name: TYPESCRIPT_PLUGIN_NAME, version: "0.0.0", private: true, main: "index.js" }, null, 2)}\n`,
    "index.js": `// Written by the DataBridge extension: TypeScript loads plugins from node_modules only.\nmodule.exports = require("../../dist/typescript-plugin.cjs");\n`,
  };
  const current = (name: string) => {
    try {
      return fs.readFileSync(path.join(dir, name), "utf8");
    } catch {
      return undefined;
    }
  };
  const stale = Object.entries(files).filter(([name, text]) => current(name) !== text);
  if (!stale.length) return { written: false, dir };
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of stale) fs.writeFileSync(path.join(dir, name), text);
  return { written: true, dir };
}
