import type { PortableType } from "../connector.js";

/**
 * The slice of a result column's metadata the `mssql` driver reports (its `IColumnMetadata` entries): `type`
 * is one of mssql's type factories (`sql.Decimal`, …) whose `declaration` names the SQL type; `length` is
 * tedious' `dataLength` in bytes (65535 for `(max)`).
 */
export interface MssqlColumnMetadata {
  name: string;
  length?: number;
  precision?: number;
  scale?: number;
  type?: { declaration?: string } | null;
  udt?: { name?: string } | null;
}

/** A row of the catalog query over `sys.columns` (`max_length` in bytes, -1 for `(max)`). */
export interface MssqlCatalogType {
  typeName: string;
  maxLength: number;
  precision: number;
  scale: number;
}

const MAX_LENGTH = 65535;

/** The type as SQL Server spells it, from a result column's driver metadata: `decimal(10,2)`, `nvarchar(max)`, `datetime2(3)`. */
export function mssqlTypeFromColumn(column: MssqlColumnMetadata): string {
  const declaration = column.type?.declaration?.toLowerCase();
  if (!declaration) return "unknown";
  switch (declaration) {
    case "udt": return column.udt?.name?.toLowerCase() ?? "udt";
    case "variant": return "sql_variant";
    case "char": case "varchar": case "binary": case "varbinary":
      return `${declaration}(${column.length === undefined || column.length >= MAX_LENGTH ? "max" : column.length})`;
    case "nchar": case "nvarchar":
      return `${declaration}(${column.length === undefined || column.length >= MAX_LENGTH ? "max" : column.length / 2})`;
    case "decimal": case "numeric":
      return `${declaration}(${column.precision ?? 18},${column.scale ?? 0})`;
    case "datetime2": case "time": case "datetimeoffset":
      return `${declaration}(${column.scale ?? 7})`;
    default: return declaration;
  }
}

/** The type as SQL Server spells it, from `sys.columns`/`sys.types`: sizes in characters, `(max)` for -1. */
export function mssqlTypeFromCatalog(row: MssqlCatalogType): string {
  const name = row.typeName.toLowerCase();
  switch (name) {
    case "char": case "varchar": case "binary": case "varbinary":
      return `${name}(${row.maxLength === -1 ? "max" : row.maxLength})`;
    case "nchar": case "nvarchar":
      return `${name}(${row.maxLength === -1 ? "max" : row.maxLength / 2})`;
    case "decimal": case "numeric":
      return `${name}(${row.precision},${row.scale})`;
    case "datetime2": case "time": case "datetimeoffset":
      return `${name}(${row.scale})`;
    default: return name;
  }
}

function parseType(spelling: string): { base: string; args: string[] } {
  const type = spelling.toLowerCase().trim();
  const base = type.replace(/\s*\(.*$/, "");
  const args = /\(([^)]*)\)/.exec(type)?.[1]?.split(",").map((part) => part.trim()) ?? [];
  return { base, args };
}

/**
 * Portable type of a SQL Server type spelling. `timestamp` is SQL Server's old name of `rowversion`
 * (8 bytes, not a date); `money` is a 4-decimal fixed point number; `xml` travels as text.
 */
export function portableFromMssqlType(spelling: string): PortableType {
  const { base, args } = parseType(spelling);
  const size = args[0] === undefined || args[0] === "max" ? undefined : Number(args[0]);
  switch (base) {
    case "tinyint": case "smallint": return { kind: "smallint" };
    case "int": return { kind: "integer" };
    case "bigint": return { kind: "bigint" };
    case "decimal": case "numeric": case "dec":
      return { kind: "decimal", precision: size ?? 18, scale: args[1] === undefined ? 0 : Number(args[1]) };
    case "money": return { kind: "decimal", precision: 19, scale: 4 };
    case "smallmoney": return { kind: "decimal", precision: 10, scale: 4 };
    case "float": case "real": return { kind: "float" };
    case "bit": return { kind: "boolean" };
    case "char": case "varchar": case "nchar": case "nvarchar":
      if (args[0] === "max") return { kind: "text" };
      return { kind: "string", length: size ?? 1 };
    case "sysname": return { kind: "string", length: 128 };
    case "text": case "ntext": case "xml": return { kind: "text" };
    case "date": return { kind: "date" };
    case "time": return { kind: "time" };
    case "datetime": case "datetime2": case "smalldatetime": return { kind: "timestamp" };
    case "datetimeoffset": return { kind: "timestamptz" };
    case "uniqueidentifier": return { kind: "uuid" };
    case "json": return { kind: "json" };
    case "binary": case "varbinary": case "image": case "timestamp": case "rowversion":
    case "hierarchyid": case "geometry": case "geography": case "udt":
      return { kind: "binary" };
    default: return { kind: "unknown" };
  }
}

/** Portable type of a result column, from the driver's metadata. */
export function portableFromMssqlColumn(column: MssqlColumnMetadata): PortableType {
  return portableFromMssqlType(mssqlTypeFromColumn(column));
}

/**
 * The select expression that reads a column's value exactly, or `undefined` when the driver's own value is
 * exact. tedious turns DECIMAL/NUMERIC/MONEY into JS numbers (losing digits) and dates into JS Dates (losing
 * the 100 ns digits and the wall-clock text), so those are converted to text on the server:
 * style 121 is `yyyy-mm-dd hh:mi:ss[.fffffff][ +hh:mm]` for date, time, datetime2 and datetimeoffset (and
 * `.mmm` for datetime), style 120 the same without a fraction (smalldatetime), style 2 keeps money's 4 decimals.
 * CLR types (hierarchyid, geometry, geography) are read as their exact bytes.
 */
export function mssqlReadExpression(quoted: string, spelling: string): string | undefined {
  switch (parseType(spelling).base) {
    case "decimal": case "numeric": return `CONVERT(varchar(64), ${quoted})`;
    case "money": case "smallmoney": return `CONVERT(varchar(64), ${quoted}, 2)`;
    case "date": case "time": case "datetime": case "datetime2": case "datetimeoffset": return `CONVERT(varchar(40), ${quoted}, 121)`;
    case "smalldatetime": return `CONVERT(varchar(19), ${quoted}, 120)`;
    case "hierarchyid": case "geometry": case "geography": case "udt": return `CAST(${quoted} AS varbinary(max))`;
    default: return undefined;
  }
}

/** How a key value read from a column is bound when paging by that column, so the comparison uses its index. */
export function mssqlKeyParameter(spelling: string): "varchar" | "iso-datetime" | undefined {
  switch (parseType(spelling).base) {
    // A varchar column compared with the driver's default nvarchar parameter converts the column (no seek).
    case "char": case "varchar": case "text": return "varchar";
    // `yyyy-mm-dd hh:mi:ss` is read per SET DATEFORMAT/LANGUAGE for datetime (a dmy login swaps day and month);
    // the `T` form is ISO 8601 and read the same way everywhere.
    case "datetime": case "smalldatetime": return "iso-datetime";
    default: return undefined;
  }
}

/** The shortest decimal that is the same 32-bit float: tedious widens REAL to a double (0.1 → 0.10000000149011612). */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}
