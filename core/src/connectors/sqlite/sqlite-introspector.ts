import type { Catalog, ColumnInfo, ForeignKeyInfo, IndexInfo, TableInfo, TableRef } from "../connector.js";
import { portableFromSqliteType } from "./sqlite-types.js";

/** Runs one statement on the file, its rows as objects. */
export type SqliteAll = <T>(sql: string, params?: unknown[]) => T[];

/** The schema unqualified names resolve to: SQLite's main database (the file itself). */
export const SQLITE_MAIN = "main";

interface SchemaRow { name: string; type: "table" | "view"; sql: string | null }
interface ColumnRow { name: string; type: string; notnull: number; dflt_value: string | null; pk: number; hidden: number }
interface ForeignKeyRow { id: number; seq: number; table: string; from: string; to: string | null }
interface IndexListRow { name: string; unique: number; partial: number }
interface IndexColumnRow { seqno: number; name: string | null }

/**
 * The catalog of a SQLite file from its schema table and PRAGMAs (table-valued: `pragma_table_xinfo(?)`):
 * tables and views; columns with their declared types, NOT NULL, defaults, and the primary key — an
 * `INTEGER PRIMARY KEY` (the rowid) or AUTOINCREMENT column is an identity; foreign keys (SQLite does not
 * name them: `fk_<table>_<n>`; a reference without columns means the parent's primary key); indexes (a
 * partial unique index guarantees nothing over the whole table, so it is not unique here); row estimates
 * from `sqlite_stat1` after an ANALYZE, else null (the engine counts when it needs a number).
 */
export function introspectSqlite(all: SqliteAll, about: { connection: string; type: string; serverVersion: string }, only?: TableRef[]): Catalog {
  const wanted = only?.length ? new Set(only.filter((t) => (t.schema ?? SQLITE_MAIN) === SQLITE_MAIN).map((t) => t.name)) : undefined;
  const schema = all<SchemaRow>("SELECT name, type, sql FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
    .filter((row) => !wanted || wanted.has(row.name));
  const estimates = rowEstimates(all);
  const tables: TableInfo[] = schema.map((row) => {
    const columnRows = all<ColumnRow>("SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid", [row.name]);
    const primaryKey = columnRows.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const createSql = row.sql ?? "";
    // The rowid alias: a lone INTEGER PRIMARY KEY column of a table with rowids (https://sqlite.org/lang_createtable.html#rowid).
    const rowidAlias = row.type === "table" && primaryKey.length === 1 && !/\bWITHOUT\s+ROWID\b/i.test(createSql)
      && columnRows.find((c) => c.name === primaryKey[0])?.type.trim().toUpperCase() === "INTEGER" ? primaryKey[0] : undefined;
    const autoincrement = /\bAUTOINCREMENT\b/i.test(createSql);
    const columns = columnRows.filter((c) => c.hidden !== 1).map((c): ColumnInfo => {
      const identity = c.name === rowidAlias || (autoincrement && primaryKey.length === 1 && c.name === primaryKey[0]);
      const computed = c.hidden === 2 || c.hidden === 3;
      return {
        name: c.name, nativeType: c.type, type: portableFromSqliteType(c.type),
        nullable: c.notnull === 0 && !identity, default: c.dflt_value,
        ...(identity || computed ? { generated: true } : {}),
        ...(identity ? { identity: true } : {}),
        ...(computed ? { computed: true } : {}),
      };
    });
    return {
      schema: SQLITE_MAIN, name: row.name, kind: row.type, columns, primaryKey: row.type === "table" ? primaryKey : [],
      foreignKeys: row.type === "table" ? foreignKeys(all, row.name) : [],
      indexes: row.type === "table" ? indexes(all, row.name) : [],
      estimatedRows: estimates.get(row.name) ?? null,
    };
  });
  return { connection: about.connection, type: about.type, serverVersion: about.serverVersion, defaultSchema: SQLITE_MAIN, tables };
}

function foreignKeys(all: SqliteAll, table: string): ForeignKeyInfo[] {
  const byId = new Map<number, ForeignKeyInfo>();
  for (const row of all<ForeignKeyRow>("SELECT id, seq, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq", [table])) {
    let fk = byId.get(row.id);
    if (!fk) byId.set(row.id, (fk = { name: `fk_${table}_${row.id}`, columns: [], referencedTable: { schema: SQLITE_MAIN, name: row.table }, referencedColumns: [] }));
    fk.columns.push(row.from);
    if (row.to !== null) fk.referencedColumns.push(row.to);
  }
  for (const fk of byId.values()) {
    if (fk.referencedColumns.length) continue;
    fk.referencedColumns = all<{ name: string }>("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", [fk.referencedTable.name]).map((c) => c.name);
  }
  return [...byId.values()];
}

function indexes(all: SqliteAll, table: string): IndexInfo[] {
  return all<IndexListRow>("SELECT name, \"unique\", partial FROM pragma_index_list(?) ORDER BY name", [table]).map((index) => {
    const columns = all<IndexColumnRow>("SELECT seqno, name FROM pragma_index_info(?) ORDER BY seqno", [index.name]);
    // An expression in the index (name NULL) is no column a key could use.
    return { name: index.name, columns: columns.map((c) => c.name ?? `(expression ${c.seqno + 1})`), unique: index.unique === 1 && index.partial === 0 };
  });
}

/** Row counts ANALYZE left in sqlite_stat1 (each row's first number), per table. */
function rowEstimates(all: SqliteAll): Map<string, number> {
  const estimates = new Map<string, number>();
  const hasStats = all<{ n: number }>("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'")[0]?.n;
  if (!hasStats) return estimates;
  for (const row of all<{ tbl: string; stat: string | null }>("SELECT tbl, stat FROM sqlite_stat1")) {
    const rows = Number(/^\d+/.exec(row.stat ?? "")?.[0]);
    if (Number.isFinite(rows)) estimates.set(row.tbl, Math.max(estimates.get(row.tbl) ?? 0, rows));
  }
  return estimates;
}
