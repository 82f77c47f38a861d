import type { ColumnInfo, PostgresColumnMapping, PostgresTargetFeatures } from "../connector.js";
import { PG_IDENTITY_TYPES, pgFraction, pgLiteral, pgNumberLiteral } from "../postgres-mapping.js";

/**
 * How an Oracle column (its catalog spelling, see `oracleTypeFromCatalog`) is carried into PostgreSQL. The
 * connector reads NUMBER as exact text and dates with TO_CHAR, so the values fit these types. Compared with
 * the usual Oracle → PostgreSQL rules (ora2pg's): DATE → `timestamp(0)` (an Oracle DATE has a time of day);
 * NUMBER(p) → the smallest integer type that holds p digits, NUMBER(p,s) → `numeric(p,s)`, unconstrained
 * NUMBER and FLOAT → `numeric` (ora2pg maps FLOAT to double precision: a FLOAT is a decimal NUMBER, so a binary
 * double would round it); BINARY_FLOAT/BINARY_DOUBLE → `real`/`double precision`. Warned: TIMESTAMP(7–9)
 * keeps nanoseconds (PostgreSQL microseconds), TIMESTAMP WITH TIME ZONE keeps its zone (timestamptz the
 * instant), INTERVAL is carried as Oracle's text. (Oracle stores `''` as NULL: such values arrive as NULL.)
 */
export function oraclePostgresMapping(
  column: Pick<ColumnInfo, "nativeType" | "default" | "identity" | "computed">,
  _target: PostgresTargetFeatures,
): PostgresColumnMapping {
  const spelling = column.nativeType.trim().toUpperCase();
  const warnings: string[] = [];
  const fraction = (digits: number) => {
    if (digits > 6) warnings.push(`${spelling} keeps up to nanoseconds; PostgreSQL keeps microseconds, so digits past the 6th are rounded`);
    return pgFraction(digits);
  };
  const base = spelling.replace(/\s*\(.*$/, "");
  const args = /\(([^)]*)\)/.exec(spelling)?.[1]?.split(",").map((part) => part.trim().replace(/\s+(CHAR|BYTE)$/, "")) ?? [];
  let type: string;
  if (spelling.startsWith("TIMESTAMP")) {
    const digits = fraction(Number(/^TIMESTAMP\s*\((\d)\)/.exec(spelling)?.[1] ?? 6));
    if (spelling.endsWith("WITH LOCAL TIME ZONE")) type = `timestamptz(${digits})`;
    else if (spelling.endsWith("WITH TIME ZONE")) {
      type = `timestamptz(${digits})`;
      warnings.push("TIMESTAMP WITH TIME ZONE keeps the writer's zone; timestamptz keeps the same instant but not that zone");
    } else type = `timestamp(${digits})`;
  } else if (spelling.startsWith("INTERVAL")) {
    type = "text";
    warnings.push(`${spelling} is carried as Oracle's interval text (e.g. +01 02:03:04.000000), not as a PostgreSQL interval`);
  } else {
    switch (base) {
      case "NUMBER": type = numberType(args); break;
      case "INTEGER": case "INT": case "SMALLINT": type = "numeric(38)"; break;
      case "FLOAT": case "REAL": case "DOUBLE PRECISION": case "DECIMAL": case "NUMERIC": type = "numeric"; break;
      case "BINARY_FLOAT": type = "real"; break;
      case "BINARY_DOUBLE": type = "double precision"; break;
      case "VARCHAR2": case "NVARCHAR2": case "VARCHAR": type = args[0] ? `varchar(${args[0]})` : "text"; break;
      case "CHAR": case "NCHAR": type = `char(${args[0] ?? 1})`; break;
      case "CLOB": case "NCLOB": case "LONG": type = "text"; break;
      case "XMLTYPE": type = "xml"; break;
      case "DATE": type = "timestamp(0)"; break;
      case "RAW": case "LONG RAW": case "BLOB": type = "bytea"; break;
      case "ROWID": case "UROWID": type = "text"; break;
      case "JSON": type = "jsonb"; break;
      case "BOOLEAN": type = "boolean"; break;
      default:
        type = "text";
        warnings.push(`${spelling} has no PostgreSQL type that holds it exactly; stored as text`);
    }
  }

  let identity: boolean | undefined;
  if (column.identity) {
    if (PG_IDENTITY_TYPES.has(type)) identity = true;
    else warnings.push(`the identity on ${spelling} is not carried: PostgreSQL identity columns are smallint, integer or bigint (declare NUMBER(18) or less)`);
  }
  if (column.computed) warnings.push("a virtual column in the source: the target column holds its values but does not compute them");
  let defaultSql: string | undefined;
  if (column.default !== null && column.default !== undefined && !identity && !column.computed) {
    const translated = oracleDefault(column.default, type);
    if (typeof translated === "string") defaultSql = translated;
    else warnings.push(translated.warning);
  }
  return { type, ...(defaultSql !== undefined ? { default: defaultSql } : {}), ...(identity ? { identity } : {}), warnings };
}

/** NUMBER(p[,s]) → the smallest integer type for p digits (s ≤ 0), else numeric; PostgreSQL 15+ reads scale > precision as Oracle does. */
function numberType(args: string[]): string {
  if (!args.length) return "numeric";
  const scale = args[1] === undefined ? 0 : Number(args[1]);
  if (args[0] === "*") return `numeric(38,${Math.max(0, scale)})`;
  const precision = Number(args[0]);
  if (scale <= 0) {
    // NUMBER(5,-2) rounds to hundreds: up to 7 digits.
    const digits = precision - scale;
    return digits <= 4 ? "smallint" : digits <= 9 ? "integer" : digits <= 18 ? "bigint" : `numeric(${digits})`;
  }
  return `numeric(${Math.max(precision, scale)},${scale})`;
}

/** An Oracle default (`DATA_DEFAULT`, as written) in PostgreSQL SQL for the mapped type, or why it is not carried. */
export function oracleDefault(dataDefault: string, pgType: string): string | { warning: string } {
  const text = dataDefault.trim();
  const notCarried = (why: string) => ({ warning: `default ${text} is not carried: ${why}` });
  const upper = text.toUpperCase().replace(/\s+/g, "");
  if (upper === "NULL") return notCarried("NULL is PostgreSQL's default too");
  if (upper === "SYSDATE" || upper === "CURRENT_DATE") return pgType.startsWith("timestamp(") ? "LOCALTIMESTAMP(0)" : notCarried("a date default for a column that is not a date");
  if (/^(SYSTIMESTAMP|CURRENT_TIMESTAMP)(\(\d\))?$/.test(upper)) return pgType.startsWith("timestamptz") ? "CURRENT_TIMESTAMP" : pgType.startsWith("timestamp") ? "LOCALTIMESTAMP" : notCarried("a timestamp default for a column that is not a timestamp");
  if (upper === "LOCALTIMESTAMP" && pgType.startsWith("timestamp")) return "LOCALTIMESTAMP";
  const number = pgNumberLiteral(text);
  if (number !== undefined && /^(smallint|integer|bigint|numeric|real|double precision)\b/.test(pgType)) return number;
  if (number !== undefined && pgType === "boolean") return number === "0" ? "false" : number === "1" ? "true" : notCarried("a boolean default must be 0 or 1");
  const string = /^'((?:[^']|'')*)'$/s.exec(text)?.[1]?.replace(/''/g, "'");
  // Oracle stores '' as NULL: an empty default is no default.
  if (string === "") return notCarried("Oracle reads '' as NULL");
  if (string !== undefined && pgType !== "bytea") return pgLiteral(string);
  return notCarried("an expression PostgreSQL spells differently");
}
