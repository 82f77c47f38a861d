import type { ColumnInfo, PostgresColumnMapping, PostgresTargetFeatures } from "../connector.js";
import { PG_IDENTITY_TYPES, pgFraction, pgLiteral, pgNumberLiteral, pgTextArray } from "../postgres-mapping.js";
import { mysqlTypeMembers, unquoteMysqlLiteral } from "./mysql-types.js";

/**
 * How a MySQL/MariaDB column is carried into PostgreSQL. pgloader's default CAST rules are the reference
 * users know; where this differs, it is on purpose:
 * - DATETIME → `timestamp` (pgloader: timestamptz): a DATETIME is a wall-clock time without a zone, and
 *   reading it as an instant in some session's zone is what shifts it. TIMESTAMP is an instant → `timestamptz`.
 * - Zero dates are rejected with the row's key and column (pgloader: silently NULL); `?zeroDates=null` on the
 *   connection URL reads them as NULL.
 * - ENUM → `text` with a CHECK of its members (pgloader: a per-column enum type): no extra schema object per
 *   column, members changed later by swapping a constraint, values stay plain text for transforms and verify.
 *   SET → `text[]` (pgloader: an array of that enum type), each element checked the same way.
 * - FLOAT → `real` (pgloader: `float`, which PostgreSQL reads as double precision): single precision is what
 *   FLOAT stores, every value exactly. YEAR → `smallint` (pgloader: integer): 0 and 1901–2155 fit.
 * - `tinyint(1)` and BIT(1) → `boolean` as in pgloader, but a tinyint(1) holding anything other than 0 or 1 is
 *   rejected rather than turned into `true`. BIT(n) → `bit(n)` (pgloader: bit, via hex).
 * - Only BIGINT UNSIGNED needs `numeric(20)` (pgloader also sends a signed `bigint(20)` there, by display width).
 * - GEOMETRY, POINT, … → PostGIS `geometry` when the target has PostGIS, else their exact EWKT as `text` with a
 *   warning (pgloader: PostgreSQL's `point`/`path`, other geometries unsupported).
 * - JSON → `jsonb` (pgloader: json); auto_increment → identity columns (pgloader: serial).
 * - CHAR(n) → `char(n)`, VARCHAR(n) → `varchar(n)` (lengths in characters on both sides), as in pgloader; text
 *   is never altered (pgloader strips NUL characters; PostgreSQL rejects such a row here).
 */
export function mysqlPostgresMapping(
  column: Pick<ColumnInfo, "nativeType" | "default" | "identity" | "computed" | "onUpdate">,
  target: PostgresTargetFeatures,
): PostgresColumnMapping {
  const spelling = column.nativeType.trim();
  const type = spelling.toLowerCase();
  const base = /^[a-z0-9_]+/.exec(type)?.[0] ?? "";
  const args = /^[a-z0-9_]+\s*\(([^)]*)\)/.exec(type)?.[1]?.split(",").map((part) => Number(part.trim())) ?? [];
  const unsigned = /\bunsigned\b/.test(type);
  const warnings: string[] = [];
  let mapped: { type: string; enumValues?: string[] };
  switch (base) {
    case "tinyint": mapped = { type: args[0] === 1 ? "boolean" : "smallint" }; break;
    case "smallint": mapped = { type: unsigned ? "integer" : "smallint" }; break;
    case "mediumint": mapped = { type: "integer" }; break;
    case "int": case "integer": mapped = { type: unsigned ? "bigint" : "integer" }; break;
    case "bigint": mapped = { type: unsigned ? "numeric(20)" : "bigint" }; break;
    case "decimal": case "numeric": case "dec": case "fixed": mapped = { type: `numeric(${args[0] ?? 10},${args[1] ?? 0})` }; break;
    case "float": mapped = { type: "real" }; break;
    case "double": case "real": mapped = { type: "double precision" }; break;
    case "bit": mapped = { type: (args[0] ?? 1) === 1 ? "boolean" : `bit(${args[0]})` }; break;
    case "char": mapped = { type: args[0] ? `char(${args[0]})` : args.length ? "text" : "char(1)" }; break;
    case "varchar": mapped = { type: args[0] ? `varchar(${args[0]})` : "text" }; break;
    case "tinytext": case "text": case "mediumtext": case "longtext": mapped = { type: "text" }; break;
    case "json": mapped = { type: "jsonb" }; break;
    case "enum": mapped = { type: "text", enumValues: mysqlTypeMembers(spelling) }; break;
    case "set": mapped = { type: "text[]", enumValues: mysqlTypeMembers(spelling) }; break;
    case "date": mapped = { type: "date" }; break;
    case "datetime": mapped = { type: `timestamp(${pgFraction(args[0] ?? 0)})` }; break;
    case "timestamp": mapped = { type: `timestamptz(${pgFraction(args[0] ?? 0)})` }; break;
    case "time": mapped = { type: `time(${pgFraction(args[0] ?? 0)})` }; break;
    case "year": mapped = { type: "smallint" }; break;
    case "binary": case "varbinary": case "tinyblob": case "blob": case "mediumblob": case "longblob": mapped = { type: "bytea" }; break;
    case "uuid": mapped = { type: "uuid" }; break;
    case "inet4": case "inet6": mapped = { type: "inet" }; break;
    case "geometry": case "point": case "linestring": case "polygon": case "multipoint": case "multilinestring": case "multipolygon":
    case "geometrycollection": case "geomcollection":
      mapped = { type: target.postgis ? "geometry" : "text" };
      if (!target.postgis) warnings.push(`${spelling} is stored as EWKT text: the target has no PostGIS (CREATE EXTENSION postgis) for a geometry column`);
      break;
    default:
      mapped = { type: "text" };
      warnings.push(`${spelling} has no PostgreSQL type that holds it exactly; stored as text`);
  }

  let identity: boolean | undefined;
  if (column.identity) {
    if (PG_IDENTITY_TYPES.has(mapped.type)) identity = true;
    else if (base === "bigint") {
      // BIGINT UNSIGNED AUTO_INCREMENT is the common id column: numbered from 1, it never reaches 2^63.
      mapped = { type: "bigint" };
      identity = true;
      warnings.push("bigint unsigned auto_increment becomes a bigint identity: a value above 9223372036854775807 is rejected");
    } else warnings.push(`auto_increment on ${spelling} is not carried: PostgreSQL identity columns are smallint, integer or bigint`);
  }
  if (column.computed) warnings.push("a generated (computed) column in the source: the target column holds its values but does not compute them");
  let onUpdate: string | undefined;
  if (column.onUpdate) {
    // The same spellings as a default (`current_timestamp(3)`); the schema builder carries it as a trigger.
    const translated = /^(timestamp|date|time)/.test(mapped.type) ? mysqlDefault(column.onUpdate, mapped.type, { base, width: args[0] }) : undefined;
    if (typeof translated === "string" && !translated.startsWith("'")) onUpdate = translated;
    else warnings.push(`ON UPDATE ${column.onUpdate} is not carried: PostgreSQL has no such clause and it is not a current time a trigger can set`);
  }

  let defaultSql: string | undefined;
  if (column.default !== null && column.default !== undefined && !identity && !column.computed) {
    const translated = mysqlDefault(column.default, mapped.type, { base, width: args[0] });
    if (typeof translated === "string") defaultSql = translated;
    else warnings.push(translated.warning);
  }
  return {
    type: mapped.type,
    ...(defaultSql !== undefined ? { default: defaultSql } : {}),
    ...(identity ? { identity } : {}),
    ...(mapped.enumValues ? { enumValues: mapped.enumValues } : {}),
    ...(onUpdate ? { onUpdate } : {}),
    warnings,
  };
}

const NOW = /^(current_timestamp|now|localtimestamp|localtime)\s*(?:\(\s*(\d?)\s*\))?$/i;
const TODAY = /^(curdate|current_date)\s*(?:\(\s*\))?$/i;
const TIME_NOW = /^(curtime|current_time)\s*(?:\(\s*(\d?)\s*\))?$/i;
const UUID = /^(uuid|uuid_v4|sys_guid)\s*\(\s*\)$/i;

/**
 * A default as information_schema shows it — MariaDB quotes literals (`'it''s'`, `'x\\y'`), MySQL 8 does not
 * (`active`); `b'101'` for bits; functions as written (`current_timestamp(3)`) — in PostgreSQL SQL for
 * the mapped type, or why it is not carried.
 */
export function mysqlDefault(raw: string, pgType: string, source: { base: string; width?: number }): string | { warning: string } {
  const width = source.width;
  const text = raw.trim();
  const notCarried = (why: string) => ({ warning: `default ${text} is not carried: ${why}` });
  if (/^null$/i.test(text)) return notCarried("NULL is PostgreSQL's default too");
  const quoted = unquoteMysqlLiteral(text);
  const bits = /^b'([01]*)'$/i.exec(text)?.[1];
  const literal = quoted ?? (bits === undefined && !/[()]/.test(text) ? text : undefined);

  if (pgType === "boolean") {
    const value = bits !== undefined ? parseInt(bits || "0", 2) : literal !== undefined ? Number(literal) : NaN;
    return value === 0 ? "false" : value === 1 ? "true" : notCarried("a boolean default must be 0 or 1");
  }
  if (/^bit\(\d+\)$/.test(pgType)) {
    const digits = bits ?? (literal !== undefined && /^\d+$/.test(literal) ? BigInt(literal).toString(2) : undefined);
    if (digits === undefined || digits.replace(/^0+/, "").length > (width ?? 1)) return notCarried(`not a bit string of ${width} bits`);
    return `B'${digits.padStart(width ?? 1, "0").slice(-(width ?? 1))}'`;
  }
  if (/^(smallint|integer|bigint|numeric|real|double precision)\b/.test(pgType)) {
    const number = literal !== undefined ? pgNumberLiteral(literal) : undefined;
    return number ?? notCarried("not a number literal");
  }
  if (pgType.startsWith("timestamp") || pgType === "date" || pgType.startsWith("time")) {
    const now = NOW.exec(text);
    if (now && pgType !== "date" && !pgType.startsWith("time(")) {
      const precision = now[2] ? `(${now[2]})` : "";
      return pgType.startsWith("timestamptz") ? `CURRENT_TIMESTAMP${precision}` : `LOCALTIMESTAMP${precision}`;
    }
    if ((TODAY.test(text) || now) && pgType === "date") return "CURRENT_DATE";
    const timeNow = TIME_NOW.exec(text);
    if (timeNow && pgType.startsWith("time(")) return `LOCALTIME${timeNow[2] ? `(${timeNow[2]})` : ""}`;
    if (literal === undefined) return notCarried("an expression PostgreSQL spells differently");
    if (/^0000-00-00|^\d{4}-00-|^\d{4}-\d{2}-00/.test(literal)) return notCarried("a zero date has no PostgreSQL value");
    return pgLiteral(literal);
  }
  if (pgType === "uuid" || /^(char|varchar|text)\b/.test(pgType)) {
    if (UUID.test(text)) return pgType === "uuid" ? "gen_random_uuid()" : "gen_random_uuid()::text";
  }
  if (pgType === "text[]") {
    if (literal === undefined) return notCarried("an expression PostgreSQL spells differently");
    return pgTextArray(literal === "" ? [] : literal.split(","));
  }
  if (pgType === "bytea") {
    if (literal === undefined) return notCarried("an expression PostgreSQL spells differently");
    const bytes = Buffer.from(literal, "utf8");
    // BINARY(n) pads its values with zero bytes to n, its default too.
    const padded = width && source.base === "binary" ? Buffer.concat([bytes, Buffer.alloc(Math.max(0, width - bytes.length))]) : bytes;
    return `${pgLiteral(`\\x${padded.toString("hex")}`)}::bytea`;
  }
  if (pgType === "geometry") return notCarried("geometry defaults are not translated");
  if (literal === undefined) return notCarried("an expression PostgreSQL spells differently");
  return pgLiteral(literal);
}
