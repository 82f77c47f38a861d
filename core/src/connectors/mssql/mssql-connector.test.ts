import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { isDataBridgeError, type DataBridgeError } from "../../errors.js";
import { ConnectionManager } from "../../workspace/connections.js";
import { createRegistry } from "../../workspace/registry.js";
import { describeMssqlServer, mssqlClientConfig, mssqlConnectorFactory } from "./mssql-connector.js";

/** A local port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<DataBridgeError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!isDataBridgeError(error)) throw new Error(`expected a DataBridgeError, got ${String(error)}`);
  return error;
}

describe("mssqlClientConfig (driver config from the URL)", () => {
  it("host, port, database, user and password as separate fields; encryption on by default", () => {
    const config = mssqlClientConfig(new URL("mssql://etl:p%40ss%3Aword@db.example.com:14330/Legacy%20Sales"));
    expect(config).toMatchObject({
      server: "db.example.com", port: 14330, user: "etl", password: "p@ss:word", database: "Legacy Sales",
      connectionTimeout: 15_000, requestTimeout: 300_000,
      options: { encrypt: true, trustServerCertificate: false, instanceName: undefined, appName: "databridge" },
    });
    expect(describeMssqlServer(config)).toBe("db.example.com:14330/Legacy Sales");
  });

  it("defaults: port 1433, no database (the login's default)", () => {
    const config = mssqlClientConfig(new URL("sqlserver://sa@localhost"));
    expect(config).toMatchObject({ server: "localhost", port: 1433, user: "sa", password: undefined, database: undefined });
  });

  it("a named instance as host%5CINSTANCE (an encoded backslash) or ?instanceName=, without a port", () => {
    const encoded = mssqlClientConfig(new URL("mssql://user:pw@host%5CSQLEXPRESS/db"));
    expect(encoded).toMatchObject({ server: "host", port: undefined, database: "db", options: { instanceName: "SQLEXPRESS" } });
    expect(describeMssqlServer(encoded)).toBe("host\\SQLEXPRESS/db");
    const param = mssqlClientConfig(new URL("mssql://user:pw@host/db?instanceName=INST2"));
    expect(param).toMatchObject({ server: "host", port: undefined, options: { instanceName: "INST2" } });
    expect(mssqlClientConfig(new URL("mssql://user:pw@host/db?instance=INST3")).options?.instanceName).toBe("INST3");
    // A raw backslash is not a valid URL at all: the connection manager refuses it before any connector sees it.
    expect(() => new URL("mssql://user:pw@host\\INST/db")).toThrow();
  });

  it("encrypt, trustServerCertificate and timeouts from parameters (names case-insensitive)", () => {
    expect(mssqlClientConfig(new URL("mssql://u:pw@h/db?encrypt=false")).options).toMatchObject({ encrypt: false });
    expect(mssqlClientConfig(new URL("mssql://u:pw@h/db?Encrypt=strict")).options).toMatchObject({ encrypt: "strict" });
    expect(mssqlClientConfig(new URL("mssql://u:pw@h/db?encrypt=yes&TrustServerCertificate=true")).options).toMatchObject({ encrypt: true, trustServerCertificate: true });
    expect(mssqlClientConfig(new URL("mssql://u:pw@h/db?connect_timeout=2.5&request_timeout=0"))).toMatchObject({ connectionTimeout: 2500, requestTimeout: 0 });
    expect(mssqlClientConfig(new URL("mssql://u:pw@h/db?domain=CORP"))).toMatchObject({ domain: "CORP", user: "u" });
  });

  it("bad parameters are config errors that never show the password", () => {
    const password = "Mssql-Url-Secret-1";
    for (const [query, text] of [
      ["?encrypted=true", 'unknown SQL Server URL parameter "encrypted"'],
      ["?encrypt=maybe", 'encrypt must be true or false (got "maybe")'],
      ["?connect_timeout=soon", "connect_timeout must be a number of seconds"],
    ]) {
      let caught: unknown;
      try {
        mssqlClientConfig(new URL(`mssql://etl:${password}@host/db${query}`));
      } catch (error) {
        caught = error;
      }
      expect(isDataBridgeError(caught) && caught.kind).toBe("config");
      expect((caught as Error).message).toContain(text);
      expect((caught as Error).message).not.toContain(password);
    }
    expect(() => mssqlClientConfig(new URL("mssql://u:pw@host:1444/db?instanceName=X"))).toThrow("either a port or an instance, not both");
  });
});

describe("mssqlConnectorFactory against the real driver", () => {
  it("loads the driver lazily: importing the connector loads neither mssql nor tedious, create() does", async () => {
    // A fresh process, so no other test has loaded the driver yet; jiti runs the TypeScript sources as the CLI does.
    const script = `
      const { createJiti } = require(require.resolve("jiti", { paths: [process.argv[1]] }));
      const drivers = () => Object.keys(require.cache).filter((k) => k.includes("node_modules") && /[\\\\/](mssql|tedious)[\\\\/]/.test(k)).length;
      (async () => {
        const { mssqlConnectorFactory } = await createJiti(process.argv[2]).import(process.argv[2]);
        const before = drivers();
        await mssqlConnectorFactory.create({ name: "x", url: new URL("mssql://u:pw@127.0.0.1:" + process.argv[3] + "/db?encrypt=false&connect_timeout=3"), baseDir: "." }).catch(() => {});
        console.log(JSON.stringify({ before, after: drivers() }));
      })();`;
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script, fileURLToPath(new URL("../../..", import.meta.url)), fileURLToPath(new URL("./index.ts", import.meta.url)), String(await closedPort())]);
    const { before, after } = JSON.parse(stdout) as { before: number; after: number };
    expect(before).toBe(0);
    expect(after).toBeGreaterThan(0);
  });

  it("an unreachable server fails fast with a transient error naming the connection, never the password", async () => {
    const port = await closedPort();
    const password = "Unreachable-Mssql-Pw-9";
    const error = await failure(mssqlConnectorFactory.create({
      name: "legacy_erp", url: new URL(`mssql://etl:${password}@127.0.0.1:${port}/Sales?encrypt=false&connect_timeout=3`), baseDir: process.cwd(),
    }));
    expect(error.kind).toBe("transient");
    expect(error.context.connection).toBe("legacy_erp");
    expect(error.context.code).toBe("ESOCKET");
    expect(error.message).toContain(`cannot connect to SQL Server at 127.0.0.1:${port}/Sales`);
    expect(error.toLine()).toMatch(/^connection legacy_erp: cannot connect to SQL Server/);
    expect(error.message).not.toContain(password);
    expect(error.toLine()).not.toContain(password);
    expect(String((error.cause as Error).message)).not.toContain(password);
  });

  it("a bad URL parameter fails before any network use, with the connection named", async () => {
    const error = await failure(mssqlConnectorFactory.create({ name: "erp", url: new URL("mssql://u:secret-pw@127.0.0.1/db?colour=blue"), baseDir: process.cwd() }));
    expect(error.kind).toBe("config");
    expect(error.toLine()).toBe('connection erp: unknown SQL Server URL parameter "colour" (fix: use encrypt, trustServerCertificate, instanceName, connect_timeout, request_timeout, domain)');
  });

  it("is a built-in connector for mssql: and sqlserver: URLs, reached through a workspace's connections", async () => {
    const registry = createRegistry();
    expect(registry.connectorsByScheme.get("mssql")).toBe(mssqlConnectorFactory);
    expect(registry.connectorsByScheme.get("sqlserver")).toBe(mssqlConnectorFactory);
    const port = await closedPort();
    const connections = new ConnectionManager({ connections: { erp: { url: "mssql://etl@127.0.0.1/Sales" } } }, registry, process.cwd(), {
      DATABRIDGE_CONN_ERP: `sqlserver://etl:Env-Mssql-Pw-4@127.0.0.1:${port}/Sales?encrypt=false&connect_timeout=3`,
    });
    const error = await failure(connections.get("erp"));
    expect(error.kind).toBe("transient");
    expect(error.toLine()).toContain(`connection erp (URL from DATABRIDGE_CONN_ERP): cannot connect to SQL Server at 127.0.0.1:${port}/Sales`);
    expect(error.toLine()).toMatch(/\(fix: check the host and port in DATABRIDGE_CONN_ERP, and that the server is running\)$/);
    expect(error.toLine()).not.toContain("Env-Mssql-Pw-4");
    await connections.closeAll();
  });
});
