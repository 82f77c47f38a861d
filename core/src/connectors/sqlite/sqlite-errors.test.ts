import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isDataBridgeError } from "../../errors.js";
import { sqliteConnectorFactory } from "./sqlite-connector.js";
import { classifySqliteError, sqliteConnectFailure } from "./sqlite-errors.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-sqlite-errors-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const open = (file: string) => sqliteConnectorFactory.create({ name: "legacy", url: new URL(`sqlite:${file}`), baseDir: dir });
/** A SQLite file written by the driver itself, read-write, as an application would. */
function writeSqliteFile(file: string, sql: string): void {
  const { Database } = createRequire(import.meta.url)("node-sqlite3-wasm") as typeof import("node-sqlite3-wasm");
  const db = new Database(file);
  db.exec(sql);
  db.close();
}
const failureOf = (promise: Promise<unknown>) => promise.then(() => { throw new Error("expected a failure"); }, (error: unknown) => error);

describe("classifySqliteError (SQLite's messages: the driver gives no codes)", () => {
  it.each([
    ["database is locked", "transient"], ["database table is locked", "transient"], ["database schema is locked: main", "transient"], ["locking protocol", "transient"],
    ["database disk image is malformed", "terminal"], ["file is not a database", "terminal"], ["unable to open database file", "terminal"],
    ['Could not open the database "/x.db"', "terminal"], ["no such table: parts", "terminal"], ["attempt to write a readonly database", "terminal"],
    ["UNIQUE constraint failed: t.id", "terminal"],
  ])("%s → %s", (message, kind) => {
    expect(classifySqliteError(Object.assign(new Error(message), { name: "SQLite3Error" }))).toBe(kind);
  });

  it("anything without a message is terminal", () => {
    expect(classifySqliteError(undefined)).toBe("terminal");
    expect(classifySqliteError({ message: 42 })).toBe("terminal");
  });
});

describe("errors the real driver raises", () => {
  it("a file that is not a database: terminal, and a wrong 'database' of its connection", async () => {
    const file = path.join(dir, "notes.txt");
    fs.writeFileSync(file, "these are meeting notes, not a database".repeat(40));
    const error = await failureOf(open(file));
    expect(isDataBridgeError(error) && error.toLine()).toBe(`connection legacy: ${file}: file is not a database`);
    expect(classifySqliteError((error as Error).cause)).toBe("terminal");
    expect(sqliteConnectFailure((error as Error).cause)).toBe("database");
  });

  it("a lock another process holds (the driver's <file>.lock folder) is transient and names the folder to remove", async () => {
    const file = path.join(dir, "busy.db");
    writeSqliteFile(file, "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);");
    const source = await open(file);
    try {
      fs.mkdirSync(`${file}.lock`);
      const error = await failureOf(source.query("SELECT * FROM t"));
      expect(isDataBridgeError(error) && error.kind).toBe("transient");
      expect((error as Error).message).toContain("database is locked");
      expect(isDataBridgeError(error) && error.toLine()).toContain(`remove the folder ${file}.lock`);
      fs.rmdirSync(`${file}.lock`);
      expect((await source.query("SELECT * FROM t")).rows).toEqual([{ id: 1 }]);
    } finally {
      fs.rmSync(`${file}.lock`, { recursive: true, force: true });
      await source.close();
    }
  });

  it("SQL errors are terminal", async () => {
    const file = path.join(dir, "sql.db");
    writeSqliteFile(file, "CREATE TABLE t (id INTEGER PRIMARY KEY);");
    const source = await open(file);
    try {
      const error = await failureOf(source.query("SELECT nope FROM t"));
      expect((error as Error).message).toBe("no such column: nope");
      expect(source.classifyError(error)).toBe("terminal");
    } finally {
      await source.close();
    }
  });
});
