import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffTableHashes, type RunEvent } from "@databridge/core";
import { requireServers } from "../support/servers.js";
import { createMigrationFixture, type MigrationFixture } from "../support/migration-fixture.js";
import { keyedHash, pipelineFile, runCli } from "../support/cli.js";

/**
 * MariaDB answers NULL (with a warning) for a concatenation longer than its max_allowed_packet, so a
 * row rendered as COPY text by the server can come back without its line. max_allowed_packet is
 * global and read-only per session — setting it would disturb every other suite on the server — so a
 * plugin connector wraps the real MariaDB connector and drops the line of one row, as the server would.
 * The engine must read that page again as values: every row arrives, exactly.
 */
const ready = await requireServers("mariadb", "postgres");

const CONFIG = (legacy: string, warehouse: string) => `import { defineConfig, definePlugin, mysql } from "@databridge/core";
const oversize = definePlugin({
  name: "oversize-lines",
  connectors: [{
    schemes: ["oversize"], type: "mysql",
    async create(options) {
      const url = new URL(options.url.href.replace(/^oversize:/, "mysql:"));
      const real = await mysql.mysqlConnectorFactory.create({ ...options, url });
      const drop = (request, rows) => {
        if (request.copyText) for (const row of rows) if (Number(row[0]) === 15) row[row.length - 1] = null;
      };
      const read = real.read.bind(real);
      real.read = async (request) => {
        const batch = await read(request);
        drop(request, batch.rows);
        return batch;
      };
      // A page read as a stream of row groups loses the same line.
      const readGroups = real.readGroups.bind(real);
      real.readGroups = (request, onGroup) => readGroups(request, (rows) => {
        drop(request, rows);
        onGroup(rows);
      });
      return real;
    },
  }],
});
export default defineConfig({
  plugins: [oversize],
  connections: { legacy: { url: ${JSON.stringify(legacy.replace(/^mysql:/, "oversize:"))} }, warehouse: { url: ${JSON.stringify(warehouse)} } },
});
`;

describe("a page the source could not encode", () => {
  let fixture: MigrationFixture;

  beforeAll(async () => {
    if (!ready) return;
    fixture = await createMigrationFixture("dbt_oversize");
    const { source, target, workspace } = fixture;
    await source.query("CREATE TABLE notes (id INT NOT NULL PRIMARY KEY, body TEXT NULL) CHARACTER SET utf8mb4");
    await source.query(`INSERT INTO notes SELECT seq, CASE WHEN seq % 5 = 0 THEN NULL ELSE CONCAT('tab\\there ', seq, ' — ü') END FROM seq_1_to_50`);
    await target.query("CREATE TABLE notes (id integer PRIMARY KEY, body text)");
    // The same databases, the source reached through the plugin connector.
    fs.writeFileSync(path.join(workspace.dir, "databridge.config.ts"), CONFIG(source.url, target.url));
  });

  afterAll(() => fixture?.close());

  it("is read again as values, and every row arrives exactly", async (ctx) => {
    if (!ready) return ctx.skip();
    const { workspace, sourceConnector, targetConnector } = fixture;
    const file = workspace.pipeline("notes", pipelineFile({
      name: "notes", source: { connection: "legacy", table: "notes" },
      target: { connection: "warehouse", table: "public.notes", mode: "insert" },
      columns: { id: "id", body: "body" }, batchSize: 10,
    }));
    const result = await runCli(["run", file, "--json"], { cwd: workspace.dir });
    const finished = result.events.at(-1) as Extract<RunEvent, { type: "run.finished" }>;
    // Only the page holding row 15 (rows 11–20) fell back, and the run said so.
    const fallbacks = result.events.filter((e) => e.type === "log" && e.message.includes("could not encode"));
    expect(fallbacks.map((e) => (e as { level: string; message: string }).level + " " + (e as { message: string }).message)).toEqual([
      "warn notes: the source could not encode the page after key 10 as COPY text; reading it as values",
    ]);
    expect({ code: result.code, status: finished?.status, rows: finished?.rows }, result.stderr).toEqual({
      code: 0, status: "succeeded", rows: { read: 50, written: 50, rejected: 0 },
    });
    const [expected, actual] = await Promise.all([
      keyedHash(sourceConnector, { table: "notes", columns: ["body"], batchSize: 20 }),
      keyedHash(targetConnector, { table: "public.notes", columns: ["body"], batchSize: 20 }),
    ]);
    expect(diffTableHashes(expected, actual)).toEqual({ missing: [], extra: [], changed: [] });
    expect(actual.rows).toBe(50);
  });
});
