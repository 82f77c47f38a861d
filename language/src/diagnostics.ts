import {
  analyzeMapping, closestMatch, didYouMean, isTransformSpec, mappingColumns, mathFunctionNames, orderByDependencies, scheduleIssues, transformExpressions,
  type ColumnInfo, type ColumnMapping, type Pipeline, type Problem, type SchedulePath, type TransformsByName,
} from "@databridge/core";
import { DiagnosticSeverity, type Diagnostic } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { expressionIdentifiers } from "./expression-tokens.js";
import { pipelineDocument, rangeOf, type LanguageContext } from "./language-context.js";
import { OPAQUE_MAPPING, propertyKey, type ColumnEntry, type PipelineModel, type StringRef } from "./pipeline-document.js";
import { sourceTable, targetTable } from "./resolve.js";
import { tableLabel } from "./schema-index.js";

export const DIAGNOSTIC_SOURCE = "databridge";

/** Carried in `Diagnostic.data` for the quick fixes. */
export interface DiagnosticData {
  /** Replace the diagnostic's range with this text (did-you-mean). */
  replacement?: string;
  /** The suggestion as a name (for the fix's title). */
  suggestion?: string;
  /** An unmapped NOT NULL target column to add to `columns`, with the source column it probably comes from. */
  addMapping?: { column: string; source?: string };
}

interface Found {
  start: number;
  end: number;
}

/**
 * Diagnostics for a pipeline file, each with a precise range: unknown connections, tables and columns
 * (did-you-mean), unmapped NOT NULL target columns, lossy mappings, bad expressions, invalid schedules,
 * unknown or cyclic `dependsOn`. Reads only the in-memory catalogs in `context`.
 */
export function diagnostics(document: TextDocument, context: LanguageContext): Diagnostic[] {
  const model = pipelineDocument(document, context.transforms);
  const out: Diagnostic[] = [];
  const add = (found: Found, severity: DiagnosticSeverity, code: string, message: string, data?: DiagnosticData) => {
    const diagnostic: Diagnostic = { range: rangeOf(document, found.start, found.end), severity, code, source: DIAGNOSTIC_SOURCE, message };
    if (data) diagnostic.data = data;
    out.push(diagnostic);
  };
  for (const pipeline of model.pipelines) {
    checkConnectionsAndTables(pipeline, context, add);
    checkMappings(pipeline, context, add);
    checkKeys(pipeline, context, add);
    checkSchedule(pipeline, add);
  }
  checkDependencies(document, model.pipelines, context, add);
  const seen = new Set<string>();
  return out
    .filter((d) => {
      const key = `${d.range.start.line}:${d.range.start.character}:${d.range.end.line}:${d.range.end.character}:${d.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

type Add = (found: Found, severity: DiagnosticSeverity, code: string, message: string, data?: DiagnosticData) => void;

const severityOf = (problem: Problem) =>
  problem.severity === "error" ? DiagnosticSeverity.Error : problem.severity === "warning" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information;

function checkConnectionsAndTables(pipeline: PipelineModel, context: LanguageContext, add: Add) {
  const { schema } = context;
  const connectionRefs = pipeline.refs.filter((r) => r.kind === "connection");
  for (const ref of connectionRefs) {
    const known = schema.isKnownConnection(ref.text);
    if (known === false) {
      const suggestion = closestMatch(ref.text, schema.names());
      add(ref, DiagnosticSeverity.Error, "unknown-connection", `unknown connection "${ref.text}"${didYouMean(ref.text, schema.names())}`,
        suggestion ? { replacement: suggestion, suggestion } : undefined);
      continue;
    }
    const state = schema.connection(ref.text);
    if (state?.status === "unreachable") {
      add(ref, DiagnosticSeverity.Warning, "unreachable-connection",
        `connection ${ref.text} is unreachable: ${state.error ?? "unknown error"}; ${state.catalog ? `using the schema cached ${state.fetchedAt ?? "earlier"}` : "no cached schema, so its tables and columns are not checked"}`);
    }
  }
  for (const ref of pipeline.refs.filter((r) => r.kind === "table")) {
    const connection = ref.side === "target" ? pipeline.target.connection?.text : pipeline.sources[ref.sourceIndex ?? 0]?.connection?.text;
    if (connection === undefined) continue;
    const catalog = schema.catalog(connection);
    if (!catalog || schema.table(connection, ref.text)) continue;
    if (ref.side === "target" && pipeline.target.create) continue;
    const labels = catalog.tables.map((t) => tableLabel(catalog, t));
    const suggestion = closestMatch(ref.text, labels);
    add(ref, DiagnosticSeverity.Error, "unknown-table", `${ref.side} table ${ref.text} does not exist on connection ${connection}${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
      suggestion ? { replacement: suggestion, suggestion } : undefined);
  }
}

/** The column mappings checked by the core's `analyzeMapping` (the same checks as `databridge plan`). */
function checkMappings(pipeline: PipelineModel, context: LanguageContext, add: Add) {
  const columns = pipeline.columns;
  if (!columns || !columns.entries.length) return;
  const source = pipeline.sources[0];
  const resolvedSource = sourceTable(pipeline, context.schema);
  const resolvedTarget = targetTable(pipeline, context.schema);
  // Without the source's catalog nothing about source columns can be said; without the target's, nothing about target columns.
  const sourceKnown = !!resolvedSource;
  const targetKnown = !!resolvedTarget;
  if (!sourceKnown && !targetKnown) return;

  const transforms = context.transforms;
  const mappings: Record<string, ColumnMapping> = {};
  const entries = new Map<string, ColumnEntry>();
  for (const entry of columns.entries) {
    mappings[entry.name] = usableMapping(entry.mapping, transforms, context.transformsComplete);
    entries.set(entry.name, entry);
  }
  const engineColumns: string[] = [];
  if (pipeline.multiSource) engineColumns.push(pipeline.target.tenantColumn?.text ?? "tenant_id");
  if (pipeline.idMap) engineColumns.push(pipeline.idMap.column?.text ?? "id");
  const definition = {
    kind: "databridge.pipeline", name: pipeline.name?.text ?? "pipeline",
    source: { connection: source?.connection?.text ?? "", table: source?.table?.text },
    target: { connection: pipeline.target.connection?.text ?? "", table: pipeline.target.table?.text ?? "" },
    columns: mappings,
    incremental: pipeline.incrementalCursor ? { cursor: pipeline.incrementalCursor.text } : undefined,
  } as Pipeline;
  let problems: Problem[];
  try {
    problems = analyzeMapping({
      pipeline: definition,
      sourceColumns: resolvedSource?.table.columns,
      targetTable: resolvedTarget?.table,
      transforms,
      engineColumns,
    });
  } catch {
    return; // a plugin transform that cannot describe its statically-read arguments: no mapping checks for this file
  }
  for (const problem of problems) {
    if (problem.code === "unmapped-not-null" && columns.hasUnknownEntries) continue;
    const entry = problem.column === undefined ? undefined : entries.get(problem.column);
    switch (problem.code) {
      case "unknown-target-column": {
        if (!entry) break;
        const suggestion = problem.suggestion;
        add({ start: entry.nameStart, end: entry.nameEnd }, severityOf(problem), problem.code, problem.message,
          suggestion ? { replacement: propertyKey(suggestion), suggestion } : undefined);
        break;
      }
      case "unmapped-not-null": {
        const guess = problem.column && resolvedSource ? guessSource(problem.column, resolvedSource.table.columns) : undefined;
        add({ start: columns.keyStart, end: columns.keyEnd }, severityOf(problem), problem.code, problem.message, { addMapping: { column: problem.column!, source: guess } });
        break;
      }
      case "unknown-source-column": {
        const places = entry ? sourceColumnPlaces(entry, problem.subject ?? "") : [];
        const suggestion = problem.suggestion;
        for (const place of places.length ? places : entry ? [{ start: entry.nameStart, end: entry.nameEnd }] : []) {
          add(place, severityOf(problem), problem.code, problem.message, suggestion && places.length ? { replacement: suggestion, suggestion } : undefined);
        }
        break;
      }
      case "nullable-cursor": {
        if (pipeline.incrementalCursor) add(pipeline.incrementalCursor, severityOf(problem), problem.code, problem.message);
        break;
      }
      case "bad-expression": {
        const ref = entry?.refs.find((r) => r.kind === "expression" && r.text === problem.subject);
        if (!ref) break;
        const char = Number(/\(char (\d+)\)/.exec(problem.message)?.[1]);
        const at = Number.isFinite(char) && char > 0 ? Math.min(ref.start + char - 1, Math.max(ref.start, ref.end - 1)) : undefined;
        if (at !== undefined) {
          add({ start: at, end: Math.min(at + 1, ref.end) }, severityOf(problem), problem.code, problem.message);
          break;
        }
        // A refused expression: on each call of a function expressions may not use, else on the whole text.
        const refused = refusedCalls(ref.text).map((call) => ({ start: ref.start + call.start, end: ref.start + call.end }));
        for (const place of refused.length ? refused : [ref]) add(place, severityOf(problem), problem.code, problem.message);
        break;
      }
      case "unknown-transform": {
        const ref = entry?.literals.find((r) => r.text === problem.subject);
        if (entry) add(ref ?? { start: entry.nameStart, end: entry.nameEnd }, severityOf(problem), problem.code, problem.message);
        break;
      }
      default: {
        // lossy-* and anything else about one mapping: on the source column it copies, else on the target column.
        if (!entry) break;
        const ref = entry.refs.find((r) => r.kind === "source-column" && r.text === problem.subject);
        add(ref ?? { start: entry.nameStart, end: entry.nameEnd }, severityOf(problem), problem.code, problem.message);
      }
    }
  }
}

// Word operators look like calls when followed by a parenthesis: `not(a)`.
const wordOperators = new Set(["and", "or", "xor", "not"]);

/** Calls in an expression of functions that are not on core's allow-list (`mathFunctionNames`). */
function refusedCalls(text: string) {
  const allowed = new Set(mathFunctionNames());
  return expressionIdentifiers(text).filter((identifier) => identifier.isCall && !allowed.has(identifier.name) && !wordOperators.has(identifier.name));
}

/** Where a source column is read in a mapping: its string literals and its uses inside expressions. */
function sourceColumnPlaces(entry: ColumnEntry, name: string): Found[] {
  const places: Found[] = entry.refs.filter((r) => r.kind === "source-column" && r.text === name);
  for (const ref of entry.refs.filter((r) => r.kind === "expression")) {
    for (const identifier of expressionIdentifiers(ref.text)) {
      if (identifier.name === name && !identifier.isCall) places.push({ start: ref.start + identifier.start, end: ref.start + identifier.end });
    }
  }
  if (!places.length) places.push(...entry.literals.filter((r) => r.text === name));
  return places;
}

/** The source column a target column most likely comes from: same name, any case, or a close one. */
function guessSource(column: string, sourceColumns: ColumnInfo[]): string | undefined {
  const exact = sourceColumns.find((c) => c.name === column) ?? sourceColumns.find((c) => c.name.toLowerCase() === column.toLowerCase());
  return exact?.name ?? closestMatch(column, sourceColumns.map((c) => c.name));
}

/**
 * A statically rebuilt mapping the checks can read: an unknown transform becomes opaque (unless the registry
 * is complete, when analyzeMapping reports it), and so does one whose own `sourceColumns` or `expressions`
 * throw on arguments rebuilt from the source text (what roles derive never throws).
 */
function usableMapping(mapping: ColumnMapping, transforms: TransformsByName, complete: boolean): ColumnMapping {
  const clean = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(clean);
    if (!isTransformSpec(value)) return value;
    if (!transforms.has(value.transform)) return complete ? value : OPAQUE_MAPPING;
    return { transform: value.transform, args: value.args.map(clean) };
  };
  const cleaned = clean(mapping) as ColumnMapping;
  if (!usesOverrides(cleaned, transforms)) return cleaned;
  try {
    mappingColumns(cleaned, transforms);
    probeExpressions(cleaned, transforms);
    return cleaned;
  } catch {
    return OPAQUE_MAPPING;
  }
}

function usesOverrides(mapping: unknown, transforms: TransformsByName): boolean {
  if (Array.isArray(mapping)) return mapping.some((item) => usesOverrides(item, transforms));
  if (!isTransformSpec(mapping)) return false;
  const definition = transforms.get(mapping.transform);
  return !!(definition?.sourceColumns || definition?.expressions) || mapping.args.some((arg) => usesOverrides(arg, transforms));
}

/** Derives each transform's expressions from the rebuilt args, so an override that throws is caught here. */
function probeExpressions(mapping: unknown, transforms: TransformsByName): void {
  if (Array.isArray(mapping)) return mapping.forEach((item) => probeExpressions(item, transforms));
  if (!isTransformSpec(mapping)) return;
  const definition = transforms.get(mapping.transform);
  if (definition) transformExpressions(definition, mapping.args);
  for (const arg of mapping.args) probeExpressions(arg, transforms);
}

/** Keys, cursors and id-map columns: they name source or target columns outside `columns`. */
function checkKeys(pipeline: PipelineModel, context: LanguageContext, add: Add) {
  const checkAgainst = (refs: (StringRef | undefined)[], columns: ColumnInfo[] | undefined, label: string) => {
    if (!columns) return;
    const names = columns.map((c) => c.name);
    for (const ref of refs) {
      if (!ref || names.includes(ref.text)) continue;
      const suggestion = closestMatch(ref.text, names);
      add(ref, DiagnosticSeverity.Error, ref.side === "target" ? "unknown-target-column" : "unknown-source-column",
        `${label} has no column "${ref.text}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}${ref.role ? ` (${ref.role})` : ""}`,
        suggestion ? { replacement: suggestion, suggestion } : undefined);
    }
  };
  pipeline.sources.forEach((source, i) => {
    const resolved = sourceTable(pipeline, context.schema, i);
    const own = i === 0 ? [...source.keys, pipeline.incrementalCursor, pipeline.idMap?.key] : source.keys;
    checkAgainst(own, resolved?.table.columns, "source");
  });
  const target = targetTable(pipeline, context.schema);
  checkAgainst([...pipeline.target.keys, pipeline.target.tenantColumn, pipeline.idMap?.column], target?.table.columns, `target table ${pipeline.target.table?.text ?? ""}`);
}

/** Cron, time zone and durations, checked by core's `scheduleIssues` (as `check` and the runner do), on the part at fault. */
function checkSchedule(pipeline: PipelineModel, add: Add) {
  const spec = pipeline.scheduleSpec;
  const refs: Record<SchedulePath, StringRef | undefined> = {
    schedule: spec ? undefined : pipeline.schedule, "schedule.cron": spec ? pipeline.schedule : undefined,
    "schedule.timezone": spec?.timezone, "schedule.sla": spec?.sla, "schedule.retry.backoff": spec?.backoff, sla: pipeline.sla,
  };
  const cron = pipeline.schedule?.text ?? "";
  const schedule = spec
    ? { cron, seconds: spec.seconds, timezone: spec.timezone?.text, sla: spec.sla?.text, retry: spec.backoff ? { runs: 0, backoff: spec.backoff.text } : undefined }
    : pipeline.schedule ? cron : undefined;
  for (const issue of scheduleIssues({ schedule, sla: pipeline.sla?.text })) {
    const ref = refs[issue.path];
    // A value that is not a literal (a variable, a call) is not checked here.
    if (!ref || (issue.path === "schedule.cron" && !pipeline.schedule)) continue;
    const part = issue.end > issue.start ? { start: ref.start + issue.start, end: ref.start + issue.end } : { start: ref.literalStart, end: ref.literalEnd };
    add(part, DiagnosticSeverity.Error, issue.code, issue.message);
  }
}

/** Unknown `dependsOn` names (core's check) and cycles through this file's pipelines, on the name that closes them. */
function checkDependencies(document: TextDocument, own: PipelineModel[], context: LanguageContext, add: Add) {
  const graph = new Map<string, string[]>();
  for (const p of context.pipelines) if (p.uri !== document.uri) graph.set(p.name, p.dependsOn);
  for (const p of own) if (p.name) graph.set(p.name.text, p.dependsOn.map((d) => d.text));
  const known = [...graph.keys()];
  for (const pipeline of own) {
    const name = pipeline.name?.text;
    if (!name) continue;
    const duplicate = context.pipelines.find((p) => p.name === name && p.uri !== document.uri);
    if (duplicate && pipeline.name) {
      add(pipeline.name, DiagnosticSeverity.Error, "duplicate-pipeline", `pipeline name "${name}" is also used by ${decodeURIComponent(duplicate.uri.slice(duplicate.uri.lastIndexOf("/") + 1))}`);
    }
    if (!pipeline.dependsOn.length) continue;
    const { problems } = orderByDependencies([{ pipeline: { name, dependsOn: pipeline.dependsOn.map((d) => d.text) } }], known);
    for (const problem of problems.filter((p) => p.code === "unknown-dependency")) {
      for (const ref of pipeline.dependsOn.filter((d) => d.text === problem.subject)) {
        const suggestion = closestMatch(ref.text, known);
        add(ref, DiagnosticSeverity.Error, problem.code, problem.message, suggestion ? { replacement: suggestion, suggestion } : undefined);
      }
    }
    for (const ref of pipeline.dependsOn) {
      const path = cyclePath(graph, ref.text, name);
      if (path) add(ref, DiagnosticSeverity.Error, "cyclic-dependency", `dependsOn forms a cycle: ${[name, ...path].join(" → ")}`);
    }
  }
}

/** A path from `from` back to `to` through `dependsOn`, or undefined. */
function cyclePath(graph: Map<string, string[]>, from: string, to: string): string[] | undefined {
  const seen = new Set<string>();
  const walk = (node: string): string[] | undefined => {
    if (node === to) return [node];
    if (seen.has(node)) return undefined;
    seen.add(node);
    for (const next of graph.get(node) ?? []) {
      const rest = walk(next);
      if (rest) return [node, ...rest];
    }
    return undefined;
  };
  return walk(from);
}
