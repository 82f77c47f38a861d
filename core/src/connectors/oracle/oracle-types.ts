import type { PortableType } from "../connector.js";

/**
 * The slice of a result column's metadata `oracledb` reports (its `metaData` entries): `dbType` is one of the
 * driver's `DB_TYPE_*` constants; for NUMBER `precision`/`scale` (scale -127 with precision 0 = unconstrained
 * NUMBER, with precision > 0 = FLOAT(binary precision)); for TIMESTAMP `precision` is the fractional digits;
 * for character and RAW types `byteSize` is the declared size.
 */
export interface OracleColumnMetadata {
  name: string;
  dbType?: { name?: string; columnTypeName?: string } | null;
  dbTypeName?: string;
  precision?: number;
  scale?: number;
  byteSize?: number;
}

/** A row of `ALL_TAB_COLUMNS` (numbers may arrive as strings). */
export interface OracleCatalogType {
  dataType: string;
  dataPrecision?: number | string | null;
  dataScale?: number | string | null;
  dataLength?: number | string | null;
  charLength?: number | string | null;
  /** `C` (character semantics) or `B` (bytes). */
  charUsed?: string | null;
}

const num = (value: number | string | null | undefined) => (value === null || value === undefined || value === "" ? undefined : Number(value));

/** The type as Oracle spells it, from a result column's driver metadata: `NUMBER(10,2)`, `VARCHAR2(50)`, `TIMESTAMP(6) WITH TIME ZONE`. */
export function oracleTypeFromColumn(column: OracleColumnMetadata): string {
  const type = column.dbType?.name ?? "";
  const size = column.byteSize;
  switch (type) {
    case "DB_TYPE_NUMBER": {
      const precision = column.precision ?? 0;
      const scale = column.scale ?? -127;
      if (scale === -127) return precision > 0 ? `FLOAT(${precision})` : "NUMBER";
      if (precision === 0) return `NUMBER(*,${scale})`;
      return scale === 0 ? `NUMBER(${precision})` : `NUMBER(${precision},${scale})`;
    }
    case "DB_TYPE_VARCHAR": return size ? `VARCHAR2(${size})` : "VARCHAR2";
    case "DB_TYPE_NVARCHAR": return size ? `NVARCHAR2(${size})` : "NVARCHAR2";
    case "DB_TYPE_CHAR": return size ? `CHAR(${size})` : "CHAR";
    case "DB_TYPE_NCHAR": return size ? `NCHAR(${size})` : "NCHAR";
    case "DB_TYPE_RAW": return size ? `RAW(${size})` : "RAW";
    case "DB_TYPE_TIMESTAMP": return `TIMESTAMP(${column.precision ?? 6})`;
    case "DB_TYPE_TIMESTAMP_TZ": return `TIMESTAMP(${column.precision ?? 6}) WITH TIME ZONE`;
    case "DB_TYPE_TIMESTAMP_LTZ": return `TIMESTAMP(${column.precision ?? 6}) WITH LOCAL TIME ZONE`;
    default: return (column.dbTypeName ?? column.dbType?.columnTypeName ?? type.replace(/^DB_TYPE_/, "")) || "UNKNOWN";
  }
}

/** The type as Oracle spells it, from `ALL_TAB_COLUMNS` (sizes of VARCHAR2/CHAR in their declared semantics). */
export function oracleTypeFromCatalog(row: OracleCatalogType): string {
  const type = row.dataType.toUpperCase();
  const precision = num(row.dataPrecision);
  const scale = num(row.dataScale);
  const chars = num(row.charLength);
  switch (type) {
    case "NUMBER":
      if (precision === undefined) return scale === undefined ? "NUMBER" : `NUMBER(*,${scale})`;
      return !scale ? `NUMBER(${precision})` : `NUMBER(${precision},${scale})`;
    case "FLOAT": return precision === undefined ? "FLOAT" : `FLOAT(${precision})`;
    case "VARCHAR2": case "CHAR": return `${type}(${chars}${row.charUsed === "C" ? " CHAR" : ""})`;
    case "NVARCHAR2": case "NCHAR": return `${type}(${chars})`;
    case "RAW": return `RAW(${num(row.dataLength)})`;
    default: return type; // TIMESTAMP(6), TIMESTAMP(6) WITH TIME ZONE, INTERVAL DAY(2) TO SECOND(6), DATE, CLOB, …
  }
}

/** Integer NUMBER(p) → the smallest integer kind that holds p digits. */
function integerKind(precision: number): PortableType {
  if (precision <= 4) return { kind: "smallint" };
  if (precision <= 9) return { kind: "integer" };
  if (precision <= 18) return { kind: "bigint" };
  return { kind: "decimal", precision, scale: 0 };
}

/**
 * Portable type of an Oracle type spelling. Oracle DATE holds a time of day, so it is a timestamp; FLOAT is
 * a decimal NUMBER (up to 38 digits), so it stays an exact decimal rather than a binary float; VARCHAR2 sizes
 * in bytes are kept as lengths (characters ≤ bytes, so a length can only be too generous).
 */
export function portableFromOracleType(spelling: string): PortableType {
  const type = spelling.toUpperCase().trim();
  if (type.startsWith("TIMESTAMP")) return { kind: /WITH (LOCAL )?TIME ZONE$/.test(type) ? "timestamptz" : "timestamp" };
  if (type.startsWith("INTERVAL")) return { kind: "string" };
  const base = type.replace(/\s*\(.*$/, "");
  const args = /\(([^)]*)\)/.exec(type)?.[1]?.split(",").map((part) => part.trim().replace(/\s+(CHAR|BYTE)$/, "")) ?? [];
  switch (base) {
    case "NUMBER": {
      if (args.length === 0) return { kind: "decimal" };
      const scale = args[1] === undefined ? 0 : Number(args[1]);
      if (args[0] === "*") return { kind: "decimal", precision: 38, scale: Math.max(0, scale) };
      const precision = Number(args[0]);
      if (scale < 0) return integerKind(precision - scale); // NUMBER(5,-2) rounds to hundreds: up to 7 digits
      if (scale === 0) return integerKind(precision);
      return { kind: "decimal", precision: Math.max(precision, scale), scale };
    }
    case "INTEGER": case "INT": case "SMALLINT": return { kind: "decimal", precision: 38, scale: 0 };
    case "FLOAT": case "REAL": case "DOUBLE PRECISION": case "DECIMAL": case "NUMERIC": return { kind: "decimal" };
    case "BINARY_FLOAT": case "BINARY_DOUBLE": return { kind: "float" };
    case "VARCHAR2": case "NVARCHAR2": case "VARCHAR": case "CHAR": case "NCHAR":
      return { kind: "string", length: args[0] ? Number(args[0]) : 1 };
    case "CLOB": case "NCLOB": case "LONG": case "XMLTYPE": return { kind: "text" };
    case "DATE": return { kind: "timestamp" };
    case "RAW": case "LONG RAW": case "BLOB": return { kind: "binary" };
    case "ROWID": case "UROWID": return { kind: "string" };
    case "JSON": return { kind: "json" };
    case "BOOLEAN": return { kind: "boolean" };
    default: return { kind: "unknown" };
  }
}

/** Portable type of a result column, from the driver's metadata. */
export function portableFromOracleColumn(column: OracleColumnMetadata): PortableType {
  return portableFromOracleType(oracleTypeFromColumn(column));
}

/**
 * The select expression that reads a column's value exactly, or `undefined` when the driver's value is exact.
 * oracledb's thin mode turns DATE and TIMESTAMP into JS Dates in the machine's time zone (a wall-clock time
 * that does not exist there moves, digits past the millisecond are lost) and even `fetchAsString` only
 * formats that Date; so dates are formatted by the database with TO_CHAR, fraction digits as declared.
 */
export function oracleReadExpression(quoted: string, spelling: string): string | undefined {
  const type = spelling.toUpperCase().trim();
  if (type === "DATE") return `TO_CHAR(${quoted}, 'YYYY-MM-DD HH24:MI:SS')`;
  if (type.startsWith("TIMESTAMP")) {
    const digits = Number(/^TIMESTAMP\s*\((\d)\)/.exec(type)?.[1] ?? 6);
    const format = `YYYY-MM-DD HH24:MI:SS${digits > 0 ? `.FF${digits}` : ""}`;
    if (type.endsWith("WITH LOCAL TIME ZONE")) return `TO_CHAR(${quoted} AT TIME ZONE '+00:00', '${format} TZH:TZM')`;
    if (type.endsWith("WITH TIME ZONE")) return `TO_CHAR(${quoted}, '${format} TZH:TZM')`;
    return `TO_CHAR(${quoted}, '${format}')`;
  }
  if (type.startsWith("INTERVAL")) return `TO_CHAR(${quoted})`;
  return undefined;
}

/** How a column is fetched: NUMBER as exact text (except small integers), LOBs as values, BINARY_FLOAT as its shortest decimal. */
export type OracleFetch = { as: "string"; convert?: (value: unknown) => unknown } | { as: "buffer" } | { as: "native"; convert: (value: unknown) => unknown };

export function oracleFetchPlan(column: OracleColumnMetadata): OracleFetch | undefined {
  switch (column.dbType?.name) {
    case "DB_TYPE_NUMBER": {
      // NUMBER(p) with p ≤ 15 always fits a JS number exactly; everything else (decimals, NUMBER, FLOAT, big integers) is text.
      const precision = column.precision ?? 0;
      if (column.scale === 0 && precision > 0 && precision <= 15) return undefined;
      return { as: "string", convert: (value) => (typeof value === "string" ? normalizeOracleNumber(value) : value) };
    }
    case "DB_TYPE_CLOB": case "DB_TYPE_NCLOB": return { as: "string" };
    case "DB_TYPE_BLOB": return { as: "buffer" };
    case "DB_TYPE_BINARY_FLOAT": return { as: "native", convert: (value) => (typeof value === "number" ? shortestFloat32(value) : value) };
    default: return undefined;
  }
}

/** The driver's NUMBER text as a plain decimal: `.5` → `0.5`, `-.5` → `-0.5`; digits are never changed. */
export function normalizeOracleNumber(text: string): string {
  if (text.startsWith(".")) return `0${text}`;
  if (text.startsWith("-.")) return `-0${text.slice(1)}`;
  return text;
}

/** The shortest decimal that is the same 32-bit float (BINARY_FLOAT arrives widened to a double). */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}
