import { parseTableName, type Catalog, type ColumnInfo, type TableInfo } from "@databridge/core";

/** What the language server knows of one connection's schema. */
export interface ConnectionSchema {
  name: string;
  /** Connection type (`postgres`, `mysql`, `pglite`, …) when known. */
  type?: string;
  /** `pending`: not introspected yet; `unreachable`: the last attempt failed (a cached catalog may remain). */
  status: "ok" | "pending" | "unreachable";
  catalog?: Catalog;
  /** Why the last introspection failed (never a password or a URL with one). */
  error?: string;
  /** When `catalog` was read from the database (ISO time). */
  fetchedAt?: string;
}

interface IndexedConnection {
  schema: ConnectionSchema;
  exact?: Map<string, TableInfo>;
  loose?: Map<string, TableInfo[]>;
}

/**
 * The catalogs of a workspace's connections with lookup tables built once, so completion, hover and
 * diagnostics never scan 2,000 tables or touch a database.
 */
export class SchemaIndex {
  private readonly connections = new Map<string, IndexedConnection>();

  /**
   * @param schemas catalogs (or their state) per connection
   * @param connectionNames every connection the workspace defines; undefined when unknown (no config found)
   */
  constructor(schemas: Iterable<ConnectionSchema> = [], readonly connectionNames?: readonly string[]) {
    for (const schema of schemas) this.connections.set(schema.name, { schema });
  }

  /** Connection names to offer and check: the config's, else those with a schema. */
  names(): string[] {
    return [...new Set([...(this.connectionNames ?? []), ...this.connections.keys()])];
  }

  /** False only when the workspace's connection names are known and `name` is not one of them. */
  isKnownConnection(name: string): boolean | undefined {
    if (!this.connectionNames) return this.connections.has(name) ? true : undefined;
    return this.connectionNames.includes(name);
  }

  connection(name: string): ConnectionSchema | undefined {
    return this.connections.get(name)?.schema;
  }

  catalog(name: string): Catalog | undefined {
    return this.connections.get(name)?.schema.catalog;
  }

  /** A table by `name` or `schema.name`: exact first, then a unique case-insensitive match (as the engine resolves it). */
  table(connection: string | undefined, name: string | undefined): TableInfo | undefined {
    if (connection === undefined || name === undefined) return undefined;
    const entry = this.connections.get(connection);
    const catalog = entry?.schema.catalog;
    if (!entry || !catalog) return undefined;
    if (!entry.exact) {
      entry.exact = new Map();
      entry.loose = new Map();
      for (const table of catalog.tables) {
        const key = `${table.schema}.${table.name}`;
        entry.exact.set(key, table);
        const lower = key.toLowerCase();
        entry.loose.set(lower, [...(entry.loose.get(lower) ?? []), table]);
      }
    }
    const ref = parseTableName(name);
    const key = `${ref.schema ?? catalog.defaultSchema}.${ref.name}`;
    const exact = entry.exact.get(key);
    if (exact) return exact;
    const loose = entry.loose!.get(key.toLowerCase());
    if (loose?.length === 1) return loose[0];
    // A dotted table name in the default schema (`"a.b"` as one name).
    if (ref.schema) return entry.exact.get(`${catalog.defaultSchema}.${name}`);
    return undefined;
  }

  /** Every table of a connection. */
  tables(connection: string | undefined): TableInfo[] {
    return (connection !== undefined && this.connections.get(connection)?.schema.catalog?.tables) || [];
  }
}

/** How a table is written in a pipeline: bare in the default schema, `schema.table` elsewhere. */
export function tableLabel(catalog: Pick<Catalog, "defaultSchema">, table: Pick<TableInfo, "schema" | "name">): string {
  return table.schema === catalog.defaultSchema ? table.name : `${table.schema}.${table.name}`;
}

export function isKeyColumn(table: TableInfo, column: ColumnInfo): boolean {
  return table.primaryKey.includes(column.name);
}
