import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { findCursorPosition, LspClient, positionOf } from "./lsp-client.js";

/**
 * The built language server, spawned over stdio (the root `node_modules/.bin` link), talking JSON-RPC to
 * a real client, for a workspace whose config points at a MariaDB and a PostgreSQL database created here.
 */
describe("databridge-language-server over stdio against real MariaDB and PostgreSQL", () => {
  let ready = false;
  let legacy: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let warehouse: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let dir: string;
  let client: LspClient;
  let pipelineUri: string;
  let configUri: string;

  const header = `import { pipeline, concat } from "@databridge/core";

export default pipeline({
  name: "customers",
  source: { connection: "legacy", table: "legacy_customers", key: "id" },
  target: { connection: "warehouse", table: "public.customers", mode: "upsert", key: ["id"] },
  columns: {
    id: "id",
`;
  const footer = `  },
});
`;

  beforeAll(async () => {
    ready = await requireServers("postgres", "mariadb");
    if (!ready) return;
    legacy = await createMariadbDatabase("dbt_lsp_src");
    warehouse = await createPostgresDatabase("dbt_lsp_dst");
    await legacy.query("CREATE TABLE legacy_customers (id INT PRIMARY KEY, first_name VARCHAR(50), last_name VARCHAR(50), email VARCHAR(255), status CHAR(1), created_at DATETIME)");
    await warehouse.query("CREATE TABLE customers (id integer PRIMARY KEY, full_name varchar(200) NOT NULL, email varchar(255), status varchar(20) NOT NULL, tier text NOT NULL DEFAULT 'basic')");

    dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-lsp-"));
    fs.mkdirSync(path.join(dir, "pipelines"));
    // `archive` points nowhere useful in the file; the client's initializationOptions give its real (unreachable) URL.
    fs.writeFileSync(path.join(dir, "databridge.config.ts"), `import { defineConfig } from "@databridge/core";

export default defineConfig({
  connections: {
    legacy: { url: ${JSON.stringify(legacy.url)} },
    warehouse: { url: ${JSON.stringify(warehouse.url)} },
    archive: { url: "postgres://postgres@127.0.0.1:5432/not_used" },
  },
});
`);
    pipelineUri = pathToFileURL(path.join(dir, "pipelines", "customers.etl.ts")).href;
    configUri = pathToFileURL(path.join(dir, "databridge.config.ts")).href;
    fs.writeFileSync(new URL(pipelineUri), `${header}  },\n});\n`);

    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DATABRIDGE_CONN_")));
    client = LspClient.start(dir, env);
    const init = await client.connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(dir).href,
      workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "ws" }],
      capabilities: { textDocument: { completion: { completionItem: { snippetSupport: false } }, publishDiagnostics: { versionSupport: true } } },
      initializationOptions: { connections: { archive: "postgres://postgres@127.0.0.1:1/nowhere" }, introspectionTimeoutMs: 15_000 },
    }) as { capabilities: Record<string, unknown>; serverInfo: { name: string } };
    expect(init.serverInfo.name).toBe("databridge-language-server");
    expect(init.capabilities.completionProvider).toBeTruthy();
    await client.connection.sendNotification("initialized", {});
  });

  afterAll(async () => {
    await client?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await legacy?.drop();
    await warehouse?.drop();
  });

  const open = (uri: string, text: string, version = 1) =>
    client.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version, text } });
  const change = (uri: string, text: string, version: number) =>
    client.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] });

  it("introspects both databases in the background; the unreachable one is a status, not a crash", async (ctx) => {
    if (!ready) return ctx.skip();
    const status = await client.waitFor<{ connections: { name: string; status: string; tables: number; error?: string }[] }>("databridge/schemaUpdated",
      (s) => s.connections.some((c) => c.name === "legacy" && c.status === "ok") && s.connections.some((c) => c.name === "archive" && c.status === "unreachable"));
    const byName = Object.fromEntries(status.connections.map((c) => [c.name, c]));
    expect(byName.legacy).toMatchObject({ status: "ok", tables: 1, type: "mysql" });
    expect(byName.warehouse).toMatchObject({ status: "ok", tables: 1, type: "postgres" });
    expect(byName.archive.error).toMatch(/ECONNREFUSED|connect/i);

    const cache = fs.readFileSync(path.join(dir, ".databridge", "schema-cache.json"), "utf8");
    expect(JSON.parse(cache).connections.legacy.catalog.tables[0].name).toBe("legacy_customers");
    expect(cache).not.toMatch(/mysql:\/\/|postgres:\/\/|127\.0\.0\.1/);
  });

  it("completion inside concat([\"| lists the source table's real columns with their types", async (ctx) => {
    if (!ready) return ctx.skip();
    const { text, line, character } = findCursorPosition(`${header}    full_name: concat(["|\n    email: "email",\n${footer}`);
    await open(pipelineUri, text, 1);
    const result = await client.connection.sendRequest("textDocument/completion", { textDocument: { uri: pipelineUri }, position: { line, character } }) as
      { items: { label: string; detail: string; textEdit: { range: unknown; newText: string } }[] };
    const items = Object.fromEntries(result.items.map((i) => [i.label, i]));
    expect(Object.keys(items).sort()).toEqual(["created_at", "email", "first_name", "id", "last_name", "status"]);
    expect(items.first_name.detail).toMatch(/^varchar\(50\) · NULL/);
    expect(items.id.detail).toMatch(/^int\(11\) · NOT NULL · PK/);
    expect(items.created_at.detail).toMatch(/^datetime/);
    expect(items.first_name.textEdit).toEqual({ range: { start: { line, character }, end: { line, character } }, newText: "first_name" });

    const resolved = await client.connection.sendRequest("completionItem/resolve", result.items.find((i) => i.label === "email")) as { documentation: { value: string } };
    expect(resolved.documentation.value).toContain("legacy_customers");
  });

  it("a misspelled column gets a diagnostic with the exact range and a did-you-mean fix; a NOT NULL target column left unmapped gets one too; fixing clears both", async (ctx) => {
    if (!ready) return ctx.skip();
    const typo = `${header}    full_name: concat(["frist_name", "last_name"], " "),\n    email: "email",\n${footer}`;
    await change(pipelineUri, typo, 2);
    const published = await client.diagnosticsFor(pipelineUri, 2);
    const unknown = published.diagnostics.filter((d) => d.code === "unknown-source-column");
    expect(unknown).toHaveLength(1);
    const start = positionOf(typo, "frist_name");
    expect(unknown[0].range).toEqual({ start, end: { line: start.line, character: start.character + "frist_name".length } });
    expect(unknown[0].message).toBe('source has no column "frist_name" (did you mean "first_name"?)');
    expect(unknown[0].severity).toBe(1);

    const notNull = published.diagnostics.filter((d) => d.code === "unmapped-not-null");
    expect(notNull.map((d) => d.message)).toEqual(["target column status (character varying(20)) is NOT NULL without a default and is not mapped"]);
    const columnsKey = positionOf(typo, "columns");
    expect(notNull[0].range).toEqual({ start: columnsKey, end: { line: columnsKey.line, character: columnsKey.character + "columns".length } });

    const actions = await client.connection.sendRequest("textDocument/codeAction", {
      textDocument: { uri: pipelineUri }, range: unknown[0].range, context: { diagnostics: [...unknown, ...notNull] },
    }) as { title: string; edit: { changes: Record<string, { range: any; newText: string }[]> } }[];
    const didYouMean = actions.find((a) => a.title === 'Change to "first_name"');
    expect(didYouMean?.edit.changes[pipelineUri]).toEqual([{ range: unknown[0].range, newText: "first_name" }]);
    const addStatus = actions.find((a) => a.title === 'Map status from "status"');
    expect(addStatus).toBeDefined();

    // Apply both fixes the way an editor would, and send the result.
    const fixed = applyEdits(typo, [...didYouMean!.edit.changes[pipelineUri], ...addStatus!.edit.changes[pipelineUri]]);
    expect(fixed).toContain('concat(["first_name", "last_name"], " ")');
    expect(fixed).toContain('    status: "status",\n');
    await change(pipelineUri, fixed, 3);
    const after = await client.diagnosticsFor(pipelineUri, 3);
    expect(after.diagnostics.filter((d) => d.code === "unknown-source-column" || d.code === "unmapped-not-null")).toEqual([]);
  });

  it("hover shows a column's full type; the config warns on the unreachable connection's name", async (ctx) => {
    if (!ready) return ctx.skip();
    const text = `${header}    full_name: concat(["first_name", "last_name"], " "),\n    email: "email",\n    status: "status",\n${footer}`;
    await change(pipelineUri, text, 4);
    const at = positionOf(text, '"email"', 0);
    const hover = await client.connection.sendRequest("textDocument/hover", { textDocument: { uri: pipelineUri }, position: { line: at.line, character: at.character + 2 } }) as { contents: { value: string } };
    expect(hover.contents.value).toContain("varchar(255)");
    expect(hover.contents.value).toContain("nullable");

    const config = fs.readFileSync(new URL(configUri), "utf8");
    await open(configUri, config, 1);
    const published = await client.diagnosticsFor(configUri, 1);
    expect(published.diagnostics).toHaveLength(1);
    const archive = positionOf(config, "archive");
    expect(published.diagnostics[0]).toMatchObject({
      code: "unreachable-connection", severity: 2,
      range: { start: archive, end: { line: archive.line, character: archive.character + "archive".length } },
    });
    expect(published.diagnostics[0].message).not.toMatch(/postgres:\/\//);
  });

  it("databridge/refreshSchema re-introspects: a column added in the database shows up in completion", async (ctx) => {
    if (!ready) return ctx.skip();
    await legacy.query("ALTER TABLE legacy_customers ADD COLUMN middle_name VARCHAR(40)");
    const result = await client.connection.sendRequest("databridge/refreshSchema", { uri: pipelineUri }) as { workspaces: { connections: { name: string; status: string }[] }[] };
    expect(result.workspaces[0].connections.find((c) => c.name === "legacy")?.status).toBe("ok");
    const { text, line, character } = findCursorPosition(`${header}    full_name: concat(["|"]),\n${footer}`);
    await change(pipelineUri, text, 5);
    const completion = await client.connection.sendRequest("textDocument/completion", { textDocument: { uri: pipelineUri }, position: { line, character } }) as { items: { label: string; detail: string }[] };
    expect(completion.items.find((i) => i.label === "middle_name")?.detail).toMatch(/^varchar\(40\)/);
  });

  it("an invalid cron and an unknown time zone are errors on the part at fault, as `check` reports them", async (ctx) => {
    if (!ready) return ctx.skip();
    const uri = pathToFileURL(path.join(dir, "pipelines", "nightly.etl.ts")).href;
    const text = `${header.replace('name: "customers"', 'name: "nightly"').replace("columns: {", 'schedule: { cron: "0 25 * * *", timezone: "Europe/Berln" },\n  columns: {')}    full_name: concat(["first_name", "last_name"], " "),\n    status: "status",\n${footer}`;
    await open(uri, text, 1);
    const published = await client.diagnosticsFor(uri, 1);
    const schedule = published.diagnostics.filter((d) => d.code === "invalid-schedule" || d.code === "invalid-timezone");
    const hour = positionOf(text, '"0 25');
    const zone = positionOf(text, '"Europe/Berln"');
    expect(schedule).toEqual([
      expect.objectContaining({ code: "invalid-schedule", severity: 1, message: 'schedule "0 25 * * *" hour "25" (field 2, at character 3) is not valid: 0–23',
        range: { start: { line: hour.line, character: hour.character + 3 }, end: { line: hour.line, character: hour.character + 5 } } }),
      expect.objectContaining({ code: "invalid-timezone", severity: 1, message: expect.stringMatching(/did you mean "Europe\/Berlin"/),
        range: { start: { line: zone.line, character: zone.character + 1 }, end: { line: zone.line, character: zone.character + 13 } } }),
    ]);
  });
});

function applyEdits(text: string, edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]): string {
  const offset = (p: { line: number; character: number }) => {
    const lines = text.split("\n");
    return lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  };
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const edit of sorted) out = out.slice(0, offset(edit.range.start)) + edit.newText + out.slice(offset(edit.range.end));
  return out;
}
