import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { isDataBridgeError, type DataBridgeError } from "../../errors.js";
import { ConnectionManager } from "../../workspace/connections.js";
import { createRegistry } from "../../workspace/registry.js";
import { ORACLE_SESSION_SQL, oracleCatalogTables, oracleClientConfig, oracleConnectorFactory, withLowerCaseAliases } from "./oracle-connector.js";

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

function configFailure(url: string): DataBridgeError {
  try {
    oracleClientConfig(new URL(url));
  } catch (error) {
    if (isDataBridgeError(error)) return error;
    throw error;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe("oracleClientConfig (driver config from the URL)", () => {
  it("an Easy Connect string host:port/service, user and password as separate fields", () => {
    expect(oracleClientConfig(new URL("oracle://scott:t%40ger%2Fx@db.example.com:1521/ORCLPDB1"))).toEqual({
      user: "scott", password: "t@ger/x", connectString: "db.example.com:1521/ORCLPDB1", connectTimeout: 15, transportConnectTimeout: 15, retryCount: 0,
    });
  });

  it("default port 1521, IPv6 hosts, a service name with a domain", () => {
    expect(oracleClientConfig(new URL("oracle://app@dbhost/sales.example.com")).connectString).toBe("dbhost:1521/sales.example.com");
    expect(oracleClientConfig(new URL("oracle://app@[::1]:1522/FREEPDB1")).connectString).toBe("[::1]:1522/FREEPDB1");
  });

  it("?sid= builds a connect descriptor; ssl=true uses TCPS (default port 2484); connect_timeout in whole seconds", () => {
    expect(oracleClientConfig(new URL("oracle://app:pw@old-db:1521?sid=ORCL")).connectString)
      .toBe("(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=old-db)(PORT=1521))(CONNECT_DATA=(SID=ORCL)))");
    expect(oracleClientConfig(new URL("oracle://app:pw@secure-db/ORCLPDB1?ssl=true")).connectString).toBe("tcps://secure-db:2484/ORCLPDB1");
    expect(oracleClientConfig(new URL("oracle://app:pw@h/S?connect_timeout=2.5"))).toMatchObject({ connectTimeout: 3, transportConnectTimeout: 3 });
  });

  it("missing or conflicting service names and bad parameters are config errors that never show the password", () => {
    const password = "Oracle-Url-Secret-7";
    const cases: [string, string][] = [
      [`oracle://scott:${password}@db:1521`, "an Oracle URL needs a service name"],
      [`oracle://scott:${password}@db:1521/ORCLPDB1?sid=ORCL`, "either a service (its path) or a SID (?sid=), not both"],
      [`oracle://scott:${password}@db/ORCLPDB1?service=X`, 'unknown Oracle URL parameter "service"'],
      [`oracle://scott:${password}@db/ORCLPDB1?ssl=perhaps`, 'ssl must be true or false (got "perhaps")'],
      [`oracle://scott:${password}@db/ORCLPDB1?connect_timeout=0`, "connect_timeout must be a number of seconds"],
      [`oracle://scott:${password}@db/ORCL%20PDB`, "cannot contain spaces, parentheses or '='"],
    ];
    for (const [url, text] of cases) {
      const error = configFailure(url);
      expect(error.kind).toBe("config");
      expect(error.toLine()).toContain(text);
      expect(error.toLine()).not.toContain(password);
    }
  });

  it("sets the date, timestamp and number formats on every new session", () => {
    expect(ORACLE_SESSION_SQL).toBe(
      "ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS' NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF' "
      + "NLS_TIMESTAMP_TZ_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF TZH:TZM' NLS_NUMERIC_CHARACTERS = '.,'",
    );
  });
});

describe("oracleConnectorFactory against the real driver (thin mode)", () => {
  it("loads the driver lazily: importing the connector does not load oracledb, create() does", async () => {
    // A fresh process, so no other test has loaded the driver yet; jiti runs the TypeScript sources as the CLI does.
    const script = `
      const { createJiti } = require(require.resolve("jiti", { paths: [process.argv[1]] }));
      const drivers = () => Object.keys(require.cache).filter((k) => k.includes("node_modules") && /[\\\\\\\\/]oracledb[\\\\\\\\/]/.test(k)).length;
      (async () => {
        const { oracleConnectorFactory } = await createJiti(process.argv[2]).import(process.argv[2]);
        const before = drivers();
        await oracleConnectorFactory.create({ name: "x", url: new URL("oracle://u:pw@127.0.0.1:" + process.argv[3] + "/FREEPDB1?connect_timeout=3"), baseDir: "." }).catch(() => {});
        console.log(JSON.stringify({ before, after: drivers() }));
      })();`;
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script, fileURLToPath(new URL("../../..", import.meta.url)), fileURLToPath(new URL("./index.ts", import.meta.url)), String(await closedPort())]);
    const { before, after } = JSON.parse(stdout) as { before: number; after: number };
    expect(before).toBe(0);
    expect(after).toBeGreaterThan(0);
  });

  it("an unreachable listener fails fast with a transient error naming the connection, never the password", async () => {
    const port = await closedPort();
    const password = "Unreachable-Oracle-Pw-3";
    const error = await failure(oracleConnectorFactory.create({
      name: "legacy_oracle", url: new URL(`oracle://scott:${password}@127.0.0.1:${port}/ORCLPDB1?connect_timeout=3`), baseDir: process.cwd(),
    }));
    expect(error.kind).toBe("transient");
    expect(error.context.connection).toBe("legacy_oracle");
    expect(error.context.code).toBe("NJS-503");
    expect(error.message).toContain(`cannot connect to Oracle at 127.0.0.1:${port}/ORCLPDB1`);
    expect(error.toLine()).toMatch(/^connection legacy_oracle: cannot connect to Oracle/);
    expect(error.message).not.toContain(password);
    expect(error.toLine()).not.toContain(password);
    expect(String((error.cause as Error).message)).not.toContain(password);
  });

  it("a bad URL fails before any network use, with the connection named", async () => {
    const error = await failure(oracleConnectorFactory.create({ name: "ora", url: new URL("oracle://u:secret-pw@127.0.0.1:1521"), baseDir: process.cwd() }));
    expect(error.kind).toBe("config");
    expect(error.toLine()).toBe("connection ora: an Oracle URL needs a service name (fix: use oracle://user@host:1521/SERVICE_NAME (e.g. ORCLPDB1), or ?sid=SID for an old SID)");
  });
});

describe("registration", () => {
  it("is the built-in connector for oracle: URLs, reached through a workspace's connections", async () => {
    const registry = createRegistry();
    expect(registry.connectorsByScheme.get("oracle")).toBe(oracleConnectorFactory);
    const port = await closedPort();
    const connections = new ConnectionManager({ connections: { ledger: { url: `oracle://app:Cfg-Oracle-Pw-5@127.0.0.1:${port}/FREEPDB1?connect_timeout=3` } } }, registry, process.cwd(), {});
    const error = await failure(connections.get("ledger"));
    expect(error.kind).toBe("transient");
    expect(error.toLine()).toContain(`connection ledger (URL from databridge.config.ts): cannot connect to Oracle at 127.0.0.1:${port}/FREEPDB1`);
    expect(error.toLine()).toMatch(/\(fix: check the host and port in databridge\.config\.ts, and that the server is running\)$/);
    expect(error.toLine()).not.toContain("Cfg-Oracle-Pw-5");
    await connections.closeAll();
  });
});

describe("query rows and the catalog", () => {
  it("rows also answer to the lower-case spelling of Oracle's upper-case aliases (not enumerated)", () => {
    const rows = withLowerCaseAliases([{ N: "12", Mixed: 1, id: 5, ID: 6 }], ["N", "Mixed", "id", "ID"]);
    expect((rows[0] as Record<string, unknown>).n).toBe("12");
    expect(Object.keys(rows[0])).toEqual(["N", "Mixed", "id", "ID"]);
    expect(rows[0].id).toBe(5);
    expect((rows[0] as Record<string, unknown>).mixed).toBeUndefined();
  });

  it("assembles tables, views, columns, keys, indexes and NUM_ROWS from the ALL_* rows", () => {
    const tables = oracleCatalogTables({
      tables: [
        { schema_name: "LEGACY", table_name: "ORDERS", kind: "TABLE", estimated_rows: "48210" },
        { schema_name: "LEGACY", table_name: "ORDER_LINES", kind: "TABLE", estimated_rows: null },
        { schema_name: "LEGACY", table_name: "OPEN_ORDERS", kind: "VIEW", estimated_rows: null },
      ],
      columns: [
        { schema_name: "LEGACY", table_name: "ORDERS", column_name: "ID", data_type: "NUMBER", data_precision: "10", data_scale: "0", data_length: "22", char_length: "0", char_used: null, nullable: "N", data_default: null, identity_column: "YES" },
        { schema_name: "LEGACY", table_name: "ORDERS", column_name: "TOTAL", data_type: "NUMBER", data_precision: "12", data_scale: "2", data_length: "22", char_length: "0", char_used: null, nullable: "Y", data_default: "0 \n", identity_column: "NO" },
        { schema_name: "LEGACY", table_name: "ORDERS", column_name: "CREATED", data_type: "DATE", data_precision: null, data_scale: null, data_length: "7", char_length: "0", char_used: null, nullable: "Y", data_default: "SYSDATE", identity_column: "NO" },
        { schema_name: "LEGACY", table_name: "ORDERS", column_name: "NOTE", data_type: "VARCHAR2", data_precision: null, data_scale: null, data_length: "400", char_length: "100", char_used: "C", nullable: "Y", data_default: "NULL", identity_column: "NO" },
        { schema_name: "LEGACY", table_name: "ORDER_LINES", column_name: "ORDER_ID", data_type: "NUMBER", data_precision: "10", data_scale: "0", data_length: "22", char_length: "0", char_used: null, nullable: "N", data_default: null, identity_column: "NO" },
        { schema_name: "LEGACY", table_name: "ORDER_LINES", column_name: "LINE_NO", data_type: "NUMBER", data_precision: "4", data_scale: "0", data_length: "22", char_length: "0", char_used: null, nullable: "N", data_default: null, identity_column: "NO" },
        { schema_name: "LEGACY", table_name: "OPEN_ORDERS", column_name: "ID", data_type: "NUMBER", data_precision: "10", data_scale: "0", data_length: "22", char_length: "0", char_used: null, nullable: "N", data_default: null, identity_column: "NO" },
      ],
      constraints: [
        { schema_name: "LEGACY", table_name: "ORDERS", constraint_name: "PK_ORDERS", constraint_type: "P", column_name: "ID", referenced_schema: null, referenced_table: null, referenced_column: null },
        { schema_name: "LEGACY", table_name: "ORDER_LINES", constraint_name: "FK_LINES_ORDERS", constraint_type: "R", column_name: "ORDER_ID", referenced_schema: "LEGACY", referenced_table: "ORDERS", referenced_column: "ID" },
        { schema_name: "LEGACY", table_name: "ORDER_LINES", constraint_name: "PK_ORDER_LINES", constraint_type: "P", column_name: "ORDER_ID", referenced_schema: null, referenced_table: null, referenced_column: null },
        { schema_name: "LEGACY", table_name: "ORDER_LINES", constraint_name: "PK_ORDER_LINES", constraint_type: "P", column_name: "LINE_NO", referenced_schema: null, referenced_table: null, referenced_column: null },
      ],
      indexes: [
        { schema_name: "LEGACY", table_name: "ORDERS", index_name: "IX_ORDERS_CREATED", uniqueness: "NONUNIQUE", column_name: "CREATED" },
        { schema_name: "LEGACY", table_name: "ORDERS", index_name: "PK_ORDERS", uniqueness: "UNIQUE", column_name: "ID" },
      ],
    });
    expect(tables.map((t) => [t.name, t.kind, t.estimatedRows])).toEqual([["ORDERS", "table", 48210], ["ORDER_LINES", "table", null], ["OPEN_ORDERS", "view", null]]);
    const [orders, lines, view] = tables;
    expect(orders.columns).toEqual([
      { name: "ID", nativeType: "NUMBER(10)", type: { kind: "bigint" }, nullable: false, default: null, generated: true, identity: true },
      { name: "TOTAL", nativeType: "NUMBER(12,2)", type: { kind: "decimal", precision: 12, scale: 2 }, nullable: true, default: "0", generated: false },
      { name: "CREATED", nativeType: "DATE", type: { kind: "timestamp" }, nullable: true, default: "SYSDATE", generated: false },
      { name: "NOTE", nativeType: "VARCHAR2(100 CHAR)", type: { kind: "string", length: 100 }, nullable: true, default: null, generated: false },
    ]);
    expect(orders.primaryKey).toEqual(["ID"]);
    expect(orders.indexes).toEqual([{ name: "IX_ORDERS_CREATED", columns: ["CREATED"], unique: false }, { name: "PK_ORDERS", columns: ["ID"], unique: true }]);
    expect(lines.primaryKey).toEqual(["ORDER_ID", "LINE_NO"]);
    expect(lines.columns.map((c) => c.type.kind)).toEqual(["bigint", "smallint"]);
    expect(lines.foreignKeys).toEqual([{ name: "FK_LINES_ORDERS", columns: ["ORDER_ID"], referencedTable: { schema: "LEGACY", name: "ORDERS" }, referencedColumns: ["ID"] }]);
    expect(view.columns.map((c) => c.name)).toEqual(["ID"]);
  });
});
