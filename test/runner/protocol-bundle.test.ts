import fs from "node:fs";
import path from "node:path";
import * as esbuild from "esbuild";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support.js";

/** Bundles for a browser (as the dashboard build does) and lists the files that went in, relative to the repo. */
async function browserInputs(entry: esbuild.BuildOptions): Promise<string[]> {
  const result = await esbuild.build({ ...entry, bundle: true, platform: "browser", format: "esm", write: false, metafile: true, logLevel: "silent" });
  return Object.keys(result.metafile.inputs)
    .filter((input) => input !== "<stdin>")
    .map((input) => path.relative(REPO_ROOT, fs.realpathSync(path.resolve(input))))
    .sort();
}

describe("the runner protocol is browser-safe", () => {
  it("bundles for a browser from its own modules only: no driver, no Node module, nothing else of core", async () => {
    const inputs = await browserInputs({ stdin: { contents: 'export * from "@databridge/core/runner-protocol";', resolveDir: path.join(REPO_ROOT, "test"), loader: "ts" } });
    expect(inputs).toEqual(["client", "event-stream", "events", "index", "sse-parser", "statuses"].map((name) => `core/dist/runner-protocol/${name}.js`));
  });

  it("keeps the dashboard bundle to the dashboard's own files and the protocol", async () => {
    const inputs = await browserInputs({ entryPoints: [path.join(REPO_ROOT, "server/src/dashboard/index.ts")] });
    const outside = inputs.filter((file) => !file.startsWith("server/src/dashboard/") && !file.startsWith("core/dist/runner-protocol/"));
    expect(outside).toEqual([]);
    expect(inputs).toContain("core/dist/runner-protocol/client.js");
  });

  it("refuses the node-only discovery subpath in a browser bundle", async () => {
    await expect(browserInputs({ stdin: { contents: 'export * from "@databridge/core/runner-protocol/discovery";', resolveDir: path.join(REPO_ROOT, "test"), loader: "ts" } })).rejects.toThrow(/node:fs/);
  });
});
