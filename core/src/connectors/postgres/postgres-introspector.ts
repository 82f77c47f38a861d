import type { Catalog, ColumnInfo, ForeignKeyAction, TableInfo, TableRef } from "../connector.js";
import { portableFromPostgresType } from "./postgres-types.js";

type Query = <T>(sql: string, params?: unknown[]) => Promise<{ rows: T[] }>;

const userRelations = `
  c.relkind IN ('r','p','v','m','f')
  AND n.nspname NOT IN ('pg_catalog','information_schema','databridge')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

/** pg_constraint's one-letter foreign key actions. */
const FOREIGN_KEY_ACTIONS: Record<string, ForeignKeyAction> = { a: "NO ACTION", r: "RESTRICT", c: "CASCADE", n: "SET NULL", d: "SET DEFAULT" };

/** Reads tables, views, columns, keys, indexes and row estimates from the PostgreSQL catalogs (also PGlite's). */
export async function introspectPostgres(
  query: Query,
  meta: { connection: string; type: string; serverVersion?: string },
  filter?: TableRef[],
): Promise<Catalog> {
  const defaultSchema = (await query<{ schema: string }>("SELECT current_schema() AS schema")).rows[0]?.schema ?? "public";
  let scope = userRelations;
  const params: unknown[] = [];
  if (filter?.length) {
    params.push(filter.map((t) => t.name), filter.map((t) => t.schema ?? defaultSchema));
    scope += ` AND (c.relname, n.nspname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`;
  }
  const relations = await query<{ oid: number; schema: string; name: string; relkind: string; estimated_rows: number | null }>(
    `SELECT c.oid::int8::float8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
            CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::float8 END AS estimated_rows
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${scope}
      ORDER BY n.nspname, c.relname`,
    params,
  );
  const columns = await query<{ oid: number; name: string; native_type: string; not_null: boolean; default_expr: string | null; identity: string; generated: string }>(
    `SELECT a.attrelid::int8::float8 AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS native_type,
            a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default_expr,
            a.attidentity::text AS identity, a.attgenerated::text AS generated
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND ${scope}
      ORDER BY a.attrelid, a.attnum`,
    params,
  );
  const constraints = await query<{ oid: number; name: string; contype: string; columns: string[]; ref_schema: string | null; ref_table: string | null; ref_columns: string[] | null; on_delete: string; on_update: string }>(
    `SELECT con.conrelid::int8::float8 AS oid, con.conname AS name, con.contype::text AS contype,
            con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update,
            array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord) AS columns,
            fn.nspname AS ref_schema, fc.relname AS ref_table,
            array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord) AS ref_columns
       FROM pg_constraint con
       JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
      WHERE con.contype IN ('p','f') AND ${scope}
      ORDER BY con.conname`,
    params,
  );
  const indexes = await query<{ oid: number; name: string; unique: boolean; columns: string[] }>(
    `SELECT i.indrelid::int8::float8 AS oid, ic.relname AS name, i.indisunique AS unique,
            array(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(num, ord)
                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num ORDER BY k.ord) AS columns
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${scope}
      ORDER BY ic.relname`,
    params,
  );

  const byOid = new Map<number, TableInfo>();
  const tables = relations.rows.map((r) => {
    const table: TableInfo = {
      schema: r.schema,
      name: r.name,
      kind: r.relkind === "v" || r.relkind === "m" ? "view" : "table",
      columns: [],
      primaryKey: [],
      foreignKeys: [],
      indexes: [],
      estimatedRows: r.estimated_rows === null ? null : Math.round(Number(r.estimated_rows)),
    };
    byOid.set(Number(r.oid), table);
    return table;
  });
  for (const c of columns.rows) {
    const column: ColumnInfo = {
      name: c.name,
      nativeType: c.native_type,
      type: portableFromPostgresType(c.native_type),
      nullable: !c.not_null,
      default: c.default_expr,
      generated: Boolean(c.identity) || Boolean(c.generated) || /^nextval\(/.test(c.default_expr ?? ""),
      ...(c.identity || /^nextval\(/.test(c.default_expr ?? "") ? { identity: true } : {}),
      ...(c.generated ? { computed: true } : {}),
    };
    byOid.get(Number(c.oid))?.columns.push(column);
  }
  for (const k of constraints.rows) {
    const table = byOid.get(Number(k.oid));
    if (!table) continue;
    if (k.contype === "p") table.primaryKey = k.columns;
    else table.foreignKeys.push({
      name: k.name,
      columns: k.columns,
      referencedTable: { schema: k.ref_schema ?? undefined, name: k.ref_table ?? "" },
      referencedColumns: k.ref_columns ?? [],
      onDelete: FOREIGN_KEY_ACTIONS[k.on_delete],
      onUpdate: FOREIGN_KEY_ACTIONS[k.on_update],
    });
  }
  for (const i of indexes.rows) byOid.get(Number(i.oid))?.indexes.push({ name: i.name, columns: i.columns, unique: i.unique });
  return { connection: meta.connection, type: meta.type, serverVersion: meta.serverVersion, defaultSchema, tables };
}
