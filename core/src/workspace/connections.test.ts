import { describe, it, expect } from "vitest";
import type { Connector, ConnectorFactory } from "../connectors/connector.js";
import { isDataBridgeError } from "../errors.js";
import { definePlugin } from "../authoring/plugin.js";
import { createRegistry } from "./registry.js";
import { ConnectionManager, connectionError, connectionFix, connectionUrlOrigin } from "./connections.js";

const failing = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (isDataBridgeError(error)) return error;
    throw error;
  }
  throw new Error("expected a failure");
};

describe("where a connection's URL came from, and the fix", () => {
  it("the environment's variable when set, else the config file", () => {
    expect(connectionUrlOrigin("legacy", { DATABRIDGE_CONN_LEGACY: "mysql://x@h/db" })).toBe("DATABRIDGE_CONN_LEGACY");
    expect(connectionUrlOrigin("legacy", {}, "databridge.config.mts")).toBe("databridge.config.mts");
  });

  it("names the place to look for each kind of failure; credentials never go into the config", () => {
    expect(connectionFix("credentials", "legacy", "DATABRIDGE_CONN_LEGACY")).toBe("check the user and password in DATABRIDGE_CONN_LEGACY");
    expect(connectionFix("credentials", "crm-db", "databridge.config.ts")).toBe("set DATABRIDGE_CONN_CRM_DB to the URL with the right user and password (passwords do not belong in databridge.config.ts)");
    expect(connectionFix("database", "legacy", "databridge.config.ts")).toBe("check the database name in databridge.config.ts");
    expect(connectionFix("unreachable", "legacy", "DATABRIDGE_CONN_LEGACY")).toBe("check the host and port in DATABRIDGE_CONN_LEGACY, and that the server is running");
    expect(connectionFix(undefined, "legacy", "databridge.config.ts")).toBe("check the connection URL in databridge.config.ts");
  });

  it("reads the driver's error through the connector, else Node's socket codes (also inside an AggregateError)", () => {
    const factory = { connectFailure: (e: unknown) => ((e as { errno?: number }).errno === 1045 ? "credentials" : undefined) } as Pick<ConnectorFactory, "connectFailure"> as ConnectorFactory;
    const denied = connectionError("legacy", "DATABRIDGE_CONN_LEGACY", Object.assign(new Error("Access denied for user 'app'@'h'"), { errno: 1045 }), factory);
    expect(denied.kind).toBe("terminal");
    expect(denied.toLine()).toBe("connection legacy (URL from DATABRIDGE_CONN_LEGACY): Access denied for user 'app'@'h' (fix: check the user and password in DATABRIDGE_CONN_LEGACY)");
    const refused = new AggregateError([Object.assign(new Error("connect ECONNREFUSED ::1:5432"), { code: "ECONNREFUSED" })], "");
    const unreachable = connectionError("warehouse", "databridge.config.ts", refused);
    expect(unreachable.kind).toBe("transient");
    expect(unreachable.context.fix).toBe("check the host and port in databridge.config.ts, and that the server is running");
  });
});

describe("ConnectionManager", () => {
  it("opens a connection on first use by asking the server once: a refusal names the connection and closes what was opened", async () => {
    let closed = 0;
    const factory: ConnectorFactory = {
      schemes: ["fake"], type: "fake",
      connectFailure: () => "credentials",
      create: async (options) => ({
        name: options.name,
        serverVersion: () => Promise.reject(new Error("password authentication failed for user \"app\"")),
        close: async () => { closed++; },
      }) as unknown as Connector,
    };
    const registry = createRegistry([definePlugin({ name: "fake", connectors: [factory] })]);
    const manager = new ConnectionManager({ connections: { legacy: { url: "fake://app@host/db" } } }, registry, "/", { DATABRIDGE_CONN_LEGACY: "fake://app:S3cret-Value@host/db" });
    const error = await failing(manager.get("legacy"));
    expect(error.toLine()).toBe('connection legacy (URL from DATABRIDGE_CONN_LEGACY): password authentication failed for user "app" (fix: check the user and password in DATABRIDGE_CONN_LEGACY)');
    expect(closed).toBe(1);
    await manager.closeAll();
  });
});
