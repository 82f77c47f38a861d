import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector } from "../connector.js";
import { pgliteConnectorFactory } from "../pglite/pglite-connector.js";
import { decodeCopyLine, encodeCopyText, encodeCopyValue, encodeCsvValue } from "./postgres-copy.js";

describe("encodeCopyValue (COPY text format)", () => {
  it("NULL is \\N, the empty string is empty: the two never collide", () => {
    expect(encodeCopyValue(null)).toBe("\\N");
    expect(encodeCopyValue(undefined)).toBe("\\N");
    expect(encodeCopyValue("")).toBe("");
    expect(encodeCopyValue("\\N")).toBe("\\\\N");
  });

  it("escapes backslash, tab, newline and carriage return, and nothing else", () => {
    expect(encodeCopyValue("a\tb\nc\rd\\e")).toBe("a\\tb\\nc\\rd\\\\e");
    expect(encodeCopyValue("C:\\temp\\new")).toBe("C:\\\\temp\\\\new");
    expect(encodeCopyValue("plain 'quotes' \"and\" commas, |pipes|")).toBe("plain 'quotes' \"and\" commas, |pipes|");
  });

  it("passes non-ASCII text through unchanged", () => {
    expect(encodeCopyValue("Grüße aus Łódź — 東京 🚀")).toBe("Grüße aus Łódź — 東京 🚀");
  });

  it("writes numbers, bigints and booleans in PostgreSQL's input syntax", () => {
    expect(encodeCopyValue(42)).toBe("42");
    expect(encodeCopyValue(-0.5)).toBe("-0.5");
    expect(encodeCopyValue(-0)).toBe("-0");
    expect(encodeCopyValue(0)).toBe("0");
    expect(encodeCopyValue(5e-324)).toBe("5e-324");
    expect(encodeCopyValue(Number.POSITIVE_INFINITY)).toBe("Infinity");
    expect(encodeCopyValue(Number.NEGATIVE_INFINITY)).toBe("-Infinity");
    expect(encodeCopyValue(Number.NaN)).toBe("NaN");
    expect(encodeCopyValue(9223372036854775807n)).toBe("9223372036854775807");
    expect(encodeCopyValue(true)).toBe("t");
    expect(encodeCopyValue(false)).toBe("f");
  });

  it("writes binary as bytea hex with the backslash escaped, honouring the view's offset", () => {
    expect(encodeCopyValue(new Uint8Array([0, 1, 0xab, 0xff]))).toBe("\\\\x0001abff");
    const backing = new Uint8Array([9, 9, 0xde, 0xad, 9]);
    expect(encodeCopyValue(backing.subarray(2, 4))).toBe("\\\\xdead");
    expect(encodeCopyValue(Buffer.from("hi"))).toBe("\\\\x6869");
  });

  it("writes objects and arrays as JSON (escaped like any text) and Dates in UTC", () => {
    expect(encodeCopyValue({ a: "tab\there", b: [1, null] })).toBe('{"a":"tab\\\\there","b":[1,null]}');
    expect(encodeCopyValue(new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 7)))).toBe("2024-02-29 23:59:58.007+00");
  });

  it("encodeCopyText joins values with tabs and rows with newlines", () => {
    expect(encodeCopyText([[1, "a", null], [2, "", "x\ty"]])).toBe("1\ta\t\\N\n2\t\tx\\ty\n");
    expect(encodeCopyText([])).toBe("");
  });
});

describe("COPY round trip through a real PostgreSQL (PGlite)", () => {
  let db: Connector;

  beforeAll(async () => {
    db = await pgliteConnectorFactory.create({ name: "copytest", url: new URL("pglite:memory:"), baseDir: process.cwd() });
    await db.query(`CREATE TABLE t (
      id integer PRIMARY KEY, s text, v varchar(20), n numeric(38,10), big bigint, flag boolean, bin bytea,
      j jsonb, ts timestamp, tz timestamptz, d date, f double precision, u uuid)`);
  });

  afterAll(async () => {
    await db?.close();
  });

  const STRINGS = ["", "tab\there", "line1\nline2", "cr\rlf\r\n", "back\\slash", "\\N", "\\.", "trailing backslash\\", "Grüße Łódź 東京 🚀", " padded ", "'\"quotes\"'", "a,b;c|d"];

  it("every string comes back exactly, and NULL stays distinct from the empty string", async () => {
    const rows = [...STRINGS.map((s, i) => [i + 1, s]), [100, null]];
    const session = await db.session();
    try {
      expect(await session.bulkLoad({ name: "t" }, ["id", "s"], rows)).toBe(rows.length);
    } finally {
      await session.release();
    }
    const back = await db.read({ from: { table: { name: "t" } }, columns: ["id", "s"], key: ["id"], limit: 1000 });
    expect(back.rows).toEqual(rows);
    const { rows: counts } = await db.query<{ nulls: number; empties: number }>("SELECT count(*) FILTER (WHERE s IS NULL)::int AS nulls, count(*) FILTER (WHERE s = '')::int AS empties FROM t");
    expect(counts[0]).toEqual({ nulls: 1, empties: 1 });
  });

  it("numbers, bigints beyond 2^53, booleans, bytes, JSON, dates and UUIDs survive exactly", async () => {
    const bytes = new Uint8Array([0, 1, 2, 0x5c, 0x09, 0x0a, 0xff]);
    const rows = [
      [200, "12345678901234567890.0123456789", 9223372036854775807n, true, bytes, { k: "tab\tand\\", n: [1, 2.5, null], "ü": true }, "2024-02-29 23:59:59.123456", "2024-01-01 00:00:00+00", "0001-01-01", 0.1, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
      [201, "-0.0000000001", "-9007199254740993", false, new Uint8Array([]), '{"already":"text"}', new Date(Date.UTC(2020, 0, 2, 3, 4, 5)), new Date(Date.UTC(2020, 0, 2, 3, 4, 5)), "9999-12-31", -1e-300, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12"],
      [202, null, null, null, null, null, null, null, null, null, null],
    ];
    const columns = ["id", "n", "big", "flag", "bin", "j", "ts", "tz", "d", "f", "u"];
    const session = await db.session();
    try {
      await session.bulkLoad({ name: "t" }, columns, rows);
    } finally {
      await session.release();
    }
    const { rows: back } = await db.query<Record<string, unknown>>(
      `SELECT id, n::text AS n, big::text AS big, flag, encode(bin, 'hex') AS bin, j::text AS j, ts::text AS ts, (tz AT TIME ZONE 'UTC')::text AS tz,
              d::text AS d, f, u::text AS u FROM t WHERE id >= 200 ORDER BY id`);
    expect(back[0]).toEqual({
      id: 200, n: "12345678901234567890.0123456789", big: "9223372036854775807", flag: true, bin: "0001025c090aff",
      j: '{"k": "tab\\tand\\\\", "n": [1, 2.5, null], "ü": true}', ts: "2024-02-29 23:59:59.123456", tz: "2024-01-01 00:00:00", d: "0001-01-01", f: 0.1, u: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    });
    expect(back[1]).toEqual({
      id: 201, n: "-0.0000000001", big: "-9007199254740993", flag: false, bin: "", j: '{"already": "text"}', ts: "2020-01-02 03:04:05", tz: "2020-01-02 03:04:05",
      d: "9999-12-31", f: -1e-300, u: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12",
    });
    expect(Object.entries(back[2]).filter(([k, v]) => k !== "id" && v !== null)).toEqual([]);
  });

  it("CSV lines (a source's, with Node's leading values) load exactly what the text format loads, value for value", async () => {
    // Two independent encodings of the same values through PostgreSQL's own parsers: the text format (the value
    // path) and tab-delimited CSV (what MariaDB writes, with a key and an ordinal Node writes ahead of the line).
    await db.query("CREATE TABLE viatext (o integer, id integer, s text, n numeric, flag boolean, bin bytea, j jsonb, ts timestamp, f double precision)");
    await db.query("CREATE TABLE viacsv (LIKE viatext)");
    const values = [...STRINGS, "\"", "\"\"", "a\t\"b\"\n", "\\x41"];
    const rows = values.map((s, i) => [i, i + 1, s, i % 3 ? `${i}.50` : null, i % 2 === 0, new Uint8Array([i, 0x22, 0x09, 0x5c]), { s, i }, new Date(Date.UTC(2020, 0, 1 + i)), i === 1 ? -0 : i / 7]);
    rows.push([values.length, 1000, null, null, null, null, null, null, null]);
    const leading = 2;
    const csvRows = rows.map((row) => [...row.slice(0, leading), row.slice(leading).map(encodeCsvValue).join("\t")]);
    const session = await db.session();
    try {
      await session.bulkLoad({ name: "viatext" }, ["o", "id", "s", "n", "flag", "bin", "j", "ts", "f"], rows);
      await session.bulkLoad({ name: "viacsv" }, ["o", "id", "s", "n", "flag", "bin", "j", "ts", "f"], csvRows, { textAt: leading, leading, format: "csv" });
    } finally {
      await session.release();
    }
    const { rows: differ } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM ((TABLE viatext EXCEPT ALL TABLE viacsv) UNION ALL (TABLE viacsv EXCEPT ALL TABLE viatext)) d");
    expect(differ[0].n).toBe(0);
    const { rows: loaded } = await db.query<{ n: number; nulls: number; empties: number }>("SELECT count(*)::int AS n, count(*) FILTER (WHERE s IS NULL)::int AS nulls, count(*) FILTER (WHERE s = '')::int AS empties FROM viacsv");
    expect(loaded[0]).toEqual({ n: rows.length, nulls: 1, empties: 1 });
    // And the line decodes back into the fields it was encoded from (a rejected row's report).
    for (const row of rows) {
      const strings = row.slice(leading).map((v) => (v === null ? null : typeof v === "string" ? v : undefined));
      const decoded = decodeCopyLine(row.slice(leading).map(encodeCsvValue).join("\t"), "csv");
      expect(decoded.length).toBe(row.length - leading);
      strings.forEach((s, i) => s !== undefined && expect(decoded[i]).toBe(s));
    }
  });

  it("a value the column refuses fails the COPY with a data error naming the column", async () => {
    const session = await db.session();
    let caught: unknown;
    try {
      await session.query("BEGIN");
      await session.bulkLoad({ name: "t" }, ["id", "v"], [[300, "fits"], [301, "this text is longer than twenty characters"]]);
    } catch (error) {
      caught = error;
    } finally {
      await session.query("ROLLBACK");
      await session.release();
    }
    expect(db.classifyError(caught)).toBe("data");
    expect((caught as { code?: string }).code).toBe("22001");
    expect((caught as Error).message).toContain("value too long for type character varying(20)");
    expect((caught as { where?: string }).where).toMatch(/COPY t, line 2, column v/);
  });
});
