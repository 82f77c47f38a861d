import type { ConnectionPool, config as MssqlConfig } from "mssql";
import { configError, DataBridgeError, isDataBridgeError, messageOf, registerSecret } from "../../errors.js";
import type {
  Catalog, ColumnInfo, ConnectionOptions, Connector, ConnectorFactory, ReadRequest, ResultColumn, RowBatch, TableInfo, TableRef, Source } from "../connector.js";
import { importDriver } from "../driver.js";
import { buildKeysetSelect } from "../keyset.js";
import { mssqlCapabilities, mssqlDialect } from "./mssql-dialect.js";
import { classifyMssqlError, mssqlConnectFailure } from "./mssql-errors.js";
import { mssqlPostgresMapping } from "./mssql-postgres-mapping.js";
import {
  mssqlKeyParameter, mssqlReadExpression, mssqlTypeFromCatalog, mssqlTypeFromColumn, portableFromMssqlType, shortestFloat32, type MssqlColumnMetadata,
} from "./mssql-types.js";

type MssqlModule = typeof import("mssql");

const PARAMETERS = ["encrypt", "trustServerCertificate", "instanceName", "connect_timeout", "request_timeout", "domain"] as const;
type Parameter = (typeof PARAMETERS)[number];

function parameters(url: URL): Partial<Record<Parameter, string>> {
  const out: Partial<Record<Parameter, string>> = {};
  for (const [key, value] of url.searchParams) {
    const known = key.toLowerCase() === "instance" ? "instanceName" : PARAMETERS.find((p) => p.toLowerCase() === key.toLowerCase());
    if (!known) throw configError(`unknown SQL Server URL parameter "${key}"`, { fix: `use ${PARAMETERS.join(", ")}` });
    out[known] = value;
  }
  return out;
}

function flag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw configError(`SQL Server URL parameter ${name} must be true or false (got "${value}")`);
}

function seconds(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback * 1000;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw configError(`SQL Server URL parameter ${name} must be a number of seconds (got "${value}")`);
  return Math.round(n * 1000);
}

/**
 * The driver config from a `mssql://` / `sqlserver://` URL, as separate fields so the URL (and its password)
 * is never echoed. A named instance is `host%5CINSTANCE` (an encoded `\`: a raw backslash is not a valid URL)
 * or `?instanceName=INSTANCE`; parameters: `encrypt` (true, false or strict; default true, the driver's),
 * `trustServerCertificate`, `connect_timeout` and `request_timeout` in seconds (default 15 and 300; 0 = none),
 * `domain` (Windows/NTLM login).
 */
export function mssqlClientConfig(url: URL): MssqlConfig & { server: string } {
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  registerSecret(password);
  const params = parameters(url);
  let server = decodeURIComponent(url.hostname.replace(/^\[|\]$/g, "")) || "localhost";
  let instanceName = params.instanceName || undefined;
  const slash = server.indexOf("\\");
  if (slash >= 0) {
    instanceName = server.slice(slash + 1) || instanceName;
    server = server.slice(0, slash) || "localhost";
  }
  if (instanceName && url.port) {
    throw configError("a SQL Server URL names either a port or an instance, not both", { fix: "drop the port (the SQL Server Browser finds the instance) or the instance name" });
  }
  const encrypt = params.encrypt !== undefined && /^strict$/i.test(params.encrypt) ? "strict" : flag("encrypt", params.encrypt) ?? true;
  const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || undefined;
  return {
    server,
    port: instanceName ? undefined : url.port ? Number(url.port) : 1433,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password,
    domain: params.domain || undefined,
    database,
    connectionTimeout: seconds("connect_timeout", params.connect_timeout, 15),
    requestTimeout: seconds("request_timeout", params.request_timeout, 300),
    options: {
      // The driver's option type says boolean; tedious also takes "strict" (TDS 8).
      encrypt: encrypt as boolean,
      trustServerCertificate: flag("trustServerCertificate", params.trustServerCertificate) ?? false,
      instanceName,
      appName: "databridge",
      useUTC: true,
    },
  };
}

/** `host\INSTANCE/db` or `host:port/db`, for messages (never the user or password). */
export function describeMssqlServer(config: MssqlConfig): string {
  const where = config.options?.instanceName ? `${config.server}\\${config.options.instanceName}` : `${config.server}:${config.port ?? 1433}`;
  return config.database ? `${where}/${config.database}` : where;
}

/** A key value compared with a varchar column: bound as varchar, not the driver's default nvarchar (which would convert the column and lose its index). */
export class VarcharParameter {
  constructor(readonly value: string) {}
}

/** A source's result column: its name and the type as SQL Server spells it (`decimal(10,2)`). */
export interface MssqlSourceColumn {
  name: string;
  nativeType: string;
}

/** A table, or a query as a derived table. */
export function mssqlFromSql(from: ReadRequest["from"]): string {
  return "table" in from ? mssqlDialect.quoteTable(from.table) : `(${from.query.trim().replace(/\s*;\s*$/, "")}\n) AS [databridge_query]`;
}

/**
 * The keyset page for SQL Server. Columns whose driver value is not exact (decimal, money, dates) are
 * converted to text in a derived table under `databridge$<n>` aliases; the keyset predicate and ORDER BY
 * still use the original columns, so the key's index serves the page.
 */
export function buildMssqlRead(request: ReadRequest, source: readonly MssqlSourceColumn[]): { sql: string; params: unknown[]; names: string[]; columns: (MssqlSourceColumn | undefined)[] } {
  const find = (name: string) => source.find((c) => c.name === name) ?? source.find((c) => c.name.toLowerCase() === name.toLowerCase());
  const q = mssqlDialect.quoteIdentifier;
  const names = request.columns ?? source.map((c) => c.name);
  const conversions: string[] = [];
  const selected = names.map((name, i) => {
    const column = find(name);
    const expression = column && mssqlReadExpression(q(column.name), column.nativeType);
    if (!expression) return name;
    conversions.push(`${expression} AS ${q(`databridge$${i + 1}`)}`);
    return `databridge$${i + 1}`;
  });
  const from = conversions.length ? { query: `SELECT *, ${conversions.join(", ")} FROM ${mssqlFromSql(request.from)}` } : request.from;
  const order = request.orderBy ?? request.key;
  const after = request.after?.map((value, i) => {
    const column = find(order[i]);
    if (typeof value !== "string" || !column) return value;
    switch (mssqlKeyParameter(column.nativeType)) {
      case "varchar": return new VarcharParameter(value);
      case "iso-datetime": return value.replace(" ", "T");
      default: return value;
    }
  });
  const { sql, params } = buildKeysetSelect(mssqlDialect, mssqlCapabilities, { ...request, from, columns: selected, after });
  return { sql, params, names, columns: names.map(find) };
}

interface SourceColumn extends MssqlSourceColumn {
  column: ResultColumn;
}

/** Rows of the catalog queries, as `introspect()` reads them. */
export interface MssqlCatalogRows {
  tables: { schema_name: string; table_name: string; object_type: string; estimated_rows: string | number | null }[];
  columns: {
    schema_name: string; table_name: string; column_name: string; type_name: string; max_length: number; precision: number; scale: number;
    is_nullable: boolean; is_identity: boolean; is_computed: boolean; default_definition: string | null;
  }[];
  indexes: { schema_name: string; table_name: string; index_name: string; is_primary_key: boolean; is_unique: boolean; column_name: string }[];
  foreignKeys: {
    schema_name: string; table_name: string; constraint_name: string; column_name: string;
    referenced_schema: string; referenced_table: string; referenced_column: string;
  }[];
}

/** Assembles the catalog's tables from the rows of the `sys.*` queries (rows come ordered by table, then position). */
export function mssqlCatalogTables(rows: MssqlCatalogRows): TableInfo[] {
  const byName = new Map<string, TableInfo>();
  const id = (schema: string, table: string) => `${schema}\u0000${table}`;
  const tables = rows.tables.map((t) => {
    const kind = t.object_type.trim() === "V" ? "view" : "table";
    const table: TableInfo = {
      schema: t.schema_name, name: t.table_name, kind, columns: [], primaryKey: [], foreignKeys: [], indexes: [],
      estimatedRows: kind === "view" || t.estimated_rows === null ? null : Number(t.estimated_rows),
    };
    byName.set(id(t.schema_name, t.table_name), table);
    return table;
  });
  for (const c of rows.columns) {
    const nativeType = mssqlTypeFromCatalog({ typeName: c.type_name, maxLength: c.max_length, precision: c.precision, scale: c.scale });
    const column: ColumnInfo = {
      name: c.column_name, nativeType, type: portableFromMssqlType(nativeType), nullable: Boolean(c.is_nullable),
      default: c.default_definition ?? null,
      // rowversion (`timestamp`) is filled by the server like identity and computed columns.
      generated: Boolean(c.is_identity) || Boolean(c.is_computed) || c.type_name.toLowerCase() === "timestamp",
      ...(c.is_identity ? { identity: true } : {}),
      ...(c.is_computed ? { computed: true } : {}),
    };
    byName.get(id(c.schema_name, c.table_name))?.columns.push(column);
  }
  for (const i of rows.indexes) {
    const table = byName.get(id(i.schema_name, i.table_name));
    if (!table) continue;
    if (i.is_primary_key) table.primaryKey.push(i.column_name);
    let index = table.indexes.find((x) => x.name === i.index_name);
    if (!index) table.indexes.push((index = { name: i.index_name, columns: [], unique: Boolean(i.is_unique) }));
    index.columns.push(i.column_name);
  }
  for (const k of rows.foreignKeys) {
    const table = byName.get(id(k.schema_name, k.table_name));
    if (!table) continue;
    let fk = table.foreignKeys.find((f) => f.name === k.constraint_name);
    if (!fk) {
      fk = { name: k.constraint_name, columns: [], referencedTable: { schema: k.referenced_schema, name: k.referenced_table }, referencedColumns: [] };
      table.foreignKeys.push(fk);
    }
    fk.columns.push(k.column_name);
    fk.referencedColumns.push(k.referenced_column);
  }
  return tables;
}

const USER_OBJECTS = "o.type IN ('U', 'V') AND o.is_ms_shipped = 0";

class MssqlConnector implements Source {
  readonly type = "mssql";
  readonly capabilities = mssqlCapabilities;
  readonly dialect = mssqlDialect;
  private version?: string;
  private schema?: string;
  /** Result columns of each source (table or query), resolved once with `SELECT TOP 0`. */
  private readonly sources = new Map<string, Promise<SourceColumn[]>>();

  constructor(readonly name: string, private readonly pool: ConnectionPool, private readonly sql: MssqlModule) {}

  async defaultSchema() {
    this.schema ??= (await this.query<{ s: string | null }>("SELECT SCHEMA_NAME() AS s")).rows[0]?.s ?? "dbo";
    return this.schema;
  }

  async serverVersion() {
    this.version ??= await this.query<{ v: string | null; e: string | null }>(
      "SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS v, CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS e",
    ).then(({ rows }) => `${rows[0]?.v ?? "unknown"}${rows[0]?.e ? ` (${rows[0].e})` : ""}`);
    return `SQL Server ${this.version}`;
  }

  private request(params: unknown[], arrayRowMode = false) {
    const request = this.pool.request();
    request.arrayRowMode = arrayRowMode;
    params.forEach((value, i) => {
      if (value instanceof VarcharParameter) request.input(`p${i + 1}`, this.sql.VarChar(value.value.length > 8000 ? this.sql.MAX : 8000), value.value);
      else request.input(`p${i + 1}`, value);
    });
    return request;
  }

  async query<T>(sql: string, params: unknown[] = []) {
    const result = await this.request(params).query(sql);
    if (result.recordset) return { rows: result.recordset as unknown as T[], rowCount: result.recordset.length };
    return { rows: [] as T[], rowCount: result.rowsAffected.reduce((sum, n) => sum + n, 0) };
  }

  private async describe(fromSql: string): Promise<SourceColumn[]> {
    const result = await this.request([], true).query(`SELECT TOP 0 * FROM ${fromSql}`);
    const columns = ((result as unknown as { columns?: MssqlColumnMetadata[][] }).columns?.[0] ?? []);
    return columns.map((meta) => {
      const nativeType = mssqlTypeFromColumn(meta);
      return { name: meta.name, nativeType, column: { name: meta.name, type: portableFromMssqlType(nativeType) } };
    });
  }

  private sourceColumns(from: ReadRequest["from"]): Promise<SourceColumn[]> {
    const key = "table" in from ? `table:${this.dialect.quoteTable(from.table)}` : `query:${from.query}`;
    let columns = this.sources.get(key);
    if (!columns) {
      columns = this.describe(mssqlFromSql(from));
      this.sources.set(key, columns);
      columns.catch(() => this.sources.delete(key));
    }
    return columns;
  }

  async read(request: ReadRequest): Promise<RowBatch> {
    const source = await this.sourceColumns(request.from);
    const { sql, params, names, columns } = buildMssqlRead(request, source);
    const result = await this.request(params, true).query(sql);
    const rows = (result.recordset ?? []) as unknown as unknown[][];
    const reals = columns.flatMap((column, i) => (column?.nativeType === "real" ? [i] : []));
    if (reals.length) {
      for (const row of rows) for (const i of reals) if (typeof row[i] === "number") row[i] = shortestFloat32(row[i] as number);
    }
    return { columns: names.map((name, i) => ({ name, type: (columns[i] as SourceColumn | undefined)?.column.type ?? { kind: "unknown" } })), rows };
  }

  async describeQuery(sql: string): Promise<ResultColumn[]> {
    return (await this.describe(mssqlFromSql({ query: sql }))).map((c) => c.column);
  }

  async introspect(options?: { tables?: TableRef[] }): Promise<Catalog> {
    const schema = await this.defaultSchema();
    const params: unknown[] = [];
    const filter = options?.tables?.length
      ? ` AND (${options.tables.map((t) => {
        params.push(t.schema ?? schema, t.name);
        return `(s.name = @p${params.length - 1} AND o.name = @p${params.length})`;
      }).join(" OR ")})`
      : "";
    const [tables, columns, indexes, foreignKeys] = await Promise.all([
      this.query<MssqlCatalogRows["tables"][number]>(
        `SELECT s.name AS schema_name, o.name AS table_name, o.type AS object_type,
                (SELECT SUM(p.rows) FROM sys.partitions p WHERE p.object_id = o.object_id AND p.index_id IN (0, 1)) AS estimated_rows
           FROM sys.objects o JOIN sys.schemas s ON s.schema_id = o.schema_id
          WHERE ${USER_OBJECTS}${filter}
          ORDER BY s.name, o.name`, params),
      this.query<MssqlCatalogRows["columns"][number]>(
        `SELECT s.name AS schema_name, o.name AS table_name, c.name AS column_name,
                CASE WHEN t.is_user_defined = 1 AND t.is_assembly_type = 0 THEN TYPE_NAME(c.system_type_id) ELSE t.name END AS type_name,
                c.max_length, c.precision, c.scale, c.is_nullable, c.is_identity, c.is_computed, dc.definition AS default_definition
           FROM sys.columns c
           JOIN sys.objects o ON o.object_id = c.object_id
           JOIN sys.schemas s ON s.schema_id = o.schema_id
           JOIN sys.types t ON t.user_type_id = c.user_type_id
           LEFT JOIN sys.default_constraints dc ON dc.object_id = c.default_object_id
          WHERE ${USER_OBJECTS}${filter}
          ORDER BY s.name, o.name, c.column_id`, params),
      this.query<MssqlCatalogRows["indexes"][number]>(
        `SELECT s.name AS schema_name, o.name AS table_name, i.name AS index_name, i.is_primary_key, i.is_unique, c.name AS column_name
           FROM sys.indexes i
           JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.key_ordinal > 0
           JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
           JOIN sys.objects o ON o.object_id = i.object_id
           JOIN sys.schemas s ON s.schema_id = o.schema_id
          WHERE ${USER_OBJECTS} AND i.is_hypothetical = 0${filter}
          ORDER BY s.name, o.name, i.name, ic.key_ordinal`, params),
      this.query<MssqlCatalogRows["foreignKeys"][number]>(
        `SELECT s.name AS schema_name, o.name AS table_name, fk.name AS constraint_name, pc.name AS column_name,
                rs.name AS referenced_schema, ro.name AS referenced_table, rc.name AS referenced_column
           FROM sys.foreign_keys fk
           JOIN sys.foreign_key_columns fkc ON fkc.constraint_object_id = fk.object_id
           JOIN sys.objects o ON o.object_id = fk.parent_object_id
           JOIN sys.schemas s ON s.schema_id = o.schema_id
           JOIN sys.columns pc ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id
           JOIN sys.objects ro ON ro.object_id = fk.referenced_object_id
           JOIN sys.schemas rs ON rs.schema_id = ro.schema_id
           JOIN sys.columns rc ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id
          WHERE ${USER_OBJECTS}${filter}
          ORDER BY s.name, o.name, fk.name, fkc.constraint_column_id`, params),
    ]);
    return {
      connection: this.name, type: this.type, serverVersion: await this.serverVersion(), defaultSchema: schema,
      tables: mssqlCatalogTables({ tables: tables.rows, columns: columns.rows, indexes: indexes.rows, foreignKeys: foreignKeys.rows }),
    };
  }



  classifyError = classifyMssqlError;
  postgresMapping = mssqlPostgresMapping;

  async close() {
    await this.pool.close();
  }
}

/** A failed connect as one line with its kind: unreachable or timed out is transient, a refused login terminal. */
function connectError(name: string, config: MssqlConfig, error: unknown): DataBridgeError {
  const kind = classifyMssqlError(error) === "transient" ? "transient" : "terminal";
  const code = (error as { code?: unknown })?.code;
  const fix = code === "ELOGIN"
    ? "check the user name and password (SQL Server logins need mixed-mode authentication)"
    : kind === "transient" ? "check that SQL Server runs there and accepts TCP connections on that port (or that the SQL Server Browser answers for a named instance)" : undefined;
  return new DataBridgeError(kind, `cannot connect to SQL Server at ${describeMssqlServer(config)}: ${messageOf(error)}`, {
    connection: name, code: typeof code === "string" ? code : undefined, fix,
  }, { cause: error });
}

export const mssqlConnectorFactory: ConnectorFactory = {
  schemes: ["mssql", "sqlserver"],
  type: "mssql",
  description: {
    label: "SQL Server",
    detail: "Source only; not integration-tested by DataBridge yet",
    roles: ["source"],
    storage: "server",
    defaultPort: 1433,
    urlExample: "mssql://user@host:1433/database?encrypt=true",
    integrationTested: false,
    urlOptions: [{ name: "encrypt", description: "true to connect with TLS" }, { name: "instanceName", description: "a named instance" }],
  },
  connectFailure: mssqlConnectFailure,
  async create(options: ConnectionOptions) {
    let config: ReturnType<typeof mssqlClientConfig>;
    try {
      config = mssqlClientConfig(options.url);
    } catch (error) {
      throw isDataBridgeError(error) ? error.withContext({ connection: options.name }) : error;
    }
    const sql = (await importDriver("mssql", options.name, () => import("mssql"))).default;
    const pool = new sql.ConnectionPool({ ...config, pool: { max: 4, min: 0, idleTimeoutMillis: 30_000 } });
    // An idle connection that loses its server must not crash the process; the next query reports it.
    pool.on("error", () => {});
    try {
      // Opens (and checks) one connection, so a wrong host or login fails here, once, with a clear line.
      await pool.connect();
    } catch (error) {
      await pool.close().catch(() => {});
      throw connectError(options.name, config, error);
    }
    return new MssqlConnector(options.name, pool, sql);
  },
};
