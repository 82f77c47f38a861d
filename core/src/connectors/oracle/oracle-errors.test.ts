import { describe, expect, it } from "vitest";
import { classifyOracleError, oracleErrorCodes } from "./oracle-errors.js";

/** An error as oracledb raises it: `code` (`ORA-00060`, `NJS-503`), `errorNum` for database errors, the text after the code. */
function oracleError(code: string, text = "failure", extra: Record<string, unknown> = {}) {
  const errorNum = code.startsWith("ORA-") ? Number(code.slice(4)) : undefined;
  return Object.assign(new Error(`${code}: ${text}`), { code, errorNum, ...extra });
}

describe("classifyOracleError", () => {
  it.each([
    ["ORA-00060", "deadlock detected while waiting for resource"], ["ORA-08177", "can't serialize access for this transaction"],
    ["ORA-03113", "end-of-file on communication channel"], ["ORA-03114", "not connected to ORACLE"], ["ORA-03135", "connection lost contact"],
    ["ORA-12541", "TNS:no listener"], ["ORA-12514", "TNS:listener does not currently know of service"], ["ORA-12170", "TNS:Connect timeout occurred"],
    ["ORA-01033", "ORACLE initialization or shutdown in progress"], ["ORA-00054", "resource busy and acquire with NOWAIT"],
    ["NJS-500", "connection to the Oracle Database was broken"], ["NJS-503", "connection to host 127.0.0.1 port 1521 could not be established"],
    ["NJS-510", "connection to host db port 1521 timed out"], ["NJS-518", 'cannot connect: service "X" is not registered with the listener'],
    ["DPI-1080", "connection was closed by ORA-3113"],
  ])("%s (%s) is transient", (code, text) => {
    expect(classifyOracleError(oracleError(code, text))).toBe("transient");
  });

  it.each([
    ["ORA-01400", 'cannot insert NULL into ("LEGACY"."PARTS"."NAME")'], ["ORA-12899", 'value too large for column "NAME" (actual: 51, maximum: 50)'],
    ["ORA-01438", "value larger than specified precision allowed for this column"], ["ORA-01722", "invalid number"],
    ["ORA-00001", "unique constraint (LEGACY.PK_PARTS) violated"], ["ORA-02291", "integrity constraint violated - parent key not found"],
    ["ORA-01861", "literal does not match format string"],
  ])("%s (%s) is data", (code, text) => {
    expect(classifyOracleError(oracleError(code, text))).toBe("data");
  });

  it.each([["ORA-00942", "table or view does not exist"], ["ORA-00904", '"X": invalid identifier'], ["ORA-01017", "invalid username/password; logon denied"], ["ORA-01031", "insufficient privileges"]])(
    "%s (%s) is terminal", (code, text) => {
      expect(classifyOracleError(oracleError(code, text))).toBe("terminal");
    });

  it("reads codes from errorNum and from the message chain as well as from code", () => {
    expect(oracleErrorCodes(Object.assign(new Error("deadlock"), { errorNum: 60 }))).toEqual(["ORA-00060"]);
    const plsql = new Error("ORA-06502: PL/SQL: numeric or value error: character string buffer too small\nORA-06512: at line 1");
    expect(oracleErrorCodes(plsql)).toEqual(["ORA-06502", "ORA-06512"]);
    expect(classifyOracleError(plsql)).toBe("data");
    const wrapped = oracleError("NJS-518", "cannot connect to Oracle Database. Service ORCL is not registered (similar to ORA-12514)");
    expect(oracleErrorCodes(wrapped)).toEqual(["NJS-518", "ORA-12514"]);
    expect(classifyOracleError(new Error("outer", { cause: oracleError("ORA-03113") }))).toBe("transient");
  });

  it("a recoverable error (isRecoverable) and a socket reset are transient; anything else terminal", () => {
    expect(classifyOracleError(oracleError("ORA-01089", "immediate shutdown", { isRecoverable: true }))).toBe("transient");
    expect(classifyOracleError(oracleError("ORA-00600", "internal error", { isRecoverable: true }))).toBe("transient");
    expect(classifyOracleError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe("transient");
    expect(classifyOracleError(new Error("boom"))).toBe("terminal");
    expect(classifyOracleError(undefined)).toBe("terminal");
  });
});
