import { describe, expect, it } from "vitest";
import { type FlowUi, runAddConnectionFlow, type TestOutcome, testMessage } from "./add-connection-flow.js";
import type { ConnectionSpec } from "./connection-spec.js";
import { builtinConnectors, describeConnector } from "@databridge/core";

/** The descriptions the runner serves at GET /connectors, taken from core itself, so the flow is tested against the real list. */
const connectors = builtinConnectors.map(describeConnector);

/**
 * A scripted user: answers each prompt in order. Every prompt's validation runs on the scripted answer, as
 * VS Code's InputBox would, and a rejected answer fails the test with the message the user would have seen.
 */
function scripted(answers: (string | undefined)[], outcomes: TestOutcome[], decisions: ("save" | "edit" | "cancel" | undefined)[]) {
  const prompts: string[] = [];
  const tested: { spec: ConnectionSpec; password: string | undefined }[] = [];
  const ui: FlowUi = {
    async pick(items, options) {
      prompts.push(`pick:${options.placeholder}`);
      const answer = answers.shift();
      if (answer === undefined) return undefined;
      const item = items.find((i) => i.label === answer || i.label.includes(answer));
      if (!item) throw new Error(`no item "${answer}" in ${items.map((i) => i.label).join(", ")}`);
      return item;
    },
    async input(options) {
      prompts.push(`input:${options.prompt}${options.password ? " (password)" : ""}`);
      const answer = answers.shift();
      if (answer === undefined) return undefined;
      const value = answer === "<keep>" ? options.value ?? "" : answer;
      const problem = options.validate?.(value);
      if (problem) throw new Error(`rejected "${value}": ${problem}`);
      return value;
    },
    async test(spec, password) {
      tested.push({ spec, password });
      return outcomes.shift()!;
    },
    async decide() {
      return decisions.shift();
    },
  };
  return { ui, prompts, tested };
}

describe("Add Connection flow", () => {
  it("asks every field, tests, and saves with the password kept apart from the spec", async () => {
    const { ui, prompts, tested } = scripted(
      ["legacy", "PostgreSQL", "<keep>", "<keep>", "erp", "etl", "s3cret!"],
      [{ ok: true, version: "PostgreSQL 15.8" }],
      ["save"],
    );
    const result = await runAddConnectionFlow(ui, { savedNames: [], configNames: ["legacy", "warehouse"], connectors });
    expect(result).toEqual({
      spec: { name: "legacy", type: "postgres", host: "127.0.0.1", port: 5432, database: "erp", username: "etl" },
      password: "s3cret!",
      tested: { ok: true, version: "PostgreSQL 15.8" },
    });
    expect(JSON.stringify(result!.spec)).not.toContain("s3cret!");
    expect(tested).toHaveLength(1);
    expect(prompts[0]).toMatch(/^pick:Which connection/);
    expect(prompts.at(-1)).toMatch(/Password for etl .*secret storage.*\(password\)$/);
  });

  it("offers Edit after a failed test, starting from the previous answers", async () => {
    const { ui, tested } = scripted(
      [
        "$(add) New", "crm", "MySQL", "db.local", "<keep>", "crm", "app", "wrong",
        // Edit: the same prompts again, each starting from the previous answer ("<keep>").
        "$(add) New", "crm", "MySQL", "<keep>", "<keep>", "<keep>", "<keep>", "right",
      ],
      [{ ok: false, message: "Access denied for user 'app'" }, { ok: true, version: "10.11.6-MariaDB" }],
      ["edit", "save"],
    );
    const result = await runAddConnectionFlow(ui, { savedNames: [], configNames: ["legacy"], connectors });
    expect(tested.map((t) => [t.spec.host, t.spec.port, t.password])).toEqual([["db.local", 3306, "wrong"], ["db.local", 3306, "right"]]);
    expect(result?.spec).toEqual({ name: "crm", type: "mysql", host: "db.local", port: 3306, database: "crm", username: "app" });
  });

  it("rejects a taken or malformed name and a bad port the way the InputBox would", async () => {
    await expect(runAddConnectionFlow(scripted(["legacy"], [], []).ui, { savedNames: ["legacy"], configNames: [], connectors })).rejects.toThrow(/already exists/);
    await expect(runAddConnectionFlow(scripted(["x", "PostgreSQL", "h", "99999"], [], []).ui, { savedNames: [], configNames: [], connectors })).rejects.toThrow(/1 to 65535/);
  });

  it("returns undefined when the user escapes at any step or cancels after the test", async () => {
    expect(await runAddConnectionFlow(scripted(["n", "PostgreSQL", undefined], [], []).ui, { savedNames: [], configNames: [], connectors })).toBeUndefined();
    const { ui } = scripted(["n", "PostgreSQL", "h", "1", "d", "u", ""], [{ ok: true, version: "v" }], ["cancel"]);
    expect(await runAddConnectionFlow(ui, { savedNames: [], configNames: [], connectors })).toBeUndefined();
  });

  it("asks only for a folder for PGlite and has no password", async () => {
    const { ui, prompts } = scripted(["local", "PGlite", "<keep>"], [{ ok: true, version: "PostgreSQL 17 (PGlite)" }], ["save"]);
    const result = await runAddConnectionFlow(ui, { savedNames: [], configNames: [], connectors });
    expect(result).toMatchObject({ spec: { name: "local", type: "pglite", folder: "data/local" }, password: undefined });
    expect(prompts.some((p) => p.includes("(password)"))).toBe(false);
  });

  it("offers every database core describes, SQLite asking for its file", async () => {
    const { ui, prompts } = scripted(["legacy", "SQLite", "<keep>"], [{ ok: true, version: "SQLite 3" }], ["save"]);
    const result = await runAddConnectionFlow(ui, { savedNames: [], configNames: [], connectors });
    expect(result).toMatchObject({ spec: { name: "legacy", type: "sqlite", folder: "data/legacy.db" }, password: undefined });
    expect(prompts.at(-1)).toBe("input:Database file of SQLite, relative to databridge.config.ts (inside the workspace, not in .databridge/)");
    const offered: string[] = [];
    const recordTypes: FlowUi["pick"] = async (items, options) => {
      if (!options.placeholder.startsWith("Database type")) return items[0];
      offered.push(...items.map((i) => i.label));
      return undefined;
    };
    await runAddConnectionFlow({ ...ui, pick: recordTypes }, { savedNames: [], configNames: ["x"], connectors });
    expect(offered).toEqual(expect.arrayContaining(connectors.map((c) => c.label)));
  });

  it("writes test messages naming the connection, never the password", () => {
    const spec: ConnectionSpec = { name: "legacy", type: "postgres", host: "h", port: 5432, database: "d", username: "u" };
    expect(testMessage({ ok: false, message: "timeout" }, spec)).toBe("Could not connect to legacy (postgres://u@h:5432/d): timeout");
  });
});
