import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { randomBytes } from "node:crypto";

/**
 * A PostgreSQL server of the test's own: a real cluster (Debian's pg_createcluster) on a free port,
 * trust auth on loopback. Tests that restart or stop PostgreSQL use one, so suites running in
 * parallel against the shared server never see it go away.
 */
export interface ScratchPostgres {
  port: number;
  /** `pg_ctlcluster` arguments for an action on this cluster (for a child process that stops or starts it). */
  ctlArgs(action: string, ...options: string[]): string[];
  /** URL of a database on this server (default `postgres`). */
  url(database?: string): string;
  restart(): void;
  start(): void;
  stop(): void;
  /** Stops and removes the cluster (data and config). */
  drop(): void;
}

const run = (command: string, args: string[]) => execFileSync(command, args, { stdio: "pipe", timeout: 120_000 });

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

/** The installed PostgreSQL major version, when Debian's cluster tools are there. */
export function postgresVersion(): string | undefined {
  if (!fs.existsSync("/etc/postgresql")) return undefined;
  try {
    run("which", ["pg_createcluster"]);
  } catch {
    return undefined;
  }
  return fs.readdirSync("/etc/postgresql").sort().pop();
}

/** `settings`: server parameters of the cluster (`postgresql.conf`), e.g. to keep commits in WAL buffers longer. */
export async function createScratchPostgres(settings: Record<string, string> = {}): Promise<ScratchPostgres> {
  const version = postgresVersion();
  if (!version) throw new Error("pg_createcluster (Debian postgresql-common) is not available");
  const name = `dbtscratch_${randomBytes(4).toString("hex")}`;
  const port = await freePort();
  const options = Object.entries(settings).flatMap(([key, value]) => ["-o", `${key}=${value}`]);
  run("pg_createcluster", [version, name, "-p", String(port), ...options, "--", "--auth=trust"]);
  const ctlArgs = (action: string, ...extra: string[]) => ["--skip-systemctl-redirect", version, name, action, ...extra];
  const ctl = (action: string) => run("pg_ctlcluster", ctlArgs(action));
  ctl("start");
  return {
    port,
    ctlArgs,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    restart: () => ctl("restart"),
    start: () => ctl("start"),
    stop: () => ctl("stop"),
    drop: () => run("pg_dropcluster", [version, name, "--stop"]),
  };
}
