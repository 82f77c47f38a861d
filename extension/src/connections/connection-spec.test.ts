import { describe, expect, it } from "vitest";
import {
  connectionEnvVar, connectionUrl, describeSpec, parseConnectionSettings, runnerConnectionBody, secretKey, settingEntry, specProblem, validateName, validatePort,
} from "./connection-spec.js";

const pg = { name: "legacy", type: "postgres" as const, host: "db.example", port: 5433, database: "erp", username: "etl" };

describe("connection specs", () => {
  it("builds URLs core understands, escaping credentials", () => {
    expect(connectionUrl(pg)).toBe("postgres://etl@db.example:5433/erp");
    expect(connectionUrl(pg, "p@ss:w/rd")).toBe("postgres://etl:p%40ss%3Aw%2Frd@db.example:5433/erp");
    expect(new URL(connectionUrl(pg, "p@ss:w/rd")).password).toBe("p%40ss%3Aw%2Frd");
    expect(connectionUrl({ name: "m", type: "mysql", host: "127.0.0.1", database: "shop", username: "root" })).toBe("mysql://root@127.0.0.1/shop");
    expect(connectionUrl({ name: "s", type: "sqlite", folder: "data/legacy.db" })).toBe("sqlite:data/legacy.db");
    expect(connectionUrl({ name: "w", type: "pglite", folder: ".databridge/w" })).toBe("pglite:.databridge/w");
  });

  it("describes a connection without its password", () => {
    expect(describeSpec(pg)).toBe("legacy (postgres://etl@db.example:5433/erp)");
  });

  it("keeps the password out of the setting entry and in the runner body only when given", () => {
    expect(JSON.stringify(settingEntry(pg))).not.toMatch(/pass/);
    expect(runnerConnectionBody(pg, "x")).toEqual({ name: "legacy", type: "postgres", host: "db.example", port: 5433, database: "erp", username: "etl", password: "x" });
    expect(runnerConnectionBody(pg, undefined)).not.toHaveProperty("password");
    expect(runnerConnectionBody({ name: "w", type: "pglite", folder: "data/w" }, undefined)).toEqual({ name: "w", type: "pglite", database: "data/w" });
  });

  it("validates names the way the runner does, and ports", () => {
    expect(validateName("legacy_2")).toBeUndefined();
    expect(validateName("2legacy")).toMatch(/not a valid name/);
    expect(validateName("leg-acy")).toMatch(/not a valid name/);
    expect(validateName("legacy", ["legacy"])).toMatch(/already exists/);
    expect(validatePort("5432")).toBeUndefined();
    expect(validatePort("70000")).toMatch(/1 to 65535/);
    expect(validatePort("abc")).toMatch(/"abc"/);
  });

  it("names the missing field of an incomplete spec", () => {
    expect(specProblem(pg)).toBeUndefined();
    expect(specProblem({ ...pg, database: "" })).toBe("connection legacy: the database name is missing");
    expect(specProblem({ name: "w", type: "pglite", folder: " " })).toBe("connection w: a pglite connection needs its file or folder");
    expect(specProblem({ ...pg, type: "" })).toMatch(/^connection legacy: the type is missing/);
  });

  it("reads the setting, reporting hand-edited mistakes one line each", () => {
    const { specs, problems } = parseConnectionSettings({
      legacy: { type: "postgres", host: "db", port: "5432", database: "erp", user: "etl" },
      broken: { type: "postgres", host: "db", database: "erp", username: "etl", password: "oops" },
      nohost: { type: "mysql", database: "x", username: "u" },
      weird: 5,
    });
    expect(specs.map((s) => s.name)).toEqual(["legacy", "broken"]);
    expect(specs[0]).toMatchObject({ port: 5432, username: "etl" });
    expect(problems).toEqual([
      "setting databridge.connections.broken has a password: remove it, passwords belong in the DataBridge connection store (Add Connection)",
      "setting databridge.connections.nohost: Enter a host name or IP address, e.g. 127.0.0.1",
      "setting databridge.connections.weird must be an object",
    ]);
    expect(parseConnectionSettings([1]).problems).toHaveLength(1);
  });

  it("keys secrets per workspace and matches core's env var names", () => {
    expect(secretKey("/a", "legacy")).not.toBe(secretKey("/b", "legacy"));
    expect(secretKey("/a", "legacy")).toMatch(/^databridge\.connection\.[0-9a-f]{16}\.legacy\.password$/);
    expect(connectionEnvVar("legacy_erp")).toBe("DATABRIDGE_CONN_LEGACY_ERP");
  });
});
