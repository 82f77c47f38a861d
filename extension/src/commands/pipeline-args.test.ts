import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { namesForFiles, pipelineNameFromSource, pipelineTargetFromArgs } from "./pipeline-args.js";

const file = "/ws/pipelines/parts.etl.ts";

describe("pipelineTargetFromArgs", () => {
  it("takes pipeline names from code lens arguments in their usual shapes", () => {
    expect(pipelineTargetFromArgs(["parts"])).toEqual({ kind: "names", names: ["parts"] });
    expect(pipelineTargetFromArgs([{ pipeline: "parts", uri: pathToFileURL(file).href }])).toEqual({ kind: "names", names: ["parts"] });
    expect(pipelineTargetFromArgs([{ pipelines: ["a", "b", "a"] }])).toEqual({ kind: "names", names: ["a", "b"] });
    expect(pipelineTargetFromArgs([{ name: "customers" }])).toEqual({ kind: "names", names: ["customers"] });
  });

  it("takes a tree item of the Pipelines view", () => {
    expect(pipelineTargetFromArgs([{ pipeline: { name: "parts", file } }])).toEqual({ kind: "names", names: ["parts"] });
  });

  it("takes files from URIs (objects and strings), preferring the multi-selection of a context menu", () => {
    const uri = { scheme: "file", path: file, fsPath: file };
    const other = { scheme: "file", path: "/ws/pipelines/b.etl.ts", fsPath: "/ws/pipelines/b.etl.ts" };
    expect(pipelineTargetFromArgs([uri])).toEqual({ kind: "files", files: [file] });
    expect(pipelineTargetFromArgs([uri, [uri, other]])).toEqual({ kind: "files", files: [file, "/ws/pipelines/b.etl.ts"] });
    expect(pipelineTargetFromArgs([pathToFileURL(file).href])).toEqual({ kind: "files", files: [file] });
    expect(pipelineTargetFromArgs([{ uri: pathToFileURL(file).href }])).toEqual({ kind: "files", files: [file] });
    expect(pipelineTargetFromArgs([{ textDocument: { uri: pathToFileURL(file).href } }])).toEqual({ kind: "files", files: [file] });
  });

  it("ignores files that are not pipelines, then falls back to the active editor, then to a pick list", () => {
    const config = { scheme: "file", path: "/ws/databridge.config.ts", fsPath: "/ws/databridge.config.ts" };
    expect(pipelineTargetFromArgs([config], file)).toEqual({ kind: "files", files: [file] });
    expect(pipelineTargetFromArgs([], file)).toEqual({ kind: "files", files: [file] });
    expect(pipelineTargetFromArgs([], "/ws/databridge.config.ts")).toEqual({ kind: "pick" });
    expect(pipelineTargetFromArgs([undefined, null])).toEqual({ kind: "pick" });
  });
});

describe("pipelineNameFromSource", () => {
  it("reads the literal name of the pipeline() call", () => {
    expect(pipelineNameFromSource(`import { pipeline } from "@databridge/core";\nexport default pipeline({\n  name: "parts",\n  source: { connection: "legacy", table: "PARTS" },\n});`)).toBe("parts");
    expect(pipelineNameFromSource(`export default pipeline({ source: { table: "x", name: "not-this" }, name: 'late' })`)).toBe("not-this");
    expect(pipelineNameFromSource(`export default pipeline({ ...base, name: \`tmpl\` })`)).toBe("tmpl");
    expect(pipelineNameFromSource(`export const x = 1;`)).toBeUndefined();
  });
});

describe("namesForFiles", () => {
  it("maps files through the runner's list first, then the file text, and names the file it cannot map", () => {
    const texts: Record<string, string> = { "/ws/pipelines/b.etl.ts": `pipeline({ name: "bee" })`, "/ws/pipelines/c.etl.ts": "export {}" };
    const result = namesForFiles([file, "/ws/pipelines/b.etl.ts", "/ws/pipelines/c.etl.ts"], [{ name: "parts", file }], (f) => texts[f]);
    expect(result).toEqual({ names: ["parts", "bee"], problems: ['c.etl.ts: no pipeline({ name: "…" }) found in this file'] });
  });
});
