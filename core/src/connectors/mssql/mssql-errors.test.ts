import sql from "mssql";
import { describe, expect, it } from "vitest";
import { classifyMssqlError } from "./mssql-errors.js";

/** A server error as the mssql driver raises it: the ERROR token's fields on `info`, wrapped in its RequestError. */
function serverError(number: number, message = `server error ${number}`) {
  const raw = Object.assign(new Error(message), { info: { number, message, state: 1, class: 16 } });
  return new sql.RequestError(raw as never, "EREQUEST");
}

describe("classifyMssqlError", () => {
  it.each([
    [1205, "deadlock victim"], [1222, "lock request timeout"], [3960, "snapshot update conflict"], [-2, "client timeout"],
    [40501, "Azure: service busy"], [40613, "Azure: database unavailable"], [40197, "Azure: error processing request (failover)"],
    [49918, "Azure: not enough resources"], [10928, "Azure: resource limit"], [10053, "connection aborted"], [10054, "connection reset by peer"], [10060, "connect timed out"],
  ])("server error %i (%s) is transient", (number) => {
    const error = serverError(number);
    expect(error.number).toBe(number);
    expect(classifyMssqlError(error)).toBe("transient");
  });

  it.each([
    [2627, "PRIMARY KEY/UNIQUE constraint violation"], [2601, "duplicate key in unique index"], [515, "NULL into NOT NULL"],
    [8152, "string or binary data would be truncated"], [2628, "truncated (with column name)"], [8115, "arithmetic overflow"],
    [245, "conversion failed"], [241, "date conversion failed"], [547, "constraint conflict"], [8114, "error converting data type"],
  ])("server error %i (%s) is data", (number) => {
    expect(classifyMssqlError(serverError(number))).toBe("data");
  });

  it.each([[208, "invalid object name"], [207, "invalid column name"], [229, "permission denied"], [102, "syntax error"], [18456, "login failed"]])(
    "server error %i (%s) is terminal", (number) => {
      expect(classifyMssqlError(serverError(number))).toBe("terminal");
    });

  it("driver codes of lost or unreachable connections are transient; a refused login is terminal", () => {
    for (const code of ["ETIMEOUT", "ESOCKET", "ECONNRESET", "ECONNCLOSED", "EINSTLOOKUP"]) {
      expect(classifyMssqlError(new sql.ConnectionError(`driver failure ${code}`, code as never))).toBe("transient");
    }
    expect(classifyMssqlError(new sql.RequestError("Timeout: Request failed to complete in 15000ms", "ETIMEOUT"))).toBe("transient");
    expect(classifyMssqlError(new sql.ConnectionError("Login failed for user 'etl'.", "ELOGIN"))).toBe("terminal");
    expect(classifyMssqlError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe("transient");
  });

  it("looks through wrapped errors: originalError, preceding errors of a batch, AggregateError", () => {
    const wrapped = new sql.RequestError(Object.assign(new Error("socket hang up"), { code: "ESOCKET" }) as never, "EREQUEST");
    expect(classifyMssqlError(wrapped)).toBe("transient");
    const last = serverError(3621, "The statement has been terminated.");
    (last as unknown as { precedingErrors: unknown[] }).precedingErrors = [serverError(2627, "Violation of PRIMARY KEY constraint")];
    expect(classifyMssqlError(last)).toBe("data");
    expect(classifyMssqlError(new AggregateError([serverError(208), serverError(1205)]))).toBe("transient");
  });

  it("anything else is terminal", () => {
    expect(classifyMssqlError(new Error("boom"))).toBe("terminal");
    expect(classifyMssqlError(undefined)).toBe("terminal");
    expect(classifyMssqlError("text")).toBe("terminal");
  });
});
