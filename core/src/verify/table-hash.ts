import { createHash } from "node:crypto";
import type { Connector, PortableType, ResultColumn, TableRef } from "../connectors/connector.js";
import { configError } from "../errors.js";
import { findTable, parseTableName } from "../engine/catalog-lookup.js";
import { didYouMean } from "../util/suggest.js";
import { columnMeaning, type ComparedColumn, type ValueMeaning } from "./value-meaning.js";

export { normalizeDecimal, normalizeValue } from "./value-meaning.js";

/**
 * A streaming, keyed checksum of a table's rows, read through any {@link Connector} with keyset
 * paging. Values are compared by meaning (see `value-meaning.ts`: by each column's portable type and native
 * spelling), so the same data held by MariaDB and by PostgreSQL hashes the same:
 *
 * - NULL is distinct from `''` (and from the text `NULL`);
 * - integers (including BIGINT beyond 2^53) as exact decimal text;
 * - decimals without insignificant zeros (`12.50` = `12.5`, `-0.00` = `0`);
 * - timestamps as `YYYY-MM-DD HH:MM:SS[.fraction]` without trailing fractional zeros (timestamptz in UTC);
 * - binary as lower-case hex; booleans (and BIT(1), TINYINT 0/1) as `1`/`0`; JSON parsed (key order,
 *   whitespace and number spelling do not count); `char(n)` without its padding; arrays element by
 *   element; geometries by their coordinates.
 *
 * The table hash is order-independent (a sum of per-row digests), so two databases whose collations
 * order text keys differently still agree. The row count is part of the hash, and a duplicated row
 * changes it.
 *
 * @example
 * const source = await hashTable(legacy, { table: "parts", columns: ["id", "name", "price"] });
 * const target = await hashTable(warehouse, { table: "public.parts", columns: ["id", "name", "price"] });
 * if (source.hash !== target.hash) console.log(diffTableHashes(source, target));
 */
export interface TableHashOptions {
  /** `table` or `schema.table`; or use `query`. */
  table?: string | TableRef;
  /** A SELECT to hash instead of a table (needs `key`). */
  query?: string;
  /** Unique keyset columns; default: the table's primary key. */
  key?: string[];
  /** Columns hashed, in order (positional: another table's columns may be named differently); default: every column. */
  columns?: string[];
  /** Overrides of the portable types used for normalization, by column name. */
  types?: Record<string, PortableType>;
  /** Rows per keyset page (default 5,000). */
  batchSize?: number;
  /** Keep each row's digest by key, for {@link diffTableHashes}. Memory grows with the table. */
  perKey?: boolean;
  signal?: AbortSignal;
}

export interface TableHash {
  rows: number;
  /** Hex SHA-256 over the row count and the sum of the row digests. */
  hash: string;
  key: string[];
  columns: string[];
  /** Normalized key (JSON of the key's normalized values) → row digest; only with `perKey`. */
  rowHashes?: Map<string, string>;
}

export interface TableHashDiff {
  /** Keys in `expected` but not in `actual`. */
  missing: string[];
  /** Keys in `actual` but not in `expected`. */
  extra: string[];
  /** Keys in both whose values differ. */
  changed: string[];
}

const MOD = 1n << 256n;

/** Hashes a table (or query) through a connector; see {@link TableHashOptions}. */
export async function hashTable(connector: Connector, options: TableHashOptions): Promise<TableHash> {
  const batchSize = options.batchSize ?? 5_000;
  let from: { table: TableRef } | { query: string };
  let known: (ResultColumn & { nativeType?: string })[];
  let key = options.key ?? [];
  if (options.table !== undefined) {
    const ref = typeof options.table === "string" ? parseTableName(options.table) : options.table;
    const catalog = await connector.introspect({ tables: [ref] });
    const table = findTable(catalog, ref);
    const label = ref.schema ? `${ref.schema}.${ref.name}` : ref.name;
    if (!table) throw configError(`table ${label} does not exist`, { connection: connector.name, table: label });
    from = { table: { schema: table.schema, name: table.name } };
    known = table.columns.map((c) => ({ name: c.name, type: c.type, nativeType: c.nativeType }));
    if (!key.length) key = table.primaryKey;
    if (!key.length) throw configError(`table ${label} has no primary key to page by`, { connection: connector.name, table: label, fix: "pass key: [...]" });
  } else if (options.query !== undefined) {
    from = { query: options.query };
    known = await connector.describeQuery(options.query);
    if (!key.length) throw configError("hashing a query needs key: [...]", { connection: connector.name });
  } else {
    throw configError("hashTable needs a table or a query", { connection: connector.name });
  }

  const columns = options.columns ?? known.map((c) => c.name);
  const readColumns = [...new Set([...key, ...columns])];
  const meaningOf = new Map<string, ValueMeaning>();
  for (const name of readColumns) {
    const column = known.find((c) => c.name === name);
    const compared: ComparedColumn | undefined = options.types?.[name] ? { type: options.types[name] } : column;
    if (!compared) {
      throw configError(`column ${name} does not exist${didYouMean(name, known.map((c) => c.name))}`, { connection: connector.name, column: name });
    }
    meaningOf.set(name, columnMeaning(compared));
  }
  const keyAt = key.map((k) => readColumns.indexOf(k));
  const columnAt = columns.map((c) => readColumns.indexOf(c));
  const keyMeanings = key.map((k) => meaningOf.get(k)!);
  const columnMeanings = columns.map((c) => meaningOf.get(c)!);

  let sum = 0n;
  let rows = 0;
  const rowHashes = options.perKey ? new Map<string, string>() : undefined;
  let after: unknown[] | undefined;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
    const batch = await connector.read({ from, columns: readColumns, key, after, limit: batchSize });
    for (const row of batch.rows) {
      let encoded = "";
      const keyValues: (string | null)[] = [];
      for (let i = 0; i < keyAt.length; i++) {
        const value = keyMeanings[i](row[keyAt[i]]);
        keyValues.push(value);
        encoded += encodeField(value);
      }
      encoded += "#";
      for (let i = 0; i < columnAt.length; i++) encoded += encodeField(columnMeanings[i](row[columnAt[i]]));
      const digest = createHash("sha256").update(encoded).digest("hex");
      sum = (sum + BigInt(`0x${digest}`)) % MOD;
      rowHashes?.set(JSON.stringify(keyValues), digest);
    }
    rows += batch.rows.length;
    if (batch.rows.length < batchSize) break;
    const last = batch.rows[batch.rows.length - 1];
    after = keyAt.map((i) => last[i]);
  }
  const hash = createHash("sha256").update(`databridge-table-hash-v1\n${rows}\n${sum.toString(16)}`).digest("hex");
  return { rows, hash, key, columns, rowHashes };
}

/** Which keys are missing, extra or changed between two hashes taken with `perKey`. */
export function diffTableHashes(expected: TableHash, actual: TableHash, limit = 100): TableHashDiff {
  if (!expected.rowHashes || !actual.rowHashes) throw new Error("diffTableHashes needs hashes taken with perKey: true");
  const diff: TableHashDiff = { missing: [], extra: [], changed: [] };
  for (const [key, digest] of expected.rowHashes) {
    const other = actual.rowHashes.get(key);
    if (other === undefined) { if (diff.missing.length < limit) diff.missing.push(key); }
    else if (other !== digest && diff.changed.length < limit) diff.changed.push(key);
  }
  for (const key of actual.rowHashes.keys()) {
    if (!expected.rowHashes.has(key) && diff.extra.length < limit) diff.extra.push(key);
  }
  return diff;
}

/** Length-prefixed, so no value can be confused with a separator; NULL has its own marker. */
const encodeField = (value: string | null) => (value === null ? "~" : `${value.length}:${value}|`);

