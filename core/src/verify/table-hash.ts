import { createHash } from "node:crypto";
import type { Connector, PortableType, ResultColumn, TableRef } from "../connectors/connector.js";
import { configError } from "../errors.js";
import { findTable, parseTableName } from "../engine/prepare.js";
import { didYouMean } from "../util/suggest.js";

/**
 * A streaming, keyed checksum of a table's rows, read through any {@link Connector} with keyset
 * paging. Values are normalized by their {@link PortableType} first, so the same data held by
 * MariaDB and by PostgreSQL hashes the same:
 *
 * - NULL is distinct from `''` (and from the text `NULL`);
 * - integers (including BIGINT beyond 2^53) as exact decimal text;
 * - decimals without insignificant zeros (`12.50` = `12.5`, `-0.00` = `0`);
 * - timestamps as `YYYY-MM-DD HH:MM:SS[.fraction]` without trailing fractional zeros (timestamptz in UTC);
 * - binary as lower-case hex; booleans (and BIT(1), TINYINT 0/1) as `1`/`0`; JSON with sorted keys.
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
  let known: ResultColumn[];
  let key = options.key ?? [];
  if (options.table !== undefined) {
    const ref = typeof options.table === "string" ? parseTableName(options.table) : options.table;
    const catalog = await connector.introspect({ tables: [ref] });
    const table = findTable(catalog, ref);
    const label = ref.schema ? `${ref.schema}.${ref.name}` : ref.name;
    if (!table) throw configError(`table ${label} does not exist`, { connection: connector.name, table: label });
    from = { table: { schema: table.schema, name: table.name } };
    known = table.columns.map((c) => ({ name: c.name, type: c.type }));
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
  const typeOf = new Map<string, PortableType>();
  for (const name of readColumns) {
    const type = options.types?.[name] ?? known.find((c) => c.name === name)?.type;
    if (!type) {
      throw configError(`column ${name} does not exist${didYouMean(name, known.map((c) => c.name))}`, { connection: connector.name, column: name });
    }
    typeOf.set(name, type);
  }
  const keyAt = key.map((k) => readColumns.indexOf(k));
  const columnAt = columns.map((c) => readColumns.indexOf(c));
  const keyTypes = key.map((k) => typeOf.get(k)!);
  const columnTypes = columns.map((c) => typeOf.get(c)!);

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
        const value = normalizeValue(row[keyAt[i]], keyTypes[i]);
        keyValues.push(value);
        encoded += encodeField(value);
      }
      encoded += "#";
      for (let i = 0; i < columnAt.length; i++) encoded += encodeField(normalizeValue(row[columnAt[i]], columnTypes[i]));
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

/**
 * The canonical text of a value for its portable type (null for SQL NULL). Exposed for tests and
 * tools that compare single values across databases.
 */
export function normalizeValue(value: unknown, type: PortableType): string | null {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case "smallint": case "integer": case "bigint": return normalizeInteger(value);
    case "decimal": return normalizeDecimal(value);
    case "float": return normalizeFloat(value);
    case "boolean": return normalizeBoolean(value);
    case "string": case "text": return isBytes(value) ? Buffer.from(value).toString("utf8") : value instanceof Date ? isoTimestamp(value) : String(value);
    case "uuid": return (isBytes(value) && value.length === 16 ? formatUuid(Buffer.from(value).toString("hex")) : String(value)).toLowerCase();
    case "date": return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);
    case "time": return trimFraction(String(value));
    case "timestamp": return value instanceof Date ? isoTimestamp(value) : normalizeTimestamp(String(value));
    case "timestamptz": return value instanceof Date ? `${isoTimestamp(value)}Z` : normalizeTimestampTz(String(value));
    case "json": return normalizeJson(value);
    case "binary": return normalizeBinary(value);
    default:
      if (isBytes(value)) return Buffer.from(value).toString("hex");
      if (value instanceof Date) return isoTimestamp(value);
      if (typeof value === "object") return canonicalJson(value);
      return String(value);
  }
}

const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array;

function normalizeInteger(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value).toString() : normalizeDecimal(value);
  if (isBytes(value)) return bytesToUnsigned(value);
  const text = String(value).trim();
  if (/^[+-]?\d+$/.test(text)) return BigInt(text).toString();
  return normalizeDecimal(text);
}

function bytesToUnsigned(bytes: Uint8Array): string {
  let n = 0n;
  for (const byte of bytes) n = (n << 8n) | BigInt(byte);
  return n.toString();
}

/** `+0012.3400` → `12.34`, `-0.00` → `0`, `1.5e3` → `1500`; text that is not a number is kept as is. */
export function normalizeDecimal(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  let text = typeof value === "number" ? numberText(value) : String(value).trim();
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) return text;
  const negative = match[1] === "-";
  let digits = (match[2] || "") + (match[3] || "");
  let point = (match[2] || "").length + (match[4] ? Number(match[4]) : 0);
  if (point < 0) { digits = "0".repeat(-point) + digits; point = 0; }
  if (point > digits.length) digits += "0".repeat(point - digits.length);
  const integer = digits.slice(0, point).replace(/^0+/, "") || "0";
  const fraction = digits.slice(point).replace(/0+$/, "");
  text = fraction ? `${integer}.${fraction}` : integer;
  return negative && text !== "0" ? `-${text}` : text;
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? "NaN" : n > 0 ? "Infinity" : "-Infinity";
  return String(n);
}

function normalizeFloat(value: unknown): string {
  const n = typeof value === "number" ? value : Number(String(value).trim());
  if (Number.isNaN(n) && typeof value === "string" && !/^\s*nan\s*$/i.test(value)) return value;
  return Object.is(n, -0) ? "0" : numberText(n);
}

function normalizeBoolean(value: unknown): string {
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number" || typeof value === "bigint") return value === 0 || value === 0n ? "0" : "1";
  if (isBytes(value)) return value.some((b) => b !== 0) ? "1" : "0";
  const text = String(value).trim().toLowerCase();
  if (["t", "true", "y", "yes", "on", "1"].includes(text)) return "1";
  if (["f", "false", "n", "no", "off", "0"].includes(text)) return "0";
  return text;
}

/** Drops trailing zeros of a fractional part (and a bare `.`): `10:00:00.500000` → `10:00:00.5`. */
function trimFraction(text: string): string {
  return text.replace(/(\d)\.(\d*?)0*(?=$|[^\d])/, (_, d: string, f: string) => (f ? `${d}.${f}` : d));
}

function normalizeTimestamp(text: string): string {
  return trimFraction(text.trim().replace("T", " "));
}

const TIMESTAMP_TZ = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?(\s*BC)?$/i;

/** A timestamptz as the UTC instant: `2024-01-01 12:00:00.5+02` → `2024-01-01 10:00:00.5Z`. */
function normalizeTimestampTz(text: string): string {
  const m = TIMESTAMP_TZ.exec(text.trim());
  if (!m || m[9]) return text.trim();
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  let offsetSeconds = 0;
  if (zone && zone.toUpperCase() !== "Z") {
    const parts = zone.slice(1).replace(/:/g, "");
    offsetSeconds = (Number(parts.slice(0, 2)) * 3600 + Number(parts.slice(2, 4) || 0) * 60 + Number(parts.slice(4, 6) || 0)) * (zone[0] === "-" ? -1 : 1);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(Number(y), Number(mo) - 1, Number(d)); // not Date.UTC: it maps years 0–99 to 19xx
  utc.setUTCHours(Number(h), Number(mi), Number(s) - offsetSeconds, 0);
  const base = utc.toISOString().slice(0, 19).replace("T", " ");
  const frac = (fraction ?? "").replace(/0+$/, "");
  return `${base}${frac ? `.${frac}` : ""}Z`;
}

function isoTimestamp(date: Date): string {
  return trimFraction(date.toISOString().replace("T", " ").replace("Z", ""));
}

function normalizeJson(value: unknown): string {
  if (typeof value === "string") {
    try {
      return canonicalJson(JSON.parse(value));
    } catch {
      return value;
    }
  }
  if (isBytes(value)) return normalizeJson(Buffer.from(value).toString("utf8"));
  return canonicalJson(value);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

function normalizeBinary(value: unknown): string {
  if (isBytes(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
  const text = String(value);
  if (/^\\x[0-9a-f]*$/i.test(text)) return text.slice(2).toLowerCase();
  return Buffer.from(text, "utf8").toString("hex");
}

function formatUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
