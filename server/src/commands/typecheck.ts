import path from "node:path";
import { createRequire } from "node:module";
import ts from "typescript";
import { didYouMean } from "@databridge/core";
import { SCHEMA_TYPES_FILE } from "@databridge/language";
import type { PipelineSources } from "./problem-locations.js";

export interface TypeProblem {
  file: string;
  line: number;
  column: number;
  message: string;
  /**
   * Set when the error is one of the checks `databridge types` declares (a column or table the generated
   * schema does not have): the message is then in DataBridge's words, not TypeScript's.
   */
  schema?: {
    code: "unknown-source-column" | "unknown-target-column" | "unknown-table";
    subject: string;
    pipeline?: string;
    /** The target column whose mapping reads the unknown source column. */
    column?: string;
  };
}

/** A translated error, placed on the literal it is about when that is found (TypeScript reports at the property). */
type Translated = Omit<TypeProblem, "file" | "line" | "column"> & { offset?: number };

const require = createRequire(import.meta.url);

/**
 * Type-checks pipeline and config files with the TypeScript compiler, resolving `@databridge/core`
 * to the workspace's own copy or, when it has none, to the CLI's (as the loader does at run time).
 */
export function typecheckFiles(rootDir: string, files: string[], sources: PipelineSources): TypeProblem[] {
  const configFile = ts.findConfigFile(rootDir, ts.sys.fileExists, "tsconfig.json");
  const inWorkspace = configFile && path.dirname(configFile).startsWith(rootDir);
  const parsed = inWorkspace
    ? ts.parseJsonConfigFileContent(ts.readConfigFile(configFile, ts.sys.readFile).config, ts.sys, path.dirname(configFile))
    : undefined;
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    types: [],
    ...parsed?.options,
    noEmit: true,
  };
  // Ask TypeScript itself: Node's resolution would also look in NODE_PATH (set by pnpm's bin shims),
  // which the type checker never does.
  const hasOwnCore = ts.resolveModuleName("@databridge/core", path.join(rootDir, "databridge.config.ts"), options, ts.sys).resolvedModule !== undefined;
  if (!hasOwnCore) {
    const coreTypes = path.join(path.dirname(require.resolve("@databridge/core")), "index.d.ts");
    options.baseUrl = options.baseUrl ?? rootDir;
    options.paths = { ...options.paths, "@databridge/core": [coreTypes] };
  }
  const rootNames = [...new Set([...files, ...(parsed?.fileNames ?? []).filter((f) => f.endsWith(".d.ts"))])];
  const program = ts.createProgram({ rootNames, options });
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => !d.file || !d.file.fileName.includes("node_modules"));
  const schema = new GeneratedSchema(program);
  const seen = new Set<string>();
  return diagnostics.flatMap((d): TypeProblem[] => {
    const position = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
    const at = { file: d.file ? path.relative(rootDir, d.file.fileName) : "", line: position.line + 1, column: position.character + 1 };
    const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
    const translated = d.file && d.start !== undefined ? schema.translate(text, path.resolve(d.file.fileName), d.start, sources) : [];
    const placed = ({ offset, ...t }: Translated): TypeProblem => {
      if (offset === undefined || !d.file) return { ...at, ...t };
      const literal = d.file.getLineAndCharacterOfPosition(offset);
      return { ...at, line: literal.line + 1, column: literal.character + 1, ...t };
    };
    const problems = translated.length ? translated.map(placed) : [{ ...at, message: text }];
    return problems.filter((p) => {
      const id = `${p.file}:${p.line}:${p.column}:${p.message}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  });
}

interface DeclaredTable {
  connection: string;
  /** `schema.table` as the generated comment names it. */
  table: string;
  columns: string[];
}

/**
 * What `databridge types` declared (`.databridge/types/databridge-schema.d.ts`): each table's row type, read
 * back from the program so its `UnknownColumn<…>`/`UnknownTable<…>` errors can be said in plain words.
 */
class GeneratedSchema {
  private tables?: Map<string, DeclaredTable>;
  private connections?: Map<string, string[]>;

  constructor(private readonly program: ts.Program) {}

  translate(message: string, file: string, offset: number, sources: PipelineSources): Translated[] {
    const said = plainWords(message);
    if (said) return [this.placePlain(said, file, offset, sources)];
    const column = /UnknownColumn<((?:"(?:[^"\\]|\\.)*"(?: \| )?)+), ([\w$]+)>/.exec(message);
    const table = /UnknownTable<("(?:[^"\\]|\\.)*"), ("(?:[^"\\]|\\.)*")>/.exec(message);
    if (!column && !table) return [];
    this.read();
    const model = sources.document(file)?.pipelines.find((p) => offset >= p.callStart && offset <= p.callEnd);
    const pipeline = model?.name?.text;
    const isTarget = (connection: string, tableName: string) =>
      model?.target.connection?.text === connection && sameTable(model.target.table?.text, tableName);
    if (column) {
      const names = [...column[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
      const declared = this.tables!.get(column[2]);
      const target = declared !== undefined && isTarget(declared.connection, declared.table);
      const entry = model?.columns?.entries.find((e) => offset >= e.propertyStart && offset <= e.propertyEnd);
      return names.map((name): Translated => {
        const suggestion = didYouMean(name, declared?.columns ?? []);
        if (target) {
          return { message: `target table ${model?.target.table?.text ?? declared.table} has no column "${name}"${suggestion}`, schema: { code: "unknown-target-column", subject: name, pipeline, column: name } };
        }
        const refs = [...(entry?.refs.filter((r) => r.kind === "source-column") ?? []), ...(model?.sources.flatMap((s) => s.keys) ?? []), model?.incrementalCursor];
        const literal = refs.find((r) => r?.text === name);
        return { message: `source has no column "${name}"${suggestion}`, schema: { code: "unknown-source-column", subject: name, pipeline, column: entry?.name }, offset: literal?.literalStart };
      });
    }
    const name = JSON.parse(table![1]) as string;
    const connection = JSON.parse(table![2]) as string;
    const side = isTarget(connection, name) ? "target" : "source";
    const suggestion = didYouMean(name, this.connections!.get(connection) ?? []);
    const literal = [...(model?.sources.map((s) => s.table) ?? []), model?.target.table].find((r) => r?.text === name);
    return [{
      message: `${side} table ${name} does not exist on connection ${connection}${suggestion}`,
      schema: { code: "unknown-table", subject: name, pipeline }, offset: literal?.literalStart,
    }];
  }

  /** A `❌ …` type (core's `PipelineCheck`): the words are already ours; find the problem it is and its literal. */
  private placePlain(said: string, file: string, offset: number, sources: PipelineSources): Translated {
    const model = sources.document(file)?.pipelines.find((p) => offset >= p.callStart && offset <= p.callEnd);
    const pipeline = model?.name?.text;
    const entry = model?.columns?.entries.find((e) => offset >= e.propertyStart && offset <= e.propertyEnd);
    const sourceColumn = /^source has no column "((?:[^"\\]|\\.)*)"/.exec(said);
    if (sourceColumn) {
      const name = JSON.parse(`"${sourceColumn[1]}"`) as string;
      const refs = [...(entry?.refs.filter((r) => r.kind === "source-column") ?? []), ...(model?.sources.flatMap((s) => s.keys) ?? []), model?.incrementalCursor];
      const literal = refs.find((r) => r?.text === name);
      return { message: said, schema: { code: "unknown-source-column", subject: name, pipeline, column: entry?.name }, offset: literal?.literalStart };
    }
    const targetColumn = /^target table \S+ has no column "((?:[^"\\]|\\.)*)"/.exec(said);
    if (targetColumn) {
      const name = JSON.parse(`"${targetColumn[1]}"`) as string;
      return { message: said, schema: { code: "unknown-target-column", subject: name, pipeline, column: name } };
    }
    const table = /^no table "((?:[^"\\]|\\.)*)" on connection (\S+)/.exec(said);
    const name = table ? (JSON.parse(`"${table[1]}"`) as string) : undefined;
    const literal = [...(model?.sources.map((s) => s.table) ?? []), model?.target.table].find((r) => r?.text === name);
    return { message: said, schema: { code: "unknown-table", subject: name ?? "", pipeline }, offset: literal?.literalStart };
  }

  private read() {
    if (this.tables) return;
    this.tables = new Map();
    this.connections = new Map();
    const generated = this.program.getSourceFiles().filter((f) => f.fileName.endsWith(SCHEMA_TYPES_FILE.split(path.sep).join("/")));
    for (const file of generated) {
      for (const statement of file.statements) {
        if (ts.isTypeAliasDeclaration(statement) && ts.isTypeLiteralNode(statement.type)) {
          // The generator's comment: `/** legacy: dbo.people (table) */`.
          const comment = (ts.getLeadingCommentRanges(file.text, statement.pos) ?? []).map((r) => file.text.slice(r.pos, r.end)).join("");
          const label = /\/\*\*\s*([^:]+):\s*(\S+)\s*\(/.exec(comment);
          const columns = statement.type.members.map((m) => (m.name && (ts.isStringLiteral(m.name) || ts.isIdentifier(m.name)) ? m.name.text : "")).filter(Boolean);
          if (label) this.tables.set(statement.name.text, { connection: label[1].trim(), table: label[2], columns });
        }
        if (ts.isModuleDeclaration(statement) && statement.body && ts.isModuleBlock(statement.body)) {
          for (const inner of statement.body.statements) {
            if (!ts.isInterfaceDeclaration(inner) || inner.name.text !== "DataBridgeSchema") continue;
            for (const member of inner.members) {
              if (!ts.isPropertySignature(member) || !member.name || !ts.isStringLiteral(member.name) || !member.type || !ts.isTypeLiteralNode(member.type)) continue;
              const tables = member.type.members.map((m) => (m.name && ts.isStringLiteral(m.name) ? m.name.text : "")).filter(Boolean);
              this.connections.set(member.name.text, tables);
            }
          }
        }
      }
    }
  }
}

/** `public.people` names the same table as `people` (the generated schema lists both spellings). */
function sameTable(written: string | undefined, declared: string): boolean {
  if (!written) return false;
  const bare = (name: string) => name.slice(name.lastIndexOf(".") + 1).toLowerCase();
  return written.toLowerCase() === declared.toLowerCase() || bare(written) === bare(declared);
}

/** The text of a `❌ …` string-literal type in a TypeScript message (`'"❌ source has no column \\"x\\" …"'`), unescaped. */
function plainWords(message: string): string | undefined {
  const found = /'"❌ ((?:[^"\\]|\\.)*)"'/.exec(message);
  return found ? (JSON.parse(`"${found[1]}"`) as string) : undefined;
}
