import { describe, expect, it } from "vitest";
import { DataBridgeError } from "../errors.js";
import { importDriver } from "./driver.js";

// Specifiers in variables: TypeScript would refuse a literal import of a package that does not exist.
const load = (specifier: string) => () => import(specifier) as Promise<unknown>;

describe("importDriver", () => {
  it("returns the driver module when it is installed", async () => {
    const pg = (await importDriver("pg", "warehouse", () => import("pg"))).default;
    expect(typeof pg.Pool).toBe("function");
  });

  it("a driver that is not installed is a config error naming the connection and the install command", async () => {
    const error = await importDriver("databridge-missing-driver", "legacy", load("databridge-missing-driver")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataBridgeError);
    expect((error as DataBridgeError).kind).toBe("config");
    expect((error as DataBridgeError).toLine()).toBe("connection legacy: the databridge-missing-driver driver is not installed (fix: npm install databridge-missing-driver)");
    expect((error as DataBridgeError).cause).toMatchObject({ code: "ERR_MODULE_NOT_FOUND" });
  });

  it("a package missing inside an installed driver is not reported as the driver missing", async () => {
    const error = await importDriver("mssql", "legacy", load("databridge-missing-dependency")).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(DataBridgeError);
    expect((error as Error).message).toContain("'databridge-missing-dependency'");
  });
});
