import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createProtocolConnection, IPCMessageReader, IPCMessageWriter } from "vscode-languageserver-protocol/node";
import { REPO, findCursorPosition } from "./lsp-client.js";

/** The same server over Node IPC (`--node-ipc`), as editors that fork it use it; a schema from the cache only. */
describe("databridge-language-server over --node-ipc", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-lsp-ipc-"));
  const child = fork(path.join(REPO, "language", "bin", "databridge-language-server.mjs"), ["--node-ipc"], { cwd: dir, stdio: ["ignore", "ignore", "pipe", "ipc"] });
  const connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  connection.listen();

  afterAll(async () => {
    await connection.sendRequest("shutdown").catch(() => {});
    await connection.sendNotification("exit").catch(() => {});
    if (child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
    connection.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("answers initialize and completes from .databridge/schema-cache.json with introspection off", async () => {
    fs.writeFileSync(path.join(dir, "databridge.config.ts"), `export default { connections: { legacy: { url: "postgres://nobody@127.0.0.1:1/x" } } };\n`);
    fs.mkdirSync(path.join(dir, ".databridge"));
    const catalog = {
      connection: "legacy", type: "postgres", defaultSchema: "public",
      tables: [{ schema: "public", name: "people", kind: "table", primaryKey: ["id"], foreignKeys: [], indexes: [], estimatedRows: 3, columns: [
        { name: "id", nativeType: "integer", type: { kind: "integer" }, nullable: false, default: null },
        { name: "given_name", nativeType: "text", type: { kind: "text" }, nullable: true, default: null },
      ] }],
    };
    fs.writeFileSync(path.join(dir, ".databridge", "schema-cache.json"), JSON.stringify({ version: 1, connections: { legacy: { type: "postgres", fetchedAt: "2025-01-01T00:00:00Z", catalog } } }));
    const init = await connection.sendRequest("initialize", { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {}, initializationOptions: { introspect: false } }) as { serverInfo: { name: string } };
    expect(init.serverInfo.name).toBe("databridge-language-server");
    await connection.sendNotification("initialized", {});
    const { text, line, character } = findCursorPosition(`import { pipeline } from "@databridge/core";\nexport default pipeline({ name: "p", source: { connection: "legacy", table: "people" }, target: { connection: "legacy", table: "people" }, columns: { id: "|" } });\n`);
    const uri = pathToFileURL(path.join(dir, "p.etl.ts")).href;
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version: 1, text } });
    const result = await connection.sendRequest("textDocument/completion", { textDocument: { uri }, position: { line, character } }) as { items: { label: string; detail: string }[] };
    expect(result.items.map((i) => [i.label, i.detail])).toEqual([["id", "integer · NOT NULL · PK · people ~3 rows"], ["given_name", "text · NULL · people ~3 rows"]]);

    // `databridge types` (or another server) rewrote the cache: the client's file watcher says so, the server reloads it.
    const columns = [...catalog.tables[0].columns, { name: "family_name", nativeType: "text", type: { kind: "text" }, nullable: true, default: null }];
    const newer = { ...catalog, tables: [{ ...catalog.tables[0], columns }] };
    fs.writeFileSync(path.join(dir, ".databridge", "schema-cache.json"), JSON.stringify({ version: 1, connections: { legacy: { type: "postgres", fetchedAt: "2025-02-01T00:00:00Z", catalog: newer } } }));
    type Status = { connections: { name: string; tables: number; fetchedAt: string }[] };
    const updated = new Promise<Status>((resolve) => connection.onNotification("databridge/schemaUpdated", (status: Status) => {
      if (status.connections.some((c) => c.fetchedAt === "2025-02-01T00:00:00Z")) resolve(status);
    }));
    await connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: pathToFileURL(path.join(dir, ".databridge", "schema-cache.json")).href, type: 2 }] });
    expect((await updated).connections[0]).toMatchObject({ name: "legacy", fetchedAt: "2025-02-01T00:00:00Z" });
    const after = await connection.sendRequest("textDocument/completion", { textDocument: { uri }, position: { line, character } }) as { items: { label: string }[] };
    expect(after.items.map((i) => i.label)).toEqual(["id", "given_name", "family_name"]);
  });
});
