import { isTransformSpec, type Pipeline } from "../authoring/pipeline.js";
import type { TransformDefinition } from "../authoring/plugin.js";
import type { ColumnInfo, Connector, ForeignKeyAction, IndexInfo, PortableType, PostgresColumnMapping, ResultColumn, TableInfo, TableRef, Target } from "../connectors/connector.js";
import { pgLiteral, pgTextArray } from "../connectors/postgres-mapping.js";
import type { Problem } from "../engine/analysis.js";
import { byteLength, derivedName, normalizeName } from "./names.js";

/**
 * One piece of a created table's schema that is built once its data is in: building indexes over loaded
 * rows is faster than maintaining them row by row, and foreign keys added last let tables that reference
 * each other load in any order.
 */
export interface SchemaStep {
  /** Unique per target table, e.g. `index:orders_customer`, `foreign-key:fk_orders_customer`, `identity:id`. */
  name: string;
  kind: "unique" | "index" | "foreign-key" | "identity" | "on-update";
  /** Statements run in order, in one transaction. */
  sql: string[];
  /** A foreign key's referenced target table (`schema.table`): it must be loaded before the key is added. */
  references?: string;
  /** Run after every load rather than once: an identity sequence must pass the largest id each load wrote. */
  repeat?: boolean;
}

/** A source foreign key of a created table (its own columns already mapped), resolved against the pipelines that load the table it references. */
export interface PendingForeignKey {
  name: string;
  columns: string[];
  referencedTable: TableRef & { schema: string };
  referencedColumns: string[];
  onDelete?: ForeignKeyAction;
  onUpdate?: ForeignKeyAction;
}

/** The schema of a target table `create: true` makes: its CREATE TABLE and what is built after the load. */
export interface TargetTableSchema {
  table: TableRef & { schema: string };
  /** `schema.table`. */
  label: string;
  createTable: string;
  /** The CREATE TABLE in parts: `createTable` is rendered from them (see {@link renderCreateTable}). */
  columns: { name: string; type: string; constraints: string }[];
  tableConstraints: string[];
  /** Built after the load, in this order (foreign keys are added by {@link resolveForeignKeys}). */
  steps: SchemaStep[];
  foreignKeys: PendingForeignKey[];
  /** The primary key and unique keys the table has once complete (a foreign key must reference one). */
  uniqueKeys: string[][];
  problems: Problem[];
}

/** A target column that is a plain source column, with the source connector's PostgreSQL mapping of it. */
export interface CarriedColumn {
  from: ColumnInfo;
  mapping: PostgresColumnMapping;
}

export interface TargetSchemaInput {
  pipeline: Pipeline;
  target: Pick<Target, "dialect" | "capabilities" | "nativeType">;
  table: TableRef & { schema: string };
  /** Target columns, in order. */
  columns: string[];
  sourceColumns: ResultColumn[];
  sourceTable?: TableInfo;
  transforms: ReadonlyMap<string, TransformDefinition<never>>;
  /** The conflict key of upsert/update (or the key insert records). */
  targetKey: string[];
  tenantColumn?: string;
  carried: Map<string, CarriedColumn>;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * The target table for a pipeline's `create: true`: every column with its type, NOT NULL, default, identity
 * and enum CHECK; the source's primary key (the pipeline's key when the source has none to carry); the
 * unique key an upsert resolves conflicts on; and, for after the load, the source's other unique keys,
 * indexes, identity sequences and `ON UPDATE` triggers. What cannot be carried is said as a problem.
 */
export function buildTargetSchema(input: TargetSchemaInput): TargetTableSchema {
  const { pipeline, target, table, columns, sourceTable, targetKey, tenantColumn, carried } = input;
  const q = target.dialect.quoteIdentifier;
  const tableSql = target.dialect.quoteTable(table);
  const maxBytes = target.capabilities.maxIdentifierLength;
  const label = `${table.schema}.${table.name}`;
  const problems: Problem[] = [];
  const problem = (severity: Problem["severity"], code: Problem["code"], message: string, column?: string) =>
    problems.push({ severity, code, pipeline: pipeline.name, table: label, ...(column ? { column } : {}), message });

  if (byteLength(table.name) > maxBytes) {
    problem("error", "bad-name", `target table name ${table.name} is ${byteLength(table.name)} bytes; PostgreSQL keeps only ${maxBytes} and would cut it: choose a shorter name`);
  }
  for (const column of columns) {
    if (byteLength(column) > maxBytes) problem("error", "bad-name", `target column name ${column} is ${byteLength(column)} bytes; PostgreSQL keeps only ${maxBytes} and would cut it: choose a shorter name`, column);
  }
  const byNormalized = new Map<string, string[]>();
  for (const column of columns) byNormalized.set(normalizeName(column), [...(byNormalized.get(normalizeName(column)) ?? []), column]);
  for (const same of byNormalized.values()) {
    if (same.length > 1) {
      problem("error", "bad-name", `target columns ${same.join(", ")} differ only in case or underscores, so they cannot be told apart by name: rename all but one`, same[1]);
    }
  }

  // Source column → the target column that copies it as it is.
  const plainTarget = new Map<string, string>();
  for (const [column, mapping] of Object.entries(pipeline.columns)) if (typeof mapping === "string" && !plainTarget.has(mapping)) plainTarget.set(mapping, column);
  const mapAll = (names: string[]) => (names.every((n) => plainTarget.has(n)) ? names.map((n) => plainTarget.get(n)!) : undefined);
  const withTenant = (names: string[]) => (tenantColumn && !names.includes(tenantColumn) ? [...names, tenantColumn] : names);

  const sourcePrimary = sourceTable?.primaryKey ?? [];
  const isPrimaryIndex = (index: IndexInfo) => index.unique && sourcePrimary.length > 0 && sameSet(index.columns, sourcePrimary);
  const uniqueIndexes = (sourceTable?.indexes ?? []).filter((i) => i.unique && !isPrimaryIndex(i));
  const mappedPrimary = sourcePrimary.length ? mapAll(sourcePrimary) : undefined;
  const carriedUnique = (index: IndexInfo) => {
    const mapped = mapAll(index.columns);
    return mapped && withTenant(mapped);
  };

  let primaryKey: string[] = [];
  let arbiter: { name: string; columns: string[]; source?: IndexInfo } | undefined;
  const matchingUnique = targetKey.length ? uniqueIndexes.find((i) => { const c = carriedUnique(i); return c && sameSet(c, targetKey); }) : undefined;
  if (mappedPrimary) primaryKey = withTenant(mappedPrimary);
  else if (matchingUnique) arbiter = { name: matchingUnique.name, columns: targetKey, source: matchingUnique };
  else primaryKey = targetKey;
  const mode = pipeline.target.mode ?? "insert";
  if (!arbiter && targetKey.length && (mode === "upsert" || mode === "update") && !sameSet(primaryKey, targetKey)) {
    // ON CONFLICT needs a unique index on exactly the conflict key, there from the first batch.
    arbiter = matchingUnique ? { name: matchingUnique.name, columns: targetKey, source: matchingUnique } : { name: [...targetKey, "key"].join("_"), columns: targetKey };
  }
  const required = new Set([...primaryKey, ...targetKey]);

  const typeOf = (name: string) => input.sourceColumns.find((c) => c.name === name)?.type;
  const definitions = columns.map((column) => {
    const mapping = pipeline.columns[column];
    const exact = carried.get(column);
    if (exact) return { name: column, type: exact.mapping.type, constraints: carriedConstraints(q(column), exact.mapping, !exact.from.nullable || required.has(column)) };
    let type: PortableType | undefined;
    if (column === tenantColumn && mapping === undefined) type = { kind: "text" };
    else if (typeof mapping === "string") type = typeOf(mapping);
    else if (isTransformSpec(mapping)) type = input.transforms.get(mapping.transform)?.outputType?.(mapping.args as never, typeOf);
    return { name: column, type: target.nativeType(type ?? { kind: "text" }), constraints: required.has(column) ? " NOT NULL" : "" };
  });
  const tableConstraints: string[] = [];
  if (primaryKey.length) tableConstraints.push(`PRIMARY KEY (${primaryKey.map(q).join(", ")})`);
  if (arbiter) tableConstraints.push(`CONSTRAINT ${q(derivedName([table.name, arbiter.name], maxBytes))} UNIQUE (${arbiter.columns.map(q).join(", ")})`);
  const createTable = renderCreateTable({ table, columns: definitions, tableConstraints }, target.dialect);

  const steps: SchemaStep[] = [];
  const uniqueKeys = [primaryKey, ...(arbiter ? [arbiter.columns] : [])].filter((k) => k.length);
  const notCarried = (what: string, why: string) => problem("info", "uncarried-schema", `${what} is not carried: ${why}`);
  for (const index of (sourceTable?.indexes ?? []).filter((i) => !isPrimaryIndex(i) && i !== arbiter?.source)) {
    const mapped = mapAll(index.columns);
    const what = `${index.unique ? "unique key" : "index"} ${index.name} (${index.columns.join(", ")})`;
    if (!mapped) {
      notCarried(what, `column ${index.columns.find((c) => !plainTarget.has(c))} is not copied as it is into a target column`);
      continue;
    }
    const indexColumns = index.unique ? withTenant(mapped) : mapped;
    if (index.unique) uniqueKeys.push(indexColumns);
    const name = derivedName([table.name, index.name], maxBytes);
    steps.push({
      name: `${index.unique ? "unique" : "index"}:${name}`, kind: index.unique ? "unique" : "index",
      sql: [`CREATE ${index.unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS ${q(name)} ON ${tableSql} (${indexColumns.map(q).join(", ")})`],
    });
  }
  for (const [column, { mapping }] of carried) {
    if (mapping.identity) steps.push({ name: `identity:${column}`, kind: "identity", repeat: true, sql: [identityPastMaximum(tableSql, column, q)] });
  }
  for (const [column, { mapping }] of carried) {
    if (!mapping.onUpdate) continue;
    const fn = target.dialect.quoteTable({ schema: table.schema, name: derivedName([table.name, column, "on_update"], maxBytes) });
    const trigger = derivedName([table.name, column, "on_update"], maxBytes);
    steps.push({
      name: `on-update:${column}`, kind: "on-update",
      sql: [
        // Like MySQL's ON UPDATE: an UPDATE that changes the row but not this column sets it to the current time.
        `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.${q(column)} IS NOT DISTINCT FROM OLD.${q(column)} AND NEW IS DISTINCT FROM OLD THEN NEW.${q(column)} := ${mapping.onUpdate}; END IF; RETURN NEW; END $$`,
        `CREATE TRIGGER ${q(trigger)} BEFORE UPDATE ON ${tableSql} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
      ],
    });
  }

  const foreignKeys: PendingForeignKey[] = [];
  for (const fk of sourceTable?.foreignKeys ?? []) {
    const what = `foreign key ${fk.name} (${fk.columns.join(", ")}) → ${fk.referencedTable.name}`;
    if (tenantColumn) { notCarried(what, "the rows of several tenants share this table, and the key would have to include the tenant column"); continue; }
    const mapped = mapAll(fk.columns);
    if (!mapped) { notCarried(what, `column ${fk.columns.find((c) => !plainTarget.has(c))} is not copied as it is into a target column`); continue; }
    foreignKeys.push({
      name: fk.name, columns: mapped, referencedColumns: fk.referencedColumns,
      referencedTable: { schema: fk.referencedTable.schema ?? sourceTable!.schema, name: fk.referencedTable.name },
      ...(fk.onDelete ? { onDelete: fk.onDelete } : {}), ...(fk.onUpdate ? { onUpdate: fk.onUpdate } : {}),
    });
  }
  return { table, label, createTable, columns: definitions, tableConstraints, steps, foreignKeys, uniqueKeys, problems };
}

/** The CREATE TABLE of a schema's parts. */
export function renderCreateTable(schema: Pick<TargetTableSchema, "table" | "columns" | "tableConstraints">, dialect: Connector["dialect"]): string {
  const lines = [...schema.columns.map((c) => `  ${dialect.quoteIdentifier(c.name)} ${c.type}${c.constraints}`), ...schema.tableConstraints.map((c) => `  ${c}`)];
  return `CREATE TABLE ${dialect.quoteTable(schema.table)} (\n${lines.join(",\n")}\n)`;
}

/** What follows a carried column's type: identity, default, NOT NULL, and an enum's CHECK (each element of an array). */
function carriedConstraints(name: string, mapping: PostgresColumnMapping, notNull: boolean): string {
  const parts: string[] = [];
  if (mapping.identity) parts.push("GENERATED BY DEFAULT AS IDENTITY");
  else if (mapping.default !== undefined) parts.push(`DEFAULT ${mapping.default}`);
  if (notNull || mapping.identity) parts.push("NOT NULL");
  if (mapping.enumValues) {
    parts.push(mapping.type.endsWith("[]")
      ? `CHECK (${name} <@ ${pgTextArray(mapping.enumValues)})`
      : `CHECK (${name} IN (${mapping.enumValues.map(pgLiteral).join(", ")}))`);
  }
  return parts.map((p) => ` ${p}`).join("");
}

/**
 * Moves an identity column's sequence past the largest value loaded (loaded ids were given explicitly and
 * did not advance it), so an INSERT without an id gets a new one. Never moves it back.
 */
function identityPastMaximum(tableSql: string, column: string, q: (name: string) => string): string {
  return `SELECT setval(s.seq, s.top) FROM (SELECT pg_get_serial_sequence(${pgLiteral(tableSql)}, ${pgLiteral(column)})::regclass AS seq, ` +
    `(SELECT max(${q(column)}) FROM ${tableSql}) AS top) s WHERE s.top IS NOT NULL AND s.top > coalesce(pg_sequence_last_value(s.seq), 0)`;
}

/** A table some pipeline loads, as {@link resolveForeignKeys} needs it. */
export interface LoadedTable {
  pipeline: string;
  sourceConnection: string;
  sourceTable?: TableInfo;
  targetConnection: string;
  targetLabel: string;
  targetRef: TableRef & { schema: string };
  /** The target column a source column is copied into as it is, if one is. */
  targetColumnOf(sourceColumn: string): string | undefined;
  /** The target's primary and unique keys: of the schema to create, or of the existing table. */
  uniqueKeys: string[][];
  /** The type of an existing target table's column. */
  targetTypeOf?(column: string): string | undefined;
  schema?: TargetTableSchema;
}

/**
 * Turns the source foreign keys of created tables into steps that reference the target tables of the
 * pipelines loading the referenced source tables. Also refuses two created tables whose names differ
 * only in case or underscores. Returns the problems; the steps are added to each schema.
 */
export function resolveForeignKeys(tables: LoadedTable[], dialect: Connector["dialect"], maxBytes: number): Problem[] {
  const problems: Problem[] = [];
  const created = tables.filter((t) => t.schema);
  const byNormalized = new Map<string, LoadedTable[]>();
  for (const table of created) {
    const key = `${table.targetConnection}\u0000${normalizeName(table.targetRef.schema)}.${normalizeName(table.targetRef.name)}`;
    byNormalized.set(key, [...(byNormalized.get(key) ?? []), table]);
  }
  for (const same of byNormalized.values()) {
    const labels = [...new Set(same.map((t) => t.targetLabel))];
    if (labels.length > 1) {
      problems.push({ severity: "error", code: "bad-name", pipeline: same[1].pipeline, table: same[1].targetLabel,
        message: `target tables ${labels.join(", ")} differ only in case or underscores, so they cannot be told apart by name: rename all but one` });
    }
  }

  for (const table of created) {
    const schema = table.schema!;
    schema.steps = schema.steps.filter((s) => s.kind !== "foreign-key");
    for (const fk of schema.foreignKeys) {
      const what = `foreign key ${fk.name} (${fk.columns.join(", ")}) → ${fk.referencedTable.name}`;
      const info = (why: string) => problems.push({ severity: "info", code: "uncarried-schema", pipeline: table.pipeline, table: table.targetLabel, message: `${what} is not carried: ${why}` });
      const loaders = referencedLoaders(tables, table, fk.referencedTable);
      const targets = [...new Set(loaders.map((l) => l.targetLabel))];
      if (!targets.length) { info(`no pipeline loads ${fk.referencedTable.name} into ${table.targetConnection}`); continue; }
      if (targets.length > 1) { info(`${fk.referencedTable.name} is loaded into several tables (${targets.join(", ")})`); continue; }
      const loader = loaders[0];
      const referenced = fk.referencedColumns.map((c) => loader.targetColumnOf(c));
      if (referenced.some((c) => c === undefined)) {
        info(`column ${fk.referencedColumns[referenced.indexOf(undefined)]} of ${fk.referencedTable.name} is not copied as it is by pipeline ${loader.pipeline}`);
        continue;
      }
      const referencedColumns = referenced as string[];
      if (!loader.uniqueKeys.some((key) => sameSet(key, referencedColumns))) {
        info(`${loader.targetLabel} has no primary or unique key on (${referencedColumns.join(", ")}), which PostgreSQL requires of a referenced key`);
        continue;
      }
      matchReferencedTypes(table, fk.columns, loader, referencedColumns, dialect, problems);
      const q = dialect.quoteIdentifier;
      const name = derivedName([fk.name], maxBytes);
      const actions = [fk.onDelete && fk.onDelete !== "NO ACTION" ? ` ON DELETE ${fk.onDelete}` : "", fk.onUpdate && fk.onUpdate !== "NO ACTION" ? ` ON UPDATE ${fk.onUpdate}` : ""].join("");
      schema.steps.push({
        name: `foreign-key:${name}`, kind: "foreign-key", references: loader.targetLabel,
        // DEFERRABLE (checked immediately unless a transaction defers it): rollback removes rows of tables that reference each other in one go.
        sql: [`ALTER TABLE ${dialect.quoteTable(table.targetRef)} ADD CONSTRAINT ${q(name)} FOREIGN KEY (${fk.columns.map(q).join(", ")}) ` +
          `REFERENCES ${dialect.quoteTable(loader.targetRef)} (${referencedColumns.map(q).join(", ")})${actions} DEFERRABLE INITIALLY IMMEDIATE`],
      });
    }
  }
  return problems;
}

const INTEGER_FAMILY = new Set(["smallint", "integer", "bigint", "numeric(20)"]);

/**
 * A referencing column must have the referenced column's type. The source's key types were equal (MySQL
 * requires it), but a mapping may carry them apart — BIGINT UNSIGNED becomes `numeric(20)`, yet a BIGINT
 * UNSIGNED AUTO_INCREMENT key a `bigint` identity — so an integer referencing column takes the referenced
 * type, with the same warning as the key: nothing above the referenced type's range can reference a row.
 */
function matchReferencedTypes(table: LoadedTable, columns: string[], loader: LoadedTable, referencedColumns: string[], dialect: Connector["dialect"], problems: Problem[]): void {
  const schema = table.schema!;
  columns.forEach((name, i) => {
    const column = schema.columns.find((c) => c.name === name);
    const referencedType = loader.schema?.columns.find((c) => c.name === referencedColumns[i])?.type
      ?? loader.targetTypeOf?.(referencedColumns[i]);
    if (!column || !referencedType || column.type === referencedType || !INTEGER_FAMILY.has(column.type) || !INTEGER_FAMILY.has(referencedType)) return;
    problems.push({ severity: "warning", code: "inexact-type", pipeline: table.pipeline, table: table.targetLabel, column: name,
      message: `${name} becomes ${referencedType} (not ${column.type}) to match ${loader.targetLabel}.${referencedColumns[i]}, which it references: a value outside ${referencedType} is rejected` });
    column.type = referencedType;
  });
  schema.createTable = renderCreateTable(schema, dialect);
}

/** The pipelines that load a source table (same source connection and target connection as the referencing one). */
export function referencedLoaders(tables: LoadedTable[], from: Pick<LoadedTable, "sourceConnection" | "targetConnection">, ref: TableRef & { schema: string }): LoadedTable[] {
  const candidates = tables.filter((t) => t.sourceConnection === from.sourceConnection && t.targetConnection === from.targetConnection && t.sourceTable);
  const exact = candidates.filter((t) => t.sourceTable!.schema === ref.schema && t.sourceTable!.name === ref.name);
  if (exact.length) return exact;
  return candidates.filter((t) => t.sourceTable!.schema.toLowerCase() === ref.schema.toLowerCase() && t.sourceTable!.name.toLowerCase() === ref.name.toLowerCase());
}
