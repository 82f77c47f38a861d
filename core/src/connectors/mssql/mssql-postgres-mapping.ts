import type { ColumnInfo, PostgresColumnMapping, PostgresTargetFeatures } from "../connector.js";
import { PG_IDENTITY_TYPES, pgFraction, pgLiteral, pgNumberLiteral } from "../postgres-mapping.js";

/**
 * How a SQL Server column (its catalog spelling, see `mssqlTypeFromCatalog`) is carried into PostgreSQL.
 * The values the connector reads fit these types: decimals, money and dates come as the server's exact text
 * (`mssqlReadExpression`). Compared with pgloader's MS SQL rules: datetime/datetime2 → `timestamp` (pgloader:
 * timestamptz — a SQL Server datetime has no zone); tinyint → `smallint` (0–255); money → `numeric(19,4)`
 * (pgloader: numeric); identity → identity columns (pgloader: serial). SQL Server keeps 7 fractional digits
 * (100 ns) where PostgreSQL keeps 6, and datetimeoffset keeps the writer's offset where timestamptz keeps only
 * the instant: both are warnings. Spatial and hierarchyid values are SQL Server's own serialization, carried as
 * bytes with a warning.
 */
export function mssqlPostgresMapping(
  column: Pick<ColumnInfo, "nativeType" | "default" | "identity" | "computed">,
  _target: PostgresTargetFeatures,
): PostgresColumnMapping {
  const spelling = column.nativeType.trim().toLowerCase();
  const base = spelling.replace(/\s*\(.*$/, "");
  const args = /\(([^)]*)\)/.exec(spelling)?.[1]?.split(",").map((part) => part.trim()) ?? [];
  const size = args[0] === undefined || args[0] === "max" ? undefined : Number(args[0]);
  const warnings: string[] = [];
  const fraction = (digits: number) => {
    if (digits > 6) warnings.push(`${spelling} keeps 100-nanosecond digits; PostgreSQL keeps microseconds, so the 7th fractional digit is rounded`);
    return pgFraction(digits);
  };
  let type: string;
  switch (base) {
    case "bit": type = "boolean"; break;
    case "tinyint": case "smallint": type = "smallint"; break;
    case "int": type = "integer"; break;
    case "bigint": type = "bigint"; break;
    case "decimal": case "numeric": case "dec": type = `numeric(${size ?? 18},${args[1] ?? 0})`; break;
    case "money": type = "numeric(19,4)"; break;
    case "smallmoney": type = "numeric(10,4)"; break;
    case "real": type = "real"; break;
    case "float": type = size !== undefined && size <= 24 ? "real" : "double precision"; break;
    case "char": case "nchar": type = size === undefined ? "text" : `char(${size})`; break;
    case "varchar": case "nvarchar": type = size === undefined ? "text" : `varchar(${size})`; break;
    case "sysname": type = "varchar(128)"; break;
    case "text": case "ntext": type = "text"; break;
    case "xml": type = "xml"; break;
    case "json": type = "jsonb"; break;
    case "date": type = "date"; break;
    case "time": type = `time(${fraction(size ?? 7)})`; break;
    case "datetime2": type = `timestamp(${fraction(size ?? 7)})`; break;
    case "datetime": type = "timestamp(3)"; break;
    case "smalldatetime": type = "timestamp(0)"; break;
    case "datetimeoffset":
      type = `timestamptz(${fraction(size ?? 7)})`;
      warnings.push("datetimeoffset keeps the writer's UTC offset; timestamptz keeps the same instant but not that offset");
      break;
    case "uniqueidentifier": type = "uuid"; break;
    case "binary": case "varbinary": case "image": type = "bytea"; break;
    case "timestamp": case "rowversion":
      type = "bytea";
      warnings.push("rowversion values are carried as their 8 bytes; PostgreSQL does not maintain them");
      break;
    case "geometry": case "geography": case "hierarchyid":
      type = "bytea";
      warnings.push(`${base} values are SQL Server's own serialization (not WKB), carried as bytes: read .STAsBinary()/.ToString() in a query source to convert them`);
      break;
    default:
      type = "text";
      warnings.push(`${spelling} has no PostgreSQL type that holds it exactly; stored as text`);
  }

  let identity: boolean | undefined;
  if (column.identity) {
    if (PG_IDENTITY_TYPES.has(type)) identity = true;
    else warnings.push(`IDENTITY on ${spelling} is not carried: PostgreSQL identity columns are smallint, integer or bigint`);
  }
  if (column.computed) warnings.push("a computed column in the source: the target column holds its values but does not compute them");
  let defaultSql: string | undefined;
  if (column.default !== null && column.default !== undefined && !identity && !column.computed) {
    const translated = mssqlDefault(column.default, type);
    if (typeof translated === "string") defaultSql = translated;
    else warnings.push(translated.warning);
  }
  return { type, ...(defaultSql !== undefined ? { default: defaultSql } : {}), ...(identity ? { identity } : {}), warnings };
}

/** `((0))` → `0`, `(N'a')` → `N'a'`: SQL Server wraps stored defaults in parentheses. */
function unwrap(text: string): string {
  let inner = text.trim();
  while (inner.startsWith("(") && inner.endsWith(")") && balanced(inner.slice(1, -1))) inner = inner.slice(1, -1).trim();
  return inner;
}

function balanced(text: string): boolean {
  let depth = 0;
  let quoted = false;
  for (const c of text) {
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === "(") depth++;
    else if (!quoted && c === ")" && --depth < 0) return false;
  }
  return depth === 0 && !quoted;
}

/** A SQL Server default (`sys.default_constraints.definition`) in PostgreSQL SQL for the mapped type, or why it is not carried. */
export function mssqlDefault(definition: string, pgType: string): string | { warning: string } {
  const text = unwrap(definition);
  const notCarried = (why: string) => ({ warning: `default ${definition.trim()} is not carried: ${why}` });
  const string = /^N?'((?:[^']|'')*)'$/s.exec(text)?.[1]?.replace(/''/g, "'");
  const number = pgNumberLiteral(text);
  const fn = text.toLowerCase().replace(/\s+/g, "");
  if (/^null$/i.test(text)) return notCarried("NULL is PostgreSQL's default too");
  if (pgType === "boolean") {
    const value = number ?? string;
    return value === "0" ? "false" : value === "1" ? "true" : notCarried("a bit default must be 0 or 1");
  }
  if (["getdate()", "sysdatetime()", "current_timestamp"].includes(fn)) {
    if (pgType.startsWith("timestamp(") || pgType === "timestamp") return "LOCALTIMESTAMP";
    if (pgType === "date") return "CURRENT_DATE";
  }
  if (["getutcdate()", "sysutcdatetime()"].includes(fn) && pgType.startsWith("timestamp(")) return "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')";
  if (fn === "sysdatetimeoffset()" && pgType.startsWith("timestamptz")) return "CURRENT_TIMESTAMP";
  if ((fn === "newid()" || fn === "newsequentialid()") && pgType === "uuid") return "gen_random_uuid()";
  if (number !== undefined && /^(smallint|integer|bigint|numeric|real|double precision)\b/.test(pgType)) return number;
  if (string !== undefined && pgType !== "bytea") return pgLiteral(string);
  return notCarried("an expression PostgreSQL spells differently");
}
