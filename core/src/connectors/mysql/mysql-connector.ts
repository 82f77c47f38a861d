import type { Pool, FieldPacket } from "mysql2/promise";
import { configError, registerSecret } from "../../errors.js";
import type { Catalog, ColumnInfo, ConnectionOptions, Connector, ConnectorFactory, ReadRequest, ResultColumn, RowBatch, TableInfo, TableRef, TargetSession } from "../connector.js";
import { asDerivedTable, buildKeysetSelect } from "../keyset.js";
import { mysqlCapabilities, mysqlDialect } from "./mysql-dialect.js";
import { classifyMysqlError, mysqlConnectFailure } from "./mysql-errors.js";
import { portableFromMysqlField, portableFromMysqlType } from "./mysql-types.js";

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

class MysqlConnector implements Connector {
  readonly type = "mysql";
  readonly capabilities = mysqlCapabilities;
  readonly dialect = mysqlDialect;
  private version?: string;

  constructor(readonly name: string, private readonly pool: Pool) {}

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
    const { sql, params } = buildKeysetSelect(this.dialect, this.capabilities, request);
    const [rows, fields] = await this.pool.query({ sql, values: params, rowsAsArray: true });
    return { columns: (fields as FieldPacket[]).map(fieldColumn), rows: rows as unknown[][] };
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
    const columns = await this.query<{ TABLE_SCHEMA: string; TABLE_NAME: string; COLUMN_NAME: string; COLUMN_TYPE: string; IS_NULLABLE: string; COLUMN_DEFAULT: string | null; EXTRA: string }>(
      `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS WHERE 1=1${filter} ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`, params);
    const keys = await this.query<{ TABLE_SCHEMA: string; TABLE_NAME: string; CONSTRAINT_NAME: string; COLUMN_NAME: string; REFERENCED_TABLE_SCHEMA: string | null; REFERENCED_TABLE_NAME: string | null; REFERENCED_COLUMN_NAME: string | null }>(
      `SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
         FROM information_schema.KEY_COLUMN_USAGE WHERE 1=1${filter} AND (CONSTRAINT_NAME = 'PRIMARY' OR REFERENCED_TABLE_NAME IS NOT NULL)
        ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`, params);
    const indexes = await this.query<{ TABLE_SCHEMA: string; TABLE_NAME: string; INDEX_NAME: string; COLUMN_NAME: string; NON_UNIQUE: number }>(
      `SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS WHERE 1=1${filter}
        ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, params);

    const byName = new Map<string, TableInfo>();
    const id = (s: string, t: string) => `${s}\u0000${t}`;
    const result: TableInfo[] = tables.rows.map((t) => {
      const table: TableInfo = {
        schema: t.TABLE_SCHEMA, name: t.TABLE_NAME, kind: t.TABLE_TYPE === "VIEW" ? "view" : "table",
        columns: [], primaryKey: [], foreignKeys: [], indexes: [],
        estimatedRows: t.TABLE_ROWS === null ? null : Number(t.TABLE_ROWS),
      };
      byName.set(id(t.TABLE_SCHEMA, t.TABLE_NAME), table);
      return table;
    });
    for (const c of columns.rows) {
      const column: ColumnInfo = {
        name: c.COLUMN_NAME, nativeType: c.COLUMN_TYPE, type: portableFromMysqlType(c.COLUMN_TYPE),
        nullable: c.IS_NULLABLE === "YES", default: c.COLUMN_DEFAULT === "NULL" ? null : c.COLUMN_DEFAULT,
        generated: /auto_increment|GENERATED/i.test(c.EXTRA),
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
    for (const i of indexes.rows) {
      const table = byName.get(id(i.TABLE_SCHEMA, i.TABLE_NAME));
      if (!table) continue;
      let index = table.indexes.find((x) => x.name === i.INDEX_NAME);
      if (!index) table.indexes.push((index = { name: i.INDEX_NAME, columns: [], unique: Number(i.NON_UNIQUE) === 0 }));
      index.columns.push(i.COLUMN_NAME);
    }
    return { connection: this.name, type: this.type, serverVersion: await this.serverVersion(), defaultSchema: schema, tables: result };
  }

  async session(): Promise<TargetSession> {
    throw configError("MySQL/MariaDB is supported as a source; DataBridge loads into PostgreSQL targets", { connection: this.name });
  }

  nativeType(): string {
    throw configError("MySQL/MariaDB is supported as a source only", { connection: this.name });
  }

  classifyError = classifyMysqlError;

  async close() {
    await this.pool.end();
  }
}

function fieldColumn(field: FieldPacket): ResultColumn {
  return { name: field.name, type: portableFromMysqlField(field as never) };
}

export const mysqlConnectorFactory: ConnectorFactory = {
  schemes: ["mysql", "mariadb"],
  type: "mysql",
  connectFailure: mysqlConnectFailure,
  async create(options: ConnectionOptions) {
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
    return new MysqlConnector(options.name, pool);
  },
};
