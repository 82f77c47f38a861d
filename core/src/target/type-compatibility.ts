import { isTransformSpec } from "../authoring/pipeline.js";
import type { PortableKind, PortableType } from "../connectors/connector.js";
import type { Registry } from "../workspace/registry.js";
import type { Problem } from "../engine/analysis.js";
import type { PreparedStage } from "../engine/prepare.js";

/**
 * Portable kinds whose PostgreSQL spelling says what a value's text looks like. `json` stands for JSON
 * documents and PostgreSQL arrays alike, `unknown` for anything else: their text is not known here.
 */
const COMPARABLE_KINDS = new Set<PortableKind>([
  "smallint", "integer", "bigint", "decimal", "float", "string", "text", "boolean", "date", "time", "timestamp", "timestamptz", "uuid", "binary",
]);

interface Pairing {
  column: string;
  subject?: string;
  /** The values' type as PostgreSQL spells it (the target's native type for the portable type). */
  sourceType: string;
  sourceLabel: string;
  targetType: string;
  targetKind: PortableKind;
}

interface CastAnswer {
  i: number;
  source_category: string;
  target_category: string;
  target_typtype: string;
  source_type: string;
  target_type: string;
  castable: boolean;
}

/**
 * Target columns that cannot take what their mapping produces, asked of the target PostgreSQL itself:
 * does a cast from the values' type to the column's type exist (`pg_cast`, domains by their base type)?
 *
 * - no cast, and the values are not text: every row would be rejected — an error (`integer → date`);
 * - text values into a type with no cast from text and no portable meaning (`varchar → point`): only values
 *   that happen to be valid input load — a warning. Text into numbers, dates, uuids, JSON or enums is the
 *   usual shape of legacy data and is parsed row by row (a value that does not parse rejects its row).
 */
export async function typeCompatibilityProblems(stage: PreparedStage, registry: Registry): Promise<Problem[]> {
  const { pipeline, targetTable, target } = stage;
  if (!targetTable) return [];
  const typeOf = (name: string) => stage.sourceColumns.find((c) => c.name === name)?.type;
  const pairings: Pairing[] = [];
  for (const [column, mapping] of Object.entries(pipeline.columns)) {
    const targetColumn = targetTable.columns.find((c) => c.name === column);
    if (!targetColumn) continue;
    let type: PortableType | undefined;
    let label: string | undefined;
    if (typeof mapping === "string") {
      type = typeOf(mapping);
      label = stage.sourceTable?.columns.find((c) => c.name === mapping)?.nativeType;
    } else if (isTransformSpec(mapping)) {
      type = registry.transforms.get(mapping.transform)?.outputType?.(mapping.args as never, typeOf);
      label = type && `${mapping.transform}(…)`;
    }
    if (!type || !COMPARABLE_KINDS.has(type.kind)) continue;
    const sourceType = target.nativeType(type);
    pairings.push({
      column, subject: typeof mapping === "string" ? mapping : undefined, sourceType, sourceLabel: label ?? sourceType,
      targetType: targetColumn.nativeType, targetKind: targetColumn.type.kind,
    });
  }
  if (!pairings.length) return [];
  const { rows } = await target.query<CastAnswer>(
    `SELECT p.i::int AS i, s.typcategory::text AS source_category, t.typcategory::text AS target_category, t0.typtype::text AS target_typtype,
            format_type(s.oid, NULL) AS source_type, format_type(t.oid, NULL) AS target_type,
            s.oid = t.oid OR EXISTS (SELECT 1 FROM pg_cast c WHERE c.castsource = s.oid AND c.casttarget = t.oid) AS castable
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS p(source, target, i)
       JOIN pg_type s0 ON s0.oid = to_regtype(p.source)
       JOIN pg_type t0 ON t0.oid = to_regtype(p.target)
       JOIN pg_type s ON s.oid = CASE WHEN s0.typtype = 'd' THEN s0.typbasetype ELSE s0.oid END
       JOIN pg_type t ON t.oid = CASE WHEN t0.typtype = 'd' THEN t0.typbasetype ELSE t0.oid END`,
    [pairings.map((p) => p.sourceType), pairings.map((p) => p.targetType)],
  );
  const problems: Problem[] = [];
  for (const answer of rows) {
    const pairing = pairings[answer.i - 1];
    // Every value has a text form, so a string column takes anything; a cast means PostgreSQL converts it.
    if (answer.castable || answer.target_category === "S") continue;
    const fromText = answer.source_category === "S";
    if (fromText && (answer.target_typtype === "e" || pairing.targetKind !== "unknown")) continue;
    const arrow = `${pairing.sourceLabel} → ${pairing.targetType}`;
    const noCast = `PostgreSQL has no cast from ${answer.source_type} to ${answer.target_type}`;
    problems.push({
      severity: fromText ? "warning" : "error",
      code: "incompatible-type",
      pipeline: pipeline.name,
      table: stage.targetLabel,
      column: pairing.column,
      subject: pairing.subject,
      message: fromText
        ? `${arrow}: ${noCast}, so only values that happen to be valid ${answer.target_type} input load and the others are rejected (fix: map a column of a matching type, or change the target column's type)`
        : `${arrow}: ${noCast}, so every row would be rejected (fix: map a column of a matching type, convert the value with a transform, or change the target column's type)`,
    });
  }
  return problems;
}
