import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, REPO_ROOT, runCli, type CliResult, type TestWorkspace } from "./harness.js";

/**
 * The CLI says what is true, in one line, with the fix: runs are listed from the ledgers and an unknown run id
 * is a usage error; connection failures name the connection, its role and where its URL came from; `check`
 * and `plan` judge pipelines against the whole workspace and the live target (casts, unique keys), place every
 * problem at file:line:column and translate the generated types' errors; syntax errors say where they are.
 */
const servers = await requireServers("mariadb", "postgres");

const TSCONFIG = {
  compilerOptions: { target: "ES2022", module: "ESNext", moduleResolution: "Bundler", strict: true, noEmit: true, skipLibCheck: true, allowImportingTsExtensions: true },
  include: ["databridge.config.ts", "pipelines/**/*.ts", "checks/**/*.ts", ".databridge/types/**/*.d.ts"],
};

const file = (definition: string, imports = "pipeline") => `import { ${imports} } from "@databridge/core";\nexport default pipeline(${definition});\n`;

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** No stack frames anywhere; the stderr lines matching `pattern`, expected to be exactly one. */
function oneLine(result: CliResult, pattern: RegExp): string {
  expect(`${result.stdout}\n${result.stderr}`).not.toMatch(/\n\s+at /);
  const lines = result.stderr.split("\n").filter((line) => pattern.test(line));
  expect(lines, result.stderr).toHaveLength(1);
  return lines[0];
}

/** 1-based line:column of the first occurrence of `needle` in a file. */
function positionOf(filePath: string, needle: string): string {
  const text = fs.readFileSync(filePath, "utf8");
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`${needle} not in ${filePath}`);
  const before = text.slice(0, index).split("\n");
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

interface LedgerRun {
  runId: string;
  pipelines: string[];
  status: string;
  startedAt: string;
  finishedAt: string | null;
  rows: { read: number; written: number; rejected: number; deleted: number };
  error: string | null;
  targets: string[];
}

describe.skipIf(!servers)("an honest CLI (MariaDB → PostgreSQL)", () => {
  const PASSWORD = "Honest-Cli-Pw-3141";
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: TestWorkspace;
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: workspace.dir, env });
  const inChecks = (name: string, text: string) => {
    const filePath = path.join(workspace.dir, "checks", `${name}.etl.ts`);
    fs.writeFileSync(filePath, text);
    return filePath;
  };
  const runsJson = async (args: string[] = []) => {
    const result = await cli(["runs", "--json", ...args]);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as LedgerRun[];
  };

  beforeAll(async () => {
    source = await createMariadbDatabase("dbt_honest_src");
    target = await createPostgresDatabase("dbt_honest_dst");
    await source.query("CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(50) NULL, city VARCHAR(30) NULL, born INT NULL)");
    await source.query("INSERT INTO people VALUES (1, 'Ann', 'Oslo', 1990), (2, NULL, '(1,2)', NULL), (3, 'Bartholomew', 'Rome', 1985), (4, 'Zoë', 'Åre', 2001)");
    await target.query(`
      CREATE TABLE people (id integer PRIMARY KEY, name varchar(8), city text);
      CREATE TABLE people_copy (id integer PRIMARY KEY, name text);
      CREATE TABLE named (id integer NOT NULL, name text NOT NULL, CONSTRAINT named_id UNIQUE (id));
      CREATE TABLE geo (id integer PRIMARY KEY, p point);
      CREATE TABLE dates (id integer PRIMARY KEY, d date, born bigint);
      CREATE TABLE nokey (id integer, name text)`);
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url }, "databridge-honest-");
    fs.mkdirSync(path.join(workspace.dir, "checks"));
    fs.writeFileSync(path.join(workspace.dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    workspace.pipeline("people", file(`{
  name: "people",
  source: { connection: "legacy", table: "people" },
  target: { connection: "warehouse", table: "public.people", mode: "upsert" },
  columns: { id: "id", name: "name", city: "city" },
  onError: "skip",
}`));
    workspace.pipeline("other", file(`{
  name: "other",
  source: { connection: "legacy", table: "people" },
  target: { connection: "warehouse", table: "public.people_copy", mode: "insert" },
  columns: { id: "id", name: "name" },
}`));
    // A query source (its columns always say "nullable") into NOT NULL columns with a unique constraint that is not the primary key.
    workspace.pipeline("later", file(`{
  name: "later",
  dependsOn: ["people"],
  source: { connection: "legacy", query: "SELECT id, name FROM people WHERE name IS NOT NULL", key: "id" },
  target: { connection: "warehouse", table: "public.named", mode: "upsert", key: "id" },
  columns: { id: "id", name: "name" },
}`));
  });

  afterAll(async () => {
    workspace?.remove();
    await source?.drop();
    await target?.drop();
  });

  it("--version prints the CLI's version", async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "server", "package.json"), "utf8")) as { version: string };
    const result = await cli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${version}\n`);
  });

  it("runs lists nothing before the first run, and `last` then is a usage error naming the ledger", async () => {
    const none = await cli(["runs"]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toBe("no runs in the ledger of warehouse\n");
    const last = await cli(["errors", "last"]);
    expect(last.code).toBe(2);
    expect(oneLine(last, /no runs/)).toBe("error: no runs yet in the ledger of warehouse (fix: `databridge run` records one)");
  });

  it("run: the summary alone on stdout, progress and stage results on stderr", async () => {
    const result = await cli(["run", "people"]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toMatch(/^Run \S+ succeeded_with_rejects: read 4, written 3, rejected 1 in .+\n$/);
    expect(result.stderr).toContain("▶ people: legacy:");
    expect(result.stderr).toMatch(/^⚠ people: succeeded_with_rejects · read 4 · written 3 · rejected 1/m);
    expect(result.stderr).not.toContain("Run ");
  });

  it("runs lists runs newest first from the ledger (filters, limit, JSON); errors/replay/rollback take `last`, and an unknown run exits 2 in one line", async () => {
    const [first] = await runsJson();
    expect(first).toMatchObject({
      pipelines: ["people"], status: "succeeded_with_rejects", rows: { read: 4, written: 3, rejected: 1, deleted: 0 }, error: null, targets: ["warehouse"],
    });
    expect(Date.parse(first.startedAt)).toBeLessThanOrEqual(Date.parse(first.finishedAt!));

    const second = await cli(["run", "other", "--json"]);
    expect(second.code, second.stderr).toBe(0);
    const secondId = second.events[0].runId;
    const both = await runsJson();
    expect(both.map((r) => r.runId)).toEqual([secondId, first.runId]);
    expect(both[0]).toMatchObject({ pipelines: ["other"], status: "succeeded", rows: { read: 4, written: 4, rejected: 0, deleted: 0 } });
    expect((await runsJson(["--pipeline", "people"])).map((r) => r.runId)).toEqual([first.runId]);
    expect((await runsJson(["--status", "succeeded"])).map((r) => r.runId)).toEqual([secondId]);
    expect((await runsJson(["--limit", "1"])).map((r) => r.runId)).toEqual([secondId]);
    const table = await cli(["runs"]);
    expect(table.stdout).toMatch(/^run\s+pipelines\s+status\s+started \(UTC\)\s+finished \(UTC\)\s+read\s+written\s+rejected\s+deleted\s+error$/m);
    expect(table.stdout).toMatch(new RegExp(`^${secondId}\\s+other\\s+succeeded\\s`, "m"));
    expect(table.stdout).toMatch(new RegExp(`^${first.runId}\\s+people\\s+succeeded_with_rejects\\s`, "m"));
    const badStatus = await cli(["runs", "--status", "faild"]);
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toContain('(did you mean "failed"?)');

    const latest = await cli(["errors", "last"]);
    expect(latest.code, latest.stderr).toBe(0);
    expect(latest.stdout).toBe(`run ${secondId}: no rejected rows\n`);
    const rejected = await cli(["errors", first.runId, "--json"]);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect((JSON.parse(rejected.stdout) as { key: unknown[]; column: string }[]).map((r) => [r.key, r.column])).toEqual([[[3], "name"]]);

    for (const command of ["errors", "replay", "rollback"]) {
      const unknown = await cli([command, "20990101T000000-nope"]);
      expect(unknown.code, `${command}: ${unknown.stdout}${unknown.stderr}`).toBe(2);
      expect(unknown.stdout).toBe("");
      expect(oneLine(unknown, /nope/)).toBe("error: no run 20990101T000000-nope in the ledger of warehouse; `databridge runs` lists them");
    }

    const undo = await cli(["rollback", "last"]);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toMatch(/^↩ other \(insert into public\.people_copy\): 4 rows removed/);
    expect((await runsJson()).map((r) => [r.runId, r.status])).toEqual([[secondId, "rolled_back"], [first.runId, "succeeded_with_rejects"]]);
    const { rows } = await target.query("SELECT count(*)::int AS n FROM people_copy");
    expect(rows[0].n).toBe(0);
  });

  it("a connection that does not open: one line naming the connection, its role, where its URL came from and the fix; never the password", async () => {
    const legacy = new URL(source.url);
    legacy.password = PASSWORD;
    const badPassword = await cli(["run", "people"], { DATABRIDGE_CONN_LEGACY: legacy.href });
    expect(badPassword.code).toBe(1);
    expect(oneLine(badPassword, /Access denied/)).toMatch(
      /^ {2}pipeline people, connection legacy \(source, URL from DATABRIDGE_CONN_LEGACY\): Access denied for user 'root'@'[^']+' \(using password: YES\) \(fix: check the user and password in DATABRIDGE_CONN_LEGACY\)$/);

    const role = new URL(target.url);
    role.username = "no_such_role";
    role.password = PASSWORD;
    const badRole = await cli(["run", "people", "--json"], { DATABRIDGE_CONN_WAREHOUSE: role.href });
    expect(badRole.code).toBe(1);
    expect(badRole.events.at(-1)).toMatchObject({ type: "run.finished", status: "failed" });
    expect((badRole.events.at(-1) as { error: string }).error).toBe(
      'pipeline people, connection warehouse (target, URL from DATABRIDGE_CONN_WAREHOUSE): role "no_such_role" does not exist (fix: check the user and password in DATABRIDGE_CONN_WAREHOUSE)');

    const noDatabase = new URL(target.url);
    noDatabase.pathname = "/dbt_honest_no_such_database";
    const missing = await cli(["errors", "last"], { DATABRIDGE_CONN_WAREHOUSE: noDatabase.href });
    expect(missing.code).toBe(1);
    expect(oneLine(missing, /does not exist/)).toBe(
      'error: connection warehouse (target, URL from DATABRIDGE_CONN_WAREHOUSE): database "dbt_honest_no_such_database" does not exist (fix: check the database name in DATABRIDGE_CONN_WAREHOUSE)');

    for (const result of [badPassword, badRole, missing]) {
      const output = result.stdout + result.stderr;
      expect(output).not.toContain(PASSWORD);
      expect(output).not.toContain(source.url);
      expect(output).not.toContain(target.url);
    }

    // A URL from the config pointing where nothing listens: plan says the same, as a problem of the pipeline.
    const port = await closedPort();
    const elsewhere = createWorkspace({ legacy: source.url, warehouse: `postgres://postgres@127.0.0.1:${port}/db` }, "databridge-honest-closed-");
    try {
      elsewhere.pipeline("people", fs.readFileSync(path.join(workspace.dir, "pipelines", "people.etl.ts"), "utf8"));
      const unreachable = await runCli(["run", "people"], { cwd: elsewhere.dir });
      expect(unreachable.code).toBe(1);
      expect(oneLine(unreachable, /ECONNREFUSED/)).toBe(
        `  pipeline people, connection warehouse (target, URL from databridge.config.ts): connect ECONNREFUSED 127.0.0.1:${port} (fix: check the host and port in databridge.config.ts, and that the server is running)`);
      const plan = await runCli(["plan", "people"], { cwd: elsewhere.dir });
      expect(plan.code).toBe(1);
      expect(plan.stdout).toContain(
        `error [unreachable-connection] pipeline people: connection warehouse (target, URL from databridge.config.ts): connect ECONNREFUSED 127.0.0.1:${port} (fix: check the host and port in databridge.config.ts, and that the server is running)`);
    } finally {
      elsewhere.remove();
    }
  });

  it("check and plan accept a subset whose dependsOn names a pipeline outside it, and still catch a misspelled dependency", async () => {
    for (const command of ["check", "plan"]) {
      const subset = await cli([command, "later"]);
      expect(subset.code, `${command}: ${subset.stdout}${subset.stderr}`).toBe(0);
      expect(subset.stdout).not.toContain("unknown-dependency");
      // A query's result columns always say "nullable": no claim that NULLs reach the NOT NULL column.
      expect(subset.stdout).not.toContain("lossy-nullability");
    }
    const typo = inChecks("deps", file(`{
  name: "deps",
  dependsOn: ["peple"],
  source: { connection: "legacy", table: "people" },
  target: { connection: "warehouse", table: "public.people_copy" },
  columns: { id: "id", name: "name" },
}`));
    // The same NOT NULL column from a table's nullable column is still a warning.
    const nullable = inChecks("nullable", file(`{
  name: "nullable",
  source: { connection: "legacy", table: "people" },
  target: { connection: "warehouse", table: "public.named", mode: "upsert" },
  columns: { id: "id", name: "name" },
}`));
    const checked = await cli(["check", typo, nullable]);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain(`checks/deps.etl.ts:${positionOf(typo, '"peple"')}: error [unknown-dependency] pipeline deps: dependsOn names unknown pipeline "peple" (did you mean "people"?)`);
    expect(checked.stdout).toContain(`checks/nullable.etl.ts:${positionOf(nullable, '"name" }')}: warning [lossy-nullability] pipeline nullable, table public.named, column name: nullable source into NOT NULL column`);
  });

  it("check asks PostgreSQL whether the cast exists: varchar → point warns, integer → date fails, matching types pass", async () => {
    const geo = inChecks("geo", file(`{
  name: "geo",
  source: { connection: "legacy", table: "people" },
  target: { connection: "warehouse", table: "public.geo" },
  columns: { id: "id", p: "city" },
}`));
    const point = await cli(["check", geo]);
    expect(point.code, point.stdout).toBe(1);
    expect(point.stdout.split("\n").filter(Boolean)).toEqual([
      `checks/geo.etl.ts:${positionOf(geo, '"city"')}: warning [incompatible-type] pipeline geo, table public.geo, column p: varchar(30) → point: PostgreSQL has no cast from character varying to point, so only values that happen to be valid point input load and the others are rejected (fix: map a column of a matching type, or change the target column's type)`,
      "1 problem found",
    ]);
    const dates = inChecks("dates", file(`{
  name: "dates",
  source: { connection: "legacy", table: "people" },
  target: { connection: "warehouse", table: "public.dates" },
  columns: { id: "id", d: "born", born: "born" },
}`));
    const date = await cli(["check", dates, "--json"]);
    expect(date.code).toBe(1);
    const { problems } = JSON.parse(date.stdout) as { problems: { severity: string; code: string; column: string; message: string }[] };
    expect(problems.map((p) => [p.severity, p.code, p.column])).toEqual([["error", "incompatible-type", "d"]]);
    expect(problems[0].message).toMatch(/^int\(11\) → date: PostgreSQL has no cast from integer to date, so every row would be rejected/);
    const plan = await cli(["plan", dates]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain("error [incompatible-type] pipeline dates, table public.dates, column d: int(11) → date");
  });

  it("an upsert needs a unique constraint on its key: check fails at the key, run refuses before writing; update only warns", async () => {
    const upsert = inChecks("nokey", file(`{
  name: "nokey",
  source: { connection: "legacy", table: "people" },
  target: { connection: "warehouse", table: "public.nokey", mode: "upsert", key: "id" },
  columns: { id: "id", name: "name" },
}`));
    const refused = await cli(["run", upsert]);
    expect(refused.code).toBe(2);
    expect(oneLine(refused, /unique constraint/)).toMatch(/pipeline nokey, table public\.nokey, column id: upsert needs a unique constraint on public\.nokey \(id\)/);
    const { rows } = await target.query("SELECT count(*)::int AS n FROM nokey");
    expect(rows[0].n).toBe(0);

    const update = inChecks("nokey-update", file(`{
  name: "nokey-update",
  source: { connection: "legacy", table: "people" },
  target: { connection: "warehouse", table: "public.nokey", mode: "update", key: "id" },
  columns: { id: "id", name: "name" },
}`));
    const checked = await cli(["check", upsert, update]);
    expect(checked.code).toBe(1);
    const keyAt = (filePath: string) => positionOf(filePath, 'key: "id"').replace(/:(\d+)$/, (_, c: string) => `:${Number(c) + 5}`);
    expect(checked.stdout.split("\n").filter((l) => l.includes("no-unique-target-key"))).toEqual([
      `checks/nokey-update.etl.ts:${keyAt(update)}: warning [no-unique-target-key] pipeline nokey-update, table public.nokey, column id: update by (id) changes every row of public.nokey that shares a key: no primary key or unique index covers (id) (fix: add one, or set target.key to columns that have one)`,
      `checks/nokey.etl.ts:${keyAt(upsert)}: error [no-unique-target-key] pipeline nokey, table public.nokey, column id: upsert needs a unique constraint on public.nokey (id): without one PostgreSQL refuses ON CONFLICT (id) on every batch (fix: add a primary key or unique index on (id), or set target.key to columns that have one)`,
    ]);
  });

  it("after `databridge types`: check says a misspelled column in its own words once, at file:line:column, also when the live schema cannot be read; TypeScript errors stay TypeScript's", async () => {
    const types = await cli(["types"]);
    expect(types.code, types.stderr).toBe(0);
    const typo = inChecks("typo", file(`{
  name: "typo",
  source: { connection: "legacy", table: "people" },
  target: { connection: "warehouse", table: "public.people", mode: "upsert" },
  columns: { id: "id", name: concat(["name", "ctiy"], " "), city: "ctiy" },
}`, "pipeline, concat"));
    const first = positionOf(typo, '"ctiy"]');
    const second = positionOf(typo, '"ctiy" }');
    const expected = [
      `checks/typo.etl.ts:${first}: error [unknown-source-column] pipeline typo, column name: source has no column "ctiy" (did you mean "city"?)`,
      `checks/typo.etl.ts:${second}: error [unknown-source-column] pipeline typo, column city: source has no column "ctiy" (did you mean "city"?)`,
    ];
    // Live-schema problems first, then TypeScript's own errors in its own words.
    const typed = inChecks("typed", `import { pipeline } from "@databridge/core";\nconst batchSize: number = "many";\nexport default pipeline({ name: "typed", source: { connection: "legacy", table: "people" }, target: { connection: "warehouse", table: "public.people_copy" }, columns: { id: "id", name: "name" }, batchSize });\n`);
    const live = await cli(["check", typed, typo]);
    expect(live.code).toBe(1);
    expect(live.stdout.split("\n").filter(Boolean)).toEqual([
      ...expected,
      "checks/typed.etl.ts:2:7: error [type-error] Type 'string' is not assignable to type 'number'.",
      "3 problems found",
    ]);

    const port = await closedPort();
    const offline = await cli(["check", typo], { DATABRIDGE_CONN_LEGACY: `mysql://root@127.0.0.1:${port}/x` });
    expect(offline.code).toBe(1);
    const lines = offline.stdout.split("\n").filter(Boolean);
    expect(lines[0]).toMatch(/^checks\/typo\.etl\.ts:\d+:\d+: error \[unreachable-connection\] pipeline typo: connection legacy \(source, URL from DATABRIDGE_CONN_LEGACY\): connect ECONNREFUSED/);
    expect(lines.slice(1)).toEqual([...expected, "3 problems found"]);
    expect(offline.stdout).not.toMatch(/UnknownColumn|❌|is not assignable/);
  });

  it("a syntax error shows file:line:column and the line without --verbose: run exits 2 in one line, check reports it and goes on", async () => {
    const broken = inChecks("broken", `import { pipeline } from "@databridge/core";\nexport default pipeline({\n  name: "broken",\n  source: { connection: "legacy" table: "people" },\n});\n`);
    const run = await cli(["run", broken]);
    expect(run.code).toBe(2);
    expect(oneLine(run, /syntax error/)).toBe('error: cannot load pipeline checks/broken.etl.ts:4:34: syntax error: Unexpected token, expected "," at `source: { connection: "legacy" table: "people" },`');
    const checked = await cli(["check", broken, path.join(workspace.dir, "pipelines", "other.etl.ts")]);
    expect(checked.code).toBe(1);
    expect(checked.stdout.split("\n").filter(Boolean)).toEqual([
      'checks/broken.etl.ts:4:34: error [syntax-error] syntax error: Unexpected token, expected "," at `source: { connection: "legacy" table: "people" },`',
      "1 problem found",
    ]);

    const config = createWorkspace({ legacy: source.url }, "databridge-honest-config-");
    try {
      fs.writeFileSync(path.join(config.dir, "databridge.config.ts"), `import { defineConfig } from "@databridge/core";\nexport default defineConfig({\n  connections: { legacy: { url: "x" } }\n  plugins: [],\n});\n`);
      const result = await runCli(["plan"], { cwd: config.dir });
      expect(result.code).toBe(2);
      expect(oneLine(result, /syntax error/)).toBe('error: cannot load config databridge.config.ts:4:3: syntax error: Unexpected token, expected "," at `plugins: [],`');
    } finally {
      config.remove();
    }
  });
});
