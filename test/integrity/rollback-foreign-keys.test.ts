/**
 * Rollback of a run over tables that reference each other: children go before parents (the target's own,
 * non-deferrable foreign keys), and tables DataBridge created — a two-table cycle, a self-reference — go
 * together, their keys checked at commit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, finished, pipelineFile, runCli, type Workspace } from "./harness.js";

const servers = await requireServers("mariadb", "postgres");

describe.runIf(servers)("rollback with foreign keys", () => {
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: Workspace;

  beforeAll(async () => {
    source = await createMariadbDatabase("dbt_rbfk_src");
    target = await createPostgresDatabase("dbt_rbfk_dst");
    await source.query(`SET FOREIGN_KEY_CHECKS = 0;
      CREATE TABLE zones (id INT NOT NULL PRIMARY KEY, name VARCHAR(20) NOT NULL);
      CREATE TABLE addresses (id INT NOT NULL PRIMARY KEY, zone_id INT NOT NULL, line VARCHAR(40) NOT NULL);
      INSERT INTO zones VALUES (1, 'north'), (2, 'south');
      INSERT INTO addresses VALUES (10, 1, 'Main St 1'), (11, 2, 'Side St 2'), (12, 2, 'Back St 3');
      CREATE TABLE teams (id INT NOT NULL PRIMARY KEY, lead_id INT NULL, parent_id INT NULL,
        CONSTRAINT fk_team_parent FOREIGN KEY (parent_id) REFERENCES teams (id));
      CREATE TABLE people (id INT NOT NULL PRIMARY KEY, team_id INT NOT NULL, CONSTRAINT fk_person_team FOREIGN KEY (team_id) REFERENCES teams (id));
      ALTER TABLE teams ADD CONSTRAINT fk_team_lead FOREIGN KEY (lead_id) REFERENCES people (id);
      INSERT INTO teams VALUES (1, 100, NULL), (2, 101, 1), (3, NULL, 2);
      INSERT INTO people VALUES (100, 1), (101, 2), (102, 2);
      SET FOREIGN_KEY_CHECKS = 1;`);
    // The target's own tables, with an ordinary (not deferrable) foreign key; "zones" sorts after "addresses".
    await target.query(`CREATE TABLE zones (id integer PRIMARY KEY, name text NOT NULL);
      CREATE TABLE addresses (id integer PRIMARY KEY, zone_id integer NOT NULL REFERENCES zones (id), line text NOT NULL)`);
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
    const insert = (name: string, columns: string[], create = false) => workspace.pipeline(name, pipelineFile({
      name, source: { connection: "legacy", table: name, key: "id" },
      target: { connection: "warehouse", table: name, mode: "insert", ...(create ? { create: true } : {}) },
      columns: Object.fromEntries(columns.map((c) => [c, c])),
    }));
    insert("zones", ["id", "name"]);
    insert("addresses", ["id", "zone_id", "line"]);
    insert("teams", ["id", "lead_id", "parent_id"], true);
    insert("people", ["id", "team_id"], true);
  });

  afterAll(async () => {
    workspace?.remove();
    await target?.drop();
    await source?.drop();
  });

  const counts = async () => Object.fromEntries(await Promise.all(["zones", "addresses", "teams", "people"].map(async (t) =>
    [t, (await target.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n as number])));

  it("loads parents first, then removes everything the run wrote, children first, in one go", async () => {
    const run = await runCli(["run", "--json", "--parallel", "1"], { cwd: workspace.dir });
    expect(finished(run).status, JSON.stringify(finished(run).error)).toBe("succeeded");
    const started = run.events.filter((e) => e.type === "stage.started").map((e) => e.pipeline);
    expect(started.indexOf("zones")).toBeLessThan(started.indexOf("addresses"));
    expect(await counts()).toEqual({ zones: 2, addresses: 3, teams: 3, people: 3 });
    // The created tables got their keys: the cycle and the self-reference hold in the target now.
    const { rows: keys } = await target.query("SELECT conname FROM pg_constraint WHERE contype = 'f' AND condeferrable ORDER BY conname");
    expect(keys.map((k) => k.conname)).toEqual(["fk_person_team", "fk_team_lead", "fk_team_parent"]);

    const rollback = await runCli(["rollback", finished(run).runId], { cwd: workspace.dir });
    expect(rollback.code, rollback.stderr).toBe(0);
    const order = rollback.stdout.split("\n").filter(Boolean).map((l) => /^↩ (\S+)/.exec(l)![1]);
    expect([...order].sort()).toEqual(["addresses", "people", "teams", "zones"]);
    expect(order.indexOf("addresses")).toBeLessThan(order.indexOf("zones"));
    expect(order.indexOf("people")).toBeLessThan(order.indexOf("teams"));
    expect(await counts()).toEqual({ zones: 0, addresses: 0, teams: 0, people: 0 });

    // And the run can be made again (tables in a cycle whose keys now exist could not be reloaded one after the other: see the README).
    const again = await runCli(["run", "zones", "addresses", "--json"], { cwd: workspace.dir });
    expect(finished(again).status, JSON.stringify(finished(again).error)).toBe("succeeded");
    expect(await counts()).toEqual({ zones: 2, addresses: 3, teams: 0, people: 0 });
  });
});
