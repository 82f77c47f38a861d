import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = path.dirname(fileURLToPath(import.meta.url));

/** The folders of core/src each non-test source file of `folder` imports (type-only imports included). */
function importedFolders(folder: string): { file: string; imports: string }[] {
  const out: { file: string; imports: string }[] = [];
  for (const name of fs.readdirSync(path.join(SRC, folder))) {
    if (!name.endsWith(".ts") || name.endsWith(".test.ts")) continue;
    const file = path.join(SRC, folder, name);
    for (const { fileName } of ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true).importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const target = path.relative(SRC, path.resolve(path.dirname(file), fileName));
      out.push({ file: `${folder}/${name}`, imports: target.includes(path.sep) ? target.split(path.sep)[0] : "(core/src)" });
    }
  }
  return out;
}

/**
 * The authoring API is what plugins and pipelines build on: it depends on nothing that implements it.
 * Built-in transforms implement that API, and reach the run only through their TransformContext.
 */
describe("core layering", () => {
  it("authoring/ imports neither the transforms, the engine nor the workspace", () => {
    expect(importedFolders("authoring").filter((i) => ["transforms", "engine", "workspace"].includes(i.imports))).toEqual([]);
  });

  it("transforms/ imports neither the engine nor the workspace", () => {
    expect(importedFolders("transforms").filter((i) => ["engine", "workspace"].includes(i.imports))).toEqual([]);
  });

  it("the check sees imports (it is not vacuous)", () => {
    expect(importedFolders("transforms")).toContainEqual({ file: "transforms/remap.ts", imports: "authoring" });
  });
});
