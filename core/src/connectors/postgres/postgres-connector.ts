import type { Client, ClientConfig, Pool, PoolClient, FieldDef, CustomTypesConfig } from "pg";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { registerSecret } from "../../errors.js";
import { type ConnectionOptions, type Connector, type ConnectorFactory, type EncodedRows, isEncodedRows, type PreEncodedRows, type ReadRequest, type ResultColumn, type RowBatch, type TableRef, type Target, type TargetSession } from "../connector.js";
import { asDerivedTable, buildKeysetSelect } from "../keyset.js";
import { rowGroups } from "../row-groups.js";
import { copyFormatOptions, encodeCopyChunks } from "./postgres-copy.js";
import { postgresCapabilities, postgresDialect } from "./postgres-dialect.js";
import { classifyPostgresError, postgresConnectFailure } from "./postgres-errors.js";
import { introspectPostgres } from "./postgres-introspector.js";
import { POSTGRES_SESSION_SETTINGS, POSTGRES_TEXT_OIDS, POSTGRES_VALUE_OIDS, portableFromPostgresOid, postgresNativeType, postgresSourceMapping } from "./postgres-types.js";

/** The server's config from a `postgres://` URL, as separate fields so the URL (and its password) is never echoed by the driver. */
export function postgresClientConfig(url: URL) {
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  registerSecret(password);
  const sslmode = url.searchParams.get("sslmode");
  return {
    host: url.hostname.replace(/^\[|\]$/g, "") || "localhost",
    port: url.port ? Number(url.port) : 5432,
    user: url.username ? decodeURIComponent(url.username) : "postgres",
    password,
    database: decodeURIComponent(url.pathname.replace(/^\//, "")) || "postgres",
    ssl: sslmode && sslmode !== "disable" ? { rejectUnauthorized: sslmode === "verify-full" } : undefined,
    application_name: "databridge",
    // Startup options (`-c name=value`, spaces escaped): set before the session's first query.
    options: Object.entries(POSTGRES_SESSION_SETTINGS).map(([name, value]) => `-c ${name}=${value.replace(/ /g, "\\ ")}`).join(" "),
    connectionTimeoutMillis: Number(url.searchParams.get("connect_timeout") ?? 10) * 1000,
  };
}

const keepText = (value: string) => value;

class PostgresConnector implements Target {
  readonly type = "postgres";
  readonly capabilities = postgresCapabilities;
  readonly dialect = postgresDialect;
  private version?: string;
  private schema?: string;

  constructor(
    readonly name: string,
    private readonly pool: Pool,
    private readonly dataTypes: CustomTypesConfig,
    /** A connection of its own, outside the pool (for a session held through a whole run). */
    private readonly connect: () => Promise<Client>,
  ) {}

  async defaultSchema() {
    this.schema ??= (await this.query<{ s: string }>("SELECT current_schema() AS s")).rows[0]?.s ?? "public";
    return this.schema;
  }

  async serverVersion() {
    this.version ??= (await this.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "unknown";
    return `PostgreSQL ${this.version}`;
  }

  async query<T>(sql: string, params: unknown[] = []) {
    const result = await this.pool.query(sql, params);
    return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
  }

  async read(request: ReadRequest): Promise<RowBatch> {
    const { sql, params } = buildKeysetSelect(this.dialect, this.capabilities, request);
    const result = await this.pool.query({ text: sql, values: params, rowMode: "array", types: this.dataTypes });
    return { columns: result.fields.map(fieldColumn), rows: result.rows as unknown[][] };
  }

  async readGroups(request: ReadRequest, onGroup: (rows: unknown[][]) => void): Promise<number> {
    const { sql, params } = buildKeysetSelect(this.dialect, this.capabilities, request);
    const { Query } = (await import("pg")).default;
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      return await new Promise<number>((resolve, reject) => {
        const rows = rowGroups(onGroup);
        // A query with a row listener and no callback hands each row over as it arrives and keeps none.
        // Rows as arrays (`rowMode`, which pg's typings know only on client.query's config).
        const config = { text: sql, values: params, rowMode: "array", types: this.dataTypes };
        const query = new Query(config as ConstructorParameters<typeof Query>[0]);
        query.on("row", (row: unknown[]) => rows.add(row));
        query.on("error", (error: Error) => {
          failure = error;
          reject(error);
        });
        query.on("end", () => {
          try {
            resolve(rows.end());
          } catch (error) {
            reject(error);
          }
        });
        client.query(query);
      });
    } finally {
      // A client whose read failed is discarded rather than returned to the pool.
      client.release(failure);
    }
  }

  async describeQuery(sql: string): Promise<ResultColumn[]> {
    const result = await this.pool.query({ text: `SELECT * FROM ${asDerivedTable(sql)} LIMIT 0`, rowMode: "array" });
    return result.fields.map(fieldColumn);
  }

  async introspect(options?: { tables?: TableRef[] }) {
    return introspectPostgres(
      (sql, params) => this.query(sql, params),
      { connection: this.name, type: this.type, serverVersion: await this.serverVersion() },
      options?.tables,
    );
  }

  async session(options?: { dedicated?: boolean }): Promise<TargetSession> {
    if (options?.dedicated) {
      const client = await this.connect();
      return new PostgresSession(client, () => client.end().catch(() => {}));
    }
    const client = await this.pool.connect();
    return new PostgresSession(client, (failure) => client.release(failure));
  }

  nativeType = postgresNativeType;
  postgresMapping = postgresSourceMapping;
  classifyError = classifyPostgresError;

  async close() {
    await this.pool.end();
  }
}

class PostgresSession implements TargetSession {
  private released = false;
  private failure?: Error;
  // A checked-out client has no pool listener: a server that goes away between statements (restart,
  // pg_terminate_backend) would emit an unhandled 'error' and crash the process. Remember it instead;
  // the next query fails (transient) and the client is discarded on release.
  private readonly onError = (error: Error) => {
    this.failure = error;
  };

  constructor(private readonly client: PoolClient | Client, private readonly giveBack: (failure?: Error) => void) {
    client.on("error", this.onError);
  }

  async query<T>(sql: string, params: unknown[] = []) {
    const result = await this.client.query(sql, params);
    return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
  }

  async bulkLoad(table: TableRef, columns: string[], rows: unknown[][] | EncodedRows, preEncoded?: PreEncodedRows) {
    const encoded = isEncodedRows(rows) ? rows : undefined;
    if ((encoded?.count ?? (rows as unknown[][]).length) === 0) return 0;
    const { from } = await import("pg-copy-streams");
    const format = encoded ? encoded.format : preEncoded?.format;
    const sql = `COPY ${postgresDialect.quoteTable(table)} (${columns.map(postgresDialect.quoteIdentifier).join(", ")}) FROM STDIN${copyFormatOptions(format)}`;
    const stream = this.client.query(from(sql));
    // Chunks encoded straight into buffers as the stream pulls them (or ahead of time): no batch-sized string.
    await pipeline(Readable.from(encoded ? encoded.chunks : encodeCopyChunks(rows as unknown[][], preEncoded)), stream);
    return Number(stream.rowCount ?? encoded?.count ?? (rows as unknown[][]).length);
  }

  async release(broken = false) {
    if (this.released) return;
    this.released = true;
    this.client.off("error", this.onError);
    // A client whose protocol state we cannot trust is destroyed rather than returned to the pool.
    this.giveBack(broken || this.failure ? (this.failure ?? new Error("discarded after failure")) : undefined);
  }
}

function fieldColumn(field: FieldDef): ResultColumn {
  return { name: field.name, type: portableFromPostgresOid(field.dataTypeID, field.dataTypeModifier) };
}

export const postgresConnectorFactory: ConnectorFactory = {
  schemes: ["postgres", "postgresql"],
  type: "postgres",
  description: {
    label: "PostgreSQL",
    detail: "PostgreSQL 12 or later; source and target",
    roles: ["source", "target"],
    storage: "server",
    defaultPort: 5432,
    urlExample: "postgres://user@host:5432/database?sslmode=require",
    integrationTested: true,
    urlOptions: [{ name: "sslmode", description: "disable, require, verify-full" }, { name: "connect_timeout", description: "seconds (default 10)" }],
  },
  connectFailure: postgresConnectFailure,
  async create(options: ConnectionOptions) {
    const pg = (await import("pg")).default;
    const textOids = new Set<number>(POSTGRES_TEXT_OIDS);
    const types = {
      getTypeParser: ((oid: number, format?: string) =>
        textOids.has(oid) ? keepText : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
    };
    const valueOids = new Set<number>(POSTGRES_VALUE_OIDS);
    const dataTypes = {
      getTypeParser: ((oid: number, format?: string) =>
        valueOids.has(oid) ? pg.types.getTypeParser(oid, format as "text") : keepText) as typeof pg.types.getTypeParser,
    };
    const config: ClientConfig = { ...postgresClientConfig(options.url), types };
    const pool = new pg.Pool({ ...config, max: 4 });
    // An idle client that loses its server must not crash the process; the next query reports it.
    pool.on("error", () => {});
    const connect = async () => {
      const client = new pg.Client(config);
      client.on("error", () => {});
      await client.connect();
      return client;
    };
    return new PostgresConnector(options.name, pool, dataTypes, connect);
  },
};
