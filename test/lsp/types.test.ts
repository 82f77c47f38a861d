import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { REPO } from "./lsp-client.js";

const CLI = path.join(REPO, "server", "bin", "databridge.mjs");
const TSC = path.join(REPO, "node_modules", "typescript", "bin", "tsc");

function run(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }));
  });
}

const pipelineFile = (fullName: string, email = '"email"') => `import { pipeline, concat, defaultTo } from "@databridge/core";

export default pipeline({
  name: "customers",
  source: { connection: "legacy", table: "legacy_customers", key: "id" },
  target: { connection: "warehouse", table: "public.customers", mode: "upsert", key: ["id"] },
  columns: {
    id: "id",
    full_name: ${fullName},
    email: ${email},
    status: defaultTo("status", "A"),
  },
});
`;

/**
 * `databridge types` against real databases writes declarations that make a plain `tsc --noEmit` (with
 * the tsconfig `databridge init` scaffolds) reject misspelled columns and columns of another table.
 */
describe("databridge types, then tsc --noEmit", () => {
  let ready = false;
  let legacy: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let warehouse: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    ready = await requireServers("postgres", "mariadb");
    if (!ready) return;
    legacy = await createMariadbDatabase("dbt_types_src");
    warehouse = await createPostgresDatabase("dbt_types_dst");
    await legacy.query("CREATE TABLE legacy_customers (id INT PRIMARY KEY, first_name VARCHAR(50), last_name VARCHAR(50), email VARCHAR(255), status CHAR(1))");
    await warehouse.query("CREATE TABLE customers (id integer PRIMARY KEY, full_name varchar(200) NOT NULL, email varchar(255), status varchar(20) NOT NULL)");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-types-"));
    const init = await run(CLI, ["init"], dir);
    expect(init.code, init.stderr).toBe(0);
    // A user's workspace has @databridge/core installed; link this checkout's.
    fs.mkdirSync(path.join(dir, "node_modules", "@databridge"), { recursive: true });
    fs.symlinkSync(path.join(REPO, "core"), path.join(dir, "node_modules", "@databridge", "core"), "dir");
    fs.writeFileSync(path.join(dir, "databridge.config.ts"), `import { defineConfig } from "@databridge/core";

export default defineConfig({
  connections: {
    legacy: { url: ${JSON.stringify(legacy.url)} },
    warehouse: { url: ${JSON.stringify(warehouse.url)} },
  },
});
`);
    file = path.join(dir, "pipelines", "customers.etl.ts");
  });

  afterAll(async () => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await legacy?.drop();
    await warehouse?.drop();
  });

  it("without generated types the schema is empty and nothing is checked", async (ctx) => {
    if (!ready) return ctx.skip();
    fs.writeFileSync(file, pipelineFile('concat(["first_name", "lastname"], " ")'));
    const tsc = await run(TSC, ["--noEmit", "-p", dir], dir);
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.code).toBe(0);
  });

  it("writes the declarations and the schema cache", async (ctx) => {
    if (!ready) return ctx.skip();
    const types = await run(CLI, ["types"], dir);
    expect(types.code, types.stderr).toBe(0);
    expect(types.stdout).toContain("✔ legacy: 1 tables (mysql)");
    expect(types.stdout).toContain("✔ warehouse: 1 tables (postgres)");
    const declarations = fs.readFileSync(path.join(dir, ".databridge", "types", "databridge-schema.d.ts"), "utf8");
    expect(declarations).toContain('declare module "@databridge/core"');
    expect(declarations).toMatch(/type legacy_legacy_customers = \{[^}]*"first_name": string \| null;/);
    const cache = JSON.parse(fs.readFileSync(path.join(dir, ".databridge", "schema-cache.json"), "utf8"));
    expect(Object.keys(cache.connections).sort()).toEqual(["legacy", "warehouse"]);
  });

  it("tsc --noEmit fails on a misspelled column, naming it, its line and the closest column", async (ctx) => {
    if (!ready) return ctx.skip();
    const tsc = await run(TSC, ["--noEmit", "-p", dir], dir);
    expect(tsc.code).not.toBe(0);
    expect(tsc.stdout).toMatch(/pipelines\/customers\.etl\.ts\(9,5\): error TS2322/);
    expect(tsc.stdout).toContain(`Type 'TransformSpec<"first_name" | "lastname">' is not assignable to type '"❌ source has no column \\"lastname\\" (did you mean \\"last_name\\"?)"'`);
    expect(tsc.stdout.match(/error TS/g)).toHaveLength(1);
  });

  it("tsc --noEmit fails on a column of another table (a target column used as a source column)", async (ctx) => {
    if (!ready) return ctx.skip();
    fs.writeFileSync(file, pipelineFile('concat(["first_name", "last_name"], " ")', '"full_name"'));
    const tsc = await run(TSC, ["--noEmit", "-p", dir], dir);
    expect(tsc.code).not.toBe(0);
    expect(tsc.stdout).toMatch(/pipelines\/customers\.etl\.ts\(10,5\): error TS2322/);
    expect(tsc.stdout).toContain(`Type '"full_name"' is not assignable to type '"❌ source has no column \\"full_name\\""'`);
  });

  it("tsc --noEmit passes once the column is fixed", async (ctx) => {
    if (!ready) return ctx.skip();
    fs.writeFileSync(file, pipelineFile('concat(["first_name", "last_name"], " ")'));
    const tsc = await run(TSC, ["--noEmit", "-p", dir], dir);
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.code).toBe(0);
  });
});
