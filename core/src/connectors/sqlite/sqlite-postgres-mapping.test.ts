import { describe, expect, it } from "vitest";
import { sqliteDefault, sqlitePostgresMapping } from "./sqlite-postgres-mapping.js";

const map = (nativeType: string, extra: { default?: string | null; identity?: boolean; computed?: boolean } = {}) =>
  sqlitePostgresMapping({ nativeType, default: extra.default ?? null, identity: extra.identity, computed: extra.computed });

describe("sqlitePostgresMapping (by affinity; no declared width, length or scale is trusted)", () => {
  it.each([
    ["INTEGER", "bigint"], ["TINYINT", "bigint"], ["INT(11)", "bigint"], ["BIGINT", "bigint"],
    ["REAL", "double precision"], ["FLOAT", "double precision"], ["DOUBLE PRECISION", "double precision"],
    ["NUMERIC(10,2)", "numeric"], ["DECIMAL", "numeric"],
    ["VARCHAR(20)", "text"], ["CHAR(3)", "text"], ["TEXT", "text"], ["CLOB", "text"],
    ["BLOB", "bytea"], ["BOOLEAN", "boolean"], ["DATE", "date"], ["DATETIME", "timestamp"], ["TIMESTAMP", "timestamp"],
    ["TIMESTAMP WITH TIME ZONE", "timestamptz"], ["TIME", "time"], ["JSON", "jsonb"], ["UUID", "uuid"],
  ])("%s → %s, exact", (declared, type) => {
    expect(map(declared)).toEqual({ type, warnings: [] });
  });

  it("a column without a declared type, or with a name of NUMERIC affinity that says nothing, is text with a warning", () => {
    expect(map("")).toEqual({ type: "text", warnings: ["the column has no declared type, so it may hold any value: carried as text (a BLOB value is rejected)"] });
    expect(map("STRING")).toEqual({ type: "text", warnings: ["STRING is no type DataBridge knows (SQLite gives it NUMERIC affinity): carried as text"] });
  });

  it("the rowid (INTEGER PRIMARY KEY) and AUTOINCREMENT become a bigint identity; its default is not carried", () => {
    expect(map("INTEGER", { identity: true })).toEqual({ type: "bigint", identity: true, warnings: [] });
    expect(map("TEXT", { identity: true })).toEqual({ type: "text", warnings: [] });
  });

  it("a generated column is carried as a plain column, warned", () => {
    expect(map("INTEGER", { computed: true }).warnings).toEqual(["a generated (computed) column in the source: the target column holds its values but does not compute them"]);
  });

  it("defaults in PostgreSQL SQL", () => {
    expect(map("TEXT", { default: "'it''s \\ here'" }).default).toBe("'it''s \\ here'");
    expect(map("INTEGER", { default: "-42" }).default).toBe("-42");
    expect(map("NUMERIC(10,2)", { default: "'12.50'" }).default).toBe("12.50");
    expect(map("REAL", { default: "1.5e3" }).default).toBe("1.5e3");
    expect(map("BOOLEAN", { default: "1" }).default).toBe("true");
    expect(map("BOOLEAN", { default: "FALSE" }).default).toBe("false");
    expect(map("BLOB", { default: "X'00FF'" }).default).toBe("'\\x00ff'::bytea");
    expect(map("DATE", { default: "'2024-01-01'" }).default).toBe("'2024-01-01'");
    // SQLite's CURRENT_* are UTC text.
    expect(map("DATETIME", { default: "CURRENT_TIMESTAMP" }).default).toBe("(CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC')");
    expect(map("TIMESTAMPTZ", { default: "current_timestamp" }).default).toBe("CURRENT_TIMESTAMP(0)");
    expect(map("DATE", { default: "CURRENT_DATE" }).default).toBe("(CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC')::date");
    expect(map("TEXT", { default: "CURRENT_TIMESTAMP" }).default).toBe("to_char((CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:MI:SS')");
  });

  it("defaults that cannot be carried are warnings, never guesses", () => {
    expect(map("DATETIME", { default: "(datetime('now', 'localtime'))" })).toEqual({ type: "timestamp", warnings: ["default (datetime('now', 'localtime')) is not carried: an expression PostgreSQL spells differently"] });
    expect(map("BOOLEAN", { default: "2" }).warnings).toEqual(["default 2 is not carried: a boolean default must be 0, 1, TRUE or FALSE"]);
    expect(map("INTEGER", { default: "'abc'" }).warnings).toEqual(["default 'abc' is not carried: not an integer literal"]);
    expect(sqliteDefault("NULL", "text")).toEqual({ warning: "default NULL is not carried: NULL is PostgreSQL's default too" });
    expect(sqliteDefault("CURRENT_TIME", "integer")).toEqual({ warning: "default CURRENT_TIME is not carried: CURRENT_TIME does not fit a bigint column" });
  });
});
