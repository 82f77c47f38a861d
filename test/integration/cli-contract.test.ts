import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, lastEvent, pipelineSource, protocolProblems, runCli, type CliResult, type TestWorkspace } from "./harness.js";

/**
 * The CLI's contract for CI: `--json` lines, exit codes 0/1/2, and errors as one line naming where,
 * with no stack trace and never a password.
 */
describe("databridge run: --json, exit codes and error lines (MariaDB → PostgreSQL)", () => {
  let ready = false;
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: TestWorkspace;
  let okFile: string;
  let tooLongFile: string;
  let typoFile: string;
  const PASSWORD = "Sup3r-S3cret-Pw-7781";

  beforeAll(async () => {
    ready = await requireServers("mariadb", "postgres");
    if (!ready) return;
    source = await createMariadbDatabase("dbt_cli_src");
    target = await createPostgresDatabase("dbt_cli_dst");
    await source.query("CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(50) NULL)");
    await source.query("INSERT INTO people VALUES (1, 'Ann'), (2, NULL), (3, 'Bartholomew'), (4, 'Zoë')");
    await target.query("CREATE TABLE people (id integer PRIMARY KEY, name varchar(50))");
    await target.query("CREATE TABLE people_short (id integer PRIMARY KEY, name varchar(4))");
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
    const columns = { id: "id", name: "name" };
    okFile = workspace.pipeline("people", pipelineSource({
      name: "people", source: { connection: "legacy", table: "people" }, target: { connection: "warehouse", table: "public.people", mode: "upsert" }, columns, batchSize: 2,
    }));
    tooLongFile = workspace.pipeline("people-short", pipelineSource({
      name: "people-short", source: { connection: "legacy", table: "people" }, target: { connection: "warehouse", table: "public.people_short", mode: "insert" }, columns,
    }));
    typoFile = workspace.pipeline("people-typo", pipelineSource({
      name: "people-typo", source: { connection: "legacy", table: "people" }, target: { connection: "warehouse", table: "public.people", mode: "insert" }, columns: { id: "id", name: "nmae" },
    }));
  });

  afterAll(async () => {
    workspace?.remove();
    await source?.drop();
    await target?.drop();
  });

  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: workspace.dir, env });

  /** No stack frames, and the message appears on exactly one line. */
  const expectOneLineError = (result: CliResult, pattern: RegExp) => {
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);
    expect(output).not.toMatch(/\n\s+at /);
    const lines = result.stderr.split("\n").filter((line) => pattern.test(line));
    expect(lines, result.stderr).toHaveLength(1);
    return lines[0];
  };

  it("success: every line is an event with type/runId/pipeline/ts, the last is run.finished with the counts; exit 0", async (ctx) => {
    if (!ready) return ctx.skip();
    const result = await cli(["run", okFile, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(protocolProblems(result.events)).toEqual([]);
    expect(result.events.map((e) => e.type)).toEqual(["run.started", "stage.started", "batch.committed", "batch.committed", "stage.finished", "run.finished"]);
    const finished = lastEvent(result.events, "run.finished");
    expect(finished).toMatchObject({ pipeline: "people", status: "succeeded", rows: { read: 4, written: 4, rejected: 0 } });
    expect(finished.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.stdout.trimEnd().split("\n").at(-1)).toBe(JSON.stringify(finished));
  });

  it("a failed run: exit 1, run.finished says failed, the error names pipeline, table, column, batch and row key in one line", async (ctx) => {
    if (!ready) return ctx.skip();
    const json = await cli(["run", tooLongFile, "--json"]);
    expect(json.code).toBe(1);
    expect(protocolProblems(json.events)).toEqual([]);
    const finished = lastEvent(json.events, "run.finished");
    expect(finished.status).toBe("failed");
    expect(finished.error).toMatch(/pipeline people-short, table public\.people_short, column name, batch 1, row key 3: value too long/);

    const human = await cli(["run", tooLongFile]);
    expect(human.code).toBe(1);
    const line = expectOneLineError(human, /value too long/);
    expect(line).toMatch(/pipeline people-short.*column name.*row key 3.*\(fix: /);
    const { rows } = await target.query("SELECT count(*)::int AS n FROM people_short");
    expect(rows[0].n).toBe(0); // the failing batch rolled back as a whole
  });

  it("config and usage errors exit 2 with one line (did-you-mean included)", async (ctx) => {
    if (!ready) return ctx.skip();
    const typo = await cli(["run", typoFile]);
    expect(typo.code).toBe(2);
    expect(expectOneLineError(typo, /nmae/)).toMatch(/pipeline people-typo, column name: source has no column "nmae" \(did you mean "name"\?\)/);

    const typoJson = await cli(["run", typoFile, "--json"]);
    expect(typoJson.code).toBe(2);
    expect(protocolProblems(typoJson.events)).toEqual([]);
    expect(lastEvent(typoJson.events, "run.finished").status).toBe("failed");

    const unknownPipeline = await cli(["run", "peeple"]);
    expect(unknownPipeline.code).toBe(2);
    expect(expectOneLineError(unknownPipeline, /peeple/)).toMatch(/no pipeline file or pipeline named "peeple" \(did you mean "people"\?\)/);

    const unknownOption = await cli(["run", okFile, "--no-such-flag"]);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toMatch(/unknown option '--no-such-flag'/);

    const badBatchSize = await cli(["run", okFile, "--batch-size", "0"]);
    expect(badBatchSize.code).toBe(2);
    expect(expectOneLineError(badBatchSize, /--batch-size/)).toMatch(/positive whole number/);
  });

  it("a password in DATABRIDGE_CONN_* that fails authentication never appears in any output, even with --verbose", async (ctx) => {
    if (!ready) return ctx.skip();
    const mariaUrl = new URL(source.url);
    mariaUrl.username = "root";
    mariaUrl.password = PASSWORD;
    const pgUrl = new URL(target.url);
    pgUrl.username = "no_such_role";
    pgUrl.password = PASSWORD;
    for (const [env, expected] of [
      [{ DATABRIDGE_CONN_LEGACY: mariaUrl.href }, /Access denied for user 'root'/],
      [{ DATABRIDGE_CONN_WAREHOUSE: pgUrl.href }, /role \\?"no_such_role\\?" does not exist/],
    ] as const) {
      for (const flags of [["--json"], [], ["--verbose"]]) {
        const result = await cli(["run", okFile, ...flags], env);
        expect(result.code, `${JSON.stringify(flags)} ${result.stderr}`).toBe(1);
        const output = `${result.stdout}\n${result.stderr}`;
        expect(output).toMatch(expected);
        expect(output).not.toContain(PASSWORD);
        expect(output).not.toContain(encodeURIComponent(PASSWORD));
        expect(output).not.toMatch(/(postgres|mysql):\/\/[^\s]*:[^\s*]+@/); // no URL with credentials
        if (flags[0] === "--json") {
          expect(protocolProblems(result.events)).toEqual([]);
          expect(lastEvent(result.events, "run.finished").status).toBe("failed");
        } else if (!flags.length) {
          expectOneLineError(result, expected);
        }
      }
    }
  });
});
