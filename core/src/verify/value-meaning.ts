import { isLosslessNumber, parse as parseJson } from "lossless-json";
import { parse as parsePostgresArray } from "postgres-array";
import { Geometry } from "wkx";
import type { PortableType } from "../connectors/connector.js";
import { portableFromPostgresType } from "../connectors/postgres/postgres-types.js";

/**
 * Values compared by meaning, not by their text: what `verify` and table hashes compare. A value's
 * canonical text depends on the column it sits in — its portable type, and for the PostgreSQL types whose
 * text differs from what a source reads (a target is always PostgreSQL) its native spelling:
 *
 * - `character(n)`: trailing spaces do not count (PostgreSQL pads, MariaDB strips; `varchar` keeps them);
 * - arrays (`text[]`, `integer[]`, …): element by element, each by its element type, whether written as
 *   PostgreSQL's literal (`{a,"b c"}`, `{"a","b"}`), a JavaScript array or a comma list (`a,b`, a SET);
 * - `geometry`/`geography`: the geometry itself (SRID, type, every coordinate's exact double), whether
 *   PostGIS's hex EWKB, EWKT (`SRID=4326;POINT(1 2)`) or WKT;
 * - `bit(n)`/`bit varying`: the bits, from digits, a number or bytes;
 * - everything else by its portable kind ({@link normalizeValue}): numbers by value, booleans as 1/0,
 *   JSON parsed, instants in UTC, bytes as hex.
 */
export type ValueMeaning = (value: unknown) => string | null;

/** The column a value is compared in: its portable type and, when known, its native type spelling. */
export interface ComparedColumn {
  type: PortableType;
  nativeType?: string;
}

/** How values of this column are compared (see {@link ValueMeaning}). */
export function columnMeaning(column: ComparedColumn): ValueMeaning {
  const native = (column.nativeType ?? "").trim().toLowerCase();
  const plain: ValueMeaning = (value) => normalizeValue(value, column.type);
  if (native.endsWith("[]")) {
    const elementNative = native.replace(/(\[\d*\])+$/, "");
    const element = columnMeaning({ type: portableFromPostgresType(elementNative), nativeType: elementNative });
    return (value) => (value === null || value === undefined ? null : arrayMeaning(value, element));
  }
  if (/^(character|char|bpchar)\b/.test(native) && !/^(character varying|char varying)\b/.test(native)) {
    return (value) => plain(value)?.replace(/ +$/, "") ?? null;
  }
  if (/^(\w+\.)?(geometry|geography)\b/.test(native)) return (value) => (value === null || value === undefined ? null : geometryMeaning(value));
  const bits = /^(bit varying|varbit|bit)\b(?:\s*\((\d+)\))?/.exec(native);
  if (bits) {
    const width = bits[1] === "bit" ? Number(bits[2] ?? 1) : undefined;
    return (value) => (value === null || value === undefined ? null : bitMeaning(value, width));
  }
  return plain;
}

/** An array's elements, each by its element type: `{a,"b c",NULL}`, `["a"]` and `a,b` alike; nested arrays stay nested. */
function arrayMeaning(value: unknown, element: ValueMeaning): string {
  let elements: unknown;
  if (Array.isArray(value)) elements = value;
  else {
    const text = isBytes(value) ? Buffer.from(value).toString("utf8") : String(value);
    const literal = text.trim();
    try {
      elements = /^(\[[^\]]*\])*=?\{/.test(literal) && literal.endsWith("}") ? parsePostgresArray(literal)
        // A comma list (a MariaDB SET, a CSV column): '' is the empty set.
        : text === "" ? [] : text.split(",");
    } catch {
      return text;
    }
  }
  const canonical = (items: unknown): unknown => (Array.isArray(items) ? items.map(canonical) : element(items));
  return JSON.stringify(canonical(elements));
}

/** A geometry as `SRID;WKT` with every coordinate's shortest exact text; text that is no geometry stays itself. */
function geometryMeaning(value: unknown): string {
  const raw = isBytes(value) ? Buffer.from(value) : String(value).trim();
  try {
    const geometry = typeof raw === "string" && /^(?:[0-9a-f]{2})+$/i.test(raw)
      ? Geometry.parse(Buffer.from(raw, "hex"))
      : Geometry.parse(typeof raw === "string" ? raw.toUpperCase() : raw);
    return `${geometry.srid ?? 0};${geometry.toWkt()}`;
  } catch {
    return typeof raw === "string" ? raw : raw.toString("hex");
  }
}

/** A bit string as its digits (`bit(n)` padded to n): from digits, a number, a bigint or big-endian bytes. */
function bitMeaning(value: unknown, width: number | undefined): string {
  let digits: string;
  if (typeof value === "number" || typeof value === "bigint") digits = BigInt(value).toString(2);
  else if (typeof value === "boolean") digits = value ? "1" : "0";
  else if (isBytes(value)) {
    digits = Array.from(value, (byte) => byte.toString(2).padStart(8, "0")).join("");
    if (width !== undefined) digits = digits.slice(-width);
  } else digits = String(value).trim();
  if (!/^[01]*$/.test(digits)) return digits;
  return width !== undefined ? digits.padStart(width, "0") : digits;
}

/**
 * The canonical text of a value for its portable type (null for SQL NULL). Exposed for tests and
 * tools that compare single values across databases.
 */
export function normalizeValue(value: unknown, type: PortableType): string | null {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case "smallint": case "integer": case "bigint": return normalizeInteger(value);
    case "decimal": return normalizeDecimal(value);
    case "float": return normalizeFloat(value, type.precision);
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

/**
 * A float by its value; a single-precision column (`real`, MariaDB FLOAT) by the value it can hold, so the
 * shortest text of a `real` (`0.1`) and the exact double of the same float (`0.10000000149011612`) agree.
 */
function normalizeFloat(value: unknown, precision: number | undefined): string {
  let n = typeof value === "number" ? value : Number(String(value).trim());
  if (Number.isNaN(n) && typeof value === "string" && !/^\s*nan\s*$/i.test(value)) return value;
  if (precision !== undefined && precision <= 24) n = Math.fround(n);
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

/**
 * JSON by meaning, as jsonb compares it: key order and whitespace do not matter, numbers compare by value
 * at any size (`1.50` = `1.5`, 20-digit integers exactly), and a repeated key keeps its last value.
 */
function normalizeJson(value: unknown): string {
  if (isBytes(value)) return normalizeJson(Buffer.from(value).toString("utf8"));
  if (typeof value !== "string") return canonicalJson(value);
  try {
    return canonicalJson(parseJson(value, null, { onDuplicateKey: ({ newValue }) => newValue }));
  } catch {
    return value;
  }
}

/** Sorted keys, numbers as normalized decimals (lossless or JavaScript numbers alike). */
function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (isLosslessNumber(value)) return normalizeDecimal(value.value);
  if (typeof value === "number" || typeof value === "bigint") return normalizeDecimal(value);
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const object = value as Record<string, unknown>;
  return `{${Object.keys(object).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`).join(",")}}`;
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
