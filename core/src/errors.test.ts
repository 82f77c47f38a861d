import { describe, it, expect } from "vitest";
import {
  DataBridgeError, configError, dataError, formatErrorLine, formatKey, isDataBridgeError, messageOf, redactSecrets, registerSecret, terminalError, transientError,
} from "./errors.js";

describe("redactSecrets", () => {
  it("masks the password of URL credentials and keeps user, host and database", () => {
    expect(redactSecrets("connect postgres://app:s3cr3t@db.example.com:5432/warehouse failed"))
      .toBe("connect postgres://app:***@db.example.com:5432/warehouse failed");
    expect(redactSecrets("mysql://root:p%40ss@127.0.0.1:3306/legacy and postgresql://u:x@h/d"))
      .toBe("mysql://root:***@127.0.0.1:3306/legacy and postgresql://u:***@h/d");
  });

  it("masks a password after an empty user name", () => {
    expect(redactSecrets("postgres://:s3cret@db/x")).toBe("postgres://:***@db/x");
  });

  it("masks environment-style assignments (PGPASSWORD, MYSQL_PWD) but not MySQL's 'using password: YES'", () => {
    expect(redactSecrets("PGPASSWORD=hunter2 psql")).toBe("PGPASSWORD=*** psql");
    expect(redactSecrets("MYSQL_PWD: 's3'")).toBe("MYSQL_PWD=***");
    expect(redactSecrets("db_password=abc;x=1")).toBe("db_password=***;x=1");
    const mysql = "Access denied for user 'root'@'localhost' (using password: YES)";
    expect(redactSecrets(mysql)).toBe(mysql);
  });

  it("leaves URLs without a password alone", () => {
    const text = "postgres://postgres@127.0.0.1:5432/warehouse and pglite:.databridge/demo";
    expect(redactSecrets(text)).toBe(text);
  });

  it("masks password=… pairs in every spelling (quoted, pwd, passwd, colon)", () => {
    expect(redactSecrets("host=db user=app password=hunter2 dbname=x")).toBe("host=db user=app password=*** dbname=x");
    expect(redactSecrets("Server=db;Uid=sa;Pwd=Tr0ub4dor;Database=x")).toBe("Server=db;Uid=sa;Pwd=***;Database=x");
    expect(redactSecrets(`password: "with spaces"`)).toBe("password=***");
    expect(redactSecrets("passwd='q' next")).toBe("passwd=*** next");
    expect(redactSecrets("?user=a&password=zz&ssl=true")).toBe("?user=a&password=***&ssl=true");
  });

  it("masks registered secrets wherever they appear, and ignores secrets too short to be safe to mask", () => {
    registerSecret("env-only-secret-42");
    registerSecret("ab");
    registerSecret(undefined);
    expect(redactSecrets("auth failed for env-only-secret-42 (twice: env-only-secret-42)")).toBe("auth failed for *** (twice: ***)");
    expect(redactSecrets("tab and ab stay")).toBe("tab and ab stay");
  });
});

describe("DataBridgeError", () => {
  it("toLine names pipeline, connection, table, column, batch and row key in that order, then the fix", () => {
    const error = dataError("value too long for type character varying(3)", {
      pipeline: "customers", connection: "warehouse", table: "public.customers", column: "country", batch: 7, rowKey: [42], fix: "widen the column",
    });
    expect(error.toLine()).toBe(
      "pipeline customers, connection warehouse, table public.customers, column country, batch 7, row key 42: value too long for type character varying(3) (fix: widen the column)",
    );
  });

  it("formats composite and string row keys, and batch 0", () => {
    expect(dataError("bad", { batch: 0, rowKey: ["A-1", 9007199254740993n] }).toLine()).toBe('batch 0, row key ("A-1", 9007199254740993): bad');
    expect(dataError("bad", { rowKey: "MAT-01" }).toLine()).toBe('row key "MAT-01": bad');
  });

  it("is one line even when the message has newlines, and without context is just the message", () => {
    const error = terminalError("syntax error\n  at or near \"FORM\"\n", {});
    expect(error.toLine()).toBe('syntax error at or near "FORM"');
    expect(error.toLine()).not.toContain("\n");
  });

  it("never carries a password in its message or line", () => {
    const error = configError("cannot connect to postgres://app:hunter2@db/x", { connection: "warehouse", fix: "check password=hunter2" });
    expect(error.message).toBe("cannot connect to postgres://app:***@db/x");
    expect(error.toLine()).not.toContain("hunter2");
  });

  it("keeps its kind per factory and is recognized by isDataBridgeError", () => {
    expect([configError("a"), dataError("b"), terminalError("c"), transientError("d")].map((e) => e.kind)).toEqual(["config", "data", "terminal", "transient"]);
    expect(isDataBridgeError(configError("a"))).toBe(true);
    expect(isDataBridgeError(new Error("a"))).toBe(false);
    expect(configError("a")).toBeInstanceOf(Error);
  });

  it("withContext adds missing context but never overrides what the error already says", () => {
    const cause = new Error("root cause");
    const original = dataError("cannot convert", { column: "price" }, cause);
    const merged = original.withContext({ pipeline: "parts", column: "other", batch: 3 });
    expect(merged).toBeInstanceOf(DataBridgeError);
    expect(merged.kind).toBe("data");
    expect(merged.context).toEqual({ pipeline: "parts", column: "price", batch: 3 });
    expect(merged.cause).toBe(cause);
    expect(merged.toLine()).toBe("pipeline parts, column price, batch 3: cannot convert");
    expect(original.context).toEqual({ column: "price" });
  });
});

describe("formatErrorLine / formatKey / messageOf", () => {
  it("formatKey prints single keys bare, composite keys in parentheses", () => {
    expect(formatKey([1])).toBe("1");
    expect(formatKey(["a", 2])).toBe('("a", 2)');
    expect(formatKey(12n)).toBe("12");
    expect(formatKey(null)).toBe("null");
  });

  it("formatErrorLine redacts what callers pass in", () => {
    expect(formatErrorLine("failed: mysql://root:topsecret@h/db", { connection: "legacy" })).toBe("connection legacy: failed: mysql://root:***@h/db");
  });

  it("messageOf handles DataBridgeError, AggregateError, Error and non-errors without leaking secrets", () => {
    expect(messageOf(dataError("bad", { column: "c" }))).toBe("column c: bad");
    expect(messageOf(new AggregateError([new Error("ECONNREFUSED ::1:5432"), new Error("ECONNREFUSED 127.0.0.1:5432")])))
      .toBe("ECONNREFUSED ::1:5432; ECONNREFUSED 127.0.0.1:5432");
    expect(messageOf(new Error("login postgres://u:pw123@h/d"))).toBe("login postgres://u:***@h/d");
    const nameOnly = new Error("");
    nameOnly.name = "TimeoutError";
    expect(messageOf(nameOnly)).toBe("TimeoutError");
    expect(messageOf("password=abc")).toBe("password=***");
  });
});

describe("connection errors", () => {
  it("name the connection with its role and where its URL came from, never the URL", () => {
    expect(formatErrorLine("Access denied for user 'app'@'10.0.0.5' (using password: YES)", {
      pipeline: "people", connection: "legacy", connectionRole: "source", urlFrom: "DATABRIDGE_CONN_LEGACY", fix: "check the user and password in DATABRIDGE_CONN_LEGACY",
    })).toBe("pipeline people, connection legacy (source, URL from DATABRIDGE_CONN_LEGACY): Access denied for user 'app'@'10.0.0.5' (using password: YES) (fix: check the user and password in DATABRIDGE_CONN_LEGACY)");
    expect(formatErrorLine("unknown connection", { connection: "legasy", connectionRole: "target" })).toBe("connection legasy (target): unknown connection");
    expect(formatErrorLine("x", { connection: "w" })).toBe("connection w: x");
  });
});
