import { describe, expect, it } from "vitest";
import { mysqlDefault, mysqlPostgresMapping } from "./mysql-postgres-mapping.js";
import { mysqlTypeMembers, unquoteMysqlLiteral } from "./mysql-types.js";

const withPostgis = { postgis: true };
const withoutPostgis = { postgis: false };
const map = (nativeType: string, extra: Partial<Parameters<typeof mysqlPostgresMapping>[0]> = {}, target = withPostgis) =>
  mysqlPostgresMapping({ nativeType, default: null, ...extra }, target);

describe("mysqlPostgresMapping: types", () => {
  it.each([
    // Integers: unsigned ones into the next wider type; tinyint(1) is a boolean.
    ["tinyint(4)", "smallint"], ["tinyint(3) unsigned", "smallint"], ["tinyint(1)", "boolean"], ["tinyint(1) unsigned", "boolean"],
    ["smallint(6)", "smallint"], ["smallint(5) unsigned", "integer"], ["mediumint(9)", "integer"], ["mediumint(8) unsigned", "integer"],
    ["int(11)", "integer"], ["int(10) unsigned", "bigint"], ["int", "integer"], ["bigint(20)", "bigint"], ["bigint(20) unsigned", "numeric(20)"],
    ["int(10) unsigned zerofill", "bigint"],
    // Exact decimals keep precision and scale; FLOAT is single precision, DOUBLE double.
    ["decimal(65,30)", "numeric(65,30)"], ["decimal(10,2) unsigned", "numeric(10,2)"], ["decimal", "numeric(10,0)"], ["numeric(5)", "numeric(5,0)"],
    ["float", "real"], ["float(7,3)", "real"], ["float unsigned", "real"], ["double", "double precision"], ["double(10,2)", "double precision"], ["real", "double precision"],
    ["bit(1)", "boolean"], ["bit(9)", "bit(9)"], ["bit(64)", "bit(64)"],
    ["char(8)", "char(8)"], ["char(0)", "text"], ["varchar(255)", "varchar(255)"], ["tinytext", "text"], ["longtext", "text"], ["json", "jsonb"],
    ["date", "date"], ["datetime", "timestamp(0)"], ["datetime(3)", "timestamp(3)"], ["datetime(6)", "timestamp(6)"],
    ["timestamp", "timestamptz(0)"], ["timestamp(6)", "timestamptz(6)"], ["time", "time(0)"], ["time(6)", "time(6)"], ["year(4)", "smallint"], ["year", "smallint"],
    ["binary(16)", "bytea"], ["varbinary(255)", "bytea"], ["tinyblob", "bytea"], ["longblob", "bytea"],
    ["uuid", "uuid"], ["inet6", "inet"], ["inet4", "inet"],
    ["geometry", "geometry"], ["point", "geometry"], ["multipolygon", "geometry"], ["geometrycollection", "geometry"],
  ])("%s → %s", (nativeType, type) => {
    expect(map(nativeType)).toMatchObject({ type, warnings: [] });
  });

  it("ENUM → text with its members; SET → text[] with its members (quotes, backslashes, commas and tabs as stored)", () => {
    expect(map("enum('a','b c','it''s','x\\\\y','b,c')")).toEqual({ type: "text", enumValues: ["a", "b c", "it's", "x\\y", "b,c"], warnings: [] });
    expect(map("set('a','tab\tx','q\"x')")).toEqual({ type: "text[]", enumValues: ["a", "tab\tx", 'q"x'], warnings: [] });
    expect(map("enum('')")).toEqual({ type: "text", enumValues: [""], warnings: [] });
  });

  it("geometries become EWKT text with a warning when the target has no PostGIS", () => {
    const point = map("point", {}, withoutPostgis);
    expect(point.type).toBe("text");
    expect(point.warnings).toEqual(["point is stored as EWKT text: the target has no PostGIS (CREATE EXTENSION postgis) for a geometry column"]);
  });

  it("a type without an exact PostgreSQL type is text, with a warning", () => {
    expect(map("vector(3)")).toEqual({ type: "text", warnings: ["vector(3) has no PostgreSQL type that holds it exactly; stored as text"] });
  });
});

describe("mysqlPostgresMapping: identity, generated columns, ON UPDATE", () => {
  it("auto_increment integers are identity columns, without a default", () => {
    expect(map("int(10) unsigned", { identity: true })).toEqual({ type: "bigint", identity: true, warnings: [] });
    expect(map("int(11)", { identity: true, default: "0" })).toEqual({ type: "integer", identity: true, warnings: [] });
    expect(map("smallint(6)", { identity: true })).toEqual({ type: "smallint", identity: true, warnings: [] });
  });

  it("bigint unsigned auto_increment is a bigint identity (what it holds in practice), with a warning", () => {
    expect(map("bigint(20) unsigned", { identity: true })).toEqual({
      type: "bigint", identity: true, warnings: ["bigint unsigned auto_increment becomes a bigint identity: a value above 9223372036854775807 is rejected"],
    });
  });

  it("auto_increment on a non-integer type is not carried, and says so", () => {
    expect(map("double", { identity: true }).warnings).toEqual(["auto_increment on double is not carried: PostgreSQL identity columns are smallint, integer or bigint"]);
  });

  it("ON UPDATE of the current time is carried (for a trigger) in the column's own time type; anything else is a warning", () => {
    expect(map("timestamp(3)", { default: "current_timestamp(3)", onUpdate: "current_timestamp(3)" })).toEqual({
      type: "timestamptz(3)", default: "CURRENT_TIMESTAMP(3)", onUpdate: "CURRENT_TIMESTAMP(3)", warnings: [],
    });
    expect(map("datetime", { onUpdate: "current_timestamp()" })).toEqual({ type: "timestamp(0)", onUpdate: "LOCALTIMESTAMP", warnings: [] });
    expect(map("varchar(20)", { onUpdate: "current_timestamp()" })).toEqual({
      type: "varchar(20)", warnings: ["ON UPDATE current_timestamp() is not carried: PostgreSQL has no such clause and it is not a current time a trigger can set"],
    });
  });

  it("generated columns are warnings; a generated column's default is not translated", () => {
    expect(map("int(11)", { computed: true })).toEqual({
      type: "integer", warnings: ["a generated (computed) column in the source: the target column holds its values but does not compute them"],
    });
  });
});

describe("mysqlPostgresMapping: defaults", () => {
  it.each([
    // MariaDB's quoted literal form (information_schema), with its escapes.
    ["varchar(10)", "'it''s'", "'it''s'"],
    ["varchar(10)", "'x\\\\y'", "'x\\y'"],
    ["varchar(20)", "'tab\there\\nnl'", "'tab\there\nnl'"],
    ["varchar(10)", "'NULL'", "'NULL'"],
    ["char(3)", "''", "''"],
    // MySQL 8 shows string defaults unquoted.
    ["varchar(10)", "active", "'active'"],
    ["int(11)", "5", "5"], ["int(11)", "-5", "-5"], ["decimal(5,2)", "1.50", "1.50"], ["double", "1e300", "1e300"], ["int(11)", "'7'", "7"],
    ["tinyint(1)", "0", "false"], ["tinyint(1)", "1", "true"], ["bit(1)", "b'1'", "true"], ["bit(1)", "b'0'", "false"],
    ["bit(9)", "b'101'", "B'000000101'"], ["bit(4)", "5", "B'0101'"],
    ["timestamp(3)", "current_timestamp(3)", "CURRENT_TIMESTAMP(3)"], ["timestamp", "current_timestamp()", "CURRENT_TIMESTAMP"],
    ["timestamp", "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"], ["datetime", "current_timestamp()", "LOCALTIMESTAMP"], ["datetime(6)", "now(6)", "LOCALTIMESTAMP(6)"],
    ["date", "curdate()", "CURRENT_DATE"], ["time", "curtime()", "LOCALTIME"],
    ["date", "'2024-01-31'", "'2024-01-31'"], ["datetime", "'2024-01-31 12:00:00'", "'2024-01-31 12:00:00'"], ["time", "'12:00:00'", "'12:00:00'"],
    ["enum('a','it''s')", "'it''s'", "'it''s'"],
    ["set('a','b')", "'a,b'", "ARRAY['a', 'b']::text[]"], ["set('a','b')", "''", "ARRAY[]::text[]"],
    ["json", "'{}'", "'{}'"],
    ["uuid", "uuid()", "gen_random_uuid()"], ["varchar(36)", "uuid()", "gen_random_uuid()::text"],
    ["varbinary(4)", "'ab'", "'\\x6162'::bytea"], ["binary(4)", "'ab'", "'\\x61620000'::bytea"],
  ])("%s DEFAULT %s → %s", (nativeType, raw, sql) => {
    expect(map(nativeType, { default: raw })).toEqual(expect.objectContaining({ default: sql, warnings: [] }));
  });

  it.each([
    ["date", "'0000-00-00'", "default '0000-00-00' is not carried: a zero date has no PostgreSQL value"],
    ["datetime", "'2024-00-10 00:00:00'", "default '2024-00-10 00:00:00' is not carried: a zero date has no PostgreSQL value"],
    ["int(11)", "(1 + 1)", "default (1 + 1) is not carried: not a number literal"],
    ["varchar(10)", "concat('a','b')", "default concat('a','b') is not carried: an expression PostgreSQL spells differently"],
    ["tinyint(1)", "2", "default 2 is not carried: a boolean default must be 0 or 1"],
    ["bit(2)", "b'111'", "default b'111' is not carried: not a bit string of 2 bits"],
    ["point", "st_geomfromtext('POINT(0 0)')", "default st_geomfromtext('POINT(0 0)') is not carried: geometry defaults are not translated"],
  ])("%s DEFAULT %s is not carried, with a warning", (nativeType, raw, warning) => {
    const mapping = map(nativeType, { default: raw });
    expect(mapping.default).toBeUndefined();
    expect(mapping.warnings).toEqual([warning]);
  });

  it("mysqlDefault on its own: NULL is no default", () => {
    expect(mysqlDefault("NULL", "integer", { base: "int" })).toEqual({ warning: "default NULL is not carried: NULL is PostgreSQL's default too" });
  });
});

describe("MariaDB literal and member parsing", () => {
  it("unquotes one literal, or says it is none", () => {
    expect(unquoteMysqlLiteral("'a''b\\\\c\\0'")).toBe("a'b\\c\0");
    expect(unquoteMysqlLiteral("'50\\%'")).toBe("50\\%");
    expect(unquoteMysqlLiteral("'a' 'b'")).toBeUndefined();
    expect(unquoteMysqlLiteral("abc")).toBeUndefined();
    expect(unquoteMysqlLiteral("'unterminated")).toBeUndefined();
  });

  it("reads enum/set members with or without spaces after the commas", () => {
    expect(mysqlTypeMembers("enum('a', 'b','c''d')")).toEqual(["a", "b", "c'd"]);
    expect(mysqlTypeMembers("SET('x')")).toEqual(["x"]);
  });
});
