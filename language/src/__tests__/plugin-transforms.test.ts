import { createRegistry, definePlugin, type TransformDefinition } from "@databridge/core";
import { describe, expect, it } from "vitest";
import type { CompletionItem } from "vscode-languageserver";
import { codeActions } from "../code-actions.js";
import { completion } from "../completion.js";
import { diagnostics } from "../diagnostics.js";
import { hover } from "../hover.js";
import { createLanguageContext, type LanguageContext } from "../language-context.js";
import { documentOf, fixture, pipelineSource, schemaIndex, textAt } from "./helper.js";

/**
 * A workspace plugin's transforms, which the language server knows nothing about except what their
 * definitions declare: the argument roles alone give completions, diagnostics, fixes and hover.
 */
const compile: TransformDefinition<never>["compile"] = () => () => null;
const masking = definePlugin({
  name: "masking",
  transforms: [
    { name: "maskEmail", args: [{ name: "email", role: "column" }, { name: "keep", role: "literal" }], compile },
    { name: "redactWhen", args: [{ name: "condition", role: "expression" }, { name: "input", role: "mapping" }, { name: "parts", role: "columns" }], compile },
    {
      // An odd transform describing its columns itself (so the diagnostic can only sit on the target column), and throwing on arguments it cannot read.
      name: "packed", args: [{ name: "spec", role: "literal" }], compile,
      sourceColumns: (([spec]: [string]) => spec.split("+")) as never,
    },
  ],
});

const withPlugin = (complete = true): LanguageContext =>
  createLanguageContext({ schema: schemaIndex(), transforms: createRegistry([masking]).transforms, transformsComplete: complete });
const builtinsOnly = (): LanguageContext => createLanguageContext({ schema: schemaIndex() });

const CLEAN = `    id: "CUST_ID",
    full_name: "FIRST_NAME",
    status: "STATUS_CODE",`;
const source = (columns: string) => pipelineSource(`${CLEAN}\n${columns}`).replace("import {", "import { transform, trim, lower,");
const LEGACY_CUSTOMER_COLUMNS = ["CUST_ID", "FIRST_NAME", "LAST_NAME", "EMAIL", "STATUS_CODE", "CREDIT_LIMIT", "VISITS", "CREATED_TXT", "UPDATED_AT", "REGION_ID"];

const labels = (items: CompletionItem[]) => items.map((i) => i.label);
const completeAt = (columns: string, ctx = withPlugin()) => {
  const { document, position } = fixture(source(columns));
  return completion(document, position, ctx).items;
};
const check = (columns: string, ctx = withPlugin()) => {
  const document = documentOf(source(columns));
  const found = diagnostics(document, ctx).filter((d) => d.code !== "lossy-nullability");
  return { document, found, view: found.map((d) => ({ code: d.code, text: textAt(document, d.range), message: d.message })) };
};

describe("a plugin transform's column arguments complete source columns", () => {
  it.each([
    ["a column argument", `    email: transform("maskEmail", "|"),`],
    ["a column argument, partly typed", `    email: transform("maskEmail", "EM|", 2),`],
    ["a mapping argument", `    email: transform("redactWhen", "VISITS > 3", "|"),`],
    ["a columns argument (second element)", `    email: transform("redactWhen", "VISITS > 3", "EMAIL", ["FIRST_NAME", "|"]),`],
    ["a column argument nested in a built-in", `    email: concat([transform("maskEmail", "|")], ";"),`],
    ["a built-in nested in a plugin's mapping argument", `    email: transform("redactWhen", "VISITS > 3", trim("|")),`],
  ])("%s", (_name, columns) => {
    expect(labels(completeAt(columns))).toEqual(LEGACY_CUSTOMER_COLUMNS);
  });

  it("an expression argument completes columns and mathjs functions", () => {
    const names = labels(completeAt(`    email: transform("redactWhen", "VIS| > 3", "EMAIL"),`));
    expect(names.slice(0, LEGACY_CUSTOMER_COLUMNS.length)).toEqual(LEGACY_CUSTOMER_COLUMNS);
    expect(names).toEqual(expect.arrayContaining(["round", "abs"]));
  });

  it("a literal argument is not a column: nothing there", () => {
    expect(completeAt(`    email: transform("maskEmail", "EMAIL", "|"),`)).toEqual([]);
  });

  it("the roles come from the workspace's registry: with the built-ins alone, nothing is known about the plugin's arguments", () => {
    expect(completeAt(`    email: transform("maskEmail", "|"),`, builtinsOnly())).toEqual([]);
  });
});

describe("a plugin transform's column arguments are checked", () => {
  it("an unknown column: on the literal, with did-you-mean and a fix that clears it", () => {
    const { view, found, document } = check(`    email: transform("maskEmail", "EMAL", 2),`);
    expect(view).toEqual([{ code: "unknown-source-column", text: "EMAL", message: 'source has no column "EMAL" (did you mean "EMAIL"?)' }]);
    const [fix] = codeActions(document, { textDocument: { uri: document.uri }, range: found[0].range, context: { diagnostics: found } });
    expect(fix.title).toBe('Change to "EMAIL"');
    const edit = fix.edit!.changes![document.uri][0];
    const fixed = document.getText().slice(0, document.offsetAt(edit.range.start)) + edit.newText + document.getText().slice(document.offsetAt(edit.range.end));
    expect(fixed).toContain(`transform("maskEmail", "EMAIL", 2)`);
    expect(diagnostics(documentOf(fixed), withPlugin()).filter((d) => d.code === "unknown-source-column")).toEqual([]);
  });

  it("in expression, mapping and columns arguments, each on its own text; literals are never columns", () => {
    const { view } = check(`    email: transform("redactWhen", "VISTS > 3", lower("EMIAL"), ["LAST_NAM"]),\n    tier: transform("maskEmail", "EMAIL", "NOT_A_COLUMN"),`);
    expect(view).toEqual([
      { code: "unknown-source-column", text: "VISTS", message: 'source has no column "VISTS" (did you mean "VISITS"?)' },
      { code: "unknown-source-column", text: "EMIAL", message: 'source has no column "EMIAL" (did you mean "EMAIL"?)' },
      { code: "unknown-source-column", text: "LAST_NAM", message: 'source has no column "LAST_NAM" (did you mean "LAST_NAME"?)' },
    ]);
  });

  it("an expression argument that does not parse is a bad expression", () => {
    expect(check(`    email: transform("redactWhen", "VISITS >", "EMAIL"),`).view.map((d) => d.code)).toEqual(["bad-expression"]);
  });

  it("a transform describing its own columns is checked through them, and one that throws on what it is given is skipped, not fatal", () => {
    expect(check(`    email: transform("packed", "EMAIL+VISTS"),`).view).toEqual([
      { code: "unknown-source-column", text: "email", message: 'source has no column "VISTS" (did you mean "VISITS"?)' },
    ]);
    expect(check(`    email: transform("packed", 42),\n    tier: transform("maskEmail", "EMAL"),`).view.map((d) => d.text)).toEqual(["EMAL"]);
  });

  it("before the workspace's plugins are known, a plugin transform is neither checked nor an error", () => {
    expect(check(`    email: transform("maskEmail", "EMAL"),`, builtinsOnly()).view).toEqual([]);
  });
});

describe("hover on a plugin transform's column argument", () => {
  it("shows the source column, naming the argument and the transform", () => {
    const { document, position } = fixture(source(`    email: transform("maskEmail", "EM|AIL"),`));
    const result = hover(document, position, withPlugin());
    expect(textAt(document, result!.range!)).toBe("EMAIL");
    const value = (result!.contents as { value: string }).value;
    expect(value).toMatch(/^source column \(argument email of maskEmail, for email\)/);
    expect(value).toContain("**EMAIL** `varchar(255)`");
  });
});
