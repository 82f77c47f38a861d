import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector, PortableType } from "../connector.js";
import { pgliteConnectorFactory } from "../pglite/pglite-connector.js";
import { classifyPostgresError } from "./postgres-errors.js";
import { portableFromPostgresOid, portableFromPostgresType, postgresNativeType, postgresSourceMapping } from "./postgres-types.js";

describe("portableFromPostgresType (format_type spelling)", () => {
  it.each([
    ["smallint", { kind: "smallint" }],
    ["integer", { kind: "integer" }],
    ["bigint", { kind: "bigint" }],
    ["numeric(10,2)", { kind: "decimal", precision: 10, scale: 2 }],
    ["numeric(7)", { kind: "decimal", precision: 7, scale: 0 }],
    ["numeric", { kind: "decimal" }],
    ["real", { kind: "float", precision: 24 }],
    ["double precision", { kind: "float", precision: 53 }],
    ["character varying(50)", { kind: "string", length: 50 }],
    ["character varying", { kind: "string" }],
    ["character(8)", { kind: "string", length: 8 }],
    ["bpchar", { kind: "string" }],
    ["text", { kind: "text" }],
    ["citext", { kind: "text" }],
    ["boolean", { kind: "boolean" }],
    ["date", { kind: "date" }],
    ["timestamp without time zone", { kind: "timestamp" }],
    ["timestamp(3) without time zone", { kind: "timestamp" }],
    ["timestamp with time zone", { kind: "timestamptz" }],
    ["timestamp(6) with time zone", { kind: "timestamptz" }],
    ["time without time zone", { kind: "time" }],
    ["time with time zone", { kind: "time" }],
    ["uuid", { kind: "uuid" }],
    ["jsonb", { kind: "json" }],
    ["integer[]", { kind: "unknown" }],
    ["bytea", { kind: "binary" }],
    ["int4", { kind: "integer" }],
    ["int8", { kind: "bigint" }],
    ["float8", { kind: "float", precision: 53 }],
    ["bool", { kind: "boolean" }],
    ["timestamptz", { kind: "timestamptz" }],
    ["timestamptz(3)", { kind: "timestamptz" }],
    ["varchar(12)", { kind: "string", length: 12 }],
    ["interval", { kind: "unknown" }],
    ["inet", { kind: "unknown" }],
  ])("%s", (formatted, expected) => {
    expect(portableFromPostgresType(formatted)).toEqual(expected);
  });
});

describe("postgresNativeType (create: true targets)", () => {
  it.each<[PortableType, string]>([
    [{ kind: "smallint" }, "smallint"],
    [{ kind: "integer" }, "integer"],
    [{ kind: "bigint" }, "bigint"],
    [{ kind: "decimal", precision: 10, scale: 2 }, "numeric(10,2)"],
    [{ kind: "decimal", precision: 20 }, "numeric(20,0)"],
    [{ kind: "decimal" }, "numeric"],
    [{ kind: "float" }, "double precision"],
    [{ kind: "float", precision: 24 }, "real"],
    [{ kind: "float", precision: 53 }, "double precision"],
    [{ kind: "string", length: 40 }, "varchar(40)"],
    [{ kind: "string" }, "text"],
    [{ kind: "text" }, "text"],
    [{ kind: "boolean" }, "boolean"],
    [{ kind: "date" }, "date"],
    [{ kind: "time" }, "time"],
    [{ kind: "timestamp" }, "timestamp"],
    [{ kind: "timestamptz" }, "timestamptz"],
    [{ kind: "uuid" }, "uuid"],
    [{ kind: "json" }, "jsonb"],
    [{ kind: "binary" }, "bytea"],
    [{ kind: "unknown" }, "text"],
  ])("%j → %s", (type, native) => {
    expect(postgresNativeType(type)).toBe(native);
  });

  it("round-trips through the type PostgreSQL reports back", () => {
    for (const formatted of ["real", "double precision", "numeric(10,2)", "character varying(50)", "timestamp with time zone", "timestamp without time zone", "bytea", "bigint", "uuid", "jsonb", "date"]) {
      expect(portableFromPostgresType(postgresNativeType(portableFromPostgresType(formatted)))).toEqual(portableFromPostgresType(formatted));
    }
  });
});

describe("types and errors as a real PostgreSQL (PGlite) reports them", () => {
  let db: Connector;

  beforeAll(async () => {
    db = await pgliteConnectorFactory.create({ name: "types", url: new URL("pglite:memory:"), baseDir: process.cwd() });
    await db.query(`CREATE TABLE typed (
      id integer PRIMARY KEY, s smallint, b bigint, n numeric(12,3), f real, v varchar(30), c char(4), t text, ok boolean,
      d date, ts timestamp(3), tz timestamptz, tm time, u uuid, j jsonb, bin bytea, arr integer[], iv interval)`);
  });

  afterAll(async () => {
    await db?.close();
  });

  it("introspection and result OIDs agree on the portable type of every column", async () => {
    const catalog = await db.introspect({ tables: [{ name: "typed" }] });
    const table = catalog.tables.find((t) => t.name === "typed")!;
    const fromCatalog = Object.fromEntries(table.columns.map((c) => [c.name, c.type]));
    expect(fromCatalog).toEqual({
      id: { kind: "integer" }, s: { kind: "smallint" }, b: { kind: "bigint" }, n: { kind: "decimal", precision: 12, scale: 3 }, f: { kind: "float", precision: 24 },
      v: { kind: "string", length: 30 }, c: { kind: "string", length: 4 }, t: { kind: "text" }, ok: { kind: "boolean" }, d: { kind: "date" },
      ts: { kind: "timestamp" }, tz: { kind: "timestamptz" }, tm: { kind: "time" }, u: { kind: "uuid" }, j: { kind: "json" }, bin: { kind: "binary" },
      arr: { kind: "unknown" }, iv: { kind: "unknown" },
    });
    const { rows } = await db.query<{ attname: string; atttypid: number; atttypmod: number }>(
      "SELECT attname, atttypid::int AS atttypid, atttypmod FROM pg_attribute WHERE attrelid = 'typed'::regclass AND attnum > 0 ORDER BY attnum");
    for (const row of rows.filter((r) => !["arr", "iv"].includes(r.attname))) {
      expect(portableFromPostgresOid(row.atttypid, row.atttypmod), row.attname).toEqual(fromCatalog[row.attname]);
    }
  });

  it("SQLSTATEs of real failures classify as data, terminal or transient", async () => {
    const failure = (sql: string) => db.query(sql).then(() => undefined, (error: unknown) => error);
    await db.query("INSERT INTO typed (id) VALUES (1)");
    const duplicate = await failure("INSERT INTO typed (id) VALUES (1)");
    expect((duplicate as { code?: string }).code).toBe("23505");
    expect(classifyPostgresError(duplicate)).toBe("data");
    const badInput = await failure("INSERT INTO typed (id, n) VALUES (2, 'abc')");
    expect((badInput as { code?: string }).code).toBe("22P02");
    expect(classifyPostgresError(badInput)).toBe("data");
    const tooLong = await failure("INSERT INTO typed (id, c) VALUES (3, 'abcde')");
    expect(classifyPostgresError(tooLong)).toBe("data");
    const notNull = await failure("INSERT INTO typed (id) VALUES (NULL)");
    expect((notNull as { code?: string }).code).toBe("23502");
    expect(classifyPostgresError(notNull)).toBe("data");
    const missing = await failure("SELECT * FROM no_such_table");
    expect((missing as { code?: string }).code).toBe("42P01");
    expect(classifyPostgresError(missing)).toBe("terminal");
    const syntax = await failure("SELEC 1");
    expect(classifyPostgresError(syntax)).toBe("terminal");
  });

  it("connection-level and concurrency SQLSTATEs and node socket errors are transient", () => {
    for (const code of ["08006", "08001", "40001", "40P01", "53300", "57P01", "55P03", "ECONNRESET", "ECONNREFUSED", "ETIMEDOUT"]) {
      expect(classifyPostgresError({ code }), code).toBe("transient");
    }
    expect(classifyPostgresError(new Error("Connection terminated unexpectedly"))).toBe("transient");
    expect(classifyPostgresError(new Error("permission denied for table x"))).toBe("terminal");
    expect(classifyPostgresError({ code: "42501" })).toBe("terminal");
    expect(classifyPostgresError({ code: "57014" })).toBe("terminal");
    expect(classifyPostgresError(undefined)).toBe("terminal");
  });
});

describe("postgresSourceMapping (PostgreSQL and PGlite sources into PostgreSQL)", () => {
  it("keeps the source's own built-in type, arrays included; serial and identity columns are identity columns", () => {
    for (const type of ["integer", "character varying(50)", "timestamp(3) without time zone", "timestamp with time zone", "numeric(38,10)", "text[]",
      "timestamp without time zone[]", "interval", "money", "point", "bit varying(10)", "character(5)", "double precision", "real", "jsonb", "inet"]) {
      expect(postgresSourceMapping({ nativeType: type }, { postgis: false }), type).toEqual({ type, warnings: [] });
    }
    expect(postgresSourceMapping({ nativeType: "bigint", identity: true }, { postgis: false })).toEqual({ type: "bigint", identity: true, warnings: [] });
  });

  it("a type the target may not have (enum, domain, extension) is text with a warning; PostGIS types only where the target has PostGIS", () => {
    expect(postgresSourceMapping({ nativeType: "mood" }, { postgis: false })).toEqual({ type: "text", warnings: ["mood is not a built-in type the target is sure to have; stored as its text"] });
    expect(postgresSourceMapping({ nativeType: "geometry(Point,4326)" }, { postgis: true })).toEqual({ type: "geometry(Point,4326)", warnings: [] });
    expect(postgresSourceMapping({ nativeType: "geometry" }, { postgis: false }).type).toBe("text");
  });
});
