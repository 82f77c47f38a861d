import ts from "typescript";
import {
  argumentRole, createRegistry, type ArgumentRole, type ColumnMapping, type TransformDefinition, type TransformSpec, type TransformsByName,
} from "@databridge/core";

/**
 * What a string literal means in a pipeline file, found from where it stands in the `pipeline({...})`
 * object (or in a transform call inside `columns`).
 */
export type RefKind =
  | "pipeline-name"
  | "connection"
  | "table"
  | "source-column"
  | "target-column"
  | "expression"
  | "dependency"
  | "schedule"
  | "timezone"
  | "duration";

export interface StringRef {
  kind: RefKind;
  /** The literal's value. */
  text: string;
  /** Offset of the first character inside the quotes. */
  start: number;
  /** Offset just after the last character inside the quotes (the end of the line when unterminated). */
  end: number;
  /** Offset of the opening quote and just after the closing one. */
  literalStart: number;
  literalEnd: number;
  side?: "source" | "target";
  /** Which effective source the reference belongs to (`source` = 0, `sources[i]` = i). */
  sourceIndex?: number;
  /** For references inside `columns`: the target column whose mapping holds it. */
  column?: string;
  /** What a column reference is for, in words (hover, messages). */
  role?: string;
  pipeline: PipelineModel;
}

export interface SourceModel {
  /** The effective connection (own or the `source` template's). */
  connection?: StringRef;
  table?: StringRef;
  hasQuery: boolean;
  keys: StringRef[];
}

export interface ColumnEntry {
  name: string;
  nameStart: number;
  nameEnd: number;
  /** The whole `name: value` property. */
  propertyStart: number;
  propertyEnd: number;
  /** A mapping rebuilt from the literals (transforms become specs); opaque parts read no column. */
  mapping: ColumnMapping;
  /** True when the value could not be read statically (a variable, a spread, an unknown call). */
  opaque: boolean;
  /** `name:` with nothing typed after it yet. */
  valueMissing: boolean;
  /** `name: value` (or `name:`), not a shorthand `name`. */
  hasColon: boolean;
  refs: StringRef[];
  /** Every string literal inside the value (where a transform describing its own columns may name them). */
  literals: StringRef[];
}

export interface ColumnsModel {
  /** The `columns` key (where "unmapped" diagnostics go). */
  keyStart: number;
  keyEnd: number;
  /** The object literal's braces. */
  objectStart: number;
  objectEnd: number;
  entries: ColumnEntry[];
  /** A spread or a computed key hides entries from the static view. */
  hasUnknownEntries: boolean;
  node: ts.ObjectLiteralExpression;
}

export interface PipelineModel {
  /** Offset of the `pipeline` callee. */
  callStart: number;
  callEnd: number;
  name?: StringRef;
  sources: SourceModel[];
  /** True when the pipeline reads several sources (`sources: [...]`). */
  multiSource: boolean;
  target: {
    connection?: StringRef;
    table?: StringRef;
    keys: StringRef[];
    tenantColumn?: StringRef;
    create: boolean;
  };
  columns?: ColumnsModel;
  dependsOn: StringRef[];
  /** The cron literal: `schedule: "…"`, or `cron: "…"` of `schedule: { … }`. */
  schedule?: StringRef;
  /** The long form's other literals (`schedule: { cron, timezone, seconds, sla, retry: { backoff } }`). */
  scheduleSpec?: { seconds: boolean; timezone?: StringRef; sla?: StringRef; backoff?: StringRef };
  /** The pipeline's own `sla`. */
  sla?: StringRef;
  incrementalCursor?: StringRef;
  idMap?: { key?: StringRef; column?: StringRef };
  refs: StringRef[];
}

export interface PipelineDocument {
  sourceFile: ts.SourceFile;
  text: string;
  pipelines: PipelineModel[];
  /** Every reference of every pipeline, sorted by offset. */
  refs: StringRef[];
}

/** A mapping that reads no source column: stands in for what cannot be read statically. */
export const OPAQUE_MAPPING: TransformSpec = Object.freeze({ transform: "constant", args: Object.freeze([null]) });

/** The built-in transforms: what a file is read with before (or without) its workspace's plugins. */
export const BUILTIN_TRANSFORMS: ReadonlyMap<string, TransformDefinition<never>> = createRegistry().transforms;

const CORE_MODULE = "@databridge/core";
const FAIL = Symbol("fail");

/**
 * Parses a pipeline file (`*.etl.ts`) into the pipelines it declares. Never throws; broken code yields what
 * can be read. A transform's arguments are read by the roles its definition in `transforms` declares (the
 * workspace's plugins included), so its column arguments become source-column references. With the previous
 * version's syntax tree, TypeScript re-parses only what changed (the previous tree must not be used afterwards).
 */
export function parsePipelineDocument(text: string, fileName = "pipeline.etl.ts", previous?: ts.SourceFile, transforms: TransformsByName = BUILTIN_TRANSFORMS): PipelineDocument {
  const sourceFile = previous ? reparse(previous, text) : ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const parser = new PipelineParser(sourceFile, transforms);
  const pipelines = parser.parse();
  const refs = pipelines.flatMap((p) => p.refs).sort((a, b) => a.start - b.start);
  return { sourceFile, text, pipelines, refs };
}

function reparse(previous: ts.SourceFile, text: string): ts.SourceFile {
  const old = previous.text;
  if (old === text) return previous;
  let prefix = 0;
  const max = Math.min(old.length, text.length);
  while (prefix < max && old.charCodeAt(prefix) === text.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && old.charCodeAt(old.length - 1 - suffix) === text.charCodeAt(text.length - 1 - suffix)) suffix++;
  return ts.updateSourceFile(previous, text, { span: { start: prefix, length: old.length - prefix - suffix }, newLength: text.length - prefix - suffix });
}

/** The reference whose text contains `offset` (between its quotes, ends included). */
export function refAt(document: PipelineDocument, offset: number): StringRef | undefined {
  let found: StringRef | undefined;
  for (const ref of document.refs) {
    if (ref.start > offset) break;
    if (offset <= ref.end) found = ref;
  }
  return found;
}

/** The pipeline whose `pipeline(...)` call contains `offset`. */
export function pipelineAt(document: PipelineDocument, offset: number): PipelineModel | undefined {
  return document.pipelines.find((p) => offset >= p.callStart && offset <= p.callEnd);
}

/** True when a name must be quoted as an object key. */
export const needsQuotes = (name: string) => !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name);
export const propertyKey = (name: string) => (needsQuotes(name) ? JSON.stringify(name) : name);

class PipelineParser {
  private readonly names = new Map<string, string>();
  private readonly namespaces = new Set<string>();
  private readonly constants = new Map<string, ts.Expression>();
  private hasCoreImport = false;
  private current!: PipelineModel;

  constructor(private readonly sf: ts.SourceFile, private readonly transforms: TransformsByName) {}

  parse(): PipelineModel[] {
    for (const statement of this.sf.statements) {
      if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier) && statement.moduleSpecifier.text === CORE_MODULE) {
        this.hasCoreImport = true;
        const bindings = statement.importClause?.namedBindings;
        if (bindings && ts.isNamedImports(bindings)) {
          for (const element of bindings.elements) this.names.set(element.name.text, (element.propertyName ?? element.name).text);
        } else if (bindings && ts.isNamespaceImport(bindings)) this.namespaces.add(bindings.name.text);
      }
      if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (ts.isIdentifier(declaration.name) && declaration.initializer) this.constants.set(declaration.name.text, declaration.initializer);
        }
      }
    }
    const pipelines: PipelineModel[] = [];
    const visit = (node: ts.Node) => {
      if (ts.isCallExpression(node) && this.calleeName(node) === "pipeline") {
        const model = this.pipeline(node);
        if (model) pipelines.push(model);
      }
      ts.forEachChild(node, visit);
    };
    visit(this.sf);
    return pipelines;
  }

  /** The core export a call invokes (`concat`, `pipeline`, …), through import aliases and namespaces. */
  private calleeName(call: ts.CallExpression): string | undefined {
    const callee = call.expression;
    if (ts.isIdentifier(callee)) {
      const imported = this.names.get(callee.text);
      if (imported) return imported;
      return this.hasCoreImport ? undefined : callee.text;
    }
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && this.namespaces.has(callee.expression.text)) return callee.name.text;
    return undefined;
  }

  /** Follows parentheses, `as`, `satisfies` and same-file `const` names to the value. */
  private resolve(node: ts.Expression | undefined, depth = 0): ts.Expression | undefined {
    while (node && (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isNonNullExpression(node) || ts.isTypeAssertionExpression(node))) {
      node = node.expression;
    }
    if (node && ts.isIdentifier(node) && depth < 5) {
      const value = this.constants.get(node.text);
      if (value) return this.resolve(value, depth + 1);
    }
    return node;
  }

  private object(node: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
    const value = this.resolve(node);
    return value && ts.isObjectLiteralExpression(value) ? value : undefined;
  }

  private property(object: ts.ObjectLiteralExpression | undefined, name: string): ts.PropertyAssignment | undefined {
    if (!object) return undefined;
    for (const property of object.properties) {
      if (ts.isPropertyAssignment(property) && propertyName(property.name) === name) return property;
    }
    return undefined;
  }

  private stringLiteral(node: ts.Expression | undefined): (ts.StringLiteral | ts.NoSubstitutionTemplateLiteral) | undefined {
    const value = this.resolve(node);
    return value && (ts.isStringLiteral(value) || ts.isNoSubstitutionTemplateLiteral(value)) ? value : undefined;
  }

  private ref(node: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral, kind: RefKind, extra: Partial<StringRef> = {}): StringRef {
    const literalStart = node.getStart(this.sf);
    const raw = this.sf.text.slice(literalStart, node.end);
    const terminated = raw.length >= 2 && raw[raw.length - 1] === raw[0] && raw[raw.length - 2] !== "\\";
    const ref: StringRef = {
      kind, text: node.text, start: literalStart + 1, end: terminated ? node.end - 1 : node.end,
      literalStart, literalEnd: node.end, pipeline: this.current, ...extra,
    };
    this.current.refs.push(ref);
    return ref;
  }

  /** A string, or an array of strings, as references. */
  private refList(node: ts.Expression | undefined, kind: RefKind, extra: Partial<StringRef>): StringRef[] {
    const value = this.resolve(node);
    if (!value) return [];
    const literal = this.stringLiteral(value);
    if (literal) return [this.ref(literal, kind, extra)];
    if (ts.isArrayLiteralExpression(value)) {
      return value.elements.flatMap((element) => {
        const item = this.stringLiteral(element);
        return item ? [this.ref(item, kind, extra)] : [];
      });
    }
    return [];
  }

  private optionalRef(object: ts.ObjectLiteralExpression | undefined, name: string, kind: RefKind, extra: Partial<StringRef> = {}): StringRef | undefined {
    const literal = this.stringLiteral(this.property(object, name)?.initializer);
    return literal ? this.ref(literal, kind, extra) : undefined;
  }

  private pipeline(call: ts.CallExpression): PipelineModel | undefined {
    const definition = this.object(call.arguments[0]);
    const model: PipelineModel = {
      callStart: call.expression.getStart(this.sf), callEnd: call.end, sources: [], multiSource: false,
      target: { keys: [], create: false }, dependsOn: [], refs: [],
    };
    this.current = model;
    if (!definition) return model;
    model.name = this.optionalRef(definition, "name", "pipeline-name");

    const template = this.object(this.property(definition, "source")?.initializer);
    const sourcesNode = this.resolve(this.property(definition, "sources")?.initializer);
    const templateSource = this.source(template, 0, undefined);
    if (sourcesNode && ts.isArrayLiteralExpression(sourcesNode) && sourcesNode.elements.length) {
      model.multiSource = true;
      sourcesNode.elements.forEach((element, i) => model.sources.push(this.source(this.object(element), i, templateSource)));
    } else if (template) model.sources.push(templateSource);

    const target = this.object(this.property(definition, "target")?.initializer);
    model.target.connection = this.optionalRef(target, "connection", "connection", { side: "target" });
    model.target.table = this.optionalRef(target, "table", "table", { side: "target" });
    model.target.keys = this.refList(this.property(target, "key")?.initializer, "target-column", { side: "target", role: "target key" });
    model.target.tenantColumn = this.optionalRef(target, "tenantColumn", "target-column", { side: "target", role: "tenant column" });
    model.target.create = this.property(target, "create")?.initializer.kind === ts.SyntaxKind.TrueKeyword;

    const columnsProperty = this.property(definition, "columns");
    const columns = this.object(columnsProperty?.initializer);
    if (columnsProperty && columns) model.columns = this.columns(columnsProperty, columns);

    model.dependsOn = this.refList(this.property(definition, "dependsOn")?.initializer, "dependency", {});
    const scheduleSpec = this.object(this.property(definition, "schedule")?.initializer);
    if (scheduleSpec) {
      model.schedule = this.optionalRef(scheduleSpec, "cron", "schedule");
      const retry = this.object(this.property(scheduleSpec, "retry")?.initializer);
      model.scheduleSpec = {
        seconds: this.property(scheduleSpec, "seconds")?.initializer.kind === ts.SyntaxKind.TrueKeyword,
        timezone: this.optionalRef(scheduleSpec, "timezone", "timezone", { role: "schedule.timezone" }),
        sla: this.optionalRef(scheduleSpec, "sla", "duration", { role: "schedule.sla" }),
        backoff: this.optionalRef(retry, "backoff", "duration", { role: "schedule.retry.backoff" }),
      };
    } else model.schedule = this.optionalRef(definition, "schedule", "schedule");
    model.sla = this.optionalRef(definition, "sla", "duration", { role: "sla" });
    const incremental = this.object(this.property(definition, "incremental")?.initializer);
    model.incrementalCursor = this.optionalRef(incremental, "cursor", "source-column", { sourceIndex: 0, side: "source", role: "incremental cursor" });
    const idMap = this.object(this.property(definition, "idMap")?.initializer);
    if (idMap) {
      model.idMap = {
        key: this.optionalRef(idMap, "key", "source-column", { sourceIndex: 0, side: "source", role: "id-map key" }),
        column: this.optionalRef(idMap, "column", "target-column", { side: "target", role: "id-map column" }),
      };
    }
    return model;
  }

  /** One source; with `sources: [...]`, each element inherits what the `source` template sets. */
  private source(object: ts.ObjectLiteralExpression | undefined, index: number, template: SourceModel | undefined): SourceModel {
    const own: SourceModel = {
      connection: this.optionalRef(object, "connection", "connection", { side: "source", sourceIndex: index }),
      table: this.optionalRef(object, "table", "table", { side: "source", sourceIndex: index }),
      hasQuery: !!this.property(object, "query"),
      keys: this.refList(this.property(object, "key")?.initializer, "source-column", { side: "source", sourceIndex: index, role: "source key" }),
    };
    if (!template) return own;
    const ownTableOrQuery = own.table || own.hasQuery;
    return {
      connection: own.connection ?? template.connection,
      table: ownTableOrQuery ? own.table : template.table,
      hasQuery: ownTableOrQuery ? own.hasQuery : template.hasQuery,
      keys: own.keys.length ? own.keys : template.keys,
    };
  }

  private columns(property: ts.PropertyAssignment, object: ts.ObjectLiteralExpression): ColumnsModel {
    const model: ColumnsModel = {
      keyStart: property.name.getStart(this.sf), keyEnd: property.name.end,
      objectStart: object.getStart(this.sf), objectEnd: object.end, entries: [], hasUnknownEntries: false, node: object,
    };
    for (const member of object.properties) {
      if (ts.isSpreadAssignment(member)) {
        model.hasUnknownEntries = true;
        continue;
      }
      const name = member.name ? propertyName(member.name) : undefined;
      if (name === undefined || !member.name) {
        model.hasUnknownEntries = true;
        continue;
      }
      const entry: ColumnEntry = {
        name, nameStart: member.name.getStart(this.sf), nameEnd: member.name.end,
        propertyStart: member.getStart(this.sf), propertyEnd: member.end,
        mapping: OPAQUE_MAPPING, opaque: true, valueMissing: false, hasColon: ts.isPropertyAssignment(member), refs: [], literals: [],
      };
      if (ts.isPropertyAssignment(member)) {
        entry.valueMissing = ts.isIdentifier(member.initializer) && member.initializer.text === "";
        const before = this.current.refs.length;
        const mapping = this.mapping(member.initializer, name);
        entry.refs = this.current.refs.slice(before);
        entry.opaque = mapping === FAIL || containsOpaque(mapping);
        entry.mapping = mapping === FAIL ? OPAQUE_MAPPING : mapping;
        entry.literals = this.literals(member.initializer, name);
      }
      model.entries.push(entry);
    }
    return model;
  }

  /** Every string literal under a node, as (untracked) references: where a transform's own `sourceColumns` may find a column. */
  private literals(node: ts.Node, column: string): StringRef[] {
    const out: StringRef[] = [];
    const visit = (n: ts.Node) => {
      if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) {
        const literalStart = n.getStart(this.sf);
        out.push({ kind: "source-column", text: n.text, start: literalStart + 1, end: Math.max(literalStart + 1, n.end - 1), literalStart, literalEnd: n.end, column, pipeline: this.current });
      }
      ts.forEachChild(n, visit);
    };
    visit(node);
    return out;
  }

  /** A column name or a transform call; `role` says what a column name here is for (hover, messages). */
  private mapping(node: ts.Expression, column: string, role = `mapped to ${column}`): ColumnMapping | typeof FAIL {
    const value = this.resolve(node);
    if (!value) return FAIL;
    const literal = this.stringLiteral(value);
    if (literal) return this.ref(literal, "source-column", { column, sourceIndex: 0, side: "source", role }).text;
    if (ts.isCallExpression(value)) return this.transformCall(value, column);
    return FAIL;
  }

  /** A transform call, its arguments read by the roles the transform declares. */
  private transformCall(call: ts.CallExpression, column: string): TransformSpec | typeof FAIL {
    const callee = this.calleeName(call);
    if (!callee) return FAIL;
    let name = callee;
    let args: readonly ts.Expression[] = call.arguments;
    if (callee === "transform") {
      const first = this.stringLiteral(call.arguments[0]);
      if (!first) return FAIL;
      name = first.text;
      args = call.arguments.slice(1);
    }
    const definition = this.transforms.get(name);
    // Another core export is not a transform; an unregistered plugin transform's arguments are read as values.
    if (!definition && callee !== "transform") return FAIL;
    const values: unknown[] = [];
    for (let i = 0; i < args.length; i++) {
      const role = definition ? argumentRole(definition, i) : "value";
      const label = `argument ${definition?.args[i]?.name ?? i + 1} of ${name}, for ${column}`;
      const value = this.argument(args[i], role, column, label);
      if (value === FAIL) return OPAQUE_MAPPING;
      values.push(value);
    }
    return { transform: name, args: values };
  }

  private argument(node: ts.Expression, role: ArgumentRole, column: string, label: string): unknown {
    const value = this.resolve(node);
    if (!value) return FAIL;
    const opaqueIfFailed = <T>(parsed: T | typeof FAIL) => (parsed === FAIL ? OPAQUE_MAPPING : parsed);
    switch (role) {
      case "column": {
        const literal = this.stringLiteral(value);
        return literal ? this.ref(literal, "source-column", { column, sourceIndex: 0, side: "source", role: label }).text : FAIL;
      }
      case "expression": {
        const literal = this.stringLiteral(value);
        return literal ? this.ref(literal, "expression", { column, sourceIndex: 0, side: "source", role: label }).text : FAIL;
      }
      case "mapping":
        return opaqueIfFailed(this.mapping(value, column, label));
      case "columns":
        if (!ts.isArrayLiteralExpression(value)) return FAIL;
        return value.elements.map((element) => opaqueIfFailed(this.mapping(element, column, label)));
      case "value":
        return ts.isCallExpression(value) ? opaqueIfFailed(this.transformCall(value, column)) : literalValue(value);
      case "literal":
        return literalValue(value);
    }
  }
}

function containsOpaque(mapping: unknown): boolean {
  if (mapping === OPAQUE_MAPPING) return true;
  if (Array.isArray(mapping)) return mapping.some(containsOpaque);
  if (typeof mapping === "object" && mapping !== null && Array.isArray((mapping as TransformSpec).args)) return (mapping as TransformSpec).args.some(containsOpaque);
  return false;
}

/** A property name as text (identifiers, string and numeric literals); undefined for computed names. */
export function propertyName(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name) || ts.isPrivateIdentifier(name)) return name.text;
  return undefined;
}

/** The value of a literal expression (strings, numbers, booleans, null, arrays and objects of them). */
function literalValue(node: ts.Expression): unknown {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(node.operand)) return -Number(node.operand.text);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (node.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isArrayLiteralExpression(node)) return node.elements.map((e) => literalValue(e));
  if (ts.isObjectLiteralExpression(node)) {
    const out: Record<string, unknown> = {};
    for (const property of node.properties) {
      if (ts.isPropertyAssignment(property)) {
        const key = propertyName(property.name);
        if (key !== undefined) out[key] = literalValue(property.initializer);
      }
    }
    return out;
  }
  return undefined;
}
