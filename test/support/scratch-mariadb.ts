import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import mysql from "mysql2/promise";

/**
 * A MariaDB server of the test's own (a fresh data directory on a free port, root without a password on
 * 127.0.0.1), for what the shared server must not be changed for: its default time zone, a restart.
 */
export interface ScratchMariadb {
  port: number;
  /** URL of a database on this server (none: the server itself). */
  url(database?: string): string;
  /** Loads a zone from the system's zoneinfo and makes it the server's default for new sessions. */
  setDefaultTimeZone(zone: string): Promise<void>;
  /** Stops the server and removes its data directory. */
  drop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when this machine can run a private MariaDB (Debian's mariadb-server binaries). */
export function canRunScratchMariadb(): boolean {
  try {
    execFileSync("which", ["mariadbd", "mariadb-install-db", "mariadb-tzinfo-to-sql"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

/** Resolves once the server answers on its port; rejects if the process exits first or after `timeoutMs`. */
async function answering(child: ChildProcess, port: number, log: string, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = `mariadbd exited (code ${code}, signal ${signal})`));
  for (;;) {
    if (exited) throw new Error(`${exited}: ${fs.existsSync(log) ? fs.readFileSync(log, "utf8").slice(-2000) : ""}`);
    try {
      const connection = await mysql.createConnection({ host: "127.0.0.1", port, user: "root", connectTimeout: 1000 });
      await connection.end();
      return;
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw new Error(`mariadbd on port ${port} did not answer within ${timeoutMs} ms: ${(error as Error).message}`);
      // The server is still starting (connection refused): ask again shortly.
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

export async function createScratchMariadb(): Promise<ScratchMariadb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbt-mariadb-"));
  const dataDir = path.join(dir, "data");
  const socket = path.join(dir, "mariadb.sock");
  const log = path.join(dir, "error.log");
  const port = await freePort();
  try {
    // mariadb-install-db and the server run as the mysql user: it must own everything they write.
    execFileSync("chown", ["mysql", dir]);
    execFileSync("mariadb-install-db", [`--datadir=${dataDir}`, "--user=mysql", "--auth-root-authentication-method=normal", "--skip-test-db"], { stdio: "pipe", timeout: 120_000 });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const child = spawn("mariadbd", [
    "--no-defaults", `--datadir=${dataDir}`, `--port=${port}`, "--bind-address=127.0.0.1", `--socket=${socket}`, "--user=mysql",
    "--skip-log-bin", "--innodb-buffer-pool-size=16M", `--log-error=${log}`,
  ], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await answering(child, port, log);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const admin = () => mysql.createConnection({ host: "127.0.0.1", port, user: "root", multipleStatements: true });
  return {
    port,
    url: (database = "") => `mysql://root@127.0.0.1:${port}/${database}`,
    async setDefaultTimeZone(zone) {
      const sql = execFileSync("mariadb-tzinfo-to-sql", [path.join("/usr/share/zoneinfo", zone), zone], { stdio: ["ignore", "pipe", "pipe"] }).toString();
      const connection = await admin();
      try {
        await connection.query(`USE mysql; ${sql}`);
        // The global value is what every new session starts with: the server's default zone.
        await connection.query("SET GLOBAL time_zone = ?", [zone]);
      } finally {
        await connection.end();
      }
    },
    async drop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
