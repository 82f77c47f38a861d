import type { Pool, FieldPacket } from "mysql2/promise";
import type { Connection as CoreConnection } from "mysql2";
import { configError, registerSecret } from "../../errors.js";
import type { Catalog, ColumnInfo, ConnectionOptions, Connector, ConnectorFactory, ReadRequest, ResultColumn, RowBatch, TableInfo, TableRef, Source, ForeignKeyAction } from "../connector.js";
import { asDerivedTable, buildKeysetSelect } from "../keyset.js";
import { rowGroups } from "../row-groups.js";
import { mysqlCapabilities, mysqlDialectWith } from "./mysql-dialect.js";
import { classifyMysqlError, mysqlConnectFailure } from "./mysql-errors.js";
import { mysqlPostgresMapping } from "./mysql-postgres-mapping.js";
import { mysqlParam, mysqlTypeOfField, portableFromMysqlField, portableFromMysqlType, type MysqlReadOptions } from "./mysql-types.js";

export function mysqlClientConfig(url: URL) {
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  registerSecret(password);
  return {
    host: url.hostname.replace(/^\[|\]$/g, "") || "localhost",
    port: url.port ? Number(url.port) : 3306,
    user: url.username ? decodeURIComponent(url.username) : "root",
    password,
    database: decodeURIComponent(url.pathname.replace(/^\//, "")) || undefined,
    ssl: url.searchParams.get("ssl") === "true" ? {} : undefined,
  };
}

/** Read options from the URL: `?zeroDates=null` reads zero dates as NULL (like JDBC's `zeroDateTimeBehavior=convertToNull`). */
export function mysqlReadOptions(url: URL, connection: string): MysqlReadOptions {
  const zeroDates = url.searchParams.get("zeroDates") ?? "reject";
  if (zeroDates !== "null" && zeroDates !== "reject") {
    throw configError(`zeroDates=${zeroDates} in the URL of connection ${connection} is not an option`, { connection, fix: "use zeroDates=null (read zero dates as NULL) or zeroDates=reject (the default)" });
  }
  return { zeroDates };
}

/** Every session of the pool runs in UTC, whatever the server's default zone: TIMESTAMP values read as UTC instants. */
export const MYSQL_SESSION_SETUP = "SET time_zone = '+00:00'";

class MysqlConnector implements Source {
  readonly type = "mysql";
  readonly capabilities = mysqlCapabilities;
  readonly dialect;
  private version?: string;
  /** Native column types per table (or source query), for reading each column exactly. */
  private readonly columnTypes = new Map<string, Promise<Map<string, string>>>();

  constructor(readonly name: string, private readonly pool: Pool, options: MysqlReadOptions) {
    this.dialect = mysqlDialectWith(options);
  }

  async defaultSchema() {
    return (await this.query<{ db: string | null }>("SELECT DATABASE() AS db")).rows[0]?.db ?? "";
  }

  async serverVersion() {
    this.version ??= (await this.query<{ v: string }>("SELECT VERSION() AS v")).rows[0]?.v ?? "unknown";
    return `${/mariadb/i.test(this.version) ? "MariaDB" : "MySQL"} ${this.version}`;
  }

  async query<T>(sql: string, params: unknown[] = []) {
    const [result] = await this.pool.query(sql, params);
    if (Array.isArray(result)) return { rows: result as T[], rowCount: result.length };
    return { rows: [] as T[], rowCount: (result as { affectedRows?: number }).affectedRows ?? 0 };
  }

  async read(request: ReadRequest): Promise<RowBatch> {
    const { sql, params } = await this.keysetSelect(request);
    const [rows, fields] = await this.pool.query({ sql, values: params.map(mysqlParam), rowsAsArray: true });
    return { columns: (fields as FieldPacket[]).map(fieldColumn), rows: rows as unknown[][] };
  }

  async readGroups(request: ReadRequest, onGroup: (rows: unknown[][]) => void): Promise<number> {
    const { sql, params } = await this.keysetSelect(request);
    const connection = await this.pool.getConnection();
    let broken = false;
    try {
      return await new Promise<number>((resolve, reject) => {
        const rows = rowGroups(onGroup);
        // The callback connection under the promise one (typed as the promise one): its query streams rows as events.
        const core = connection.connection as unknown as CoreConnection;
        // A lost connection is reported on the connection, not on a query without a callback.
        const fail = (error: unknown) => {
          core.off("error", fail);
          broken = true;
          reject(error);
        };
        core.once("error", fail);
        const query = core.query({ sql, values: params.map(mysqlParam), rowsAsArray: true });
        query.on("result", (row: unknown) => rows.add(row as unknown[]));
        query.on("error", fail);
        query.on("end", () => {
          core.off("error", fail);
          try {
            resolve(rows.end());
          } catch (error) {
            reject(error);
          }
        });
      });
    } finally {
      // A connection whose read failed midway is not given back for another query.
      if (broken) connection.destroy();
      else connection.release();
    }
  }

  /** The keyset statement of a read, each column read through its exact expression. */
  private async keysetSelect(request: ReadRequest): Promise<{ sql: string; params: unknown[] }> {
    const types = await this.typesOf(request.from);
    const columns = request.columns ?? [...types.keys()];
    const readExpression = (column: string) => {
      const nativeType = types.get(column);
      return nativeType === undefined ? undefined : this.dialect.readExpression({ name: column, nativeType });
    };
    return buildKeysetSelect(this.dialect, this.capabilities, { ...request, columns }, readExpression);
  }

  /** The columns' native types of a table (`COLUMN_TYPE`) or of a query's result fields, once per connector. */
  private typesOf(from: ReadRequest["from"]): Promise<Map<string, string>> {
    const id = "table" in from ? `table\u0000${from.table.schema ?? ""}\u0000${from.table.name}` : `query\u0000${from.query}`;
    let types = this.columnTypes.get(id);
    if (!types) {
      types = "table" in from
        ? this.query<{ COLUMN_NAME: string; COLUMN_TYPE: string }>(
          `SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ${from.table.schema ? "?" : "DATABASE()"} AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
          [...(from.table.schema ? [from.table.schema] : []), from.table.name],
        ).then(({ rows }) => new Map(rows.map((r) => [r.COLUMN_NAME, r.COLUMN_TYPE])))
        : this.pool.query({ sql: `SELECT * FROM ${asDerivedTable(from.query)} LIMIT 0`, rowsAsArray: true }).then(([, fields]) =>
          new Map((fields as FieldPacket[]).map((field) => [field.name, mysqlTypeOfField(field as never) ?? ""])));
      types.catch(() => this.columnTypes.delete(id));
      this.columnTypes.set(id, types);
    }
    return types;
  }

  async describeQuery(sql: string): Promise<ResultColumn[]> {
    const [, fields] = await this.pool.query({ sql: `SELECT * FROM ${asDerivedTable(sql)} LIMIT 0`, rowsAsArray: true });
    return (fields as FieldPacket[]).map(fieldColumn);
  }

  async introspect(options?: { tables?: TableRef[] }): Promise<Catalog> {
    const schema = await this.defaultSchema();
    const filter = options?.tables?.length
      ? ` AND (${options.tables.map(() => "(TABLE_SCHEMA = ? AND TABLE_NAME = ?)").join(" OR ")})`
      : " AND TABLE_SCHEMA = DATABASE()";
    const params = options?.tables?.flatMap((t) => [t.schema ?? schema, t.name]) ?? [];
    const tables = await this.query<{ TABLE_SCHEMA: string; TABLE_NAME: string; TABLE_TYPE: string; TABLE_ROWS: number | null }>(
      `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, TABLE_ROWS FROM information_schema.TABLES WHERE 1=1${filter} ORDER BY TABLE_SCHEMA, TABLE_NAME`, params);
    const columns = await this.query<{ TABLE_SCHEMA: string; TABLE_NAME: string; COLUMN_NAME: string; COLUMN_TYPE: string; IS_NULLABLE: string; COLUMN_DEFAULT: string | null; EXTRA: string; CHARACTER_SET_NAME: string | null }>(
      `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE 1=1${filter} ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`, params);
    const keys = await this.query<{ TABLE_SCHEMA: string; TABLE_NAME: string; CONSTRAINT_NAME: string; COLUMN_NAME: string; REFERENCED_TABLE_SCHEMA: string | null; REFERENCED_TABLE_NAME: string | null; REFERENCED_COLUMN_NAME: string | null }>(
      `SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
         FROM information_schema.KEY_COLUMN_USAGE WHERE 1=1${filter} AND (CONSTRAINT_NAME = 'PRIMARY' OR REFERENCED_TABLE_NAME IS NOT NULL)
        ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`, params);
    const indexes = await this.query<{ TABLE_SCHEMA: string; TABLE_NAME: string; INDEX_NAME: string; COLUMN_NAME: string; NON_UNIQUE: number }>(
      `SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS WHERE 1=1${filter}
        ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, params);

    const byName = new Map<string, TableInfo>();
    const id = (...parts: string[]) => parts.join("\u0000");
    const result: TableInfo[] = tables.rows.map((t) => {
      const table: TableInfo = {
        schema: t.TABLE_SCHEMA, name: t.TABLE_NAME, kind: t.TABLE_TYPE === "VIEW" ? "view" : "table",
        columns: [], primaryKey: [], foreignKeys: [], indexes: [],
        estimatedRows: t.TABLE_ROWS === null ? null : Number(t.TABLE_ROWS),
      };
      byName.set(id(t.TABLE_SCHEMA, t.TABLE_NAME), table);
      return table;
    });
    const jsonColumns = await this.jsonColumns(filter, params);
    for (const c of columns.rows) {
      // MariaDB's JSON is LONGTEXT with a json_valid() check: it is a JSON column all the same.
      const nativeType = jsonColumns.has(id(c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME)) ? "json" : c.COLUMN_TYPE;
      const onUpdate = /\bon update (\S+)/i.exec(c.EXTRA)?.[1];
      const column: ColumnInfo = {
        name: c.COLUMN_NAME, nativeType, type: portableFromMysqlType(nativeType),
        nullable: c.IS_NULLABLE === "YES", default: c.COLUMN_DEFAULT === "NULL" ? null : c.COLUMN_DEFAULT,
        generated: /auto_increment|GENERATED/i.test(c.EXTRA),
        ...(/auto_increment/i.test(c.EXTRA) ? { identity: true } : {}),
        ...(/GENERATED/i.test(c.EXTRA) && !/DEFAULT_GENERATED/i.test(c.EXTRA) ? { computed: true } : {}),
        ...(onUpdate ? { onUpdate } : {}),
        ...(c.CHARACTER_SET_NAME ? { characterSet: c.CHARACTER_SET_NAME } : {}),
      };
      byName.get(id(c.TABLE_SCHEMA, c.TABLE_NAME))?.columns.push(column);
    }
    for (const k of keys.rows) {
      const table = byName.get(id(k.TABLE_SCHEMA, k.TABLE_NAME));
      if (!table) continue;
      if (k.CONSTRAINT_NAME === "PRIMARY") { table.primaryKey.push(k.COLUMN_NAME); continue; }
      let fk = table.foreignKeys.find((f) => f.name === k.CONSTRAINT_NAME);
      if (!fk) {
        fk = { name: k.CONSTRAINT_NAME, columns: [], referencedTable: { schema: k.REFERENCED_TABLE_SCHEMA ?? undefined, name: k.REFERENCED_TABLE_NAME ?? "" }, referencedColumns: [] };
        table.foreignKeys.push(fk);
      }
      fk.columns.push(k.COLUMN_NAME);
      fk.referencedColumns.push(k.REFERENCED_COLUMN_NAME ?? "");
    }
    const rules = await this.query<{ TABLE_SCHEMA: string; TABLE_NAME: string; CONSTRAINT_NAME: string; UPDATE_RULE: string; DELETE_RULE: string }>(
      `SELECT CONSTRAINT_SCHEMA AS TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS
        WHERE 1=1${filter.replace(/TABLE_SCHEMA/g, "CONSTRAINT_SCHEMA")}`, params);
    for (const rule of rules.rows) {
      const fk = byName.get(id(rule.TABLE_SCHEMA, rule.TABLE_NAME))?.foreignKeys.find((f) => f.name === rule.CONSTRAINT_NAME);
      if (fk) Object.assign(fk, { onDelete: foreignKeyAction(rule.DELETE_RULE), onUpdate: foreignKeyAction(rule.UPDATE_RULE) });
    }
    for (const i of indexes.rows) {
      const table = byName.get(id(i.TABLE_SCHEMA, i.TABLE_NAME));
      if (!table) continue;
      let index = table.indexes.find((x) => x.name === i.INDEX_NAME);
      if (!index) table.indexes.push((index = { name: i.INDEX_NAME, columns: [], unique: Number(i.NON_UNIQUE) === 0 }));
      index.columns.push(i.COLUMN_NAME);
    }
    return { connection: this.name, type: this.type, serverVersion: await this.serverVersion(), defaultSchema: schema, tables: result };
  }

  /**
   * Columns checked by `json_valid(col)` — how MariaDB declares JSON (an alias of LONGTEXT) — as
   * `schema\0table\0column`. MySQL has a real JSON type and no such table layout: none there.
   */
  private async jsonColumns(filter: string, params: unknown[]): Promise<Set<string>> {
    const checks = await this.query<{ TABLE_SCHEMA: string; TABLE_NAME: string; CHECK_CLAUSE: string }>(
      `SELECT CONSTRAINT_SCHEMA AS TABLE_SCHEMA, TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE 1=1${filter.replace(/TABLE_SCHEMA/g, "CONSTRAINT_SCHEMA")}`, params,
    ).catch(() => ({ rows: [] }));
    const columns = new Set<string>();
    for (const check of checks.rows) {
      const column = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(check.CHECK_CLAUSE.trim())?.[1];
      if (column) columns.add([check.TABLE_SCHEMA, check.TABLE_NAME, column.replace(/``/g, "`")].join("\u0000"));
    }
    return columns;
  }

  postgresMapping = mysqlPostgresMapping;



  classifyError = classifyMysqlError;

  async close() {
    await this.pool.end();
  }
}

/** InnoDB checks RESTRICT and NO ACTION alike, at once, and reports RESTRICT when none was declared: both are the standard's NO ACTION. */
const foreignKeyAction = (rule: string): ForeignKeyAction => (rule === "RESTRICT" ? "NO ACTION" : rule as ForeignKeyAction);

function fieldColumn(field: FieldPacket): ResultColumn {
  return { name: field.name, type: portableFromMysqlField(field as never) };
}

export const mysqlConnectorFactory: ConnectorFactory = {
  schemes: ["mysql", "mariadb"],
  type: "mysql",
  description: {
    label: "MySQL / MariaDB",
    detail: "MySQL 5.7+, MariaDB 10.3+; source",
    roles: ["source"],
    storage: "server",
    defaultPort: 3306,
    urlExample: "mysql://user@host:3306/database",
    integrationTested: true,
    urlOptions: [{ name: "ssl", description: "true to connect with TLS" }, { name: "zeroDates", description: "reject (default) or null: what a zero date becomes" }],
  },
  connectFailure: mysqlConnectFailure,
  async create(options: ConnectionOptions) {
    const readOptions = mysqlReadOptions(options.url, options.name);
    const mysql = await import("mysql2/promise");
    const pool = mysql.createPool({
      ...mysqlClientConfig(options.url),
      connectionLimit: 4,
      // Exact values: DECIMAL and BIGINT as strings, DATETIME as the server's text (never shifted by TZ).
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      dateStrings: true,
      // JSON as its text: a parsed scalar ("x", true) would reach a jsonb column as a bare word.
      jsonStrings: true,
      charset: "utf8mb4_general_ci",
      connectTimeout: 10_000,
    });
    // The 'connection' event runs before the pool hands the connection out, and the SET is queued ahead of
    // every query on it; a connection that cannot be set up is destroyed (its queries fail, transient).
    pool.pool.on("connection", (connection) => {
      connection.query(MYSQL_SESSION_SETUP, (error: unknown) => {
        if (error) connection.destroy();
      });
    });
    return new MysqlConnector(options.name, pool, readOptions);
  },
};
