import { stat } from "node:fs/promises";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { configError } from "../../errors.js";
import { makePrivateDir, restrictToOwner } from "../../util/private-files.js";
import { type ConnectionOptions, type Connector, type ConnectorFactory, isEncodedRows, type ReadRequest, type ResultColumn, type RowBatch, type TableRef, type Target, type TargetSession } from "../connector.js";
import { asDerivedTable, buildKeysetSelect } from "../keyset.js";
import { copyFormatOptions, encodeCopyText } from "../postgres/postgres-copy.js";
import { postgresCapabilities, postgresDialect } from "../postgres/postgres-dialect.js";
import { classifyPostgresError } from "../postgres/postgres-errors.js";
import { introspectPostgres } from "../postgres/postgres-introspector.js";
import { POSTGRES_SESSION_SETTINGS, POSTGRES_TEXT_OIDS, POSTGRES_VALUE_OIDS, portableFromPostgresOid, postgresNativeType, postgresSourceMapping } from "../postgres/postgres-types.js";
import { postgresLiteral } from "../postgres/postgres-dialect.js";

const keepText = (value: string) => value;
const valueOids = new Set<number>(POSTGRES_VALUE_OIDS);

/**
 * Parsers for moving data: every type PGlite would parse (arrays, json, points, …) except the few read
 * as JavaScript values is kept as the server's text (see POSTGRES_VALUE_OIDS).
 */
function dataParsers(db: PGlite): Record<number, (value: string) => string> {
  return Object.fromEntries(Object.keys(db.parsers).map(Number).filter((oid) => !valueOids.has(oid)).map((oid) => [oid, keepText]));
}

/**
 * Embedded PostgreSQL (PGlite): one in-process session per database folder. Sessions are
 * serialized by a lock so a target transaction never interleaves with another query.
 */
class Lock {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}

interface SharedDatabase {
  db: PGlite;
  dataDir: string | undefined;
  lock: Lock;
  users: number;
  dataParsers: Record<number, (value: string) => string>;
}

/** One PGlite instance per folder in this process: a folder opened twice would corrupt it. */
const openDatabases = new Map<string, Promise<SharedDatabase>>();

/** Resolves `pglite:memory:`, `pglite:./folder`, `pglite:/abs/folder` to a data dir (undefined = in memory). */
export function pgliteDataDir(url: URL, baseDir: string): string | undefined {
  const location = decodeURIComponent(url.href.slice(url.protocol.length)).replace(/^\/\/(?=\/)/, "");
  if (location === "memory:" || location === "memory" || location === "") return undefined;
  return path.resolve(baseDir, location);
}

async function openShared(dataDir: string | undefined): Promise<SharedDatabase> {
  const key = dataDir ?? `memory:${Math.random()}`;
  let shared = openDatabases.get(key);
  if (!shared) {
    shared = (async () => {
      const { PGlite } = await import("@electric-sql/pglite");
      const parsers = Object.fromEntries(POSTGRES_TEXT_OIDS.map((oid) => [oid, keepText]));
      if (dataDir) makePrivateDir(dataDir);
      const db = await PGlite.create(dataDir ?? "memory://", { parsers });
      for (const [name, value] of Object.entries(POSTGRES_SESSION_SETTINGS)) await db.query(`SET ${name} = ${postgresLiteral(value)}`);
      if (dataDir) restrictToOwner(dataDir);
      return { db, dataDir, lock: new Lock(), users: 0, dataParsers: dataParsers(db) };
    })();
    openDatabases.set(key, shared);
    shared.catch(() => openDatabases.delete(key));
  }
  const database = await shared;
  database.users++;
  return database;
}

class PgliteConnector implements Target {
  readonly type = "pglite";
  readonly capabilities = { ...postgresCapabilities, concurrentSessions: false };
  readonly dialect = postgresDialect;
  private closed = false;

  constructor(readonly name: string, private readonly shared: SharedDatabase) {}

  private async locked<T>(work: (db: PGlite) => Promise<T>): Promise<T> {
    const release = await this.shared.lock.acquire();
    try {
      return await work(this.shared.db);
    } finally {
      release();
    }
  }

  async defaultSchema() {
    return (await this.query<{ s: string }>("SELECT current_schema() AS s")).rows[0]?.s ?? "public";
  }

  async serverVersion() {
    const v = (await this.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "unknown";
    return `PGlite (PostgreSQL ${v})`;
  }

  query<T>(sql: string, params: unknown[] = []) {
    return this.locked(async (db) => {
      const result = await db.query<T>(sql, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    });
  }

  read(request: ReadRequest): Promise<RowBatch> {
    const { sql, params } = buildKeysetSelect(this.dialect, this.capabilities, request);
    return this.locked(async (db) => {
      const result = await db.query<unknown[]>(sql, params, { rowMode: "array", parsers: this.shared.dataParsers });
      return { columns: result.fields.map(fieldColumn), rows: result.rows };
    });
  }

  describeQuery(sql: string): Promise<ResultColumn[]> {
    return this.locked(async (db) => {
      const result = await db.query(`SELECT * FROM ${asDerivedTable(sql)} LIMIT 0`, [], { rowMode: "array" });
      return result.fields.map(fieldColumn);
    });
  }

  async introspect(options?: { tables?: TableRef[] }) {
    return introspectPostgres(
      (sql, params) => this.query(sql, params),
      { connection: this.name, type: this.type, serverVersion: await this.serverVersion() },
      options?.tables,
    );
  }

  async session(): Promise<TargetSession> {
    const release = await this.shared.lock.acquire();
    const db = this.shared.db;
    let released = false;
    return {
      async query<T>(sql: string, params: unknown[] = []) {
        const result = await db.query<T>(sql, params);
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
      },
      async bulkLoad(table, columns, rows, preEncoded) {
        const encoded = isEncodedRows(rows) ? rows : undefined;
        if ((encoded?.count ?? (rows as unknown[][]).length) === 0) return 0;
        const format = encoded ? encoded.format : preEncoded?.format;
        const sql = `COPY ${postgresDialect.quoteTable(table)} (${columns.map(postgresDialect.quoteIdentifier).join(", ")}) FROM '/dev/blob'${copyFormatOptions(format)}`;
        const result = await db.query(sql, [], { blob: new Blob(encoded ? encoded.chunks : [encodeCopyText(rows as unknown[][], preEncoded)]) });
        return result.affectedRows ?? encoded?.count ?? (rows as unknown[][]).length;
      },
      async release(broken = false) {
        if (released) return;
        released = true;
        // An embedded session cannot be discarded; make sure no transaction is left open instead.
        if (broken) await db.query("ROLLBACK").catch(() => {});
        release();
      },
    };
  }

  nativeType = postgresNativeType;
  postgresMapping = postgresSourceMapping;
  classifyError = classifyPostgresError;

  async close() {
    if (this.closed) return;
    this.closed = true;
    if (--this.shared.users > 0) return;
    for (const [key, value] of openDatabases) if ((await value) === this.shared) openDatabases.delete(key);
    await this.shared.db.close();
    if (this.shared.dataDir) restrictToOwner(this.shared.dataDir);
  }
}

function fieldColumn(field: { name: string; dataTypeID: number }): ResultColumn {
  return { name: field.name, type: portableFromPostgresOid(field.dataTypeID) };
}

export const pgliteConnectorFactory: ConnectorFactory = {
  schemes: ["pglite"],
  type: "pglite",
  description: {
    label: "PGlite (embedded folder)",
    detail: "An embedded PostgreSQL in a workspace folder; no server, no password; source and target",
    roles: ["source", "target"],
    storage: "folder",
    urlExample: "pglite:data/warehouse",
    integrationTested: true,
  },
  embedded: {
    location: pgliteDataDir,
    // Every PostgreSQL data directory has PG_VERSION; a folder without one would get a new cluster.
    exists: async (location) => (await stat(path.join(location, "PG_VERSION")).catch(() => undefined))?.isFile() ?? false,
  },
  async create(options: ConnectionOptions) {
    const dataDir = pgliteDataDir(options.url, options.baseDir);
    try {
      return new PgliteConnector(options.name, await openShared(dataDir));
    } catch (error) {
      throw configError(`cannot open embedded database: ${(error as Error).message}`, { connection: options.name }, error);
    }
  },
};
