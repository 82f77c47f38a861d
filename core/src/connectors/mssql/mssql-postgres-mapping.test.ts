import { describe, expect, it } from "vitest";
import { mssqlDefault, mssqlPostgresMapping } from "./mssql-postgres-mapping.js";

const target = { postgis: true };
const map = (nativeType: string, extra: Partial<Parameters<typeof mssqlPostgresMapping>[0]> = {}) => mssqlPostgresMapping({ nativeType, default: null, ...extra }, target);

describe("mssqlPostgresMapping: SQL Server catalog types (mssqlTypeFromCatalog spellings)", () => {
  it.each([
    ["bit", "boolean"], ["tinyint", "smallint"], ["smallint", "smallint"], ["int", "integer"], ["bigint", "bigint"],
    ["decimal(38,10)", "numeric(38,10)"], ["numeric(5,0)", "numeric(5,0)"], ["money", "numeric(19,4)"], ["smallmoney", "numeric(10,4)"],
    ["real", "real"], ["float", "double precision"],
    ["char(10)", "char(10)"], ["nchar(10)", "char(10)"], ["varchar(50)", "varchar(50)"], ["nvarchar(50)", "varchar(50)"],
    ["varchar(max)", "text"], ["nvarchar(max)", "text"], ["text", "text"], ["ntext", "text"], ["sysname", "varchar(128)"],
    ["xml", "xml"], ["json", "jsonb"], ["date", "date"], ["time(3)", "time(3)"], ["datetime2(6)", "timestamp(6)"], ["datetime2(0)", "timestamp(0)"],
    ["datetime", "timestamp(3)"], ["smalldatetime", "timestamp(0)"], ["uniqueidentifier", "uuid"],
    ["binary(16)", "bytea"], ["varbinary(max)", "bytea"], ["image", "bytea"],
  ])("%s → %s", (nativeType, type) => {
    expect(map(nativeType)).toEqual({ type, warnings: [] });
  });

  it("what is not exact is said: 100 ns digits, datetimeoffset's offset, rowversion, CLR types, unknown types", () => {
    expect(map("datetime2(7)")).toEqual({ type: "timestamp(6)", warnings: ["datetime2(7) keeps 100-nanosecond digits; PostgreSQL keeps microseconds, so the 7th fractional digit is rounded"] });
    expect(map("time(7)").warnings).toHaveLength(1);
    expect(map("datetimeoffset(3)")).toEqual({ type: "timestamptz(3)", warnings: ["datetimeoffset keeps the writer's UTC offset; timestamptz keeps the same instant but not that offset"] });
    expect(map("datetimeoffset(7)").warnings).toHaveLength(2);
    expect(map("timestamp")).toEqual({ type: "bytea", warnings: ["rowversion values are carried as their 8 bytes; PostgreSQL does not maintain them"] });
    expect(map("geography").warnings[0]).toMatch(/^geography values are SQL Server's own serialization \(not WKB\)/);
    expect(map("hierarchyid").type).toBe("bytea");
    expect(map("sql_variant")).toEqual({ type: "text", warnings: ["sql_variant has no PostgreSQL type that holds it exactly; stored as text"] });
  });

  it("identity integers are identity columns; a decimal identity or a computed column is a warning", () => {
    expect(map("int", { identity: true })).toEqual({ type: "integer", identity: true, warnings: [] });
    expect(map("bigint", { identity: true, default: "((0))" })).toEqual({ type: "bigint", identity: true, warnings: [] });
    expect(map("decimal(18,0)", { identity: true }).warnings).toEqual(["IDENTITY on decimal(18,0) is not carried: PostgreSQL identity columns are smallint, integer or bigint"]);
    expect(map("int", { computed: true }).warnings).toEqual(["a computed column in the source: the target column holds its values but does not compute them"]);
  });
});

describe("mssqlDefault (sys.default_constraints.definition)", () => {
  it.each([
    ["((0))", "integer", "0"], ["((-1.5))", "numeric(5,2)", "-1.5"], ["((1))", "boolean", "true"], ["((0))", "boolean", "false"],
    ["('abc')", "varchar(10)", "'abc'"], ["(N'it''s')", "varchar(10)", "'it''s'"], ["('')", "text", "''"],
    ["(getdate())", "timestamp(3)", "LOCALTIMESTAMP"], ["(sysdatetime())", "timestamp(6)", "LOCALTIMESTAMP"], ["(getdate())", "date", "CURRENT_DATE"],
    ["(getutcdate())", "timestamp(3)", "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')"], ["(sysdatetimeoffset())", "timestamptz(6)", "CURRENT_TIMESTAMP"],
    ["(newid())", "uuid", "gen_random_uuid()"], ["('2024-01-31')", "date", "'2024-01-31'"],
  ])("%s for %s → %s", (definition, type, sql) => {
    expect(mssqlDefault(definition, type)).toBe(sql);
  });

  it.each([
    ["((2))", "boolean"], ["(CONVERT([bit],(0)))", "boolean"], ["(suser_sname())", "varchar(10)"], ["(NULL)", "integer"], ["(0x00)", "bytea"],
  ])("%s for %s is not carried, with the reason", (definition, type) => {
    expect(mssqlDefault(definition, type)).toEqual({ warning: expect.stringMatching(new RegExp(`^default ${definition.replace(/[()[\]]/g, "\\$&")} is not carried: `)) });
  });
});
