import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderSchemaTypes } from "../schema-types.js";
import { legacyCatalog, warehouseCatalog } from "./helper.js";

/**
 * The declarations `databridge types` writes, compiled by the TypeScript compiler with the built
 * `@databridge/core` types: what a user's plain `tsc` says about each mistake, word for word.
 */
const require = createRequire(import.meta.url);
const coreTypes = path.join(path.dirname(require.resolve("@databridge/core")), "index.d.ts");

const header = `import { pipeline, concat, defaultTo, convert } from "@databridge/core";\n`;
const definition = (body: string) => `${header}export default pipeline({\n  name: "customers",\n${body}\n});\n`;
const source = `  source: { connection: "legacy", table: "CUSTOMERS", key: "CUST_ID" },`;
const target = `  target: { connection: "warehouse", table: "public.customers", mode: "upsert", key: ["id"] },`;
const columns = (lines: string) => `  columns: {\n    id: "CUST_ID",\n${lines}\n  },`;

const FILES: Record<string, string> = {
  "valid.etl.ts": `${header}const customers = pipeline({
  name: "customers",
  source: { connection: "legacy", table: "crm.CUSTOMERS", key: ["CUST_ID"] },
  target: { connection: "warehouse", table: "customers", mode: "upsert", key: ["id"] },
  columns: {
    id: "CUST_ID",
    full_name: concat(["FIRST_NAME", "LAST_NAME"], " "),
    status: defaultTo("STATUS_CODE", "A"),
    created_on: convert("CREATED_TXT", "date", { format: "yyyy-MM-dd" }),
  },
  incremental: { cursor: "UPDATED_AT", lag: "5m" },
  idMap: { entity: "customer", key: "CUST_ID", column: "row_id" },
});
// The definition keeps its literal types: a checked pipeline is still what was written.
export const mode: "upsert" = customers.target.mode;
export default customers;
`,
  "created-target.etl.ts": definition(`${source}
  target: { connection: "warehouse", table: "public.customers_v2", create: true },
${columns("")}`),
  "string-mapping.etl.ts": definition(`${source}\n${target}\n${columns(`    email: "EMIAL",`)}`),
  "other-case.etl.ts": definition(`${source}\n${target}\n${columns(`    email: "email",`)}`),
  "far-from-any.etl.ts": definition(`${source}\n${target}\n${columns(`    email: "MAIL_ADDRESS_1",`)}`),
  "transform.etl.ts": definition(`${source}\n${target}\n${columns(`    full_name: concat(["FIRST_NAME", "LAST_NAM"], " "),`)}`),
  "target-column.etl.ts": definition(`${source}\n${target}\n${columns(`    fullname: "FIRST_NAME",`)}`),
  "source-key.etl.ts": definition(`  source: { connection: "legacy", table: "CUSTOMERS", key: ["CUSTID"] },\n${target}\n${columns("")}`),
  "target-key.etl.ts": definition(`${source}\n  target: { connection: "warehouse", table: "public.customers", mode: "upsert", key: "idd" },\n${columns("")}`),
  "cursor.etl.ts": definition(`${source}\n${target}\n${columns("")}\n  incremental: { cursor: "UPDATE_AT" },`),
  "source-table.etl.ts": definition(`  source: { connection: "legacy", table: "CUSTOMER", key: "CUST_ID" },\n${target}\n${columns("")}`),
  "target-table.etl.ts": definition(`${source}\n  target: { connection: "warehouse", table: "public.customer" },\n${columns("")}`),
};

describe("generated schema types, checked by tsc", () => {
  let dir: string;
  let program: ts.Program;
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    paths: { "@databridge/core": [coreTypes] },
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-schema-tsc-"));
    fs.writeFileSync(path.join(dir, "databridge-schema.d.ts"), renderSchemaTypes({ legacy: legacyCatalog, warehouse: warehouseCatalog }));
    for (const [name, text] of Object.entries(FILES)) fs.writeFileSync(path.join(dir, name), text);
    program = ts.createProgram({ rootNames: [path.join(dir, "databridge-schema.d.ts"), ...Object.keys(FILES).map((f) => path.join(dir, f))], options });
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Each diagnostic as `line: message` (messages flattened the way tsc prints them). */
  const errorsIn = (file: string) => ts.getPreEmitDiagnostics(program, program.getSourceFile(path.join(dir, file))).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    return `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });

  it("a pipeline that names existing tables and columns compiles, and keeps its literal types", () => {
    expect(errorsIn("valid.etl.ts")).toEqual([]);
    expect(errorsIn("created-target.etl.ts")).toEqual([]);
  });

  it("a misspelled source column is named, with the closest column", () => {
    expect(errorsIn("string-mapping.etl.ts")).toEqual([
      `8: Type '"EMIAL"' is not assignable to type '"❌ source has no column \\"EMIAL\\" (did you mean \\"EMAIL\\"?)"'.`,
    ]);
    expect(errorsIn("other-case.etl.ts")).toEqual([
      `8: Type '"email"' is not assignable to type '"❌ source has no column \\"email\\" (did you mean \\"EMAIL\\"?)"'.`,
    ]);
    expect(errorsIn("far-from-any.etl.ts")).toEqual([
      `8: Type '"MAIL_ADDRESS_1"' is not assignable to type '"❌ source has no column \\"MAIL_ADDRESS_1\\""'.`,
    ]);
  });

  it("a transform reading a misspelled column is named at its target column", () => {
    expect(errorsIn("transform.etl.ts")).toEqual([
      `8: Type 'TransformSpec<"FIRST_NAME" | "LAST_NAM">' is not assignable to type '"❌ source has no column \\"LAST_NAM\\" (did you mean \\"LAST_NAME\\"?)"'.`,
    ]);
  });

  it("a target column that does not exist names the target table", () => {
    expect(errorsIn("target-column.etl.ts")).toEqual([
      `8: Type '"FIRST_NAME"' is not assignable to type '"❌ target table public.customers has no column \\"fullname\\" (did you mean \\"full_name\\"?)"'.`,
    ]);
  });

  it("keys and the cursor are checked against their own side", () => {
    expect(errorsIn("source-key.etl.ts")).toEqual([
      `4: Type '"CUSTID"' is not assignable to type '"❌ source has no column \\"CUSTID\\" (did you mean \\"CUST_ID\\"?)"'.`,
    ]);
    expect(errorsIn("target-key.etl.ts")).toEqual([
      `5: Type '"idd"' is not assignable to type '"❌ target table public.customers has no column \\"idd\\" (did you mean \\"id\\"?)"'.`,
    ]);
    expect(errorsIn("cursor.etl.ts")).toEqual([
      `10: Type '"UPDATE_AT"' is not assignable to type '"❌ source has no column \\"UPDATE_AT\\" (did you mean \\"UPDATED_AT\\"?)"'.`,
    ]);
  });

  it("an unknown table names the connection and the closest table; create: true targets are not checked", () => {
    expect(errorsIn("source-table.etl.ts")).toEqual([
      `4: Type '"CUSTOMER"' is not assignable to type '"❌ no table \\"CUSTOMER\\" on connection legacy (did you mean \\"CUSTOMERS\\"?) (run \`databridge types\` after creating it)"'.`,
    ]);
    expect(errorsIn("target-table.etl.ts")).toEqual([
      `5: Type '"public.customer"' is not assignable to type '"❌ no table \\"public.customer\\" on connection warehouse (did you mean \\"public.customers\\"?) (run \`databridge types\` after creating it)"'.`,
    ]);
  });

  it("TypeScript still completes the definition's own fields and values", () => {
    const file = path.join(dir, "completion.etl.ts");
    const text = definition(`${source}\n  target: { connection: "warehouse", table: "public.customers", mode: "" },\n${columns("")}\n  `);
    const files = new Map([[file, text], [path.join(dir, "databridge-schema.d.ts"), fs.readFileSync(path.join(dir, "databridge-schema.d.ts"), "utf8")]]);
    const service = ts.createLanguageService({
      getCompilationSettings: () => options,
      getScriptFileNames: () => [...files.keys()],
      getScriptVersion: () => "1",
      getScriptSnapshot: (name) => {
        const content = files.get(name) ?? (fs.existsSync(name) ? fs.readFileSync(name, "utf8") : undefined);
        return content === undefined ? undefined : ts.ScriptSnapshot.fromString(content);
      },
      getCurrentDirectory: () => dir,
      getDefaultLibFileName: ts.getDefaultLibFilePath,
      fileExists: (name) => files.has(name) || fs.existsSync(name),
      readFile: (name) => files.get(name) ?? fs.readFileSync(name, "utf8"),
    });
    const names = (offset: number) => service.getCompletionsAtPosition(file, offset, {})?.entries.map((e) => e.name) ?? [];
    expect(names(text.indexOf('mode: ""') + 'mode: "'.length)).toEqual(expect.arrayContaining(["insert", "upsert", "update", "replace"]));
    expect(names(text.lastIndexOf("  \n});") + 2)).toEqual(expect.arrayContaining(["batchSize", "dependsOn", "onError", "incremental"]));
  });
});
