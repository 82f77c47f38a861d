import { describe, expect, it } from "vitest";
import { Redactor } from "./redactor.js";

describe("Redactor", () => {
  it("hides registered secrets, their URL-encoded form and any URL password", () => {
    const r = new Redactor();
    r.add("p@ss word");
    expect(r.redact("login failed for p@ss word")).toBe("login failed for ***");
    expect(r.redact("postgres://etl:p%40ss%20word@db:5432/erp")).toBe("postgres://etl:***@db:5432/erp");
    expect(r.redact("mysql://root:other@127.0.0.1/x and text")).toBe("mysql://root:***@127.0.0.1/x and text");
    expect(r.redact("no secrets here: postgres://etl@db/erp")).toBe("no secrets here: postgres://etl@db/erp");
  });

  it("ignores values too short to be a password worth hiding", () => {
    const r = new Redactor();
    r.add("a");
    r.add(undefined);
    expect(r.redact("a table")).toBe("a table");
  });
});
