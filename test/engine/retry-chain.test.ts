import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorkspace, openConnections, resolvePipelines, runPipelines, type ConnectionManager, type Workspace } from "@databridge/core";

/**
 * A retry continues the runs it retries and nothing else: a pipeline those runs never started (it was
 * skipped because its dependency failed) runs again from the beginning, even though an older run
 * completed it — where a plain `--resume` would skip it.
 */
describe("retry chains (resumeRuns)", () => {
  let dir: string;
  let workspace: Workspace;
  let connections: ConnectionManager;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-retry-"));
    fs.mkdirSync(path.join(dir, "pipelines"));
    fs.writeFileSync(path.join(dir, "databridge.config.ts"), `export default { connections: { db: { url: "pglite:.databridge/db" } } };`);
    fs.writeFileSync(path.join(dir, "pipelines", "a.etl.ts"), `import { pipeline } from "@databridge/core";
export default pipeline({ name: "a", source: { connection: "db", table: "src_a", key: "id" }, target: { connection: "db", table: "dst_a" }, columns: { id: "id", v: "v" }, batchSize: 2 });`);
    fs.writeFileSync(path.join(dir, "pipelines", "b.etl.ts"), `import { pipeline } from "@databridge/core";
export default pipeline({ name: "b", dependsOn: ["a"], source: { connection: "db", table: "src_b", key: "id" }, target: { connection: "db", table: "dst_b", mode: "upsert" }, columns: { id: "id", v: "v" }, batchSize: 2 });`);
    workspace = await loadWorkspace({ from: dir });
    connections = openConnections(workspace);
    const db = await connections.get("db");
    for (const table of ["src_a", "dst_a", "src_b", "dst_b"]) await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text)`);
    await db.query("INSERT INTO src_a SELECT g, 'a' || g FROM generate_series(1, 5) g");
    await db.query("INSERT INTO src_b SELECT g, 'b' || g FROM generate_series(1, 5) g");
  }, 180_000);

  afterAll(async () => {
    await connections?.closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs a pipeline the failed run never started from the beginning, and resumes the one it started", async () => {
    const pipelines = await resolvePipelines(workspace, []);
    const first = await runPipelines(workspace, pipelines, { connections });
    expect(first.status).toBe("succeeded");

    // Run again: `a` is insert-only and its rows are there, so it is refused before writing; `b` is skipped.
    const failed = await runPipelines(workspace, pipelines, { connections });
    expect(failed.status).toBe("failed");
    expect(failed.stages.map((s) => [s.pipeline, s.status])).toEqual([["a", "failed"], ["b", "skipped"]]);

    const db = await connections.get("db");
    // Emptied by hand: an insert into an empty table cannot load anything twice, so the retry may run it.
    await db.query("DELETE FROM dst_a");
    await db.query("UPDATE dst_b SET v = 'changed by hand' WHERE id = 3");

    // A plain resume would take b's old, complete checkpoint as done; a retry of `failed` must run it.
    const retried = await runPipelines(workspace, pipelines, { connections, resumeRuns: [failed.runId] });
    expect(retried.status).toBe("succeeded");
    const b = retried.stages.find((s) => s.pipeline === "b")!;
    expect(b.status).toBe("succeeded");
    expect(b.rows.read).toBe(5);
    expect(b.rows.written).toBe(1);
    expect((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM dst_a")).rows[0].n).toBe(5);

    // Retrying the retry: everything it did is complete, so nothing runs again.
    const again = await runPipelines(workspace, pipelines, { connections, resumeRuns: [retried.runId, failed.runId] });
    expect(again.stages.map((s) => [s.pipeline, s.status])).toEqual([["a", "skipped"], ["b", "skipped"]]);
  });
});
