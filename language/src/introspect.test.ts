import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRegistry, definePlugin, type Workspace } from "@databridge/core";
import { introspectConnections } from "./introspect.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-introspect-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Whether a database may be opened in the background is read from its connector's description (a folder database
 * such as PGlite must not be opened by two processes at once), not from its name: a SQLite file, read-only, is
 * introspected as the language server starts; a PGlite folder only when asked.
 */
describe("introspectConnections and embedded databases", () => {
  // The SQLite driver is core's dependency: load it from there.
  const fromCore = createRequire(createRequire(import.meta.url).resolve("@databridge/core/package.json"));
  const { Database } = fromCore("node-sqlite3-wasm") as { Database: new (file: string) => { exec(sql: string): void; close(): void } };
  const file = path.join(dir, "legacy.db");
  const db = new Database(file);
  db.exec("CREATE TABLE parts (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
  db.close();
  const workspace: Workspace = {
    rootDir: dir,
    configPath: path.join(dir, "databridge.config.ts"),
    config: { connections: { legacy: { url: "sqlite:legacy.db" }, local: { url: "pglite:data/local" }, vault: { url: "vaultdb:data/vault" } } },
    registry: createRegistry([definePlugin({
      name: "vault",
      // A plugin database kept in a folder: described, never opened in the background (create would fail the test).
      connectors: [{
        type: "vaultdb",
        schemes: ["vaultdb"],
        description: { label: "Vault", detail: "a folder database", roles: ["source"], storage: "folder", urlExample: "vaultdb:data/x", integrationTested: false },
        create: () => Promise.reject(new Error("a folder database was opened in the background")),
      }],
    })]),
  };

  it("reads a file database at once and leaves a folder database for an explicit refresh", async () => {
    const results = await introspectConnections(workspace, { env: {} });
    const legacy = results.find((r) => r.name === "legacy");
    expect(legacy?.error).toBeUndefined();
    expect(legacy?.catalog?.tables.map((t) => t.name)).toContain("parts");
    expect(results.find((r) => r.name === "local")).toMatchObject({ type: "pglite", skipped: expect.stringMatching(/only on request/) });
    expect(results.find((r) => r.name === "vault")).toMatchObject({ type: "vaultdb", skipped: expect.stringMatching(/only on request/) });
    expect(fs.existsSync(path.join(dir, "data/local"))).toBe(false);
  });
});
