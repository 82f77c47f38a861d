import fs from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export interface PackageManifest {
  version?: string;
  dependencies?: Record<string, string>;
}

/**
 * The installed package.json of a DataBridge package (each one exports it). Undefined where there is no
 * package.json to read, as inside the VS Code extension's bundle.
 */
export function packageManifest(name: "@databridge/core" | "@databridge/server"): PackageManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), "utf8")) as PackageManifest;
  } catch {
    return undefined;
  }
}

/** The installed version of a DataBridge package, when it can be read. */
export function packageVersion(name: "@databridge/core" | "@databridge/server"): string | undefined {
  const version = packageManifest(name)?.version;
  return typeof version === "string" ? version : undefined;
}
