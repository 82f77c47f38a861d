import type { ErrorKind } from "../errors.js";

/** A database type reduced to what the engine needs to move, compare and convert values. */
export type PortableKind =
  | "smallint" | "integer" | "bigint" | "decimal" | "float"
  | "string" | "text" | "boolean"
  | "date" | "time" | "timestamp" | "timestamptz"
  | "uuid" | "json" | "binary" | "unknown";

export interface PortableType {
  kind: PortableKind;
  /** Character length for strings, when bounded. */
  length?: number;
  precision?: number;
  scale?: number;
}

export interface ColumnInfo {
  name: string;
  /** The type as the database spells it, e.g. `varchar(255)`, `numeric(10,2)`. */
  nativeType: string;
  type: PortableType;
  nullable: boolean;
  default: string | null;
  /** True when the database fills the value itself (identity, auto_increment, serial). */
  generated?: boolean;
}

export interface TableRef {
  schema?: string;
  name: string;
}

export interface ForeignKeyInfo {
  name: string;
  columns: string[];
  referencedTable: TableRef;
  referencedColumns: string[];
}

export interface IndexInfo {
  name: string;
  columns: string[];
  unique: boolean;
}

export interface TableInfo {
  schema: string;
  name: string;
  kind: "table" | "view";
  columns: ColumnInfo[];
  primaryKey: string[];
  foreignKeys: ForeignKeyInfo[];
  indexes: IndexInfo[];
  estimatedRows: number | null;
}

export interface Catalog {
  connection: string;
  type: string;
  serverVersion?: string;
  /** The schema unqualified table names resolve to (`public`, the MySQL database name, …). */
  defaultSchema: string;
  tables: TableInfo[];
}

/** What differs between databases, as data. Engine code reads these flags, never dialect names. */
export interface ConnectorCapabilities {
  /** `(a, b) > (?, ?)` is usable for keyset paging (and uses the index). */
  rowValueComparison: boolean;
  /** DDL can run inside a transaction and roll back. */
  transactionalDdl: boolean;
  maxIdentifierLength: number;
  maxBindParams: number;
  /** Can this connector be a load target (bulk load, staging upsert, ledger)? */
  target: boolean;
  /** Can several queries run at once (a pool), or is there one embedded session? */
  concurrentSessions: boolean;
}

/** SQL text generation for one dialect: quoting, placeholders, paging. */
export interface SqlDialect {
  quoteIdentifier(name: string): string;
  /** `schema.table` quoted; a missing schema means the connection's default. */
  quoteTable(table: TableRef): string;
  /** Placeholder for the n-th (1-based) bind parameter. */
  placeholder(index: number): string;
  /** Wraps an ordered select so it returns at most `limit` rows. */
  limit(selectSql: string, limit: number): string;
  /** An SQL expression for the server's current local time minus some seconds (incremental `lag`). */
  nowMinusSeconds(seconds: number): string;
  /**
   * Encoding pushed down to the source: an SQL expression rendering these columns, in order, as one
   * line of PostgreSQL's COPY text format (tab-separated, `\N` for NULL, escapes applied) — exactly the
   * text the engine would have encoded from the values it reads. `undefined` when a column's type has
   * no such exact rendering; the engine then reads values as usual.
   */
  copyTextRow?(columns: readonly { name: string; nativeType: string }[]): string | undefined;
}

export interface ReadRequest {
  /** A table, or a query wrapped as a derived table. */
  from: { table: TableRef } | { query: string };
  /** Columns to read; `undefined` means all. */
  columns?: string[];
  /** Keyset columns; rows come ordered by them. */
  key: string[];
  /** Read rows whose key is strictly greater than this one. */
  after?: unknown[];
  /** Extra predicate (already in the dialect's SQL) and its parameters, e.g. an incremental cursor. */
  where?: { sql: string; params: unknown[] };
  /** Override of the ordering (defaults to `key`), e.g. `[cursor, ...key]`. */
  orderBy?: string[];
  limit: number;
  /** An SQL expression selected after `columns` (the row as COPY text, from {@link SqlDialect.copyTextRow}). */
  copyText?: string;
}

export interface ResultColumn {
  name: string;
  type: PortableType;
}

/** Rows as arrays in `columns` order: arrays, not objects, because they are cheaper by far at a million rows. */
export interface RowBatch {
  columns: ResultColumn[];
  rows: unknown[][];
}

/** A session on a target that holds one transaction. */
/** Where a pre-encoded row keeps its COPY text: `row[textAt]` follows the row's first `leading` values. */
export interface PreEncodedRows {
  textAt: number;
  leading: number;
}

export interface TargetSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[]; rowCount: number }>;
  /**
   * Bulk-loads rows (arrays in `columns` order) into a table; returns the number of rows loaded.
   * With `preEncoded`, each row holds its first `leading` values followed, at `textAt`, by the rest
   * of its columns already encoded as COPY text (see {@link SqlDialect.copyTextRow}).
   */
  bulkLoad(table: TableRef, columns: string[], rows: unknown[][], preEncoded?: PreEncodedRows): Promise<number>;
  /** Returns the session to the connector. `broken` discards it (after a failure mid-protocol). */
  release(broken?: boolean): Promise<void>;
}

export interface Connector {
  /** The connection's name in the workspace config (never its URL). */
  readonly name: string;
  readonly type: string;
  readonly capabilities: ConnectorCapabilities;
  readonly dialect: SqlDialect;
  /** The schema unqualified names resolve to. */
  defaultSchema(): Promise<string>;
  serverVersion(): Promise<string>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[]; rowCount: number }>;
  /** One keyset page: rows ordered by the key, strictly after `after`. */
  read(request: ReadRequest): Promise<RowBatch>;
  /** The columns a source query returns, without reading its rows. */
  describeQuery(sql: string): Promise<ResultColumn[]>;
  introspect(options?: { tables?: TableRef[] }): Promise<Catalog>;
  /**
   * A dedicated session for a target transaction. `dedicated`: on a connection of its own rather than one
   * of the pool, for a session held through a whole run (the run lock) that must not starve the pool.
   */
  session(options?: { dedicated?: boolean }): Promise<TargetSession>;
  /** The native column type to create for a portable type (targets only). */
  nativeType(type: PortableType): string;
  classifyError(error: unknown): ErrorKind;
  close(): Promise<void>;
}

export interface ConnectionOptions {
  /** The connection's name in the workspace config. */
  name: string;
  url: URL;
  /** The folder relative file URLs (`pglite:./x`) resolve against. */
  baseDir: string;
}

/**
 * Why opening a connection failed, as far as the driver's error tells: the server refused the user or
 * password, has no such database, or could not be reached (Node's socket codes say so for every driver;
 * a connector adds its driver's own).
 */
export type ConnectFailure = "credentials" | "database" | "unreachable";

/** How a plugin contributes a connector: URL schemes it answers and a factory that loads its driver lazily. */
export interface ConnectorFactory {
  /** URL schemes, e.g. `["postgres", "postgresql"]`. */
  schemes: string[];
  /** The connection type name shown to users and used by the runner API (`postgres`, `mysql`, …). */
  type: string;
  create(options: ConnectionOptions): Promise<Connector>;
  /** Reads the driver's error when a connection could not be opened, for a message that names the fix. */
  connectFailure?(error: unknown): ConnectFailure | undefined;
}
