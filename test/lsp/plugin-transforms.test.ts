import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCursorPosition, LspClient, positionOf } from "./lsp-client.js";

const column = (name: string, nativeType: string, kind: string, nullable = true) => ({ name, nativeType, type: { kind }, nullable, default: null });
const table = (schema: string, name: string, columns: ReturnType<typeof column>[]) =>
  ({ schema, name, kind: "table", primaryKey: ["id"], foreignKeys: [], indexes: [], estimatedRows: 3, columns });

/** What the server knows of the databases: the schema cache only (introspection off), so no server is needed. */
const SCHEMA_CACHE = {
  version: 1,
  connections: {
    legacy: {
      type: "postgres", fetchedAt: "2025-01-01T00:00:00Z",
      catalog: { connection: "legacy", type: "postgres", defaultSchema: "public", tables: [table("public", "people", [
        column("id", "integer", "integer", false), column("email", "text", "text"), column("given_name", "text", "text"), column("visits", "integer", "integer"),
      ])] },
    },
    warehouse: {
      type: "postgres", fetchedAt: "2025-01-01T00:00:00Z",
      catalog: { connection: "warehouse", type: "postgres", defaultSchema: "public", tables: [table("public", "people", [
        column("id", "integer", "integer", false), column("email", "text", "text"), column("frequent", "text", "text"),
      ])] },
    },
  },
};

/** The workspace's own transforms, declared in its config with argument roles and nothing else for the editor. */
const CONFIG = `import { defineConfig, definePlugin } from "@databridge/core";

const masking = definePlugin({
  name: "masking",
  transforms: [
    {
      name: "maskEmail",
      args: [{ name: "email", role: "column" }, { name: "keep", role: "literal" }],
      compile: ([email, keep = 1]: [string, number?], ctx) => {
        const read = ctx.column(email);
        return (row) => String(read(row) ?? "").replace(/^[^@]*/, (name) => name.slice(0, keep) + "***");
      },
    },
    {
      name: "flagWhen",
      args: [{ name: "condition", role: "expression" }, { name: "label", role: "literal" }],
      compile: ([condition, label]: [string, string], ctx) => {
        const { evaluate } = ctx.expression(condition);
        return (row) => (evaluate(row) ? label : null);
      },
    },
  ],
});

export default defineConfig({
  plugins: [masking],
  connections: {
    legacy: { url: "postgres://nobody@127.0.0.1:1/legacy" },
    warehouse: { url: "postgres://nobody@127.0.0.1:1/warehouse" },
  },
});
`;

const pipelineText = (columns: string) => `import { pipeline, transform } from "@databridge/core";

export default pipeline({
  name: "people",
  source: { connection: "legacy", table: "people", key: "id" },
  target: { connection: "warehouse", table: "public.people", mode: "upsert", key: ["id"] },
  columns: {
    id: "id",
${columns}
  },
});
`;

type Published = { uri: string; version?: number; diagnostics: { code: string; message: string; range: { start: { line: number; character: number }; end: { line: number; character: number } } }[] };

/**
 * A plugin transform declared in a workspace's `databridge.config.ts` (loaded by the built server with the
 * CLI's loader), used in a pipeline through `transform("…")`: its column and expression arguments get
 * completions and unknown-column diagnostics with a did-you-mean fix, over a real stdio connection.
 */
describe("a workspace plugin's transforms in the language server over stdio", () => {
  let dir: string;
  let client: LspClient;
  let uri: string;
  const typo = pipelineText(`    email: transform("maskEmail", "emial", 2),`);
  let firstChecked: Published;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-lsp-plugin-"));
    fs.mkdirSync(path.join(dir, "pipelines"));
    fs.mkdirSync(path.join(dir, ".databridge"));
    fs.writeFileSync(path.join(dir, "databridge.config.ts"), CONFIG);
    fs.writeFileSync(path.join(dir, ".databridge", "schema-cache.json"), JSON.stringify(SCHEMA_CACHE));
    uri = pathToFileURL(path.join(dir, "pipelines", "people.etl.ts")).href;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DATABRIDGE_CONN_")));
    client = LspClient.start(dir, env);
    await client.connection.sendRequest("initialize", {
      processId: process.pid, rootUri: pathToFileURL(dir).href, workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "ws" }],
      capabilities: { textDocument: { publishDiagnostics: { versionSupport: true } } },
      initializationOptions: { introspect: false },
    });
    await client.connection.sendNotification("initialized", {});
    await send(typo, 1);
    // The config (and with it the plugin) loads in the background: wait for the diagnostics that need it.
    firstChecked = await client.waitFor<Published>("textDocument/publishDiagnostics",
      (p) => p.uri === uri && p.diagnostics.some((d) => d.code === "unknown-source-column"));
  });

  afterAll(async () => {
    await client?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const send = (text: string, version: number) => version === 1
    ? client.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version, text } })
    : client.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] });

  it("an unknown column in the plugin's column argument: exact range, did-you-mean, a fix that clears it", async () => {
    const unknown = firstChecked.diagnostics.filter((d) => d.code === "unknown-source-column");
    const start = positionOf(typo, "emial");
    expect(unknown).toEqual([expect.objectContaining({
      message: 'source has no column "emial" (did you mean "email"?)',
      range: { start, end: { line: start.line, character: start.character + "emial".length } },
    })]);

    const actions = await client.connection.sendRequest("textDocument/codeAction", { textDocument: { uri }, range: unknown[0].range, context: { diagnostics: unknown } }) as
      { title: string; edit: { changes: Record<string, { newText: string }[]> } }[];
    expect(actions.map((a) => [a.title, a.edit.changes[uri][0].newText])).toEqual([['Change to "email"', "email"]]);

    await send(pipelineText(`    email: transform("maskEmail", "email", 2),`), 2);
    const fixed = await client.diagnosticsFor(uri, 2);
    expect(fixed.diagnostics.filter((d) => d.code === "unknown-source-column")).toEqual([]);
  });

  it("completions of source columns in its column argument, none in its literal one, columns and functions in its expression argument", async () => {
    const completeAt = async (columns: string, version: number) => {
      const { text, line, character } = findCursorPosition(pipelineText(columns));
      await send(text, version);
      const result = await client.connection.sendRequest("textDocument/completion", { textDocument: { uri }, position: { line, character } }) as { items: { label: string; detail?: string }[] };
      return result.items;
    };
    const column = await completeAt(`    email: transform("maskEmail", "|"),`, 3);
    expect(column.map((i) => [i.label, i.detail])).toEqual([
      ["id", "integer · NOT NULL · PK · people ~3 rows"], ["email", "text · NULL · people ~3 rows"],
      ["given_name", "text · NULL · people ~3 rows"], ["visits", "integer · NULL · people ~3 rows"],
    ]);
    expect(await completeAt(`    email: transform("maskEmail", "email", "|"),`, 4)).toEqual([]);
    const expression = (await completeAt(`    frequent: transform("flagWhen", "vis|", "yes"),`, 5)).map((i) => i.label);
    expect(expression.slice(0, 4)).toEqual(["id", "email", "given_name", "visits"]);
    expect(expression).toContain("round");
  });

  it("an unknown name in its expression argument is marked on the name itself", async () => {
    const text = pipelineText(`    frequent: transform("flagWhen", "visit > 10", "yes"),`);
    await send(text, 6);
    const published = await client.diagnosticsFor(uri, 6);
    const start = positionOf(text, "visit >");
    expect(published.diagnostics.map((d) => [d.code, d.message, d.range])).toEqual([[
      "unknown-source-column", 'source has no column "visit" (did you mean "visits"?)', { start, end: { line: start.line, character: start.character + "visit".length } },
    ]]);
  });
});
