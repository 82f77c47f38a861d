import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs build script, without type declarations
import { buildDashboard } from "@databridge/server/build-dashboard";
import { startRunner, type RunningRunner } from "@databridge/server/runner";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { openSqliteFile } from "../support/sqlite-file.js";
import { apiClient, createWorkspace, pipelineSource, REPO_ROOT, seedStateDir, startReceiver, waitFor, type ApiClient, type RunnerWorkspace } from "./support.js";

const CHROMIUM = "/usr/bin/chromium";
const ROWS = 10_000;
const BLOCKER_ROWS = 5_000;
const BAD_ROWS = [777, 4242, 9_999];

/** Like requireServers: without Chromium the suite skips loudly, or fails with CI=true. */
function requireChromium(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  const message = `Chromium is not installed at ${CHROMIUM} (apt-get update && apt-get install -y chromium); the dashboard suite cannot run`;
  if (process.env.CI === "true") throw new Error(`${message} — failing because CI=true`);
  console.warn(`\n\n!!!!! SKIPPED: ${message} !!!!!\n`);
  return false;
}

/**
 * The dashboard bundle in headless Chromium against a real runner: a run started from the page,
 * paused and resumed from the page, shown live to completion, with rejected rows and their source data.
 */
describe("dashboard in headless Chromium", () => {
  let ready = false;
  let db: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: RunnerWorkspace;
  let runner: RunningRunner;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const problems: string[] = [];

  beforeAll(async () => {
    ready = (await requireServers("postgres")) && requireChromium();
    if (!ready) return;
    db = await createPostgresDatabase("dbt_runner_ui");
    await db.query(`CREATE TABLE src_customers (id int PRIMARY KEY, name text NOT NULL);
      INSERT INTO src_customers SELECT g, 'customer ' || g FROM generate_series(1, ${BLOCKER_ROWS}) g;
      CREATE TABLE src_orders (id int PRIMARY KEY, customer_id int, amount numeric(10,2));
      INSERT INTO src_orders SELECT g, CASE WHEN g IN (${BAD_ROWS.join(", ")}) THEN NULL ELSE g % 500 END, g / 100.0 FROM generate_series(1, ${ROWS}) g;
      CREATE TABLE customers (id int, name text);
      CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, amount numeric(10,2));
      CREATE TABLE invoices (id int);`);
    workspace = createWorkspace({ legacy: db.url, warehouse: db.url });
    workspace.pipeline("customers", pipelineSource({
      name: "customers", source: { connection: "legacy", table: "src_customers", key: "id" }, target: { connection: "warehouse", table: "public.customers", mode: "insert" },
      columns: { id: "id", name: "name" }, batchSize: 100,
    }));
    workspace.pipeline("orders", pipelineSource({
      name: "orders", description: "orders with a customer", onError: "skip", source: { connection: "legacy", table: "src_orders", key: "id" },
      target: { connection: "warehouse", table: "public.orders", mode: "insert" }, columns: { id: "id", customer_id: "customer_id", amount: "amount" }, batchSize: 100,
    }));
    // Its schedule (29 February, 00:00) does not fire during the test; the Schedules view shows it.
    workspace.pipeline("invoices", pipelineSource({
      name: "invoices", dependsOn: ["orders"], source: { connection: "warehouse", table: "public.orders", key: "id" },
      target: { connection: "warehouse", table: "public.invoices", mode: "insert" }, columns: { id: "id" }, schedule: { cron: "0 0 29 2 *", timezone: "UTC" },
    }));
    // Alerts for failed runs go to a webhook that refuses them: the Schedules view lists what was not delivered.
    receiver = await startReceiver(() => 404);
    fs.writeFileSync(workspace.configPath, fs.readFileSync(workspace.configPath, "utf8").replace("connections:", `alerts: { webhook: {}, on: ["failed"] },\n  connections:`));
    await seedStateDir(workspace.dir);
    const dashboardDir = await buildDashboard({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "databridge-dashboard-")) });
    runner = await startRunner({
      configPath: workspace.configPath, port: 0, maxConcurrentRuns: 1, dashboardDir, env: { ...process.env, DATABRIDGE_STATE_URL: "", DATABRIDGE_ALERT_WEBHOOK_URL: `${receiver.url}/hook` },
    });
    api = apiClient((p, init) => fetch(`${runner.url}${p}`, init), runner.token);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await runner?.close();
    await receiver?.close();
    workspace?.remove();
    await db?.drop();
  });

  it("shows a run live: started from the page, paused, resumed, to completion; rejected rows with their source data", async (ctx) => {
    if (!ready) return ctx.skip();
    // The only run slot is held by a paused run, so the page's run waits deterministically.
    const blocker = (await api.post("/runs", { pipelines: ["customers"] })).body.id;
    await api.post(`/runs/${blocker}/pause`);

    await page.goto(runner.dashboardUrl);
    await page.waitForSelector("button[data-tab=runs].active");
    expect(page.url()).not.toContain("token");
    expect(page.url()).toBe(`${runner.url}/#/runs`);
    await page.waitForSelector(`tr[data-run-id="${blocker}"]`);
    await page.check("input[data-pipeline=orders]");
    await page.click("[data-action=start-run]");
    await page.waitForSelector("section.run-view [data-testid=run-status][data-status=queued]");
    const runId = await page.getAttribute("section.run-view", "data-run-id");
    expect(runId).toMatch(/^\d{8}T\d{6}-[0-9a-f]{8}$/);

    await page.click("[data-action=pause]");
    await page.waitForSelector("[data-testid=run-status][data-status=paused]");
    // Record every value the "rows read" figure shows from now on.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { rowsSeen: string[] }).rowsSeen = []);
      new MutationObserver(() => {
        const text = document.querySelector("[data-testid=rows-read]")?.textContent;
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });

    await api.post(`/runs/${blocker}/resume`);
    await page.waitForSelector("[data-testid=held]", { timeout: 60_000 });
    expect(await page.textContent("[data-testid=rows-read]")).toBe("0");
    await page.click("[data-action=resume]");
    await page.waitForSelector("[data-testid=run-status][data-status=running]");
    await page.waitForSelector("[data-testid=stream-state]:has-text('live')");
    await page.waitForSelector("[data-testid=run-status][data-status=succeeded_with_rejects]", { timeout: 90_000 });

    const seen = await page.evaluate(() => (window as unknown as { rowsSeen: string[] }).rowsSeen.map((t) => Number(t.replace(/,/g, ""))));
    expect(seen.at(-1)).toBe(ROWS);
    expect(seen.some((n) => n > 0 && n < ROWS)).toBe(true);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(await page.textContent("[data-testid=rows-written]")).toBe((ROWS - BAD_ROWS.length).toLocaleString("en-US"));
    expect(await page.textContent("[data-testid=rows-rejected]")).toBe(String(BAD_ROWS.length));
    expect(await page.getAttribute("[data-testid=stage-progress][data-pipeline=orders]", "aria-valuenow")).toBe("100");
    expect(Number(await page.getAttribute("[data-testid=rate-chart] svg", "data-points"))).toBe(ROWS / 100);
    // The list refreshes (throttled) as rejects arrive: wait for the final one, not the first.
    await page.waitForFunction((n) => document.querySelectorAll("[data-testid=rejected-row]").length === n, BAD_ROWS.length, { timeout: 30_000 });
    const rejected = await page.$$eval("[data-testid=rejected-row]", (rows) => rows.map((r) => [r.children[1].textContent, r.children[2].textContent, r.querySelector("dd.bad")?.textContent]));
    expect(rejected).toEqual(BAD_ROWS.map((id) => [String(id), "customer_id", "NULL"]));
    expect((await api.get(`/runs/${runId}`)).body).toMatchObject({ status: "succeeded_with_rejects", rows: { read: ROWS, written: ROWS - BAD_ROWS.length, rejected: BAD_ROWS.length } });

    const file = path.join(REPO_ROOT, "test-results", "dashboard-run.png");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file, fullPage: true });
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);
  });

  it("shows the pipeline dependency graph and tests connections", async (ctx) => {
    if (!ready) return ctx.skip();
    await page.click("button[data-tab=pipelines]");
    await page.waitForSelector("[data-testid=dependency-graph]");
    expect(await page.$$eval("[data-testid=dependency-graph] .graph-node", (nodes) => nodes.map((n) => n.getAttribute("data-pipeline")).sort())).toEqual(["customers", "invoices", "orders"]);
    expect(await page.$("[data-testid=dependency-graph] path.graph-edge[data-from=orders][data-to=invoices]")).not.toBeNull();
    await page.screenshot({ path: path.join(REPO_ROOT, "test-results", "dashboard-pipelines.png"), fullPage: true });

    await page.click("button[data-tab=connections]");
    await page.waitForSelector("tr[data-connection=legacy]");
    await page.click("tr[data-connection=legacy] button:has-text('Test')");
    await waitFor(async () => /^✓ PostgreSQL \d+/.test((await page.textContent("tr[data-connection=legacy] [data-testid=test-result]")) ?? ""), "the connection test result");
    expect(problems).toEqual([]);
  });

  it("lists schedules with their next run and last run's status, and alerts that were not delivered", async (ctx) => {
    if (!ready) return ctx.skip();
    await page.click("button[data-tab=schedules]");
    await page.waitForSelector("tr[data-schedule='file:invoices']");
    expect(page.url()).toBe(`${runner.url}/#/schedules`);
    const next = await page.evaluate(() => new Date("2028-02-29T00:00:00.000Z").toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" }));
    expect(await page.textContent("tr[data-schedule='file:invoices'] [data-testid=next-run]")).toBe(next);
    expect(await page.textContent("tr[data-schedule='file:invoices'] [data-testid=last-run]")).toBe("–");
    expect(await page.textContent("tr[data-schedule='file:invoices']")).toContain("pipelines/invoices.etl.ts");

    // Run now: orders (a dependency, insert mode, loaded by the first test) refuses to load twice, so the run fails.
    await page.click("tr[data-schedule='file:invoices'] [data-action=trigger]");
    await page.waitForSelector("[data-testid=run-status][data-status=failed]", { timeout: 60_000 });
    const runId = await page.getAttribute("section.run-view", "data-run-id");
    expect((await api.get(`/runs/${runId}`)).body).toMatchObject({ trigger: "schedule", scheduleId: "file:invoices", status: "failed" });
    await waitFor(async () => (await api.get("/alerts?failed=true")).body.deliveries.length > 0, "the failed alert delivery");

    await page.click("button[data-tab=schedules]");
    await page.waitForSelector("tr[data-schedule='file:invoices'] [data-testid=last-run] [data-status=failed]");
    expect(await page.textContent("[data-testid=alert-failures]")).toMatch(new RegExp(`failed alert for orders,invoices \\(run ${runId}\\) by webhook, 1 attempt: webhook at 127\\.0\\.0\\.1:\\d+ answered 404 Not Found`));
    await page.screenshot({ path: path.join(REPO_ROOT, "test-results", "dashboard-schedules.png"), fullPage: true });
    expect(problems).toEqual([]);
  });

  it("Add Connection tests before saving (a failed test saves nothing unless Save anyway); Edit tests too and keeps the password while its field is empty", async (ctx) => {
    if (!ready || !(await requireServers("mariadb"))) return ctx.skip();
    // MariaDB checks passwords (this machine's PostgreSQL trusts local connections), so a kept password shows in a passing test.
    const legacy = await createMariadbDatabase("dbt_runner_ui_conn");
    const user = `dbt_ui_${Date.now().toString(36)}`;
    const password = "Ui-Conn-Pw-2718";
    await legacy.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'; GRANT SELECT ON \`${legacy.name}\`.* TO '${user}'@'%'`);
    const saved = async () => ((await api.get("/connections")).body.connections as { id: string; name: string; database: string | null; hasPassword: boolean }[]).find((c) => c.name === "crm");
    const status = () => page.textContent("[data-testid=form-status]");
    try {
      await page.goto(runner.dashboardUrl);
      await page.click("button[data-tab=connections]");
      await page.waitForSelector("tr[data-connection=legacy]");
      await page.click("summary:has-text('Add a connection')");
      const form = "form[data-testid=connection-form]";
      await page.fill(`${form} input[name=name]`, "crm");
      await page.selectOption(`${form} select[name=type]`, "mysql");
      await page.fill(`${form} input[name=host]`, "127.0.0.1");
      await page.fill(`${form} input[name=port]`, "3306");
      await page.fill(`${form} input[name=database]`, legacy.name);
      await page.fill(`${form} input[name=username]`, user);
      await page.fill(`${form} input[name=password]`, "wrong-password");
      await page.click("[data-action=save-connection]");
      await page.waitForSelector("[data-action=save-anyway]:not([hidden])");
      expect(await status()).toMatch(new RegExp(`^✗ The test failed: .*Access denied for user '${user}'.*Nothing was saved\\.$`));
      expect(await saved()).toBeUndefined();

      await page.click("[data-action=save-anyway]");
      await page.waitForSelector("tr[data-connection=crm]");
      expect(await status()).toBe("Saved crm without a successful test (the password is stored encrypted).");
      expect(await saved()).toMatchObject({ database: legacy.name, hasPassword: true });

      // Edit: the right password now; the test passes, then it is saved.
      await page.click("tr[data-connection=crm] [data-action=edit]");
      expect(await page.inputValue(`${form} input[name=database]`)).toBe(legacy.name);
      expect(await page.inputValue(`${form} input[name=password]`)).toBe("");
      await page.fill(`${form} input[name=password]`, password);
      await page.click("[data-action=save-connection]");
      await waitFor(async () => /^✓ MariaDB .* answered; saved crm/.test((await status()) ?? ""), "the edit saved after a passing test");

      // Edit without touching the password: a wrong database fails its test and changes nothing ...
      await page.click("tr[data-connection=crm] [data-action=edit]");
      await page.fill(`${form} input[name=database]`, "dbt_no_such_database");
      await page.click("[data-action=save-connection]");
      await page.waitForSelector("[data-action=save-anyway]:not([hidden])");
      expect(await status()).toMatch(/^✗ The test failed: .*dbt_no_such_database.*Nothing was saved\.$/);
      expect(await saved()).toMatchObject({ database: legacy.name, hasPassword: true });
      // ... and the right one passes with the saved password (a dropped password would be refused).
      await page.fill(`${form} input[name=database]`, legacy.name);
      await page.click("[data-action=save-connection]");
      await waitFor(async () => /^✓ MariaDB .* answered; saved crm/.test((await status()) ?? ""), "the edit tested with the kept password");
      const crm = (await saved())!;
      expect(crm).toMatchObject({ database: legacy.name, hasPassword: true });
      expect((await api.post(`/connections/${crm.id}/test`)).body).toMatchObject({ ok: true });
      expect(problems).toEqual([]);
    } finally {
      await legacy.query(`DROP USER IF EXISTS '${user}'@'%'`);
      await legacy.drop();
    }
  });

  it("Add Connection offers SQLite, built from its connector's description: a File field instead of host, port and user", async (ctx) => {
    if (!ready) return ctx.skip();
    fs.mkdirSync(path.join(workspace.dir, "data"), { recursive: true });
    const shop = openSqliteFile(path.join(workspace.dir, "data", "shop.db"));
    shop.exec("CREATE TABLE parts (id INTEGER PRIMARY KEY, name TEXT)");
    shop.close();
    const form = "form[data-testid=connection-form]";
    const status = () => page.textContent("[data-testid=form-status]");
    await page.goto(runner.dashboardUrl);
    await page.click("button[data-tab=connections]");
    await page.waitForSelector("tr[data-connection=legacy]");
    await page.click("summary:has-text('Add a connection')");
    await page.waitForSelector(`${form} select[name=type] option[value=sqlite]`, { state: "attached" });
    expect(await page.textContent(`${form} select[name=type] option[value=sqlite]`)).toBe("SQLite (file)");
    await page.selectOption(`${form} select[name=type]`, "sqlite");
    for (const name of ["host", "port", "username", "password"]) expect(await page.isHidden(`${form} label[data-field=${name}]`), name).toBe(true);
    expect(await page.textContent(`${form} label[data-field=database]`)).toBe("File");
    expect(await page.getAttribute(`${form} input[name=database]`, "placeholder")).toBe("data/legacy.db");

    await page.fill(`${form} input[name=name]`, "shop");
    await page.fill(`${form} input[name=database]`, "data/nowhere.db");
    await page.click("[data-action=save-connection]");
    await page.waitForSelector("[data-action=save-anyway]:not([hidden])");
    expect(await status()).toMatch(/^✗ The test failed: .*no database at .*data\/nowhere\.db.*Nothing was saved\.$/);
    expect(fs.existsSync(path.join(workspace.dir, "data", "nowhere.db"))).toBe(false);

    await page.fill(`${form} input[name=database]`, "data/shop.db");
    await page.click("[data-action=save-connection]");
    await waitFor(async () => /^✓ SQLite 3\.\d+\.\d+ answered; saved shop\.$/.test((await status()) ?? ""), "the SQLite connection saved after a passing test");
    await page.waitForSelector("tr[data-connection=shop]");
    const saved = ((await api.get("/connections")).body.connections as { name: string; type: string; url: string; host: string | null }[]).find((c) => c.name === "shop");
    expect(saved).toMatchObject({ type: "sqlite", url: "sqlite:data/shop.db", host: null });
    // The browser logs the missing file's test answer (422); nothing else went wrong on the page.
    expect(problems).toEqual(["Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"]);
  });
});
