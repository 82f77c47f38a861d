import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { LspClient, positionOf } from "./lsp-client.js";

/**
 * The "Map all remaining target columns by name" code action, from the built language server over stdio,
 * with the source and target tables introspected from a real MariaDB and PostgreSQL database.
 */
const ready = await requireServers("postgres", "mariadb");

interface Action { title: string; kind?: string; edit?: { changes: Record<string, { range: { start: Position; end: Position }; newText: string }[]> } }
interface Position { line: number; character: number }

describe.runIf(ready)("code action: map all remaining target columns by name", () => {
  let legacy: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let warehouse: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let dir: string;
  let client: LspClient;
  let uri: string;

  const pipeline = (columns: string) => `import { pipeline, upper } from "@databridge/core";

export default pipeline({
  name: "customers",
  source: { connection: "legacy", table: "Customers", key: "CustomerID" },
  target: { connection: "warehouse", table: "customers", mode: "upsert" },
  columns: {
${columns}  },
});
`;

  beforeAll(async () => {
    legacy = await createMariadbDatabase("dbt_lspmap_src");
    warehouse = await createPostgresDatabase("dbt_lspmap_dst");
    await legacy.query("CREATE TABLE Customers (CustomerID INT PRIMARY KEY, FirstName VARCHAR(50), last_name VARCHAR(50), EMail VARCHAR(255), Fax VARCHAR(20))");
    await warehouse.query("CREATE TABLE customers (customer_id integer PRIMARY KEY, first_name text, last_name text, e_mail text, loyalty text)");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-lspmap-"));
    fs.mkdirSync(path.join(dir, "pipelines"));
    fs.writeFileSync(path.join(dir, "databridge.config.ts"), `import { defineConfig } from "@databridge/core";
export default defineConfig({ connections: { legacy: { url: ${JSON.stringify(legacy.url)} }, warehouse: { url: ${JSON.stringify(warehouse.url)} } } });
`);
    uri = pathToFileURL(path.join(dir, "pipelines", "customers.etl.ts")).href;
    fs.writeFileSync(new URL(uri), pipeline(""));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DATABRIDGE_CONN_")));
    client = LspClient.start(dir, env);
    await client.connection.sendRequest("initialize", {
      processId: process.pid, rootUri: pathToFileURL(dir).href, workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "ws" }],
      capabilities: {}, initializationOptions: { introspectionTimeoutMs: 15_000 },
    });
    await client.connection.sendNotification("initialized", {});
    await client.waitFor<{ connections: { name: string; status: string }[] }>("databridge/schemaUpdated",
      (s) => ["legacy", "warehouse"].every((name) => s.connections.some((c) => c.name === name && c.status === "ok")));
  });

  afterAll(async () => {
    await client?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await legacy?.drop();
    await warehouse?.drop();
  });

  const actionsAt = async (text: string, version: number, at: Position) => {
    await client.connection.sendNotification(version === 1 ? "textDocument/didOpen" : "textDocument/didChange", version === 1
      ? { textDocument: { uri, languageId: "typescript", version, text } }
      : { textDocument: { uri, version }, contentChanges: [{ text }] });
    return client.connection.sendRequest("textDocument/codeAction", { textDocument: { uri }, range: { start: at, end: at }, context: { diagnostics: [] } }) as Promise<Action[]>;
  };

  it("adds every unmapped target column whose source column has the same name, case and underscores ignored; keeps what is mapped", async () => {
    const text = pipeline(`    customer_id: "CustomerID",\n    first_name: upper("FirstName"),\n`);
    const actions = await actionsAt(text, 1, positionOf(text, "columns"));
    const action = actions.find((a) => a.title.startsWith("Map all remaining target columns by name"));
    expect(action?.title).toBe("Map all remaining target columns by name (2)");
    expect(action?.kind).toBe("refactor.rewrite");
    const [edit] = action!.edit!.changes[uri];
    const applied = apply(text, edit);
    expect(applied).toBe(pipeline(`    customer_id: "CustomerID",\n    first_name: upper("FirstName"),\n    last_name: "last_name",\n    e_mail: "EMail",\n`));
  });

  it("an empty columns object gets them all; with nothing left to map, or outside columns, there is no such action", async () => {
    const empty = pipeline("");
    const all = (await actionsAt(empty, 2, positionOf(empty, "columns"))).find((a) => a.title.startsWith("Map all remaining"));
    expect(apply(empty, all!.edit!.changes[uri][0])).toContain(`  columns: {\n    customer_id: "CustomerID",\n    first_name: "FirstName",\n    last_name: "last_name",\n    e_mail: "EMail",\n  },`);

    const complete = pipeline(`    customer_id: "CustomerID",\n    first_name: "FirstName",\n    last_name: "last_name",\n    e_mail: "EMail",\n`);
    expect((await actionsAt(complete, 3, positionOf(complete, "columns"))).filter((a) => a.title.startsWith("Map all remaining"))).toEqual([]);
    const partial = pipeline(`    customer_id: "CustomerID",\n`);
    expect((await actionsAt(partial, 4, positionOf(partial, "name:"))).filter((a) => a.title.startsWith("Map all remaining"))).toEqual([]);
  });
});

function apply(text: string, edit: { range: { start: Position; end: Position }; newText: string }): string {
  const offset = (p: Position) => text.split("\n").slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return text.slice(0, offset(edit.range.start)) + edit.newText + text.slice(offset(edit.range.end));
}
