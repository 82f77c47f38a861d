import { partitioningProblem } from "./partitions.js";
import type { ColumnMapping, Pipeline } from "../authoring/pipeline.js";
import { isTransformSpec } from "../authoring/pipeline.js";
import type { TransformDefinition } from "../authoring/plugin.js";
import type { ColumnInfo, PortableType, TableInfo } from "../connectors/connector.js";
import { parseExpression } from "../transforms/expression.js";
import { mappingColumns, transformExpressions } from "../transforms/argument-roles.js";
import { didYouMean } from "../util/suggest.js";

export type ProblemCode =
  | "unknown-connection" | "unreachable-connection" | "unknown-table" | "unknown-source-column" | "unknown-target-column"
  | "unmapped-not-null" | "lossy-length" | "lossy-scale" | "lossy-integer" | "lossy-nullability"
  | "bad-expression" | "unknown-transform" | "missing-key" | "unknown-dependency" | "cyclic-dependency" | "type-error"
  | "nullable-cursor" | "non-unique-key" | "unchecked-key" | "incremental-insert" | "incremental-replace" | "parallelism-split" | "bad-deletes"
  | "inexact-type" | "binary-target" | "invalid-schedule" | "invalid-timezone" | "invalid-duration" | "bad-source-filter"
  | "incompatible-type" | "no-unique-target-key" | "syntax-error"
  | "bad-name" | "uncarried-schema";

export interface Problem {
  /** `error` stops a run; `warning` fails `check`; `info` is said and fails nothing. */
  severity: "error" | "warning" | "info";
  code: ProblemCode;
  message: string;
  pipeline: string;
  /** The target column whose mapping has the problem (or the unmapped target column). */
  column?: string;
  /** The source column or expression text at fault, when that is narrower than the target column. */
  subject?: string;
  /** A replacement the user probably meant (did-you-mean). */
  suggestion?: string;
  table?: string;
  /** Where in the pipeline file the fault is (1-based), when it is known. */
  location?: { file: string; line: number; column: number };
}

export interface MappingAnalysisInput {
  pipeline: Pipeline;
  /** Columns the source offers (table columns, or a query's result columns); undefined when unknown. */
  sourceColumns?: Pick<ColumnInfo, "name" | "type" | "nullable" | "nativeType">[];
  /** The source table or view (with its keys and indexes), when the source is one and it is known. */
  sourceTable?: TableInfo;
  /** `source.key` as written (undefined: the table's primary key). */
  sourceKey?: string[];
  /** The target table; undefined when it does not exist (yet). */
  targetTable?: TableInfo;
  transforms: ReadonlyMap<string, TransformDefinition<never>>;
  /** Target columns filled by the engine itself (tenant column, id-map column). */
  engineColumns?: string[];
}

/**
 * Checks a pipeline's column mappings against the source and target schemas. Pure: the CLI's `plan`
 * and `check`, and the language server, run the same checks on the same catalogs.
 */
export function analyzeMapping(input: MappingAnalysisInput): Problem[] {
  const { pipeline, sourceColumns, targetTable, transforms } = input;
  const problems: Problem[] = [];
  const add = (problem: Omit<Problem, "pipeline">) => problems.push({ pipeline: pipeline.name, ...problem });
  const sourceByName = new Map(sourceColumns?.map((c) => [c.name, c]));
  const targetByName = new Map(targetTable?.columns.map((c) => [c.name, c]));
  const targetName = pipeline.target.table;
  const fromQuery = Boolean(pipeline.source?.query);

  const checkSourceColumn = (name: string, column: string) => {
    if (!sourceColumns || sourceByName.has(name)) return;
    const suggestion = didYouMean(name, sourceByName.keys());
    add({
      severity: "error", code: "unknown-source-column", column, subject: name,
      suggestion: suggestion ? /"(.*)"/.exec(suggestion)?.[1] : undefined,
      message: `source has no column "${name}"${suggestion}`,
    });
  };

  for (const [column, mapping] of Object.entries(pipeline.columns)) {
    if (targetTable && !targetByName.has(column)) {
      const suggestion = didYouMean(column, targetByName.keys());
      add({
        severity: "error", code: "unknown-target-column", column, subject: column, table: targetName,
        suggestion: suggestion ? /"(.*)"/.exec(suggestion)?.[1] : undefined,
        message: `target table ${targetName} has no column "${column}"${suggestion}`,
      });
    }
    for (const problem of checkTransforms(mapping, transforms)) add({ ...problem, column });
    for (const name of new Set(mappingColumns(mapping, transforms))) checkSourceColumn(name, column);
    const target = targetByName.get(column);
    const source = typeof mapping === "string" ? sourceByName.get(mapping) : undefined;
    if (target && source) {
      // A query's result columns always say "nullable": whether a NULL can come is unknown, so nothing is claimed.
      const compared = fromQuery ? { ...source, nullable: false } : source;
      for (const problem of lossyProblems(compared, target)) add({ ...problem, column, subject: mapping as string, table: targetName });
    }
  }

  for (const key of [...keyColumns(pipeline.source?.key), ...(pipeline.incremental ? [pipeline.incremental.cursor] : [])]) {
    checkSourceColumn(key, key);
  }

  // Incremental reads page by (cursor, key) past the watermark: a row whose cursor is NULL is never read.
  // Only a table's columns say whether they are nullable (a query's result columns always may be).
  const cursor = pipeline.incremental?.cursor;
  if (cursor && pipeline.source?.table && sourceByName.get(cursor)?.nullable) {
    add({
      severity: "warning", code: "nullable-cursor", column: cursor, subject: cursor,
      message: `incremental cursor ${cursor} is nullable: rows where it is NULL are never synced (make it NOT NULL, or backfill it)`,
    });
  }

  problems.push(...keyProblems(input));
  const partitioning = partitioningProblem(pipeline);
  if (partitioning) add({ severity: "error", code: "parallelism-split", subject: "parallelism", message: partitioning });
  const mode = pipeline.target.mode ?? "insert";
  if (cursor && mode === "replace") {
    add({
      severity: "error", code: "incremental-replace", column: cursor, subject: cursor,
      message: `incremental sync reads only changed rows, and mode "replace" would swap the table for them: use mode: "upsert"`,
    });
  }
  if (cursor && mode === "insert") {
    add({
      severity: "warning", code: "incremental-insert", column: cursor, subject: cursor,
      message: `incremental sync with mode "insert" only appends: a changed row fails as a duplicate and a row committed late with the watermark's cursor value is skipped (use mode: "upsert", or a lag that covers your longest transaction)`,
    });
  }

  if (targetTable) {
    const mapped = new Set([...Object.keys(pipeline.columns), ...(input.engineColumns ?? [])]);
    for (const column of targetTable.columns) {
      if (!column.nullable && column.default === null && !column.generated && !mapped.has(column.name)) {
        add({
          severity: "error", code: "unmapped-not-null", column: column.name, table: targetName,
          message: `target column ${column.name} (${column.nativeType}) is NOT NULL without a default and is not mapped`,
        });
      }
    }
  }
  return problems;
}

/**
 * Keyset paging (`WHERE key > last`) is exact only for a unique key: rows sharing a key across a page
 * boundary would be skipped. A table's key must be guaranteed by its primary key or a unique index on NOT
 * NULL columns; a view's or a query's cannot be checked (the reader stops a run that meets a repeated key).
 */
function keyProblems(input: MappingAnalysisInput): Problem[] {
  const { pipeline, sourceTable } = input;
  const source = pipeline.source;
  const add = (severity: Problem["severity"], code: ProblemCode, key: string[], message: string): Problem[] =>
    [{ severity, code, pipeline: pipeline.name, column: key.join(", "), subject: key[0], message }];
  if (source && "query" in source && source.query) {
    const key = keyColumns(source.key);
    return key.length ? add("info", "unchecked-key", key, `source key ${key.join(", ")} of a query is unchecked: DataBridge stops the run if it meets a repeated key`) : [];
  }
  if (!sourceTable) return [];
  const key = input.sourceKey ?? sourceTable.primaryKey;
  if (!key.length || key.some((k) => !sourceTable.columns.some((c) => c.name === k))) return [];
  if (sourceTable.kind === "view") {
    return add("info", "unchecked-key", key, `source key ${key.join(", ")} of view ${sourceTable.name} is unchecked (a view has no unique index): DataBridge stops the run if it meets a repeated key`);
  }
  const notNull = (name: string) => sourceTable.columns.find((c) => c.name === name)?.nullable === false;
  const guarantees = [sourceTable.primaryKey, ...sourceTable.indexes.filter((i) => i.unique).map((i) => i.columns)]
    .some((columns) => columns.length > 0 && columns.every((c) => key.includes(c) && notNull(c)));
  if (guarantees) return [];
  return add("error", "non-unique-key", key,
    `source key ${key.join(", ")} of ${sourceTable.name} is not guaranteed unique (no primary key or unique index on NOT NULL columns covers it), and paging by a repeated key skips rows: set source.key to the primary key or to unique NOT NULL columns`);
}

function keyColumns(key: string | string[] | undefined): string[] {
  return key === undefined ? [] : Array.isArray(key) ? key : [key];
}

function checkTransforms(mapping: ColumnMapping | unknown, transforms: ReadonlyMap<string, TransformDefinition<never>>): Omit<Problem, "pipeline">[] {
  if (!isTransformSpec(mapping)) return [];
  const definition = transforms.get(mapping.transform);
  if (!definition) {
    return [{ severity: "error", code: "unknown-transform", subject: mapping.transform, message: `unknown transform "${mapping.transform}"${didYouMean(mapping.transform, transforms.keys())}` }];
  }
  const problems: Omit<Problem, "pipeline">[] = [];
  for (const expression of transformExpressions(definition, mapping.args)) {
    try {
      parseExpression(expression);
    } catch (error) {
      // parseExpression's message is the whole line: a syntax error with its position, or what the allow-list refuses.
      problems.push({ severity: "error", code: "bad-expression", subject: expression, message: (error as Error).message });
    }
  }
  for (const arg of mapping.args) {
    if (isTransformSpec(arg)) problems.push(...checkTransforms(arg, transforms));
    if (Array.isArray(arg)) for (const item of arg) problems.push(...checkTransforms(item, transforms));
  }
  return problems;
}

const integerRank: Partial<Record<PortableType["kind"], number>> = { smallint: 1, integer: 2, bigint: 3 };
const integerDigits: Record<number, number> = { 1: 4, 2: 9, 3: 18 };

/** Lossy conversions from a source column to the target column it is copied into. */
export function lossyProblems(
  source: Pick<ColumnInfo, "type" | "nullable" | "nativeType">,
  target: Pick<ColumnInfo, "type" | "nullable" | "nativeType" | "default">,
): Omit<Problem, "pipeline">[] {
  const problems: Omit<Problem, "pipeline">[] = [];
  const from = source.type;
  const to = target.type;
  const arrow = `${source.nativeType} → ${target.nativeType}`;
  const stringy = (k: string) => k === "string" || k === "text";
  if (stringy(to.kind) && to.length !== undefined && (stringy(from.kind) || from.kind === "unknown")) {
    if (from.length === undefined || from.length > to.length) {
      problems.push({ severity: "warning", code: "lossy-length", message: `values may be truncated or rejected: ${arrow}` });
    }
  }
  if (from.kind === "decimal" && to.kind === "decimal") {
    if ((from.scale ?? 0) > (to.scale ?? Infinity)) problems.push({ severity: "warning", code: "lossy-scale", message: `decimal scale narrows: ${arrow}` });
    else if (to.precision !== undefined && (from.precision === undefined || from.precision - (from.scale ?? 0) > to.precision - (to.scale ?? 0))) {
      problems.push({ severity: "warning", code: "lossy-scale", message: `decimal precision narrows: ${arrow}` });
    }
  }
  const fromRank = integerRank[from.kind];
  const toRank = integerRank[to.kind];
  if (toRank !== undefined) {
    if (fromRank !== undefined && fromRank > toRank) problems.push({ severity: "warning", code: "lossy-integer", message: `integer narrows: ${arrow}` });
    if (from.kind === "decimal" && ((from.scale ?? 0) > 0 || (from.precision ?? 99) - (from.scale ?? 0) > integerDigits[toRank])) {
      problems.push({ severity: "warning", code: "lossy-integer", message: `decimal into an integer column: ${arrow}` });
    }
    if (from.kind === "float") problems.push({ severity: "warning", code: "lossy-integer", message: `floating point into an integer column: ${arrow}` });
  }
  // bytea reads text as the bytes of its encoding: a BIT string, SET literal or other text would load as ASCII digits.
  if (to.kind === "binary" && from.kind !== "binary" && from.kind !== "unknown") {
    problems.push({ severity: "warning", code: "binary-target", message: `values are read as ${from.kind === "boolean" ? "0/1" : "text"}, which a bytea column stores as their characters' bytes: ${arrow}` });
  }
  if (source.nullable && !target.nullable && target.default === null) {
    problems.push({ severity: "warning", code: "lossy-nullability", message: `nullable source into NOT NULL column: NULLs will be rejected (${arrow})` });
  }
  return problems;
}

/**
 * `upsert` writes with `INSERT … ON CONFLICT (key)`, which PostgreSQL refuses on every batch unless a unique
 * constraint (primary key or unique index) covers exactly those columns; `update` without one changes every
 * row sharing a key.
 */
export function conflictKeyProblems(pipelineName: string, mode: string, targetKey: readonly string[], targetTable: TableInfo | undefined, targetLabel: string): Problem[] {
  if ((mode !== "upsert" && mode !== "update") || !targetTable || !targetKey.length) return [];
  const sameColumns = (columns: readonly string[]) => columns.length === targetKey.length && columns.every((c) => targetKey.includes(c));
  if (sameColumns(targetTable.primaryKey) || targetTable.indexes.some((index) => index.unique && sameColumns(index.columns))) return [];
  const key = targetKey.join(", ");
  return [{
    severity: mode === "upsert" ? "error" : "warning", code: "no-unique-target-key", pipeline: pipelineName, table: targetLabel, column: key, subject: targetKey[0],
    message: mode === "upsert"
      ? `upsert needs a unique constraint on ${targetLabel} (${key}): without one PostgreSQL refuses ON CONFLICT (${key}) on every batch (fix: add a primary key or unique index on (${key}), or set target.key to columns that have one)`
      : `update by (${key}) changes every row of ${targetLabel} that shares a key: no primary key or unique index covers (${key}) (fix: add one, or set target.key to columns that have one)`,
  }];
}

/** Pipelines in dependency order; unknown and cyclic `dependsOn` are problems. */
export function orderByDependencies<T extends { pipeline: Pick<Pipeline, "name" | "dependsOn"> }>(
  items: T[],
  known: Iterable<string> = items.map((i) => i.pipeline.name),
): { ordered: T[]; problems: Problem[] } {
  const byName = new Map(items.map((i) => [i.pipeline.name, i]));
  const knownNames = new Set(known);
  const problems: Problem[] = [];
  const ordered: T[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (item: T, path: string[]) => {
    const name = item.pipeline.name;
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...path.slice(path.indexOf(name)), name];
      problems.push({ severity: "error", code: "cyclic-dependency", pipeline: name, message: `dependsOn forms a cycle: ${cycle.join(" → ")}` });
      return;
    }
    state.set(name, "visiting");
    for (const dependency of item.pipeline.dependsOn ?? []) {
      const target = byName.get(dependency);
      if (target) visit(target, [...path, name]);
      else if (!knownNames.has(dependency)) {
        problems.push({ severity: "error", code: "unknown-dependency", pipeline: name, subject: dependency, message: `dependsOn names unknown pipeline "${dependency}"${didYouMean(dependency, knownNames)}` });
      }
    }
    state.set(name, "done");
    ordered.push(item);
  };
  for (const item of items) visit(item, []);
  return { ordered, problems };
}

export interface LoadOrder<T> {
  /** Every pipeline, each after those it waits for. */
  ordered: T[];
  /** What each pipeline waits for: its `dependsOn` and the parents of its foreign keys, minus what is in a cycle with it. */
  after: Map<string, string[]>;
  /** Pipelines whose tables reference each other in a cycle: they load in any order, their foreign keys are added after the data. */
  cycles: string[][];
  problems: Problem[];
}

/**
 * The load order: `dependsOn` (a cycle there is an error) and the foreign keys between the pipelines'
 * tables (`foreignKeyParents`: pipeline → the pipelines loading the tables it references), parents first.
 * Foreign keys that form a cycle order nothing among its members. Ties keep the input order.
 */
export function orderPipelines<T extends { pipeline: Pick<Pipeline, "name" | "dependsOn"> }>(
  items: T[],
  options: { known?: Iterable<string>; foreignKeyParents?: ReadonlyMap<string, readonly string[]> } = {},
): LoadOrder<T> {
  const { problems } = orderByDependencies(items, options.known ?? items.map((i) => i.pipeline.name));
  const names = items.map((i) => i.pipeline.name);
  const present = new Set(names);
  const hard = new Map(names.map((name, i) => [name, (items[i].pipeline.dependsOn ?? []).filter((d) => present.has(d) && d !== name)]));
  const soft = new Map(names.map((name) => [name, [...new Set(options.foreignKeyParents?.get(name) ?? [])].filter((p) => present.has(p) && p !== name)]));
  const components = stronglyConnected(names, (name) => [...hard.get(name)!, ...soft.get(name)!]);
  const componentOf = new Map<string, number>();
  components.forEach((members, i) => members.forEach((m) => componentOf.set(m, i)));
  const cycles = components.filter((c) => c.length > 1).map((c) => names.filter((n) => c.includes(n)));

  const after = new Map(names.map((name) => [name, [...new Set([
    ...hard.get(name)!,
    ...soft.get(name)!.filter((parent) => componentOf.get(parent) !== componentOf.get(name)),
  ])]]));
  // Kahn's algorithm, always taking the earliest ready pipeline in input order.
  const remaining = new Map(names.map((name) => [name, new Set(after.get(name))]));
  const ordered: T[] = [];
  while (remaining.size) {
    const next = names.find((name) => remaining.has(name) && remaining.get(name)!.size === 0)
      // Only a dependsOn cycle (already a problem) leaves nothing ready: take the rest as listed.
      ?? names.find((name) => remaining.has(name))!;
    remaining.delete(next);
    for (const waiting of remaining.values()) waiting.delete(next);
    ordered.push(items[names.indexOf(next)]);
  }
  return { ordered, after, cycles, problems };
}

/** Tarjan's strongly connected components of a directed graph. */
function stronglyConnected(nodes: string[], edges: (node: string) => string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of edges(node)) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      components.push(component);
    }
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return components;
}

/** What {@link foreignKeyParents} needs to know of a pipeline's tables. */
export interface PipelineTables {
  pipeline: string;
  sources: { connection: string; table?: TableInfo }[];
  target: { connection: string; label: string; table?: TableInfo };
}

/**
 * Which pipelines each pipeline's foreign keys point at: those loading the source tables its source table
 * references, and those writing the target tables its (existing) target table references.
 */
export function foreignKeyParents(tables: PipelineTables[]): Map<string, string[]> {
  const same = (a: string | undefined, b: string | undefined) => (a ?? "").toLowerCase() === (b ?? "").toLowerCase();
  const parents = new Map<string, string[]>();
  for (const child of tables) {
    const found = new Set<string>();
    for (const source of child.sources) {
      for (const fk of source.table?.foreignKeys ?? []) {
        const schema = fk.referencedTable.schema ?? source.table!.schema;
        for (const other of tables) {
          if (other.sources.some((s) => s.connection === source.connection && s.table && same(s.table.schema, schema) && same(s.table.name, fk.referencedTable.name))) found.add(other.pipeline);
        }
      }
    }
    for (const fk of child.target.table?.foreignKeys ?? []) {
      const label = `${fk.referencedTable.schema ?? child.target.table!.schema}.${fk.referencedTable.name}`;
      for (const other of tables) if (other.target.connection === child.target.connection && same(other.target.label, label)) found.add(other.pipeline);
    }
    found.delete(child.pipeline);
    parents.set(child.pipeline, [...found]);
  }
  return parents;
}
