/**
 * `databridge generate` against real databases: files for a live MariaDB schema, an existing target table
 * matched by name, a table without a key refused by `plan`, and a second generate that leaves an edited
 * file alone (unless --force) while refreshing untouched ones. Then the schema built after the load:
 * each step exactly once, a foreign key to a table that failed kept pending until a later run loads it.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "@databridge/core";
import { createWorkspace, runCli, type TestWorkspace } from "../support/cli.js";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";

const ok = await requireServers("mariadb", "postgres");
const finished = (events: RunEvent[]) => events.find((e): e is Extract<RunEvent, { type: "run.finished" }> => e.type === "run.finished")!;

describe.runIf(ok)("databridge generate", () => {
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: TestWorkspace;
  const file = (name: string) => path.join(workspace.dir, "pipelines", `${name}.etl.ts`);
  const read = (name: string) => fs.readFileSync(file(name), "utf8");

  beforeAll(async () => {
    source = await createMariadbDatabase("dbt_gen_src");
    target = await createPostgresDatabase("dbt_gen_dst");
    await source.query(`CREATE TABLE Customers (CustomerID INT NOT NULL PRIMARY KEY, EMail VARCHAR(80) NOT NULL, Fax VARCHAR(20) NULL);
      CREATE TABLE OrderHeaders (OrderID INT NOT NULL AUTO_INCREMENT PRIMARY KEY, CustomerID INT NOT NULL, Placed DATETIME NOT NULL,
        CONSTRAINT fk_order_customer FOREIGN KEY (CustomerID) REFERENCES Customers (CustomerID));
      CREATE TABLE free_notes (body TEXT NULL, at DATETIME NULL);
      INSERT INTO Customers VALUES (1, 'a@example.com', NULL), (2, 'b@example.com', '555');
      INSERT INTO OrderHeaders VALUES (1, 1, '2024-01-01 10:00:00'), (2, 2, '2024-01-02 10:00:00');`);
    // An existing target table in PostgreSQL's naming, with a column the source lacks.
    await target.query(`CREATE TABLE customers (customer_id integer PRIMARY KEY, e_mail text NOT NULL, loyalty text)`);
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
  });

  afterAll(async () => {
    workspace?.remove();
    await target?.drop();
    await source?.drop();
  });

  it("writes a pipeline per table; an existing target table is matched by normalized names; a table without a key is refused by plan", async () => {
    const result = await runCli(["generate", "legacy", "--target", "warehouse", "--names", "snake"], { cwd: workspace.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split("\n").filter((l) => !l.startsWith("  "))).toEqual([
      "created pipelines/customers.etl.ts (" + source.name + ".Customers)",
      "created pipelines/free_notes.etl.ts (" + source.name + ".free_notes)",
      "created pipelines/order_headers.etl.ts (" + source.name + ".OrderHeaders)",
      "3 pipelines: 3 created",
      "Next: databridge plan, then databridge run",
      "",
    ]);
    expect(result.stdout).toContain("  not mapped: Fax (varchar(20)): customers has no column of that name\n");
    expect(read("customers")).toContain(`  target: { connection: "warehouse", table: "customers", mode: "upsert" },\n  columns: {\n    customer_id: "CustomerID",\n    e_mail: "EMail",\n`);
    expect(read("order_headers")).toContain(`    order_id: "OrderID",\n    customer_id: "CustomerID",\n    placed: "Placed",\n`);

    const plan = await runCli(["plan", "--json"], { cwd: workspace.dir });
    expect(plan.code).toBe(1);
    const problems = (JSON.parse(plan.stdout) as { problems: { severity: string; pipeline: string; message: string }[] }).problems.filter((p) => p.severity === "error");
    expect(problems.map((p) => [p.pipeline, p.message])).toEqual([["free_notes", `source legacy:${source.name}.free_notes has no primary key to page by`]]);
    fs.rmSync(file("free_notes"));

    const run = await runCli(["run", "--json"], { cwd: workspace.dir });
    expect(finished(run.events).status, run.stderr).toBe("succeeded");
    const { rows } = await target.query("SELECT customer_id, e_mail, loyalty FROM customers ORDER BY customer_id");
    expect(rows).toEqual([{ customer_id: 1, e_mail: "a@example.com", loyalty: null }, { customer_id: 2, e_mail: "b@example.com", loyalty: null }]);
    // The created table references the existing one.
    const { rows: keys } = await target.query("SELECT conname, confrelid::regclass::text AS parent FROM pg_constraint WHERE contype = 'f'");
    expect(keys).toEqual([{ conname: "fk_order_customer", parent: "customers" }]);
  });

  it("a second generate refreshes files nobody touched, and leaves an edited one alone unless --force", async () => {
    const editedText = read("order_headers").replace(`    placed: "Placed",\n`, `    placed: "Placed", // checked with finance\n`);
    fs.writeFileSync(file("order_headers"), editedText);
    const untouched = read("customers");
    await source.query("ALTER TABLE OrderHeaders ADD COLUMN Channel VARCHAR(10) NULL; ALTER TABLE Customers ADD COLUMN Loyalty VARCHAR(10) NULL");

    const again = await runCli(["generate", "legacy", "--target", "warehouse", "--names", "snake", "--tables", "Customers,Order*"], { cwd: workspace.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`updated pipelines/customers.etl.ts (${source.name}.Customers)\n`);
    expect(again.stdout).toContain(`skipped (edited since generated; would change — --force overwrites) pipelines/order_headers.etl.ts (${source.name}.OrderHeaders)\n`);
    expect(again.stdout).toContain("2 pipelines: 1 updated, 1 skipped\n");
    expect(read("order_headers")).toBe(editedText);
    expect(read("customers")).not.toBe(untouched);
    expect(read("customers")).toContain(`    loyalty: "Loyalty",\n`);

    const unchanged = await runCli(["generate", "legacy", "--target", "warehouse", "--names", "snake", "--tables", "Customers"], { cwd: workspace.dir });
    expect(unchanged.stdout).toContain(`unchanged pipelines/customers.etl.ts`);

    const dry = await runCli(["generate", "legacy", "--target", "warehouse", "--names", "snake", "--tables", "Order*", "--force", "--dry-run"], { cwd: workspace.dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would update pipelines/order_headers.etl.ts`);
    expect(read("order_headers")).toBe(editedText);

    const forced = await runCli(["generate", "legacy", "--target", "warehouse", "--names", "snake", "--tables", "Order*", "--force"], { cwd: workspace.dir });
    expect(forced.stdout).toContain(`updated pipelines/order_headers.etl.ts`);
    // The first run created order_headers: now an existing table, which has no column for the new source column.
    expect(read("order_headers")).toContain(`    // - Channel (varchar(10)): order_headers has no column of that name\n`);
    expect(read("order_headers")).not.toContain("checked with finance");
  });

  it("an unknown table or target is a clear one-line error", async () => {
    const unknown = await runCli(["generate", "legacy", "--target", "warehouse", "--tables", "custmers"], { cwd: workspace.dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(`error: no table of legacy (schema ${source.name}) matches "custmers" (did you mean "Customers"?)`);
    const notTarget = await runCli(["generate", "warehouse", "--target", "legacy"], { cwd: workspace.dir });
    expect(notTarget.code).toBe(2);
    expect(notTarget.stderr.trim()).toBe("error: connection legacy: connection legacy (mysql) cannot be a target; DataBridge loads into PostgreSQL (fix: pass a PostgreSQL connection to --target)");
  });
});

describe.runIf(ok)("the schema built after the load", () => {
  let source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: TestWorkspace;

  beforeAll(async () => {
    source = await createMariadbDatabase("dbt_steps_src");
    target = await createPostgresDatabase("dbt_steps_dst");
    // A region's row with an invalid ENUM value ('' in a non-strict MariaDB) fails the regions pipeline on its CHECK.
    await source.query(`SET SESSION sql_mode = '';
      CREATE TABLE regions (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, kind ENUM('north','south') NOT NULL, name VARCHAR(20) NOT NULL, UNIQUE KEY uq_region_name (name));
      CREATE TABLE shops (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, region_id INT NOT NULL, KEY ix_region (region_id),
        CONSTRAINT fk_shop_region FOREIGN KEY (region_id) REFERENCES regions (id));
      INSERT INTO regions VALUES (1, 'north', 'N'), (2, 'nowhere', 'X');
      INSERT INTO shops VALUES (10, 1), (11, 2);`);
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
    const generated = await runCli(["generate", "legacy", "--target", "warehouse"], { cwd: workspace.dir });
    expect(generated.code, generated.stderr).toBe(0);
  });

  afterAll(async () => {
    workspace?.remove();
    await target?.drop();
    await source?.drop();
  });

  it("planning one pipeline alone still resolves its foreign key to the table another pipeline loads", async () => {
    const plan = await runCli(["plan", "shops", "--json"], { cwd: workspace.dir });
    expect(plan.code, plan.stdout).toBe(0);
    const [shops] = (JSON.parse(plan.stdout) as { pipelines: { afterLoad: string[] }[] }).pipelines;
    expect(shops.afterLoad).toContain('ALTER TABLE "public"."shops" ADD CONSTRAINT "fk_shop_region" FOREIGN KEY ("region_id") REFERENCES "public"."regions" ("id") DEFERRABLE INITIALLY IMMEDIATE');
  });

  it("a foreign key to a table that failed stays pending, the rest is built; the run that loads it builds the key — each step once", async () => {
    const first = await runCli(["run", "--json"], { cwd: workspace.dir });
    expect(first.code).toBe(1);
    expect(first.events.filter((e) => e.type === "stage.finished").map((e) => [e.pipeline, (e as { status: string }).status])).toEqual([["regions", "failed"], ["shops", "succeeded"]]);
    const steps = async () => (await target.query("SELECT target_table, name, done_run FROM databridge.schema_steps ORDER BY target_table, position")).rows;
    expect((await steps()).map((s) => [s.target_table, s.name, s.done_run === finished(first.events).runId ? "first" : s.done_run])).toEqual([
      ["public.regions", "unique:regions_uq_region_name", null],
      ["public.regions", "identity:id", null],
      ["public.shops", "index:shops_ix_region", "first"],
      ["public.shops", "identity:id", "first"],
      ["public.shops", "foreign-key:fk_shop_region", null],
    ]);

    await source.query("UPDATE regions SET kind = 'south' WHERE id = 2");
    const second = await runCli(["run", "--json"], { cwd: workspace.dir });
    expect(finished(second.events).status, second.stderr).toBe("succeeded");
    const built = second.events.filter((e) => e.type === "log").map((e) => (e as { message: string }).message);
    expect(built).toEqual([
      "public.regions: built after the load: unique:regions_uq_region_name, identity:id",
      "public.shops: built after the load: foreign-key:fk_shop_region",
    ]);
    const byRun = (await steps()).map((s) => [s.name, s.done_run === finished(first.events).runId ? "first" : "second"]);
    expect(byRun).toEqual([
      ["unique:regions_uq_region_name", "second"], ["identity:id", "second"], ["index:shops_ix_region", "first"], ["identity:id", "second"], ["foreign-key:fk_shop_region", "second"],
    ]);
    // A third run builds nothing again (identity sequences are only moved on, silently).
    const third = await runCli(["run", "--json"], { cwd: workspace.dir });
    expect(finished(third.events).status).toBe("succeeded");
    expect(third.events.filter((e) => e.type === "log")).toEqual([]);
    const { rows } = await target.query("SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'fk_shop_region'");
    expect(rows[0].n).toBe(1);
  });
});
