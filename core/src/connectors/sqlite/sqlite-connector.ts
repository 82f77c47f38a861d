import { stat } from "node:fs/promises";
import path from "node:path";
import type { Database } from "node-sqlite3-wasm";
import { configError, DataBridgeError, messageOf, terminalError, transientError } from "../../errors.js";
import type { Catalog, ConnectionOptions, ConnectorFactory, ReadRequest, ResultColumn, RowBatch, Source, TableRef } from "../connector.js";
import { importDriver } from "../driver.js";
import { asDerivedTable, buildKeysetSelect } from "../keyset.js";
import { quoteSqliteIdentifier, sqliteCapabilities, sqliteDialect } from "./sqlite-dialect.js";
import { classifySqliteError, sqliteConnectFailure } from "./sqlite-errors.js";
import { introspectSqlite, SQLITE_MAIN } from "./sqlite-introspector.js";
import { sqlitePostgresMapping } from "./sqlite-postgres-mapping.js";
import {
  carrySqliteValue, portableFromSqliteType, sqliteParam, sqliteReadExpression, sqliteShape, SqliteValueRejected, type SqliteShape,
} from "./sqlite-types.js";

/** The file a `sqlite:` URL names: `sqlite:data/legacy.db` relative to `baseDir` (the config's folder), `sqlite:/abs/file.db` as is. */
export function sqliteFilePath(url: URL, baseDir: string): string {
  const href = url.href.slice(url.protocol.length, url.href.length - url.search.length - url.hash.length);
  const location = decodeURIComponent(href).replace(/^\/\/(?=\/)/, "");
  return path.resolve(baseDir, location);
}

/**
 * A value the column's PostgreSQL type cannot take (see carrySqliteValue), as the row reaches the target: with
 * a NUL character, which PostgreSQL refuses in every type, so the row is rejected naming its key and column,
 * and the text says why (`databridge errors` shows it).
 */
export const rejectedValueText = (reason: string) => `\u0000(rejected by the SQLite source: ${reason})`;

interface ColumnType { name: string; declared: string }

/**
 * A SQLite file as a source: opened read-only (never written, never created) in this process through
 * SQLite compiled to WebAssembly. The driver is synchronous: every read is one keyset page, so memory is
 * bounded by the page and the event loop is given back between pages.
 */
class SqliteConnector implements Source {
  readonly type = "sqlite";
  readonly capabilities = sqliteCapabilities;
  readonly dialect = sqliteDialect;
  private readonly columnTypes = new Map<string, ColumnType[]>();
  private describes = 0;
  private closed = false;

  constructor(readonly name: string, private readonly db: Database, private readonly file: string) {}

  /** One statement, its rows as objects; SQLite's errors keep their kind and say what the file's lock means. */
  private all<T>(sql: string, params: unknown[] = []): T[] {
    try {
      return this.db.all(sql, params.map(sqliteParam) as never) as T[];
    } catch (error) {
      throw this.explain(error);
    }
  }

  private explain(error: unknown): unknown {
    const message = messageOf(error);
    if (classifySqliteError(error) === "transient") {
      return transientError(`SQLite: ${message} (another process is using ${this.file}; the driver marks its use with the folder ${this.file}.lock, which a stopped process may have left behind)`,
        { connection: this.name, fix: `retry when the other process is done; if none is running, remove the folder ${this.file}.lock` }, error);
    }
    if (/disk I\/O error/i.test(message)) {
      return terminalError(`SQLite: ${message} reading ${this.file}`, { connection: this.name, fix: `the folder of the file must be readable and writable: the driver keeps its lock there as ${path.basename(this.file)}.lock` }, error);
    }
    return error;
  }

  async defaultSchema() {
    return SQLITE_MAIN;
  }

  async serverVersion() {
    return `SQLite ${this.all<{ v: string }>("SELECT sqlite_version() AS v")[0]?.v ?? "unknown"}`;
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []) {
    const rows = this.all<T>(sql, params);
    return { rows, rowCount: rows.length };
  }

  async read(request: ReadRequest): Promise<RowBatch> {
    const types = this.typesOf(request.from);
    const columns = request.columns ?? types.map((t) => t.name);
    const declaredOf = (column: string) => findColumn(types, column)?.declared ?? "";
    const shapes = new Map<string, SqliteShape>(columns.map((c) => [c, sqliteShape(declaredOf(c))]));
    // A key from a checkpoint may come back as text (JSON keeps BigInts as text): a column's INTEGER, REAL or
    // NUMERIC affinity compares it as the number it is.
    const { sql, params } = buildKeysetSelect(this.dialect, this.capabilities, { ...request, columns }, (column) => {
      const shape = shapes.get(column);
      return shape === undefined ? undefined : sqliteReadExpression(quoteSqliteIdentifier(column), shape);
    });
    // Give the event loop a turn between synchronous pages (progress events, cancellation, the runner's HTTP).
    await new Promise((resolve) => setImmediate(resolve));
    const keyColumns = new Set(request.orderBy ?? request.key);
    const carriers = columns.map((column) => {
      const shape = shapes.get(column)!;
      const declared = declaredOf(column);
      return (value: unknown) => {
        const carried = carrySqliteValue(value, shape, declared);
        if (!(carried instanceof SqliteValueRejected)) return carried;
        if (keyColumns.has(column)) {
          // Pages continue after the last key read: a key read as anything but what is stored would skip or repeat rows.
          throw terminalError(`key column ${column} holds ${carried.reason}: rows cannot be paged by it`,
            { connection: this.name, table: sourceLabel(request.from), column, fix: "page by another unique column (source.key), or correct the value in the file" });
        }
        return rejectedValueText(carried.reason);
      };
    });
    const rows = this.all<Record<string, unknown>>(sql, params).map((row) => columns.map((column, i) => carriers[i](row[column])));
    return { columns: columns.map((column) => ({ name: column, type: portableFromSqliteType(declaredOf(column)) })), rows };
  }

  /** The declared types of a table's columns (or a source query's), once per connector. */
  private typesOf(from: ReadRequest["from"]): ColumnType[] {
    const id = "table" in from ? `table\u0000${from.table.schema ?? ""}\u0000${from.table.name}` : `query\u0000${from.query}`;
    let types = this.columnTypes.get(id);
    if (!types) {
      types = "table" in from
        ? this.all<{ name: string; type: string; hidden: number }>(
          "SELECT name, type, hidden FROM pragma_table_xinfo(?, ?) ORDER BY cid", [from.table.name, from.table.schema ?? SQLITE_MAIN],
        ).filter((c) => c.hidden !== 1).map((c) => ({ name: c.name, declared: c.type }))
        : this.describe(`SELECT * FROM ${asDerivedTable(from.query)}`);
      if (!types.length) throw terminalError(`no table or view ${sourceLabel(from)} in ${this.file}`, { connection: this.name, table: sourceLabel(from) });
      this.columnTypes.set(id, types);
    }
    return types;
  }

  /**
   * A query's result columns and their declared types (a column read straight from a table keeps its
   * table's type; an expression has none): SQLite tells them for a view, so the query becomes a TEMP view
   * for a moment — in the connection's own temporary database, the file is not touched.
   */
  private describe(sql: string): ColumnType[] {
    const view = `databridge_describe_${++this.describes}`;
    this.all(`CREATE TEMP VIEW ${quoteSqliteIdentifier(view)} AS ${sql}`);
    try {
      return this.all<{ name: string; type: string }>("SELECT name, type FROM pragma_table_xinfo(?, 'temp') ORDER BY cid", [view])
        .map((c) => ({ name: c.name, declared: c.type }));
    } finally {
      this.all(`DROP VIEW IF EXISTS temp.${quoteSqliteIdentifier(view)}`);
    }
  }

  async describeQuery(sql: string): Promise<ResultColumn[]> {
    return this.describe(`SELECT * FROM ${asDerivedTable(sql)}`).map((c) => ({ name: c.name, type: portableFromSqliteType(c.declared) }));
  }

  async introspect(options?: { tables?: TableRef[] }): Promise<Catalog> {
    const about = { connection: this.name, type: this.type, serverVersion: await this.serverVersion() };
    return introspectSqlite((sql, params) => this.all(sql, params), about, options?.tables);
  }

  postgresMapping = sqlitePostgresMapping;
  classifyError = classifySqliteError;

  async close() {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

const findColumn = (types: ColumnType[], name: string) => types.find((t) => t.name === name) ?? types.find((t) => t.name.toLowerCase() === name.toLowerCase());

const sourceLabel = (from: ReadRequest["from"]) => ("table" in from ? (from.table.schema ? `${from.table.schema}.${from.table.name}` : from.table.name) : "(source query)");

async function existingFile(location: string): Promise<"file" | "folder" | undefined> {
  const found = await stat(location).catch(() => undefined);
  return found?.isFile() ? "file" : found?.isDirectory() ? "folder" : undefined;
}

export const sqliteConnectorFactory: ConnectorFactory = {
  schemes: ["sqlite"],
  type: "sqlite",
  description: {
    label: "SQLite (file)",
    detail: "A SQLite 3 database file, read in-process and never written; source",
    roles: ["source"],
    storage: "file",
    urlExample: "sqlite:data/legacy.db",
    integrationTested: true,
  },
  embedded: {
    location: sqliteFilePath,
    exists: async (location) => (await existingFile(location)) === "file",
  },
  connectFailure: sqliteConnectFailure,
  async create(options: ConnectionOptions) {
    const file = sqliteFilePath(options.url, options.baseDir);
    const found = await existingFile(file);
    // Read-only: a source is never written, and opening a missing file must not create an empty database.
    if (found !== "file") {
      throw configError(found === "folder" ? `${file} is a folder, not a SQLite database file` : `no SQLite database at ${file}`,
        { connection: options.name, fix: "correct the path in the connection URL (sqlite:<file>, relative to the folder of databridge.config.ts)" });
    }
    const driver = await importDriver("node-sqlite3-wasm", options.name, () => import("node-sqlite3-wasm"));
    // A CommonJS module: its exports are the default export's properties.
    const { Database: SqliteDatabase } = (driver as unknown as { default: typeof import("node-sqlite3-wasm") }).default ?? driver;
    let db: Database;
    try {
      db = new SqliteDatabase(file, { readOnly: true });
    } catch (error) {
      throw terminalError(`cannot open ${file} as a SQLite database: ${messageOf(error)}`, { connection: options.name }, error);
    }
    const connector = new SqliteConnector(options.name, db, file);
    try {
      // Reading the schema is where a file that is not a database (or a damaged one) says so.
      await connector.query("SELECT count(*) AS n FROM sqlite_schema");
      db.exec("PRAGMA temp_store = MEMORY");
    } catch (error) {
      await connector.close();
      if (error instanceof DataBridgeError) throw error;
      throw terminalError(`${file}: ${messageOf(error)}`, { connection: options.name }, error);
    }
    return connector;
  },
};
