import { describe, expect, it } from "vitest";
import { oracleDefault, oraclePostgresMapping } from "./oracle-postgres-mapping.js";

const target = { postgis: false };
const map = (nativeType: string, extra: Partial<Parameters<typeof oraclePostgresMapping>[0]> = {}) => oraclePostgresMapping({ nativeType, default: null, ...extra }, target);

describe("oraclePostgresMapping: Oracle catalog types (oracleTypeFromCatalog spellings)", () => {
  it.each([
    ["NUMBER(4)", "smallint"], ["NUMBER(9)", "integer"], ["NUMBER(10)", "bigint"], ["NUMBER(18)", "bigint"], ["NUMBER(19)", "numeric(19)"],
    ["NUMBER(38)", "numeric(38)"], ["NUMBER(12,2)", "numeric(12,2)"], ["NUMBER(2,5)", "numeric(5,5)"], ["NUMBER(5,-2)", "integer"],
    ["NUMBER", "numeric"], ["NUMBER(*,0)", "numeric(38,0)"], ["NUMBER(*,2)", "numeric(38,2)"], ["FLOAT(126)", "numeric"], ["FLOAT", "numeric"],
    ["BINARY_FLOAT", "real"], ["BINARY_DOUBLE", "double precision"],
    ["VARCHAR2(100 CHAR)", "varchar(100)"], ["VARCHAR2(100)", "varchar(100)"], ["NVARCHAR2(50)", "varchar(50)"], ["CHAR(3)", "char(3)"], ["NCHAR(2)", "char(2)"],
    ["CLOB", "text"], ["NCLOB", "text"], ["LONG", "text"], ["XMLTYPE", "xml"],
    ["DATE", "timestamp(0)"], ["TIMESTAMP(6)", "timestamp(6)"], ["TIMESTAMP(3)", "timestamp(3)"], ["TIMESTAMP(0)", "timestamp(0)"],
    ["TIMESTAMP(6) WITH LOCAL TIME ZONE", "timestamptz(6)"],
    ["RAW(16)", "bytea"], ["BLOB", "bytea"], ["LONG RAW", "bytea"], ["ROWID", "text"], ["JSON", "jsonb"], ["BOOLEAN", "boolean"],
  ])("%s → %s", (nativeType, type) => {
    expect(map(nativeType)).toEqual({ type, warnings: [] });
  });

  it("what is not exact is said: nanoseconds, the writer's zone, intervals, unknown types", () => {
    expect(map("TIMESTAMP(9)")).toEqual({ type: "timestamp(6)", warnings: ["TIMESTAMP(9) keeps up to nanoseconds; PostgreSQL keeps microseconds, so digits past the 6th are rounded"] });
    expect(map("TIMESTAMP(6) WITH TIME ZONE")).toEqual({ type: "timestamptz(6)", warnings: ["TIMESTAMP WITH TIME ZONE keeps the writer's zone; timestamptz keeps the same instant but not that zone"] });
    expect(map("INTERVAL DAY(2) TO SECOND(6)").type).toBe("text");
    expect(map("INTERVAL YEAR(2) TO MONTH").warnings).toHaveLength(1);
    expect(map("SDO_GEOMETRY")).toEqual({ type: "text", warnings: ["SDO_GEOMETRY has no PostgreSQL type that holds it exactly; stored as text"] });
  });

  it("identity NUMBER(p ≤ 18) columns are identity columns; wider ones are a warning", () => {
    expect(map("NUMBER(10)", { identity: true })).toEqual({ type: "bigint", identity: true, warnings: [] });
    expect(map("NUMBER", { identity: true }).warnings).toEqual(["the identity on NUMBER is not carried: PostgreSQL identity columns are smallint, integer or bigint (declare NUMBER(18) or less)"]);
  });
});

describe("oracleDefault (DATA_DEFAULT as written)", () => {
  it.each([
    ["0", "numeric(12,2)", "0"], ["  42\n", "integer", "42"], ["'abc'", "varchar(10)", "'abc'"], ["'it''s'", "varchar(10)", "'it''s'"],
    ["SYSDATE", "timestamp(0)", "LOCALTIMESTAMP(0)"], ["sysdate ", "timestamp(0)", "LOCALTIMESTAMP(0)"], ["SYSTIMESTAMP", "timestamptz(6)", "CURRENT_TIMESTAMP"],
    ["SYSTIMESTAMP", "timestamp(6)", "LOCALTIMESTAMP"], ["1", "boolean", "true"],
  ])("%j for %s → %s", (dataDefault, type, sql) => {
    expect(oracleDefault(dataDefault, type)).toBe(sql);
  });

  it.each([["''", "varchar(10)"], ["sys_guid()", "bytea"], ["NULL", "integer"], ["SYSDATE", "varchar(20)"], ["USER", "varchar(30)"]])("%j for %s is not carried", (dataDefault, type) => {
    expect(oracleDefault(dataDefault, type)).toEqual({ warning: expect.stringMatching(/is not carried: /) });
  });
});
