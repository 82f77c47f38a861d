/**
 * A workspace plugin's transform, declared with argument roles in `databridge.config.ts`, through the CLI
 * against an embedded database: `plan` and `check` find an unknown column in its column argument (with did-you-mean)
 * and the engine reads exactly the columns its roles name.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorkspace, openConnections } from "@databridge/core";
import { runCli, tempDir, writeFiles } from "./support.js";

const CONFIG = `import { defineConfig, definePlugin } from "@databridge/core";

const masking = definePlugin({
  name: "masking",
  transforms: [{
    name: "maskEmail",
    args: [{ name: "email", role: "column" }, { name: "keep", role: "literal" }],
    compile: ([email, keep = 1]: [string, number?], ctx) => {
      const read = ctx.column(email);
      return (row) => {
        const value = read(row);
        return typeof value === "string" ? value.replace(/^[^@]*/, (name) => [...name].slice(0, keep).join("") + "***") : null;
      };
    },
  }],
});

export default defineConfig({
  plugins: [masking],
  connections: { legacy: { url: "pglite:.databridge/db" }, warehouse: { url: "pglite:.databridge/db" } },
});
`;

const pipelineFile = (email: string) => `import { pipeline, transform } from "@databridge/core";
export default pipeline({
  name: "people",
  source: { connection: "legacy", table: "people", key: "id" },
  target: { connection: "warehouse", table: "wh.people", mode: "upsert" },
  columns: { id: "id", email: transform("maskEmail", ${JSON.stringify(email)}, 2) },
});
`;

let dir: string;

beforeAll(async () => {
  dir = tempDir("plugin");
  writeFiles(dir, { "databridge.config.ts": CONFIG, "pipelines/people.etl.ts": pipelineFile("emial") });
  const workspace = await loadWorkspace({ configPath: path.join(dir, "databridge.config.ts") });
  const connections = openConnections(workspace, {});
  try {
    const db = await connections.get("legacy");
    await db.query("CREATE TABLE people (id integer PRIMARY KEY, email text, given_name text)");
    await db.query("INSERT INTO people VALUES (1, 'jürgen@example.com', 'Jürgen'), (2, NULL, 'Solo'), (3, 'x@y.z', 'X')");
    await db.query("CREATE SCHEMA wh");
    await db.query("CREATE TABLE wh.people (id integer PRIMARY KEY, email text)");
  } finally {
    await connections.closeAll();
  }
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("a plugin transform with argument roles", () => {
  it("plan: an unknown column in its column argument is an error with did-you-mean; fixed, check (types included) is clean", async () => {
    const broken = await runCli(["plan", "--json"], dir);
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.stdout) as { problems: { code: string; column?: string; message: string }[] };
    expect(report.problems.map((p) => [p.code, p.column, p.message])).toEqual([
      ["unknown-source-column", "email", 'source has no column "emial" (did you mean "email"?)'],
    ]);

    writeFiles(dir, { "pipelines/people.etl.ts": pipelineFile("email") });
    const fixed = await runCli(["check"], dir);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stdout.trim()).toBe("✔ 1 pipeline checked: no problems");
  });

  it("preview: the engine selects the column its role names and runs the transform on it", async () => {
    const result = await runCli(["preview", "people", "--json"], dir);
    expect(result.code, result.stderr).toBe(0);
    const preview = JSON.parse(result.stdout) as { sourceColumns: string[]; rows: { target?: Record<string, unknown> }[] };
    expect(preview.sourceColumns).toEqual(["id", "email"]);
    expect(preview.rows.map((r) => r.target)).toEqual([{ id: 1, email: "jü***@example.com" }, { id: 2, email: null }, { id: 3, email: "x***@y.z" }]);
  });
});
