/**
 * The VS Code extension end to end: the packaged .vsix installed into code-server 4.100.3 (VS Code 1.100),
 * driven by headless Chromium through playwright-core, against real MariaDB and PostgreSQL databases created
 * here. Screenshots go to test-results/e2e/. Run with `pnpm e2e` (packages the extension first).
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { type CodeServer, filesContaining, filesUnder, startCodeServer, tmpBase } from "./support/code-server.js";
import { launchBrowser, Workbench } from "./support/workbench.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const vsix = process.env.DATABRIDGE_VSIX ?? path.join(repo, "extension", "databridge-vscode-0.1.0.vsix");
const screenshots = path.join(repo, "test-results", "e2e");
const ROWS = 2500;
const suffix = randomBytes(3).toString("hex");
/** A column that exists only in the live legacy table: completing it proves the schema came from the database. */
const liveColumn = `loyalty_tier_${suffix}`;
const password = `Pw-${randomBytes(9).toString("base64url")}`;

const PIPELINE = `import { concat, pipeline } from "@databridge/core";

export default pipeline({
  name: "customers",
  source: { connection: "legacy", table: "customers", key: "id" },
  target: { connection: "warehouse", table: "public.customers", mode: "upsert", key: ["id"] },
  columns: {
    id: "id",
    full_name: concat(["first_name", "last_name"], " "),
    email: "email",
  },
  batchSize: 500,
});
`;
const EMAIL_LINE = PIPELINE.split("\n").findIndex((l) => l.includes(`email: "email"`)) + 1;

const ok = await requireServers("postgres", "mariadb");

/** Polls until `probe` yields a value (an error counts as not yet); throws naming what it waited for. */
async function until<T>(probe: () => Promise<T | false | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== false && value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
const timings: Record<string, number> = {};
const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[name] = Date.now() - started;
  }
};

describe.runIf(ok)("DataBridge extension in code-server", () => {
  let legacy: Awaited<ReturnType<typeof createMariadbDatabase>>;
  let warehouse: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let reporting: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let base: string;
  let workspace: string;
  let server: CodeServer;
  let browser: Browser;
  let wb: Workbench;
  let failed = false;

  afterEach((context) => {
    if (context.task.result?.state === "fail") failed = true;
  });

  beforeAll(async () => {
    failed = true; // until the setup completes
    if (!fs.existsSync(vsix)) throw new Error(`${vsix} is missing: run \`pnpm package\` first (pnpm e2e does)`);
    fs.rmSync(screenshots, { recursive: true, force: true });
    await timed("databases", async () => {
      [legacy, warehouse, reporting] = await Promise.all([createMariadbDatabase("e2e_legacy"), createPostgresDatabase("e2e_wh"), createPostgresDatabase("e2e_rep")]);
      await legacy.query(
        `CREATE TABLE customers (id INT PRIMARY KEY, first_name VARCHAR(50) NOT NULL, last_name VARCHAR(50) NOT NULL, email VARCHAR(120), ${liveColumn} VARCHAR(20))`,
      );
      const values = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, 'First${i + 1}', 'Last${i + 1}', 'c${i + 1}@example.com', 'gold')`);
      await legacy.query(`INSERT INTO customers VALUES ${values.join(",")}`);
      await warehouse.query(`CREATE TABLE public.customers (id integer PRIMARY KEY, full_name text NOT NULL, email text, tier text)`);
      // A table no pipeline reads yet: "Generate Pipelines…" writes one for it.
      await legacy.query(`CREATE TABLE LegacyOrders (OrderID INT PRIMARY KEY, customer_id INT NOT NULL, Amount DECIMAL(10,2))`);
    });
    base = tmpBase("dbx-e2e-");
    workspace = path.join(base, "workspace");
    fs.mkdirSync(path.join(workspace, "pipelines"), { recursive: true });
    fs.writeFileSync(
      path.join(workspace, "databridge.config.ts"),
      `import { defineConfig } from "@databridge/core";\n\nexport default defineConfig({\n  connections: {\n    legacy: { url: ${JSON.stringify(legacy.url)} },\n    warehouse: { url: ${JSON.stringify(warehouse.url)} },\n  },\n});\n`,
    );
    fs.writeFileSync(path.join(workspace, "pipelines", "customers.etl.ts"), PIPELINE);
    server = await timed("code-server start (install + listen)", () =>
      startCodeServer({
        vsix,
        baseDir: path.join(base, "code-server"),
        settings: {
          "workbench.startupEditor": "none",
          "security.workspace.trust.enabled": false,
          "telemetry.telemetryLevel": "off",
          "workbench.tips.enabled": false,
          "extensions.ignoreRecommendations": true,
          "git.enabled": false,
          "typescript.disableAutomaticTypeAcquisition": true,
          "editor.codeLens": true,
          "window.commandCenter": false,
          "files.autoSave": "off",
        },
      }),
    );
    browser = await launchBrowser();
    wb = await timed("workbench load", () => Workbench.open(browser, server.url, workspace, screenshots));
    failed = false;
  }, 300_000);

  afterAll(async () => {
    console.log(`e2e timings (ms): ${JSON.stringify(timings)}`);
    if (wb) await wb.screenshot("final").catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    await Promise.allSettled([legacy?.drop(), warehouse?.drop(), reporting?.drop()]);
    // Keep the workspace, VS Code's logs and settings for inspection when something failed.
    if (failed) console.log(`e2e: workspace and code-server folders kept in ${base}`);
    else if (base) fs.rmSync(base, { recursive: true, force: true });
  }, 120_000);

  it("a valid pipeline in a workspace without node_modules has no error squiggle, and TypeScript knows @databridge/core", async () => {
    expect(fs.existsSync(path.join(workspace, "node_modules"))).toBe(false);
    await timed("types without node_modules", async () => {
      await wb.openFile("customers.etl.ts");
      await wb.page.locator(".codelens-decoration a", { hasText: "Run" }).first().waitFor({ timeout: 90_000 });
      // Prove TypeScript's diagnostics are live in this file: a type error of our own appears...
      await wb.goTo(PIPELINE.split("\n").length);
      await wb.page.keyboard.type(`const probe: number = "not a number";`);
      await wb.page.locator(".monaco-editor .squiggly-error").first().waitFor({ timeout: 120_000 });
      await wb.screenshot("types-probe-error");
      // ...and once it is gone nothing is left: no "Cannot find module '@databridge/core'" on line 1.
      await wb.command("File: Revert File");
      await wb.page.locator(".tabs-container .tab.active.dirty").waitFor({ state: "detached" });
      await expect.poll(() => wb.page.locator(".monaco-editor .squiggly-error").count(), { timeout: 60_000 }).toBe(0);
      // TypeScript's own hover on the import shows the function from the shipped declarations, with its type parameters.
      await wb.goTo(1, PIPELINE.indexOf("pipeline") + 2);
      await wb.command("Show or Focus Hover");
      const hover = wb.page.locator(".monaco-hover .hover-contents", { hasText: /pipeline/ }).first();
      await hover.waitFor({ timeout: 30_000 });
      await wb.screenshot("types-hover");
      expect(await hover.textContent()).toMatch(/function pipeline</);
      await wb.page.keyboard.press("Escape");
      expect(fs.existsSync(path.join(workspace, "node_modules"))).toBe(false);
    });
  }, 240_000);

  it("completes a live column name inside a column string", async () => {
    await timed("completion", async () => {
      await wb.openFile("customers.etl.ts");
      // The code lenses only appear once the language server runs: wait for them first.
      await wb.page.locator(".codelens-decoration a", { hasText: "Run" }).first().waitFor({ timeout: 90_000 });
      await wb.goTo(EMAIL_LINE);
      await wb.page.keyboard.press("End");
      await wb.page.keyboard.press("Enter");
      await wb.page.keyboard.type(`tier: "`);
      let row = wb.page.locator(".suggest-widget .monaco-list-row", { hasText: liveColumn }).first();
      try {
        await row.waitFor({ timeout: 20_000 });
      } catch {
        // The schema may still be loading on the first keystroke: ask again (the list refreshes from the catalog).
        await wb.page.keyboard.press("Escape");
        await wb.page.keyboard.press("Control+Space");
        row = wb.page.locator(".suggest-widget .monaco-list-row", { hasText: liveColumn }).first();
        await row.waitFor({ timeout: 60_000 });
      }
      await wb.screenshot("completion");
      const labels = await wb.page.locator(".suggest-widget .monaco-list-row .label-name").allTextContents();
      expect(labels).toEqual(expect.arrayContaining([liveColumn, "first_name", "last_name", "email"]));
      await wb.page.keyboard.press("Escape");
    });
  }, 180_000);

  it("marks a misspelled column with a squiggle and a Problems entry", async () => {
    await timed("diagnostic", async () => {
      // The line now reads `tier: "|"`: type a misspelled column into the string.
      await wb.page.keyboard.type("emial");
      await wb.page.locator(".monaco-editor .squiggly-error").first().waitFor({ timeout: 30_000 });
      const rows = await wb.problems();
      const entry = rows.filter({ hasText: /emial/ }).first();
      await entry.waitFor({ timeout: 30_000 });
      await wb.screenshot("diagnostic");
      expect(await entry.textContent()).toMatch(/email/);
      // Back to the file on disk before running it (the edits were never saved).
      await wb.page.locator(".tabs-container .tab.active.dirty").waitFor();
      await wb.command("File: Revert File");
      await wb.page.locator(".tabs-container .tab.active.dirty").waitFor({ state: "detached" });
      await expect.poll(() => wb.page.locator(".editor-instance .view-lines").first().textContent()).not.toContain("tier");
      expect(fs.readFileSync(path.join(workspace, "pipelines", "customers.etl.ts"), "utf8")).toBe(PIPELINE);
    });
  }, 120_000);

  it("runs the pipeline from the code lens and shows live progress to succeeded with the row count", async () => {
    await timed("run from code lens", async () => {
      await wb.openFile("customers.etl.ts");
      await wb.page.locator(".codelens-decoration a", { hasText: "Run" }).first().click({ timeout: 90_000 });
      const frame = wb.panelFrame();
      const view = frame.locator(".run-view");
      await view.waitFor({ timeout: 60_000 });
      await frame.locator('.run-view[data-status="succeeded"]').waitFor({ timeout: 120_000 });
      await expect.poll(async () => frame.locator('[data-testid="rows-written"]').textContent(), { timeout: 30_000 }).toBe(ROWS.toLocaleString("en-US"));
      // Progress arrived live over the event stream: the view counted events, and the stages show the pipeline.
      expect(Number(await view.getAttribute("data-events"))).toBeGreaterThan(0);
      await frame.locator('[data-testid="stage"][data-pipeline="customers"]').waitFor();
      await wb.screenshot("run-succeeded");
      // The panel's strict CSP let everything it needs through (no violation reported by the webview).
      expect(wb.console.filter((line) => /Content Security Policy|Refused to/i.test(line))).toEqual([]);
      const count = await warehouse.query("SELECT count(*)::int AS n FROM public.customers");
      expect(count.rows[0].n).toBe(ROWS);
    });
  }, 240_000);

  it("keeps the panel's run view after it is hidden and shown again", async () => {
    await timed("panel restore", async () => {
      await wb.openFile("databridge.config.ts");
      // Bring the panel tab back; the webview reloads at the route it showed.
      await wb.page.locator(".tabs-container .tab", { hasText: "DataBridge" }).first().click();
      await wb.panelFrame().locator('.run-view[data-status="succeeded"]').waitFor({ timeout: 60_000 });
      await expect.poll(async () => wb.panelFrame().locator('[data-testid="rows-written"]').textContent(), { timeout: 30_000 }).toBe(ROWS.toLocaleString("en-US"));
    });
  }, 120_000);

  it("previews the pipeline from the code lens: source rows beside the rows they become", async () => {
    await timed("preview", async () => {
      await wb.openFile("customers.etl.ts");
      await wb.page.locator(".codelens-decoration a", { hasText: "Preview" }).first().click();
      await wb.page.locator(".tabs-container .tab", { hasText: "preview-customers.md" }).first().waitFor({ timeout: 60_000 });
      // The Markdown preview is a webview of its own: find the frame showing the transformed row.
      await expect
        .poll(async () => {
          for (const frame of wb.page.frames()) {
            const text = await frame.locator("body").textContent({ timeout: 1000 }).catch(() => null);
            if (text?.includes("Preview of customers") && text.includes("First1 Last1")) return true;
          }
          return false;
        }, { timeout: 60_000 })
        .toBe(true);
      await wb.screenshot("preview");
    });
  }, 120_000);

  it("adds a connection with Test before Save, keeping the password only in SecretStorage", async () => {
    await timed("add connection", async () => {
      await wb.command("DataBridge: Add Connection");
      await wb.pick("New connection name");
      await wb.answer("reporting", "Connection name");
      await wb.pick("PostgreSQL");
      await wb.answer(undefined, "Host");
      await wb.answer(undefined, "Port");
      await wb.answer(reporting.name, "Database");
      await wb.answer("postgres", "User");
      await wb.answer(password, "Password");
      const toast = wb.notification(/Connected to reporting/);
      await toast.waitFor({ timeout: 60_000 });
      await wb.screenshot("connection-tested");
      await toast.locator(".monaco-button", { hasText: "Save" }).click();
      await wb.notification(/connection reporting saved/).waitFor({ timeout: 30_000 });
    });
    // The setting has the connection without its password.
    const settingsFile = path.join(workspace, ".vscode", "settings.json");
    await expect.poll(() => fs.existsSync(settingsFile) && fs.readFileSync(settingsFile, "utf8"), { timeout: 10_000 }).toContain('"reporting"');
    const settings = JSON.parse(fs.readFileSync(settingsFile, "utf8"));
    expect(settings["databridge.connections"].reporting).toEqual({ type: "postgres", host: "127.0.0.1", port: 5432, database: reporting.name, username: "postgres" });
    // The runner got it from SecretStorage (it reports a password without showing it).
    const runnerFile = JSON.parse(fs.readFileSync(path.join(workspace, ".databridge", "runner.json"), "utf8")) as { url: string; token: string };
    await expect
      .poll(async () => {
        const response = await fetch(`${runnerFile.url}/api/v1/connections`, { headers: { authorization: `Bearer ${runnerFile.token}` } });
        const body = (await response.json()) as { connections: { name: string; hasPassword: boolean }[] };
        return body.connections.find((c) => c.name === "reporting")?.hasPassword;
      }, { timeout: 20_000 })
      .toBe(true);
    // The password is in no settings file, workspace file or log (nor in code-server's output).
    const leaks = filesContaining([workspace, path.join(server.userDataDir, "User"), path.join(server.userDataDir, "logs")], password);
    expect(leaks).toEqual([]);
    expect(server.output()).not.toContain(password);
  }, 180_000);

  it("shows connections (with the live schema) and pipelines with their last run in the DataBridge views", async () => {
    await timed("views", async () => {
      await wb.page.locator('.activitybar .action-item a[aria-label^="DataBridge"]').first().click();
      const connections = wb.page.locator(".pane", { has: wb.page.locator(".pane-header", { hasText: "Connections" }) });
      for (const name of ["legacy", "warehouse", "reporting"]) await connections.locator(".monaco-list-row", { hasText: name }).first().waitFor({ timeout: 30_000 });
      // Expand legacy → its table → the live column.
      await connections.locator(".monaco-list-row", { hasText: "legacy" }).first().click();
      await connections.locator(".monaco-list-row", { hasText: "customers" }).first().click();
      await connections.locator(".monaco-list-row", { hasText: liveColumn }).first().waitFor({ timeout: 30_000 });
      const pipelines = wb.page.locator(".pane", { has: wb.page.locator(".pane-header", { hasText: "Pipelines" }) });
      await pipelines.locator(".monaco-list-row", { hasText: "customers" }).filter({ hasText: "succeeded" }).first().waitFor({ timeout: 30_000 });
      const runs = wb.page.locator(".pane", { has: wb.page.locator(".pane-header", { hasText: "Runs" }) });
      await runs.locator(".monaco-list-row", { hasText: `succeeded · ${ROWS.toLocaleString("en-US")} rows` }).first().waitFor({ timeout: 30_000 });
      // The status bar shows the runner (idle now: no run in progress).
      const status = wb.page.locator(".statusbar-item", { has: wb.page.locator(".codicon-database") }).filter({ hasText: "DataBridge" }).first();
      await status.waitFor();
      expect((await status.textContent())?.trim()).toBe("DataBridge");
      await wb.screenshot("views");
    });
  }, 120_000);

  it("generates pipelines: source and target picked, tables multi-selected with row estimates; a hand-written file is left alone; the new one opens", async () => {
    await timed("generate pipelines", async () => {
      await wb.command("DataBridge: Generate Pipelines…");
      await wb.page.locator(".quick-input-widget .quick-input-title", { hasText: "Generate Pipelines (1/3)" }).waitFor({ timeout: 30_000 });
      await wb.pick("legacy");
      await wb.page.locator(".quick-input-widget .quick-input-title", { hasText: "Generate Pipelines (2/3)" }).waitFor();
      await wb.pick("warehouse");
      await wb.page.locator(".quick-input-widget .quick-input-title", { hasText: "Generate Pipelines (3/3)" }).waitFor({ timeout: 60_000 });
      const rows = wb.page.locator(".quick-input-widget .monaco-list-row");
      await rows.filter({ hasText: "LegacyOrders" }).first().waitFor();
      // Both tables, each with its row estimate, all picked: accept.
      expect(await rows.filter({ hasText: "customers" }).first().textContent()).toMatch(/rows/);
      await wb.screenshot("generate-tables");
      await wb.page.keyboard.press("Enter");
      await wb.notification("2 pipelines from legacy into warehouse: 1 created, 1 left alone").waitFor({ timeout: 60_000 });
      await wb.page.locator(".tabs-container .tab.active", { hasText: "legacyorders.etl.ts" }).waitFor({ timeout: 30_000 });
      await wb.screenshot("generate-opened");
    });
    const generated = fs.readFileSync(path.join(workspace, "pipelines", "legacyorders.etl.ts"), "utf8");
    expect(generated).toMatch(/^\/\/ Generated by `databridge generate` from legacy:/);
    expect(generated).toContain(`source: { connection: "legacy", table: "LegacyOrders", key: "OrderID" },`);
    expect(generated).toContain(`target: { connection: "warehouse", table: "legacyorders", mode: "upsert", create: true },`);
    expect(generated).toContain(`    orderid: "OrderID",\n    customer_id: "customer_id",\n    amount: "Amount",\n`);
    // The hand-written pipeline of the same name as a generated one was not touched.
    expect(fs.readFileSync(path.join(workspace, "pipelines", "customers.etl.ts"), "utf8")).toBe(PIPELINE);
  }, 180_000);

  it("generates types for plain tsc from the live schemas", async () => {
    await timed("generate types", async () => {
      await wb.command("DataBridge: Generate Types");
      await wb.notification(/Wrote .*databridge-schema\.d\.ts/).waitFor({ timeout: 90_000 });
    });
    const declarations = fs.readFileSync(path.join(workspace, ".databridge", "types", "databridge-schema.d.ts"), "utf8");
    expect(declarations).toContain(liveColumn);
    expect(declarations).not.toContain(password);
  }, 120_000);

  /** The workspace's runner, as the extension started it (.databridge/runner.json). */
  const runnerApi = async <T>(method: string, apiPath: string, body?: unknown): Promise<T> => {
    const file = JSON.parse(fs.readFileSync(path.join(workspace, ".databridge", "runner.json"), "utf8")) as { url: string; token: string };
    const response = await fetch(`${file.url}/api/v1${apiPath}`, {
      method, headers: { authorization: `Bearer ${file.token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${apiPath}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  type ApiRun = { id: string; status: string; heldAtBoundary: boolean; rows: { written: number; rejected: number } };
  const runFinished = (id: string) => expect.poll(async () => (await runnerApi<ApiRun>("GET", `/runs/${id}`)).status, { timeout: 180_000 }).toMatch(/^(succeeded|succeeded_with_rejects|failed|cancelled|interrupted)$/);
  /** A webview's document (the Markdown preview, a report) whose text contains all of these. */
  const webviewShowing = (...texts: string[]) => expect.poll(async () => {
    for (const frame of wb.page.frames()) {
      const text = await frame.locator("body").textContent({ timeout: 1000 }).catch(() => null);
      if (text && texts.every((t) => text.includes(t))) return true;
    }
    return false;
  }, { timeout: 60_000 }).toBe(true);
  let notesRun = "";

  it("Verify opens the HTML reconciliation report of the pipeline in the editor", async () => {
    await timed("verify", async () => {
      await wb.openFile("customers.etl.ts");
      await wb.command("DataBridge: Verify");
      await wb.page.locator(".tabs-container .tab", { hasText: "Verify: customers" }).first().waitFor({ timeout: 120_000 });
      await webviewShowing("DataBridge reconciliation report", "100% of checks passed", "warehouse:public.customers");
      await wb.notification(/verify passed: reconciliation 100%/).waitFor({ timeout: 30_000 });
      await wb.screenshot("verify-report");
    });
    const reports = fs.readdirSync(path.join(workspace, ".databridge", "reports"));
    expect(reports.length).toBeGreaterThan(0);
  }, 180_000);

  it("Show Rejected Rows lists a run's rejects with their keys and errors; Replay loads those fixed at the source", async () => {
    await timed("rejects and replay", async () => {
      await legacy.query("CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(40))");
      await legacy.query(`INSERT INTO notes VALUES ${Array.from({ length: 300 }, (_, i) => `(${i + 1}, ${[17, 42, 133].includes(i + 1) ? "NULL" : `'note ${i + 1}'`})`).join(",")}`);
      await warehouse.query("CREATE TABLE public.notes (id integer PRIMARY KEY, body text NOT NULL)");
      fs.writeFileSync(path.join(workspace, "pipelines", "notes.etl.ts"), `import { pipeline } from "@databridge/core";

export default pipeline({
  name: "notes",
  onError: "skip",
  source: { connection: "legacy", table: "notes", key: "id" },
  target: { connection: "warehouse", table: "public.notes", mode: "insert" },
  columns: { id: "id", body: "body" },
  batchSize: 50,
});
`);
      // The runner picks the new file up on its next look at the workspace.
      notesRun = await until(async () => (await runnerApi<{ id: string }>("POST", "/runs", { pipelines: ["notes"] })).id, "the runner to accept a run of notes");
      await runFinished(notesRun);
      expect(await runnerApi<ApiRun>("GET", `/runs/${notesRun}`)).toMatchObject({ status: "succeeded_with_rejects", rows: { written: 297, rejected: 3 } });

      await wb.command("DataBridge: Show Rejected Rows");
      await wb.pick(notesRun);
      await wb.page.locator(".tabs-container .tab", { hasText: `rejects-${notesRun}.md` }).first().waitFor({ timeout: 60_000 });
      await webviewShowing(`Rejected rows of run ${notesRun}`, "3 rejected rows", "[17]", "[42]", "[133]", 'null value in column "body"');
      await wb.screenshot("rejects");

      // Two of the three fixed at the source: replay loads them, the third stays rejected.
      await legacy.query("UPDATE notes SET body = CONCAT('fixed ', id) WHERE id IN (17, 42)");
      await wb.command("DataBridge: Replay Rejected Rows");
      await wb.pick(notesRun);
      await wb.notification(`run ${notesRun}: 3 rejected rows replayed, 2 loaded, 1 still rejected`).waitFor({ timeout: 90_000 });
      await wb.screenshot("replayed");
    });
    expect((await warehouse.query("SELECT id, body FROM public.notes WHERE id IN (17, 42, 133) ORDER BY id")).rows).toEqual([{ id: 17, body: "fixed 17" }, { id: 42, body: "fixed 42" }]);
    expect((await runnerApi<{ total: number; rows: { key: unknown[] }[] }>("GET", `/runs/${notesRun}/rejects`)).rows.map((r) => r.key)).toEqual([[133]]);
  }, 240_000);

  it("Rollback Run asks in a modal naming the run and what it removes, then removes the rows it wrote", async () => {
    const before = (await warehouse.query("SELECT count(*)::int AS n FROM public.notes")).rows[0].n as number;
    await timed("rollback", async () => {
      await wb.command("DataBridge: Rollback Run");
      await wb.pick(notesRun);
      const dialog = wb.page.locator(".monaco-dialog-box");
      await dialog.waitFor({ timeout: 30_000 });
      await expect.poll(() => dialog.textContent()).toContain(`Roll back run ${notesRun} (notes, succeeded_with_rejects)?`);
      expect(await dialog.textContent()).toContain("297 rows inserted into warehouse:public.notes by notes");
      await wb.screenshot("rollback-confirm");
      await dialog.locator(".monaco-button", { hasText: "Roll Back" }).click();
      await wb.notification(new RegExp(`run ${notesRun} rolled back: [\\d,]+ rows removed \\(public\\.notes\\)`)).waitFor({ timeout: 90_000 });
      await wb.screenshot("rolled-back");
    });
    const toast = await wb.notification(/rolled back/).textContent();
    const removed = Number(/rolled back: ([\d,]+) rows removed/.exec(toast ?? "")![1]!.replace(/,/g, ""));
    expect(removed).toBeGreaterThanOrEqual(297);
    expect((await warehouse.query("SELECT count(*)::int AS n FROM public.notes")).rows[0].n).toBe(before - removed);
  }, 180_000);

  it("Pause Run holds a running run at a batch boundary and Resume Run lets it finish", async () => {
    // A source that takes its time (every row read sleeps 10 ms), so the run is still going when paused.
    await legacy.query("CREATE TABLE slow_base (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)");
    await legacy.query(`INSERT INTO slow_base VALUES ${Array.from({ length: 2000 }, (_, i) => `(${i + 1}, 'v${i + 1}')`).join(",")}`);
    await legacy.query("CREATE VIEW slow_rows AS SELECT id, v FROM slow_base WHERE SLEEP(0.01) = 0");
    await warehouse.query("CREATE TABLE public.slow_rows (id integer PRIMARY KEY, v text NOT NULL)");
    fs.writeFileSync(path.join(workspace, "pipelines", "slow.etl.ts"), `import { pipeline } from "@databridge/core";

export default pipeline({
  name: "slow",
  source: { connection: "legacy", table: "slow_rows", key: "id" },
  target: { connection: "warehouse", table: "public.slow_rows", mode: "insert" },
  columns: { id: "id", v: "v" },
  batchSize: 50,
});
`);
    const runId = await until(async () => (await runnerApi<{ id: string }>("POST", "/runs", { pipelines: ["slow"] })).id, "the runner to accept a run of slow");
    await timed("pause and resume", async () => {
      await wb.command("DataBridge: Pause Run");
      await wb.pick(runId);
      await wb.notification(`run ${runId} pauses at its next batch boundary`).waitFor({ timeout: 30_000 });
      await until(async () => {
        const run = await runnerApi<ApiRun>("GET", `/runs/${runId}`);
        return run.status === "paused" && run.heldAtBoundary;
      }, "the run to hold at a batch boundary");
      const held = (await runnerApi<ApiRun>("GET", `/runs/${runId}`)).rows.written;
      expect(held).toBeLessThan(2000);
      const runs = wb.page.locator(".pane", { has: wb.page.locator(".pane-header", { hasText: "Runs" }) });
      await runs.locator(".monaco-list-row", { hasText: "slow" }).filter({ hasText: "paused" }).first().waitFor({ timeout: 30_000 });
      await wb.screenshot("paused");

      await wb.command("DataBridge: Resume Run");
      await wb.pick(runId);
      await wb.notification(`run ${runId} resumed`).waitFor({ timeout: 30_000 });
      await runFinished(runId);
    });
    expect(await runnerApi<ApiRun>("GET", `/runs/${runId}`)).toMatchObject({ status: "succeeded", rows: { written: 2000 } });
    expect((await warehouse.query("SELECT count(*)::int AS n FROM public.slow_rows")).rows[0].n).toBe(2000);
  }, 240_000);

  it("activated from the .vsix without errors in the extension host log", async () => {
    const logs = filesUnder(path.join(server.userDataDir, "logs"));
    const exthost = logs.filter((f) => /exthost\d*\.log$|remoteexthost\.log$/.test(path.basename(f)));
    expect(exthost.length).toBeGreaterThan(0);
    const text = exthost.map((f) => fs.readFileSync(f, "utf8")).join("\n");
    expect(text).toMatch(/ExtensionService#_doActivateExtension databridge\.databridge-vscode/);
    expect(text).not.toMatch(/Activating extension .?databridge\.databridge-vscode.? failed/i);
    expect(text).not.toMatch(/databridge[\s\S]{0,200}(Error|TypeError):/);
    const output = logs.filter((f) => /DataBridge\.log$/.test(f));
    expect(output.length).toBeGreaterThan(0);
    const ours = output.map((f) => fs.readFileSync(f, "utf8")).join("\n");
    expect(ours).toMatch(/DataBridge activated in \d+ ms/);
    expect(ours).toMatch(/language server: started/);
    expect(ours.split("\n").filter((l) => /\[error\]/.test(l))).toEqual([]);
  });
});
