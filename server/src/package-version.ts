import fs from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * The installed version of a DataBridge package, read from its package.json (each one exports it).
 * Undefined where there is no package.json to read, as inside the VS Code extension's bundle.
 */
export function packageVersion(name: "@databridge/core" | "@databridge/server"): string | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}
