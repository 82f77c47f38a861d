import type { ColumnInfo, PortableType, PostgresColumnMapping, PostgresTargetFeatures } from "../connector.js";

/** Portable type of a column from PostgreSQL's `format_type()` spelling, e.g. `character varying(50)`. */
export function portableFromPostgresType(formatted: string): PortableType {
  const type = formatted.toLowerCase().trim();
  const args = /\(([^)]*)\)/.exec(type)?.[1]?.split(",").map((part) => Number(part.trim()));
  // Arrays are read as their array literal text (`{1,2}`), which only an array column reads back.
  if (type.endsWith("[]")) return { kind: "unknown" };
  if (type === "smallint" || type === "int2") return { kind: "smallint" };
  if (type === "integer" || type === "int" || type === "int4") return { kind: "integer" };
  if (type === "bigint" || type === "int8") return { kind: "bigint" };
  if (type.startsWith("numeric") || type.startsWith("decimal")) {
    return args ? { kind: "decimal", precision: args[0], scale: args[1] ?? 0 } : { kind: "decimal" };
  }
  if (type === "real" || type === "float4") return { kind: "float", precision: 24 };
  if (type === "double precision" || type === "float8") return { kind: "float", precision: 53 };
  if (type.startsWith("character varying") || type.startsWith("varchar") || type.startsWith("character(") || type === "character" || type.startsWith("bpchar")) {
    return args ? { kind: "string", length: args[0] } : { kind: "string" };
  }
  if (type === "text" || type === "citext" || type === "name") return { kind: "text" };
  if (type === "boolean" || type === "bool") return { kind: "boolean" };
  if (type === "date") return { kind: "date" };
  // Both spellings: `timestamp(3) with time zone` (format_type) and `timestamptz` (udt_name, DDL).
  if (type.startsWith("timestamptz") || (type.startsWith("timestamp") && type.includes("with time zone") && !type.includes("without"))) return { kind: "timestamptz" };
  if (type.startsWith("timestamp")) return { kind: "timestamp" };
  if (type.startsWith("time")) return { kind: "time" };
  if (type === "uuid") return { kind: "uuid" };
  if (type === "json" || type === "jsonb") return { kind: "json" };
  if (type === "bytea") return { kind: "binary" };
  return { kind: "unknown" };
}

/** Portable type of a result field from its type OID and modifier (as `pg` and PGlite report them). */
export function portableFromPostgresOid(oid: number, typmod = -1): PortableType {
  switch (oid) {
    case 21: return { kind: "smallint" };
    case 23: return { kind: "integer" };
    case 20: return { kind: "bigint" };
    case 1700:
      return typmod > 4 ? { kind: "decimal", precision: ((typmod - 4) >> 16) & 0xffff, scale: (typmod - 4) & 0xffff } : { kind: "decimal" };
    case 700: return { kind: "float", precision: 24 };
    case 701: return { kind: "float", precision: 53 };
    case 1043: case 1042: return typmod > 4 ? { kind: "string", length: typmod - 4 } : { kind: "string" };
    case 25: case 19: return { kind: "text" };
    case 16: return { kind: "boolean" };
    case 1082: return { kind: "date" };
    case 1083: case 1266: return { kind: "time" };
    case 1114: return { kind: "timestamp" };
    case 1184: return { kind: "timestamptz" };
    case 2950: return { kind: "uuid" };
    case 114: case 3802: return { kind: "json" };
    case 17: return { kind: "binary" };
    default: return { kind: "unknown" };
  }
}

/** The PostgreSQL column type created for a portable type (`create: true` targets). */
export function postgresNativeType(type: PortableType): string {
  switch (type.kind) {
    case "smallint": return "smallint";
    case "integer": return "integer";
    case "bigint": return "bigint";
    case "decimal": return type.precision ? `numeric(${type.precision},${type.scale ?? 0})` : "numeric";
    // Single precision (24 bits of mantissa) fits real exactly; anything wider needs double precision.
    case "float": return type.precision !== undefined && type.precision <= 24 ? "real" : "double precision";
    case "string": return type.length ? `varchar(${type.length})` : "text";
    case "text": return "text";
    case "boolean": return "boolean";
    case "date": return "date";
    case "time": return "time";
    case "timestamp": return "timestamp";
    case "timestamptz": return "timestamptz";
    case "uuid": return "uuid";
    case "json": return "jsonb";
    case "binary": return "bytea";
    default: return "text";
  }
}

/**
 * OIDs whose values we keep as the server's exact text: numeric (no float rounding), int8 (beyond 2^53),
 * dates and timestamps (never shifted through the machine's time zone).
 */
export const POSTGRES_TEXT_OIDS = [20, 1700, 1082, 1083, 1114, 1184, 1266, 1186] as const;

/** json and jsonb: parsed for our own (ledger) queries, kept as text when moving data so scalars stay JSON. */
export const POSTGRES_JSON_OIDS = [114, 3802] as const;

/**
 * When moving data, only these types become JavaScript values (booleans, bytes, 16/32-bit integers and
 * oids, floats — each exact as a JS value); every other type is read as the server's own text, which is
 * what PostgreSQL reads back: arrays stay array literals (a parsed `timestamp[]` would become Dates,
 * shifted by the machine's zone, and a `text[]` JSON), points and circles stay their text, not objects.
 */
export const POSTGRES_VALUE_OIDS = [16, 17, 21, 23, 26, 700, 701] as const;

/**
 * Settings of every session DataBridge opens, so a value's text never depends on what a database or
 * role sets by default: floats printed exactly (shortest text that reads back as the same value),
 * dates in ISO order (`SQL, DMY` would print 03/11/2024, which a target in MDY reads as March 11),
 * intervals and bytea in the formats every reader parses the same.
 */
export const POSTGRES_SESSION_SETTINGS: Record<string, string> = {
  extra_float_digits: "3",
  DateStyle: "ISO, MDY",
  IntervalStyle: "postgres",
  bytea_output: "hex",
};

/** PostgreSQL's built-in type names as format_type spells them (array or not): a target has them all. */
const BUILT_IN = /^(smallint|integer|bigint|numeric|real|double precision|money|character varying|character|"char"|text|name|citext|bytea|boolean|date|time|timestamp|interval|uuid|json|jsonb|xml|inet|cidr|macaddr8?|point|line|lseg|box|path|polygon|circle|bit|bit varying|tsvector|tsquery|oid|pg_lsn|int4range|int8range|numrange|tsrange|tstzrange|daterange)\b/;

/**
 * A PostgreSQL (or PGlite) source column into PostgreSQL: the same type, as format_type spells it — read
 * as the server's own text, every value goes back into the same type unchanged. Serial and identity
 * columns become identity columns. Defaults are not carried (they may name sequences or functions the
 * target lacks); a type the target may not have (an enum, a domain, an extension's type) becomes text.
 */
export function postgresSourceMapping(column: Pick<ColumnInfo, "nativeType" | "identity">, target: PostgresTargetFeatures): PostgresColumnMapping {
  const type = column.nativeType.trim();
  const postgis = target.postgis && /^(public\.)?(geometry|geography)\b/.test(type.toLowerCase());
  if (!postgis && !BUILT_IN.test(type.toLowerCase())) {
    return { type: "text", warnings: [`${type} is not a built-in type the target is sure to have; stored as its text`] };
  }
  return { type, ...(column.identity ? { identity: true } : {}), warnings: [] };
}
