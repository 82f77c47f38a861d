import type { PortableType } from "../connector.js";

/** Portable type from MySQL/MariaDB `COLUMN_TYPE`, e.g. `varchar(50)`, `decimal(10,2)`, `int(10) unsigned`. */
export function portableFromMysqlType(columnType: string): PortableType {
  const type = columnType.toLowerCase().trim();
  const base = type.replace(/\(.*$/, "").replace(/\s.*$/, "");
  const args = /\(([^)]*)\)/.exec(type)?.[1]?.split(",").map((part) => Number(part.trim()));
  const unsigned = /\bunsigned\b/.test(type);
  switch (base) {
    case "tinyint": return { kind: "smallint" };
    case "smallint": return unsigned ? { kind: "integer" } : { kind: "smallint" };
    case "mediumint": return { kind: "integer" };
    case "int": case "integer": return unsigned ? { kind: "bigint" } : { kind: "integer" };
    case "bigint": return unsigned ? { kind: "decimal", precision: 20, scale: 0 } : { kind: "bigint" };
    case "decimal": case "numeric": case "dec": case "fixed":
      return { kind: "decimal", precision: args?.[0] ?? 10, scale: args?.[1] ?? 0 };
    case "float": case "double": case "real": return { kind: "float" };
    case "char": case "varchar": return args ? { kind: "string", length: args[0] } : { kind: "string" };
    case "enum": case "set": return { kind: "string", length: 255 };
    case "tinytext": case "text": case "mediumtext": case "longtext": return { kind: "text" };
    case "date": return { kind: "date" };
    case "datetime": case "timestamp": return { kind: "timestamp" };
    case "time": return { kind: "time" };
    case "year": return { kind: "smallint" };
    case "json": return { kind: "json" };
    case "bit": return args && args[0] === 1 ? { kind: "boolean" } : { kind: "binary" };
    case "binary": case "varbinary": case "tinyblob": case "blob": case "mediumblob": case "longblob": return { kind: "binary" };
    case "uuid": return { kind: "uuid" };
    default: return { kind: "unknown" };
  }
}

/** Field type codes of the MySQL protocol (as mysql2 reports them in `columnType`). */
const FieldType = {
  DECIMAL: 0, TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, TIMESTAMP: 7, LONGLONG: 8, INT24: 9,
  DATE: 10, TIME: 11, DATETIME: 12, YEAR: 13, VARCHAR: 15, BIT: 16, JSON: 245, NEWDECIMAL: 246,
  TINY_BLOB: 249, MEDIUM_BLOB: 250, LONG_BLOB: 251, BLOB: 252, VAR_STRING: 253, STRING: 254,
} as const;
const BINARY_CHARSET = 63;
const UNSIGNED_FLAG = 32;

/**
 * Bytes per character of a result field's character set (its collation id), to turn the protocol's
 * byte length back into characters. Unknown collations count 1 byte per character, which can only
 * overestimate a length, never truncate values.
 */
export function mysqlBytesPerChar(collationId: number | undefined): number {
  if (collationId === undefined) return 1;
  if (collationId === 45 || collationId === 46 || (collationId >= 224 && collationId <= 247) || (collationId >= 255 && collationId <= 323)) return 4; // utf8mb4
  if (collationId === 33 || collationId === 83 || (collationId >= 192 && collationId <= 215) || collationId === 223) return 3; // utf8mb3
  if (collationId === 54 || collationId === 55 || collationId === 56 || collationId === 62 || (collationId >= 101 && collationId <= 124)) return 4; // utf16, utf16le
  if (collationId === 60 || collationId === 61 || (collationId >= 160 && collationId <= 183)) return 4; // utf32
  if (collationId === 35 || collationId === 90 || (collationId >= 128 && collationId <= 151)) return 2; // ucs2
  return 1;
}

interface MysqlField { columnType?: number; type?: number; characterSet?: number; columnLength?: number; decimals?: number; flags?: number }

/** Portable type of a result field (query results carry no COLUMN_TYPE, only protocol metadata). */
export function portableFromMysqlField(field: MysqlField): PortableType {
  const code = field.columnType ?? field.type;
  const unsigned = ((field.flags ?? 0) & UNSIGNED_FLAG) !== 0;
  const binary = field.characterSet === BINARY_CHARSET;
  switch (code) {
    case FieldType.TINY: case FieldType.SHORT: case FieldType.YEAR: return { kind: unsigned && code === FieldType.SHORT ? "integer" : "smallint" };
    case FieldType.INT24: return { kind: "integer" };
    case FieldType.LONG: return { kind: unsigned ? "bigint" : "integer" };
    case FieldType.LONGLONG: return unsigned ? { kind: "decimal", precision: 20, scale: 0 } : { kind: "bigint" };
    case FieldType.DECIMAL: case FieldType.NEWDECIMAL: {
      const scale = field.decimals ?? 0;
      const precision = Math.max(1, (field.columnLength ?? 11) - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1));
      return { kind: "decimal", precision, scale };
    }
    case FieldType.FLOAT: case FieldType.DOUBLE: return { kind: "float" };
    case FieldType.DATE: return { kind: "date" };
    case FieldType.TIME: return { kind: "time" };
    case FieldType.DATETIME: case FieldType.TIMESTAMP: return { kind: "timestamp" };
    case FieldType.JSON: return { kind: "json" };
    case FieldType.BIT: return field.columnLength === 1 ? { kind: "boolean" } : { kind: "binary" };
    case FieldType.TINY_BLOB: case FieldType.MEDIUM_BLOB: case FieldType.LONG_BLOB: case FieldType.BLOB:
      return binary ? { kind: "binary" } : { kind: "text" };
    case FieldType.VARCHAR: case FieldType.VAR_STRING: case FieldType.STRING:
      if (binary) return { kind: "binary" };
      return field.columnLength ? { kind: "string", length: Math.ceil(field.columnLength / mysqlBytesPerChar(field.characterSet)) } : { kind: "string" };
    default: return { kind: "unknown" };
  }
}
