import { configError, DataBridgeError, isDataBridgeError, messageOf, registerSecret } from "../../errors.js";
import type {
  Catalog, ColumnInfo, ConnectionOptions, Connector, ConnectorFactory, ReadRequest, ResultColumn, RowBatch, TableInfo, TableRef, Source } from "../connector.js";
import { importDriver } from "../driver.js";
import { buildKeysetSelect } from "../keyset.js";
import { oracleCapabilities, oracleDialect } from "./oracle-dialect.js";
import { classifyOracleError, oracleConnectFailure } from "./oracle-errors.js";
import { oraclePostgresMapping } from "./oracle-postgres-mapping.js";
import {
  oracleFetchPlan, oracleReadExpression, oracleTypeFromCatalog, oracleTypeFromColumn, portableFromOracleType, type OracleColumnMetadata,
} from "./oracle-types.js";

// The slice of `oracledb` this connector uses (the package ships no types), declared here as Kysely does for `pg`.
interface OracleDbType { name?: string; columnTypeName?: string }
interface OracleResult { rows?: unknown[]; metaData?: (OracleColumnMetadata & { dbType?: OracleDbType })[]; rowsAffected?: number }
interface OracleExecuteOptions {
  outFormat?: number;
  fetchTypeHandler?: (metadata: OracleColumnMetadata) => { type?: OracleDbType; converter?: (value: unknown) => unknown } | undefined;
}
interface OracleConnection {
  execute(sql: string, binds?: unknown[], options?: OracleExecuteOptions): Promise<OracleResult>;
  close(): Promise<void>;
  readonly oracleServerVersionString?: string;
}
interface OraclePool {
  getConnection(): Promise<OracleConnection>;
  close(drainTime?: number): Promise<void>;
}
interface OracleDriver {
  createPool(attributes: Record<string, unknown>): Promise<OraclePool>;
  readonly OUT_FORMAT_ARRAY: number;
  readonly OUT_FORMAT_OBJECT: number;
  readonly STRING: OracleDbType;
  readonly BUFFER: OracleDbType;
}

/**
 * Set on every new session: the text formats Oracle uses when it converts a bound string to a DATE or TIMESTAMP
 * (keyset values and watermarks come back as the text we read) and `.` as the decimal mark for string → NUMBER.
 */
export const ORACLE_SESSION_SQL =
  "ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS' NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF' "
  + "NLS_TIMESTAMP_TZ_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF TZH:TZM' NLS_NUMERIC_CHARACTERS = '.,'";

const PARAMETERS = ["sid", "ssl", "connect_timeout"] as const;
type Parameter = (typeof PARAMETERS)[number];

/**
 * The driver config from an `oracle://user:password@host:1521/SERVICE` URL, as separate fields so the URL (and
 * its password) is never echoed. Parameters: `sid` (connect by SID instead of a service name), `ssl=true`
 * (TCPS, default port 2484), `connect_timeout` in whole seconds (default 15).
 */
export function oracleClientConfig(url: URL): { user?: string; password?: string; connectString: string; connectTimeout: number; transportConnectTimeout: number; retryCount: number } {
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  registerSecret(password);
  const params: Partial<Record<Parameter, string>> = {};
  for (const [key, value] of url.searchParams) {
    const known = PARAMETERS.find((p) => p === key.toLowerCase());
    if (!known) throw configError(`unknown Oracle URL parameter "${key}"`, { fix: `use ${PARAMETERS.join(", ")}` });
    params[known] = value;
  }
  const ssl = params.ssl === undefined ? false : /^(true|yes|1)$/i.test(params.ssl) ? true : /^(false|no|0)$/i.test(params.ssl) ? false : undefined;
  if (ssl === undefined) throw configError(`Oracle URL parameter ssl must be true or false (got "${params.ssl}")`);
  const timeout = params.connect_timeout === undefined ? 15 : Number(params.connect_timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw configError(`Oracle URL parameter connect_timeout must be a number of seconds (got "${params.connect_timeout}")`);
  const host = decodeURIComponent(url.hostname) || "localhost";
  const port = url.port ? Number(url.port) : ssl ? 2484 : 1521;
  const service = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (params.sid && service) throw configError("an Oracle URL names either a service (its path) or a SID (?sid=), not both");
  if (!params.sid && !service) {
    throw configError("an Oracle URL needs a service name", { fix: "use oracle://user@host:1521/SERVICE_NAME (e.g. ORCLPDB1), or ?sid=SID for an old SID" });
  }
  if (/[()=\s]/.test(service + (params.sid ?? "") + host)) throw configError("an Oracle host, service name or SID cannot contain spaces, parentheses or '='");
  const connectString = params.sid
    ? `(DESCRIPTION=(ADDRESS=(PROTOCOL=${ssl ? "TCPS" : "TCP"})(HOST=${host.replace(/^\[|\]$/g, "")})(PORT=${port}))(CONNECT_DATA=(SID=${params.sid})))`
    : `${ssl ? "tcps://" : ""}${host}:${port}/${service}`;
  const seconds = Math.max(1, Math.ceil(timeout));
  return {
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password,
    connectString,
    connectTimeout: seconds,
    transportConnectTimeout: seconds,
    retryCount: 0,
  };
}

type FetchTypeHandler = NonNullable<OracleExecuteOptions["fetchTypeHandler"]>;

/** The driver's `fetchTypeHandler` for every statement: the fetch plan of each column in the driver's terms. */
export function oracleFetchTypeHandler(driver: Pick<OracleDriver, "STRING" | "BUFFER">): FetchTypeHandler {
  return (metadata) => {
    const plan = oracleFetchPlan(metadata);
    if (!plan) return undefined;
    if (plan.as === "buffer") return { type: driver.BUFFER };
    if (plan.as === "string") return { type: driver.STRING, converter: plan.convert };
    return { converter: plan.convert };
  };
}

/** A source's result column: its name and the type as Oracle spells it (`NUMBER(10,2)`). */
export interface OracleSourceColumn {
  name: string;
  nativeType: string;
}

/** A table, or a query as a derived table (Oracle takes no `AS` before a table alias). */
export function oracleFromSql(from: ReadRequest["from"]): string {
  return "table" in from ? oracleDialect.quoteTable(from.table) : `(${from.query.trim().replace(/\s*;\s*$/, "")}\n)`;
}

/**
 * The keyset page for Oracle. DATE/TIMESTAMP/INTERVAL columns are formatted by TO_CHAR in a derived table under
 * `databridge$<n>` aliases; the keyset predicate and ORDER BY use the original columns (and their indexes).
 */
export function buildOracleRead(request: ReadRequest, source: readonly OracleSourceColumn[]): { sql: string; params: unknown[]; names: string[]; columns: (OracleSourceColumn | undefined)[] } {
  const find = (name: string) => {
    const exact = source.find((c) => c.name === name);
    if (exact) return exact;
    const folded = source.filter((c) => c.name.toUpperCase() === name.toUpperCase());
    return folded.length === 1 ? folded[0] : undefined;
  };
  // `id` names the column ID, as an unquoted id does in Oracle SQL (an exact match wins).
  const actual = (name: string) => find(name)?.name ?? name;
  const q = oracleDialect.quoteIdentifier;
  const names = request.columns ?? source.map((c) => c.name);
  const conversions: string[] = [];
  const selected = names.map((name, i) => {
    const column = find(name);
    const expression = column && oracleReadExpression(`${q("databridge_t")}.${q(column.name)}`, column.nativeType);
    if (!expression) return actual(name);
    conversions.push(`${expression} AS ${q(`databridge$${i + 1}`)}`);
    return `databridge$${i + 1}`;
  });
  const from = conversions.length
    ? { query: `SELECT ${q("databridge_t")}.*, ${conversions.join(", ")} FROM ${oracleFromSql(request.from)} ${q("databridge_t")}` }
    : request.from;
  const { sql, params } = buildKeysetSelect(oracleDialect, oracleCapabilities, {
    ...request, from, columns: selected, key: request.key.map(actual), orderBy: request.orderBy?.map(actual),
  });
  return { sql, params, names, columns: names.map(find) };
}

/**
 * Oracle names unquoted aliases in upper case (`count(*) AS n` is column `N`). Rows of `query()` also answer to
 * the lower-case spelling of such names (non-enumerable), so code written once for every database reads `row.n`.
 */
export function withLowerCaseAliases<T extends Record<string, unknown>>(rows: T[], names: readonly string[]): T[] {
  const aliases = names.filter((name) => name === name.toUpperCase() && name !== name.toLowerCase() && !names.includes(name.toLowerCase()));
  if (!aliases.length) return rows;
  for (const row of rows) {
    for (const name of aliases) Object.defineProperty(row, name.toLowerCase(), { value: row[name], enumerable: false, configurable: true });
  }
  return rows;
}

interface SourceColumn extends OracleSourceColumn {
  column: ResultColumn;
}

type Numeric = number | string | null;

/** Rows of the catalog queries, as `introspect()` reads them. */
export interface OracleCatalogRows {
  tables: { schema_name: string; table_name: string; kind: string; estimated_rows: Numeric }[];
  columns: {
    schema_name: string; table_name: string; column_name: string; data_type: string; data_precision: Numeric; data_scale: Numeric;
    data_length: Numeric; char_length: Numeric; char_used: string | null; nullable: string; data_default: string | null; identity_column: string | null;
  }[];
  constraints: {
    schema_name: string; table_name: string; constraint_name: string; constraint_type: string; column_name: string;
    referenced_schema: string | null; referenced_table: string | null; referenced_column: string | null;
  }[];
  indexes: { schema_name: string; table_name: string; index_name: string; uniqueness: string; column_name: string }[];
}

/** Assembles the catalog's tables from the rows of the `ALL_*` dictionary queries (ordered by table, then position). */
export function oracleCatalogTables(rows: OracleCatalogRows): TableInfo[] {
  const byName = new Map<string, TableInfo>();
  const id = (schema: string, table: string) => `${schema}\u0000${table}`;
  const tables = rows.tables.map((t) => {
    const kind = t.kind.trim() === "VIEW" ? "view" : "table";
    const table: TableInfo = {
      schema: t.schema_name, name: t.table_name, kind, columns: [], primaryKey: [], foreignKeys: [], indexes: [],
      estimatedRows: t.estimated_rows === null || t.estimated_rows === undefined ? null : Number(t.estimated_rows),
    };
    byName.set(id(t.schema_name, t.table_name), table);
    return table;
  });
  for (const c of rows.columns) {
    const nativeType = oracleTypeFromCatalog({
      dataType: c.data_type, dataPrecision: c.data_precision, dataScale: c.data_scale, dataLength: c.data_length, charLength: c.char_length, charUsed: c.char_used,
    });
    const defaultText = c.data_default?.trim() ?? null;
    const column: ColumnInfo = {
      name: c.column_name, nativeType, type: portableFromOracleType(nativeType), nullable: c.nullable === "Y",
      default: defaultText === null || defaultText === "" || defaultText.toUpperCase() === "NULL" ? null : defaultText,
      generated: c.identity_column === "YES",
      ...(c.identity_column === "YES" ? { identity: true } : {}),
    };
    byName.get(id(c.schema_name, c.table_name))?.columns.push(column);
  }
  for (const k of rows.constraints) {
    const table = byName.get(id(k.schema_name, k.table_name));
    if (!table) continue;
    if (k.constraint_type === "P") { table.primaryKey.push(k.column_name); continue; }
    let fk = table.foreignKeys.find((f) => f.name === k.constraint_name);
    if (!fk) {
      fk = { name: k.constraint_name, columns: [], referencedTable: { schema: k.referenced_schema ?? undefined, name: k.referenced_table ?? "" }, referencedColumns: [] };
      table.foreignKeys.push(fk);
    }
    fk.columns.push(k.column_name);
    fk.referencedColumns.push(k.referenced_column ?? "");
  }
  for (const i of rows.indexes) {
    const table = byName.get(id(i.schema_name, i.table_name));
    if (!table) continue;
    let index = table.indexes.find((x) => x.name === i.index_name);
    if (!index) table.indexes.push((index = { name: i.index_name, columns: [], unique: i.uniqueness === "UNIQUE" }));
    index.columns.push(i.column_name);
  }
  return tables;
}

/** Owner/name filter over a dictionary view; names match as written or in upper case (Oracle's unquoted form). */
function dictionaryFilter(tables: readonly TableRef[] | undefined, schema: string, ownerColumn: string, nameColumn: string, params: unknown[]): string {
  if (!tables?.length) return `${ownerColumn} = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA')`;
  const bind = (value: string) => {
    params.push(value);
    return `:${params.length}`;
  };
  return `(${tables.map((t) => {
    const owner = t.schema ?? schema;
    return `(${ownerColumn} IN (${bind(owner)}, ${bind(owner.toUpperCase())}) AND ${nameColumn} IN (${bind(t.name)}, ${bind(t.name.toUpperCase())}))`;
  }).join(" OR ")})`;
}

class OracleConnector implements Source {
  readonly type = "oracle";
  readonly capabilities = oracleCapabilities;
  readonly dialect = oracleDialect;
  private schema?: string;
  /** Result columns of each source (table or query), resolved once with `WHERE 1 = 0`. */
  private readonly sources = new Map<string, Promise<SourceColumn[]>>();
  private readonly fetchTypeHandler: FetchTypeHandler;

  constructor(readonly name: string, private readonly pool: OraclePool, private readonly driver: OracleDriver, private readonly version: string) {
    this.fetchTypeHandler = oracleFetchTypeHandler(driver);
  }

  async defaultSchema() {
    this.schema ??= (await this.query<{ s: string | null }>(`SELECT SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AS "s" FROM DUAL`)).rows[0]?.s ?? "";
    return this.schema;
  }

  async serverVersion() {
    return `Oracle Database ${this.version}`;
  }

  private async execute(sql: string, params: unknown[], outFormat: number): Promise<OracleResult> {
    const connection = await this.pool.getConnection();
    try {
      return await connection.execute(sql, params, { outFormat, fetchTypeHandler: this.fetchTypeHandler });
    } finally {
      await connection.close();
    }
  }

  async query<T>(sql: string, params: unknown[] = []) {
    const result = await this.execute(sql, params, this.driver.OUT_FORMAT_OBJECT);
    if (!result.rows) return { rows: [] as T[], rowCount: result.rowsAffected ?? 0 };
    const rows = withLowerCaseAliases(result.rows as Record<string, unknown>[], (result.metaData ?? []).map((m) => m.name));
    return { rows: rows as T[], rowCount: rows.length };
  }

  private async describe(fromSql: string): Promise<SourceColumn[]> {
    const result = await this.execute(`SELECT * FROM ${fromSql} WHERE 1 = 0`, [], this.driver.OUT_FORMAT_ARRAY);
    return (result.metaData ?? []).map((meta) => {
      const nativeType = oracleTypeFromColumn(meta);
      return { name: meta.name, nativeType, column: { name: meta.name, type: portableFromOracleType(nativeType) } };
    });
  }

  private sourceColumns(from: ReadRequest["from"]): Promise<SourceColumn[]> {
    const key = "table" in from ? `table:${this.dialect.quoteTable(from.table)}` : `query:${from.query}`;
    let columns = this.sources.get(key);
    if (!columns) {
      columns = this.describe("table" in from ? oracleFromSql(from) : `${oracleFromSql(from)} "databridge_query"`);
      this.sources.set(key, columns);
      columns.catch(() => this.sources.delete(key));
    }
    return columns;
  }

  async read(request: ReadRequest): Promise<RowBatch> {
    const source = await this.sourceColumns(request.from);
    const { sql, params, names, columns } = buildOracleRead(request, source);
    const result = await this.execute(sql, params, this.driver.OUT_FORMAT_ARRAY);
    return {
      columns: names.map((name, i) => ({ name, type: (columns[i] as SourceColumn | undefined)?.column.type ?? { kind: "unknown" } })),
      rows: (result.rows ?? []) as unknown[][],
    };
  }

  async describeQuery(sql: string): Promise<ResultColumn[]> {
    return (await this.describe(`${oracleFromSql({ query: sql })} "databridge_query"`)).map((c) => c.column);
  }

  async introspect(options?: { tables?: TableRef[] }): Promise<Catalog> {
    const schema = await this.defaultSchema();
    const run = <T>(build: (params: unknown[]) => string) => {
      const params: unknown[] = [];
      const sql = build(params);
      return this.query<T>(sql, params);
    };
    const f = (params: unknown[], owner: string, name: string) => dictionaryFilter(options?.tables, schema, owner, name, params);
    const [tables, columns, constraints, indexes] = await Promise.all([
      run<OracleCatalogRows["tables"][number]>((p) =>
        `SELECT OWNER AS "schema_name", TABLE_NAME AS "table_name", 'TABLE' AS "kind", NUM_ROWS AS "estimated_rows"
           FROM ALL_TABLES
          WHERE ${f(p, "OWNER", "TABLE_NAME")} AND NESTED = 'NO' AND SECONDARY = 'N' AND DROPPED = 'NO' AND (IOT_TYPE IS NULL OR IOT_TYPE = 'IOT')
         UNION ALL
         SELECT OWNER, VIEW_NAME, 'VIEW', NULL FROM ALL_VIEWS WHERE ${f(p, "OWNER", "VIEW_NAME")}
         ORDER BY 1, 2`),
      run<OracleCatalogRows["columns"][number]>((p) =>
        `SELECT OWNER AS "schema_name", TABLE_NAME AS "table_name", COLUMN_NAME AS "column_name", DATA_TYPE AS "data_type",
                DATA_PRECISION AS "data_precision", DATA_SCALE AS "data_scale", DATA_LENGTH AS "data_length", CHAR_LENGTH AS "char_length",
                CHAR_USED AS "char_used", NULLABLE AS "nullable", DATA_DEFAULT AS "data_default", IDENTITY_COLUMN AS "identity_column"
           FROM ALL_TAB_COLUMNS
          WHERE ${f(p, "OWNER", "TABLE_NAME")}
          ORDER BY OWNER, TABLE_NAME, COLUMN_ID`),
      run<OracleCatalogRows["constraints"][number]>((p) =>
        `SELECT c.OWNER AS "schema_name", c.TABLE_NAME AS "table_name", c.CONSTRAINT_NAME AS "constraint_name", c.CONSTRAINT_TYPE AS "constraint_type",
                cc.COLUMN_NAME AS "column_name", r.OWNER AS "referenced_schema", r.TABLE_NAME AS "referenced_table", rc.COLUMN_NAME AS "referenced_column"
           FROM ALL_CONSTRAINTS c
           JOIN ALL_CONS_COLUMNS cc ON cc.OWNER = c.OWNER AND cc.CONSTRAINT_NAME = c.CONSTRAINT_NAME AND cc.TABLE_NAME = c.TABLE_NAME
           LEFT JOIN ALL_CONSTRAINTS r ON r.OWNER = c.R_OWNER AND r.CONSTRAINT_NAME = c.R_CONSTRAINT_NAME
           LEFT JOIN ALL_CONS_COLUMNS rc ON rc.OWNER = r.OWNER AND rc.CONSTRAINT_NAME = r.CONSTRAINT_NAME AND rc.POSITION = cc.POSITION
          WHERE c.CONSTRAINT_TYPE IN ('P', 'R') AND ${f(p, "c.OWNER", "c.TABLE_NAME")}
          ORDER BY c.OWNER, c.TABLE_NAME, c.CONSTRAINT_NAME, cc.POSITION`),
      run<OracleCatalogRows["indexes"][number]>((p) =>
        `SELECT i.TABLE_OWNER AS "schema_name", i.TABLE_NAME AS "table_name", i.INDEX_NAME AS "index_name", i.UNIQUENESS AS "uniqueness",
                ic.COLUMN_NAME AS "column_name"
           FROM ALL_INDEXES i
           JOIN ALL_IND_COLUMNS ic ON ic.INDEX_OWNER = i.OWNER AND ic.INDEX_NAME = i.INDEX_NAME
          WHERE ${f(p, "i.TABLE_OWNER", "i.TABLE_NAME")}
          ORDER BY i.TABLE_OWNER, i.TABLE_NAME, i.INDEX_NAME, ic.COLUMN_POSITION`),
    ]);
    return {
      connection: this.name, type: this.type, serverVersion: await this.serverVersion(), defaultSchema: schema,
      tables: oracleCatalogTables({ tables: tables.rows, columns: columns.rows, constraints: constraints.rows, indexes: indexes.rows }),
    };
  }



  classifyError = classifyOracleError;
  postgresMapping = oraclePostgresMapping;

  async close() {
    await this.pool.close(0);
  }
}

/** A failed connect as one line with its kind: unreachable or timed out is transient, a refused login terminal. */
function connectError(name: string, connectString: string, error: unknown): DataBridgeError {
  const kind = classifyOracleError(error) === "transient" ? "transient" : "terminal";
  const code = (error as { code?: unknown })?.code;
  const fix = code === "ORA-01017"
    ? "check the user name and password"
    : kind === "transient" ? "check that the database and its listener run there, and the service name (lsnrctl services lists them)" : undefined;
  const where = connectString.startsWith("(") ? "the SID address" : connectString.replace(/^tcps:\/\//, "");
  return new DataBridgeError(kind, `cannot connect to Oracle at ${where}: ${messageOf(error)}`, {
    connection: name, code: typeof code === "string" ? code : undefined, fix,
  }, { cause: error });
}

/**
 * Oracle 12c+ as a source, through oracledb's thin mode (pure JavaScript, no Oracle Client). Note that Oracle
 * stores an empty string as NULL: a VARCHAR2 '' reads as null, and no reader can tell them apart.
 */
export const oracleConnectorFactory: ConnectorFactory = {
  schemes: ["oracle"],
  type: "oracle",
  description: {
    label: "Oracle",
    detail: "Source only (thin mode, no Oracle client); not integration-tested by DataBridge yet",
    roles: ["source"],
    storage: "server",
    defaultPort: 1521,
    urlExample: "oracle://user@host:1521/SERVICE",
    integrationTested: false,
    urlOptions: [{ name: "sid", description: "connect by SID instead of service name" }],
  },
  connectFailure: oracleConnectFailure,
  async create(options: ConnectionOptions) {
    let config: ReturnType<typeof oracleClientConfig>;
    try {
      config = oracleClientConfig(options.url);
    } catch (error) {
      throw isDataBridgeError(error) ? error.withContext({ connection: options.name }) : error;
    }
    // oracledb ships no types: the specifier is a variable so TypeScript takes the declared slice above.
    const specifier = "oracledb";
    const driver = ((await importDriver("oracledb", options.name, () => import(specifier))) as { default: OracleDriver }).default;
    let pool: OraclePool | undefined;
    try {
      pool = await driver.createPool({
        ...config, poolMin: 0, poolMax: 4, poolIncrement: 1,
        sessionCallback: (connection: OracleConnection, _tag: string, done: (error?: unknown) => void) => {
          connection.execute(ORACLE_SESSION_SQL).then(() => done(), done);
        },
      });
      // Opens (and checks) one session, so a wrong host, service or login fails here, once, with a clear line.
      const connection = await pool.getConnection();
      const version = connection.oracleServerVersionString ?? "unknown";
      await connection.close();
      return new OracleConnector(options.name, pool, driver, version);
    } catch (error) {
      await pool?.close(0).catch(() => {});
      throw connectError(options.name, config.connectString, error);
    }
  },
};
