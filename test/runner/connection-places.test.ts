import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pglite } from "@databridge/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import {
  apiClient, createWorkspace, pipelineSource, seedStateDir, serveProcess, serveReady, waitForRun, type ApiClient, type RunnerWorkspace, type ServeProcess,
} from "./support.js";

const PASSWORD = `Pw-${randomBytes(9).toString("hex")}`;

const readRunnerJson = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, ".databridge", "runner.json"), "utf8"));
const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

/** Every folder and file of a tree that is not private (0700 folders, 0600 files), with its mode. */
function notPrivate(dir: string): string[] {
  const found = modeOf(dir) === 0o700 ? [] : [`${dir} ${modeOf(dir).toString(8)}`];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const expected = entry.isDirectory() ? 0o700 : 0o600;
    if (!entry.isSymbolicLink() && modeOf(file) !== expected) found.push(`${path.relative(dir, file)} ${modeOf(file).toString(8)}`);
  }
  return found;
}

/**
 * The runner's connection API must not hurt the runner: `databridge serve` as a real process,
 * asked to test, save and discover embedded databases at its own state, inside `.databridge/`,
 * outside the workspace (also through `..` and symlinks) and at folders that do not exist; then
 * killed with SIGKILL and started again. (A second PGlite on the state database used to leave it
 * unable to start: "PANIC: could not locate a valid checkpoint record".)
 */
describe("runner connection API: embedded databases only inside the workspace, never on the runner's own state", () => {
  let ready = false;
  let warehouse: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let legacy: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let workspace: RunnerWorkspace;
  let outside: string;
  const serves: ServeProcess[] = [];

  const start = async (): Promise<{ serve: ServeProcess; api: ApiClient }> => {
    const serve = serveProcess(workspace.dir);
    serves.push(serve);
    await serveReady(serve);
    const info = readRunnerJson(workspace.dir);
    return { serve, api: apiClient((p, init) => fetch(`${info.url}${p}`, init), info.token) };
  };

  const expectPrivateState = () => {
    const runnerDir = path.join(workspace.dir, ".databridge");
    expect(modeOf(runnerDir)).toBe(0o700);
    expect(modeOf(path.join(runnerDir, "secret.key"))).toBe(0o600);
    expect(modeOf(path.join(runnerDir, "runner.json"))).toBe(0o600);
    expect(notPrivate(path.join(runnerDir, "state"))).toEqual([]);
  };

  beforeAll(async () => {
    ready = await requireServers("postgres", "mariadb");
    if (!ready) return;
    warehouse = await createPostgresDatabase("dbt_runner_places");
    await warehouse.query("CREATE TABLE tiny (id int PRIMARY KEY); INSERT INTO tiny SELECT generate_series(1, 30); CREATE TABLE tiny_copy (id int NOT NULL)");
    legacy = await createMariadbDatabase("dbt_runner_places");
    // `sneaky` is the user's own config pointing at the runner's state: never opened, not even by a run.
    workspace = createWorkspace({ warehouse: warehouse.url, sneaky: "pglite:.databridge/state" });
    workspace.pipeline("tiny", pipelineSource({
      name: "tiny", source: { connection: "warehouse", table: "tiny", key: "id" }, target: { connection: "warehouse", table: "public.tiny_copy", mode: "insert" }, columns: { id: "id" }, batchSize: 10,
    }));
    workspace.pipeline("sneaky_copy", pipelineSource({
      name: "sneaky_copy", source: { connection: "sneaky", table: "databridge_runner.runs", key: "id" }, target: { connection: "warehouse", table: "public.tiny_copy", mode: "insert" }, columns: { id: "id" },
    }));
    // A real embedded database inside the workspace, made before the runner starts.
    const real = await pglite.pgliteConnectorFactory.create({ name: "real", url: new URL("pglite:data/real"), baseDir: workspace.dir });
    await real.query("CREATE TABLE parts (id int PRIMARY KEY, name text)");
    await real.close();
    outside = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-outside-"));
    fs.symlinkSync(path.join(workspace.dir, ".databridge", "state"), path.join(workspace.dir, "data", "state-link"));
    fs.symlinkSync(outside, path.join(workspace.dir, "data", "out-link"));
    await seedStateDir(workspace.dir);
  });

  afterAll(async () => {
    for (const serve of serves) if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill("SIGKILL");
    await Promise.all(serves.map((s) => s.exited));
    workspace?.remove();
    if (outside) fs.rmSync(outside, { recursive: true, force: true });
    await legacy?.drop();
    await warehouse?.drop();
  });

  it("refuses the state, .databridge/ and places outside the workspace (400), creates nothing, answers 4xx for a missing database or a wrong password; after kill -9 it starts again with its runs", async (ctx) => {
    if (!ready) return ctx.skip();
    const first = await start();
    let api = first.api;
    const before = await api.post("/runs", { pipelines: ["tiny"] });
    expect(await waitForRun(api, before.body.id)).toMatchObject({ status: "succeeded", rows: { written: 30 } });

    const refused = async (call: Promise<{ status: number; body: { error?: { code: string; message: string } } }>, message: RegExp) => {
      const res = await call;
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error?.code).toBe("embedded_place_refused");
      expect(res.body.error?.message).toMatch(message);
      expect(res.body.error?.message).toMatch(/\(fix: give a folder inside the workspace and outside \.databridge\//);
    };
    const state = /^connection unsaved: the runner will not open .* is the runner's own state database/;
    for (const url of [
      "pglite:.databridge/state", "pglite:./data/../.databridge/state", "pglite:data/state-link", `pglite:${path.join(workspace.dir, ".databridge", "state")}`,
      `pglite:${encodeURIComponent(".databridge/state")}`,
    ]) {
      await refused(api.post("/connections/test", { url }), state);
    }
    await refused(api.post("/connections/test", { type: "pglite", database: ".databridge/state" }), state);
    await refused(api.post("/connections/test", { url: "pglite:.databridge/secrets" }), /is inside \.databridge\/, the runner's own folder/);
    await refused(api.post("/connections/test", { url: "pglite:.databridge" }), /would hold the runner's folder \.databridge\//);
    await refused(api.post("/connections/test", { url: "pglite:." }), /would hold the runner's folder/);
    const escapes = ["pglite:../../../tmp/databridge-escape", `pglite:${outside}/db`, "pglite:data/out-link/db"];
    for (const url of escapes) await refused(api.post("/connections/test", { url }), /is outside the workspace /);
    await refused(api.post("/connections", { name: "bad", url: "pglite:.databridge/state" }), /^connection bad: .* state database/);
    await refused(api.post("/connections", { name: "bad", type: "pglite", database: "../../../tmp/databridge-escape" }), /^connection bad: .* outside the workspace/);
    expect(fs.existsSync(path.resolve(workspace.dir, "../../../tmp/databridge-escape"))).toBe(false);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.existsSync(path.join(workspace.dir, ".databridge", "secrets"))).toBe(false);

    // A folder that does not exist: 422, and it still does not exist (saved or not, test or discover).
    const missing = await api.post("/connections/test", { url: "pglite:data/missing" });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toEqual({ code: "no_database", message: expect.stringMatching(/^connection unsaved: no database at .*data\/missing \(fix: /) });
    const later = await api.post("/connections", { name: "later", url: "pglite:data/later" });
    expect(later.status).toBe(201);
    expect((await api.post(`/connections/${later.body.id}/test`)).body.error.code).toBe("no_database");
    expect((await api.post(`/connections/${later.body.id}/discover`)).body.error.code).toBe("no_database");
    expect(fs.existsSync(path.join(workspace.dir, "data", "missing"))).toBe(false);
    expect(fs.existsSync(path.join(workspace.dir, "data", "later"))).toBe(false);
    await refused(api.patch(`/connections/${later.body.id}`, { url: "pglite:.databridge/state" }), /^connection later: .* state database/);
    await refused(api.patch(`/connections/${later.body.id}`, { database: "data/state-link" }), /^connection later: .* state database/);
    expect((await api.get(`/connections/${later.body.id}`)).body.database).toBe("data/later");

    // The workspace's own connection on the state: neither tested, discovered nor read by a run.
    await refused(api.post("/connections/workspace:sneaky/test"), /^connection sneaky: .* state database/);
    await refused(api.post("/connections/workspace:sneaky/discover"), /^connection sneaky: .* state database/);
    const sneaky = await api.post("/runs", { pipelines: ["sneaky_copy"] });
    const sneakyRun = await waitForRun(api, sneaky.body.id);
    expect(sneakyRun.status).toBe("failed");
    expect(sneakyRun.error).toMatch(/connection sneaky \(source, URL from databridge\.config\.ts\): the runner will not open .* state database/);

    // A real embedded database inside the workspace is tested and discovered.
    expect((await api.post("/connections/test", { url: "pglite:data/real" })).body).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/^PGlite/) });
    const real = await api.post("/connections", { name: "real", url: "pglite:data/real" });
    const catalog = await api.post(`/connections/${real.body.id}/discover`);
    expect(catalog.status).toBe(200);
    expect(catalog.body.tables.map((t: { name: string }) => t.name)).toEqual(["parts"]);
    expect(notPrivate(path.join(workspace.dir, "data", "real"))).toEqual([]);

    // A wrong password: discover is a 422 naming the reason, the test says ok: false; never the password.
    const wrong = await api.post("/connections", { name: "legacy_bad", url: `mysql://root:${PASSWORD}@127.0.0.1:3306/${legacy.name}` });
    expect(wrong.status).toBe(201);
    const discovered = await api.post(`/connections/${wrong.body.id}/discover`);
    expect(discovered.status).toBe(422);
    expect(discovered.body.error.code).toBe("connection_failed");
    expect(discovered.body.error.message).toMatch(/^connection legacy_bad: .*Access denied for user 'root'/);
    expect((await api.post(`/connections/${wrong.body.id}/test`)).body).toMatchObject({ ok: false, error: expect.stringMatching(/Access denied for user 'root'/) });
    const unsaved = await api.post("/connections/test", { url: `mysql://root:${PASSWORD}@127.0.0.1:3306/${legacy.name}` });
    expect(unsaved.body).toMatchObject({ ok: false, error: expect.stringMatching(/Access denied/) });
    for (const text of api.seen) expect(text).not.toContain(PASSWORD);
    expect(first.serve.stdout() + first.serve.stderr()).not.toContain(PASSWORD);

    expectPrivateState();

    // kill -9, then start again: the runner starts, its runs are there, and it runs again.
    first.serve.child.kill("SIGKILL");
    expect((await first.serve.exited).signal).toBe("SIGKILL");
    const second = await start();
    api = second.api;
    expect((await api.get(`/runs/${before.body.id}`)).body).toMatchObject({ status: "succeeded", rows: { written: 30 } });
    expect((await api.get("/runs")).body.total).toBe(2);
    // An insert pipeline loads again only into an empty table.
    await warehouse.query("TRUNCATE tiny_copy");
    const after = await api.post("/runs", { pipelines: ["tiny"] });
    expect(await waitForRun(api, after.body.id)).toMatchObject({ status: "succeeded", rows: { written: 30 } });
    expectPrivateState();
    second.serve.child.kill("SIGTERM");
    expect((await second.serve.exited).code).toBe(0);
  });
});
