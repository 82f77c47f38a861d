import { createRequire } from "node:module";
import oracledb from "oracledb";
import { describe, expect, it } from "vitest";
import { oracleFetchTypeHandler } from "./oracle-connector.js";
import {
  normalizeOracleNumber, oracleFetchPlan, oracleReadExpression, oracleTypeFromCatalog, oracleTypeFromColumn, portableFromOracleColumn, portableFromOracleType,
  shortestFloat32, type OracleColumnMetadata,
} from "./oracle-types.js";

const require = createRequire(import.meta.url);
// The driver's own NUMBER codec and fetch-type resolution (thin mode), to check our handling against them without a server.
const { GrowableBuffer } = require("oracledb/lib/impl/datahandlers/buffer.js") as {
  GrowableBuffer: new () => { buf: Buffer; pos: number; writeOracleNumber(value: string, writeLength: boolean): void; parseOracleNumber(bytes: Buffer): string };
};
const ResultSetImpl = require("oracledb/lib/impl/resultset.js") as new () => {
  _determineFetchType(metadata: Record<string, unknown>, options: Record<string, unknown>): void;
};

describe("portableFromOracleType (catalog spellings)", () => {
  it.each([
    ["NUMBER", { kind: "decimal" }],
    ["NUMBER(1)", { kind: "smallint" }],
    ["NUMBER(4)", { kind: "smallint" }],
    ["NUMBER(9)", { kind: "integer" }],
    ["NUMBER(10)", { kind: "bigint" }],
    ["NUMBER(18)", { kind: "bigint" }],
    ["NUMBER(19)", { kind: "decimal", precision: 19, scale: 0 }],
    ["NUMBER(38)", { kind: "decimal", precision: 38, scale: 0 }],
    ["NUMBER(10,2)", { kind: "decimal", precision: 10, scale: 2 }],
    ["NUMBER(*,0)", { kind: "decimal", precision: 38, scale: 0 }],
    ["NUMBER(5,-2)", { kind: "integer" }],
    ["NUMBER(2,5)", { kind: "decimal", precision: 5, scale: 5 }],
    ["FLOAT(126)", { kind: "decimal" }],
    ["FLOAT(63)", { kind: "decimal" }],
    ["BINARY_FLOAT", { kind: "float" }],
    ["BINARY_DOUBLE", { kind: "float" }],
    ["VARCHAR2(50)", { kind: "string", length: 50 }],
    ["VARCHAR2(50 CHAR)", { kind: "string", length: 50 }],
    ["NVARCHAR2(30)", { kind: "string", length: 30 }],
    ["CHAR(1)", { kind: "string", length: 1 }],
    ["NCHAR(2)", { kind: "string", length: 2 }],
    ["CLOB", { kind: "text" }],
    ["NCLOB", { kind: "text" }],
    ["LONG", { kind: "text" }],
    ["XMLTYPE", { kind: "text" }],
    ["DATE", { kind: "timestamp" }],
    ["TIMESTAMP(6)", { kind: "timestamp" }],
    ["TIMESTAMP(0)", { kind: "timestamp" }],
    ["TIMESTAMP(9) WITH TIME ZONE", { kind: "timestamptz" }],
    ["TIMESTAMP(6) WITH LOCAL TIME ZONE", { kind: "timestamptz" }],
    ["INTERVAL DAY(2) TO SECOND(6)", { kind: "string" }],
    ["INTERVAL YEAR(2) TO MONTH", { kind: "string" }],
    ["RAW(16)", { kind: "binary" }],
    ["LONG RAW", { kind: "binary" }],
    ["BLOB", { kind: "binary" }],
    ["ROWID", { kind: "string" }],
    ["JSON", { kind: "json" }],
    ["BOOLEAN", { kind: "boolean" }],
    ["SDO_GEOMETRY", { kind: "unknown" }],
    ["BFILE", { kind: "unknown" }],
  ])("%s", (spelling, expected) => {
    expect(portableFromOracleType(spelling)).toEqual(expected);
  });
});

describe("type spellings from ALL_TAB_COLUMNS", () => {
  it("numbers, character semantics, raw, and the spellings Oracle already gives", () => {
    expect(oracleTypeFromCatalog({ dataType: "NUMBER", dataPrecision: null, dataScale: null })).toBe("NUMBER");
    expect(oracleTypeFromCatalog({ dataType: "NUMBER", dataPrecision: null, dataScale: "0" })).toBe("NUMBER(*,0)");
    expect(oracleTypeFromCatalog({ dataType: "NUMBER", dataPrecision: "10", dataScale: "0" })).toBe("NUMBER(10)");
    expect(oracleTypeFromCatalog({ dataType: "NUMBER", dataPrecision: 12, dataScale: 4 })).toBe("NUMBER(12,4)");
    expect(oracleTypeFromCatalog({ dataType: "FLOAT", dataPrecision: 126, dataScale: null })).toBe("FLOAT(126)");
    expect(oracleTypeFromCatalog({ dataType: "VARCHAR2", charLength: 50, charUsed: "C", dataLength: 200 })).toBe("VARCHAR2(50 CHAR)");
    expect(oracleTypeFromCatalog({ dataType: "VARCHAR2", charLength: 50, charUsed: "B", dataLength: 50 })).toBe("VARCHAR2(50)");
    expect(oracleTypeFromCatalog({ dataType: "NVARCHAR2", charLength: 20, charUsed: "C", dataLength: 40 })).toBe("NVARCHAR2(20)");
    expect(oracleTypeFromCatalog({ dataType: "RAW", dataLength: 16 })).toBe("RAW(16)");
    expect(oracleTypeFromCatalog({ dataType: "TIMESTAMP(3) WITH TIME ZONE", dataScale: 3 })).toBe("TIMESTAMP(3) WITH TIME ZONE");
    expect(oracleTypeFromCatalog({ dataType: "DATE" })).toBe("DATE");
  });
});

describe("portableFromOracleColumn (oracledb result metadata, DB_TYPE_*)", () => {
  const column = (dbType: unknown, extra: Partial<OracleColumnMetadata> = {}): OracleColumnMetadata => ({ name: "C", dbType: dbType as OracleColumnMetadata["dbType"], ...extra });

  it.each([
    ["NUMBER unconstrained", column(oracledb.DB_TYPE_NUMBER, { precision: 0, scale: -127 }), "NUMBER", { kind: "decimal" }],
    ["NUMBER(10)", column(oracledb.DB_TYPE_NUMBER, { precision: 10, scale: 0 }), "NUMBER(10)", { kind: "bigint" }],
    ["NUMBER(12,4)", column(oracledb.DB_TYPE_NUMBER, { precision: 12, scale: 4 }), "NUMBER(12,4)", { kind: "decimal", precision: 12, scale: 4 }],
    ["NUMBER(*,0)", column(oracledb.DB_TYPE_NUMBER, { precision: 0, scale: 0 }), "NUMBER(*,0)", { kind: "decimal", precision: 38, scale: 0 }],
    ["FLOAT(126)", column(oracledb.DB_TYPE_NUMBER, { precision: 126, scale: -127 }), "FLOAT(126)", { kind: "decimal" }],
    ["BINARY_FLOAT", column(oracledb.DB_TYPE_BINARY_FLOAT, { dbTypeName: "BINARY_FLOAT" }), "BINARY_FLOAT", { kind: "float" }],
    ["BINARY_DOUBLE", column(oracledb.DB_TYPE_BINARY_DOUBLE), "BINARY_DOUBLE", { kind: "float" }],
    ["VARCHAR2", column(oracledb.DB_TYPE_VARCHAR, { byteSize: 50 }), "VARCHAR2(50)", { kind: "string", length: 50 }],
    ["NVARCHAR2", column(oracledb.DB_TYPE_NVARCHAR, { byteSize: 20 }), "NVARCHAR2(20)", { kind: "string", length: 20 }],
    ["CHAR", column(oracledb.DB_TYPE_CHAR, { byteSize: 1 }), "CHAR(1)", { kind: "string", length: 1 }],
    ["NCHAR", column(oracledb.DB_TYPE_NCHAR, { byteSize: 3 }), "NCHAR(3)", { kind: "string", length: 3 }],
    ["CLOB", column(oracledb.DB_TYPE_CLOB), "CLOB", { kind: "text" }],
    ["NCLOB", column(oracledb.DB_TYPE_NCLOB), "NCLOB", { kind: "text" }],
    ["LONG", column(oracledb.DB_TYPE_LONG), "LONG", { kind: "text" }],
    ["DATE", column(oracledb.DB_TYPE_DATE), "DATE", { kind: "timestamp" }],
    ["TIMESTAMP(3)", column(oracledb.DB_TYPE_TIMESTAMP, { precision: 3 }), "TIMESTAMP(3)", { kind: "timestamp" }],
    ["TIMESTAMP WITH TIME ZONE", column(oracledb.DB_TYPE_TIMESTAMP_TZ, { precision: 6 }), "TIMESTAMP(6) WITH TIME ZONE", { kind: "timestamptz" }],
    ["TIMESTAMP WITH LOCAL TIME ZONE", column(oracledb.DB_TYPE_TIMESTAMP_LTZ, { precision: 9 }), "TIMESTAMP(9) WITH LOCAL TIME ZONE", { kind: "timestamptz" }],
    ["INTERVAL DAY TO SECOND", column(oracledb.DB_TYPE_INTERVAL_DS), "INTERVAL DAY TO SECOND", { kind: "string" }],
    ["INTERVAL YEAR TO MONTH", column(oracledb.DB_TYPE_INTERVAL_YM), "INTERVAL YEAR TO MONTH", { kind: "string" }],
    ["RAW", column(oracledb.DB_TYPE_RAW, { byteSize: 16 }), "RAW(16)", { kind: "binary" }],
    ["LONG RAW", column(oracledb.DB_TYPE_LONG_RAW), "LONG RAW", { kind: "binary" }],
    ["BLOB", column(oracledb.DB_TYPE_BLOB), "BLOB", { kind: "binary" }],
    ["ROWID", column(oracledb.DB_TYPE_ROWID), "ROWID", { kind: "string" }],
    ["JSON", column(oracledb.DB_TYPE_JSON), "JSON", { kind: "json" }],
    ["BOOLEAN", column(oracledb.DB_TYPE_BOOLEAN), "BOOLEAN", { kind: "boolean" }],
    ["XMLTYPE", column(oracledb.DB_TYPE_XMLTYPE), "XMLTYPE", { kind: "text" }],
    ["an object type", column(oracledb.DB_TYPE_OBJECT, { dbTypeName: "SDO_GEOMETRY" }), "SDO_GEOMETRY", { kind: "unknown" }],
  ])("%s", (_label, meta, spelling, expected) => {
    expect(oracleTypeFromColumn(meta)).toBe(spelling);
    expect(portableFromOracleColumn(meta)).toEqual(expected);
  });
});

describe("exact reads", () => {
  it("DATE and TIMESTAMP are formatted by the database with the declared fraction digits; INTERVAL as text", () => {
    expect(oracleReadExpression('"D"', "DATE")).toBe(`TO_CHAR("D", 'YYYY-MM-DD HH24:MI:SS')`);
    expect(oracleReadExpression('"T"', "TIMESTAMP(6)")).toBe(`TO_CHAR("T", 'YYYY-MM-DD HH24:MI:SS.FF6')`);
    expect(oracleReadExpression('"T"', "TIMESTAMP(0)")).toBe(`TO_CHAR("T", 'YYYY-MM-DD HH24:MI:SS')`);
    expect(oracleReadExpression('"T"', "TIMESTAMP")).toBe(`TO_CHAR("T", 'YYYY-MM-DD HH24:MI:SS.FF6')`);
    expect(oracleReadExpression('"T"', "TIMESTAMP(9) WITH TIME ZONE")).toBe(`TO_CHAR("T", 'YYYY-MM-DD HH24:MI:SS.FF9 TZH:TZM')`);
    expect(oracleReadExpression('"T"', "TIMESTAMP(3) WITH LOCAL TIME ZONE")).toBe(`TO_CHAR("T" AT TIME ZONE '+00:00', 'YYYY-MM-DD HH24:MI:SS.FF3 TZH:TZM')`);
    expect(oracleReadExpression('"I"', "INTERVAL DAY(2) TO SECOND(6)")).toBe(`TO_CHAR("I")`);
    for (const type of ["NUMBER(10,2)", "VARCHAR2(10)", "BLOB", "CLOB", "RAW(16)", "BINARY_DOUBLE"]) expect(oracleReadExpression('"C"', type)).toBeUndefined();
  });

  it("why: the driver's own DATE-as-string is JavaScript's Date.toString(), not the session's NLS format", () => {
    const meta: Record<string, unknown> = { name: "D", dbType: oracledb.DB_TYPE_DATE };
    new ResultSetImpl()._determineFetchType(meta, { fetchTypeHandler: () => ({ type: oracledb.STRING }) });
    const converter = meta.converter as (value: unknown) => string;
    expect(converter(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toMatch(/^\w{3} \w{3} \d{2} 2024 /);
  });

  it("NUMBER fetch: exact text (with a leading zero) except small integers; LOBs as values; BINARY_FLOAT shortest", () => {
    expect(oracleFetchPlan({ name: "N", dbType: oracledb.DB_TYPE_NUMBER, precision: 10, scale: 0 })).toBeUndefined();
    expect(oracleFetchPlan({ name: "N", dbType: oracledb.DB_TYPE_NUMBER, precision: 15, scale: 0 })).toBeUndefined();
    for (const [precision, scale] of [[16, 0], [12, 2], [0, -127], [126, -127], [0, 0]]) {
      expect(oracleFetchPlan({ name: "N", dbType: oracledb.DB_TYPE_NUMBER, precision, scale })?.as).toBe("string");
    }
    expect(oracleFetchPlan({ name: "C", dbType: oracledb.DB_TYPE_CLOB })).toEqual({ as: "string" });
    expect(oracleFetchPlan({ name: "C", dbType: oracledb.DB_TYPE_NCLOB })).toEqual({ as: "string" });
    expect(oracleFetchPlan({ name: "B", dbType: oracledb.DB_TYPE_BLOB })).toEqual({ as: "buffer" });
    expect(oracleFetchPlan({ name: "V", dbType: oracledb.DB_TYPE_VARCHAR, byteSize: 10 })).toBeUndefined();
    const float = oracleFetchPlan({ name: "F", dbType: oracledb.DB_TYPE_BINARY_FLOAT });
    expect(float?.as).toBe("native");
    expect(float && "convert" in float && float.convert?.(Math.fround(0.1))).toBe(0.1);
  });

  it("the fetch type handler is accepted by the driver and turns its NUMBER text into plain decimals", () => {
    const handler = oracleFetchTypeHandler(oracledb);
    const resolve = (meta: Record<string, unknown>) => {
      new ResultSetImpl()._determineFetchType(meta, { fetchTypeHandler: handler });
      return meta as { fetchType: { name: string }; converter?: (value: unknown) => unknown };
    };
    const decimal = resolve({ name: "P", dbType: oracledb.DB_TYPE_NUMBER, precision: 12, scale: 4 });
    expect(decimal.fetchType).toBe(oracledb.DB_TYPE_VARCHAR);
    // The driver's NUMBER codec, round trip: what the server would send for these values, decoded as the driver does.
    for (const value of ["0.5", "-0.5", "-0.000123", "12345678901234567890.123456789", "100", "0", "99999999999999999999999999999999999999", "1e-130"]) {
      const buffer = new GrowableBuffer();
      buffer.writeOracleNumber(value, false);
      const text = buffer.parseOracleNumber(Buffer.from(buffer.buf.subarray(0, buffer.pos)));
      const expected = value === "1e-130" ? `0.${"0".repeat(129)}1` : value;
      expect(decimal.converter?.(text)).toBe(expected);
    }
    expect(decimal.converter?.(null)).toBeNull();
    expect(resolve({ name: "I", dbType: oracledb.DB_TYPE_NUMBER, precision: 9, scale: 0 }).fetchType).toBe(oracledb.DB_TYPE_NUMBER);
    expect(resolve({ name: "C", dbType: oracledb.DB_TYPE_CLOB }).fetchType).toBe(oracledb.DB_TYPE_LONG);
    expect(resolve({ name: "B", dbType: oracledb.DB_TYPE_BLOB }).fetchType).toBe(oracledb.DB_TYPE_LONG_RAW);
    const binaryFloat = resolve({ name: "F", dbType: oracledb.DB_TYPE_BINARY_FLOAT });
    expect(binaryFloat.fetchType).toBe(oracledb.DB_TYPE_BINARY_FLOAT);
    expect(binaryFloat.converter?.(Math.fround(1.1))).toBe(1.1);
  });

  it("normalizeOracleNumber only adds the leading zero", () => {
    expect(normalizeOracleNumber(".5")).toBe("0.5");
    expect(normalizeOracleNumber("-.25")).toBe("-0.25");
    expect(normalizeOracleNumber("10.5")).toBe("10.5");
    expect(normalizeOracleNumber("-7")).toBe("-7");
    expect(shortestFloat32(Math.fround(3.14159))).toBe(3.14159);
  });
});
