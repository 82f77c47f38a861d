import { literalCopyText, literalPlainText, isExactCondition, type ExactExpression, type PushdownExpression, type SourcePushdown } from "../pushdown.js";

/** JavaScript's white space for `String.prototype.trim`, as a bracket expression (see mysql-pushdown.ts). */
const JS_WHITE_SPACE = "[\t-\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF]";

/**
 * An `E''` literal: its backslashes are escapes whatever `standard_conforming_strings` says, so doubling
 * them (and quotes) means the same text on every server.
 */
const literal = (text: string | null) => (text === null ? "NULL::text" : `E'${text.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`);

/** Text types whose `::text` is the value the driver reads (not `character(n)`: its cast drops the padding the driver keeps). */
const TEXT_TYPE = /^(text|character varying(\(\d+\))?|varchar(\(\d+\))?)$/i;
const NUMBER_TYPE = /^(smallint|integer|bigint|numeric(\(\d+(,\s*\d+)?\))?)$/i;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function escape(text: string): string {
  for (const [from, to] of [["chr(92)", "chr(92) || chr(92)"], ["chr(9)", "chr(92) || 't'"], ["chr(10)", "chr(92) || 'n'"], ["chr(13)", "chr(92) || 'r'"]]) text = `replace(${text}, ${from}, ${to})`;
  return text;
}

/**
 * Transforms computed by PostgreSQL as COPY text (see `SourcePushdown` and mysql-pushdown.ts for the
 * rules): `concat_ws` (NULL when every part is), `CASE` on the key compared in the "C" collation (bytes),
 * numeric arithmetic (NaN read as NULL, as Node reads it), `coalesce`, `regexp_replace` with JavaScript's
 * white space. Checked by `test/integrity/pushdown-differential.test.ts`.
 */
export const postgresPushdown: SourcePushdown = {
  field(expression) {
    const text = copy(expression);
    return text === undefined ? undefined : `coalesce(${text}, chr(92) || 'N')`;
  },
  line: (fields) => `concat_ws(chr(9), ${fields.join(", ")})`,
};

function plain(e: PushdownExpression): string | undefined {
  switch (e.op) {
    case "column": return TEXT_TYPE.test(e.nativeType) || NUMBER_TYPE.test(e.nativeType) ? `${quote(e.name)}::text` : undefined;
    case "literal": return literal(literalPlainText(e.value));
    case "concat": {
      const parts = all(e.parts.map(plain));
      return parts && `(CASE WHEN coalesce(${parts.join(", ")}) IS NULL THEN NULL ELSE concat_ws(${literal(e.separator)}, ${parts.join(", ")}) END)`;
    }
    case "lookup": return lookup(e, (value) => literal(literalPlainText(value)));
    case "coalesce": {
      const parts = all(e.parts.map(plain));
      return parts && `coalesce(${parts.join(", ")})`;
    }
    case "trim": {
      const input = plain(e.input);
      return input && `regexp_replace(${input}, ${literal(`^${JS_WHITE_SPACE}+|${JS_WHITE_SPACE}+$`)}, '', 'g')`;
    }
    case "exact": return exactText(e.expression, e.inputs, "'true'", "'false'");
    case "choose": return choose(e, plain);
  }
}

function copy(e: PushdownExpression): string | undefined {
  switch (e.op) {
    case "column": return escape(`${quote(e.name)}::text`);
    case "literal": return literal(literalCopyText(e.value));
    case "concat": case "trim": {
      const text = plain(e);
      return text && escape(text);
    }
    case "lookup": return lookup(e, (value) => literal(literalCopyText(value)));
    case "coalesce": {
      const parts = all(e.parts.map(copy));
      return parts && `coalesce(${parts.join(", ")})`;
    }
    case "exact": return exactText(e.expression, e.inputs, "'t'", "'f'");
    case "choose": return choose(e, copy);
  }
}

function lookup(e: Extract<PushdownExpression, { op: "lookup" }>, value: (v: (typeof e.entries)[number][1]) => string): string | undefined {
  const key = plain(e.input);
  if (key === undefined) return undefined;
  if (!e.entries.length) return value(e.fallback);
  return `(CASE (${key}) COLLATE "C" ${e.entries.map(([k, v]) => `WHEN ${literal(k)} THEN ${value(v)}`).join(" ")} ELSE ${value(e.fallback)} END)`;
}

function choose(e: Extract<PushdownExpression, { op: "choose" }>, render: (e: PushdownExpression) => string | undefined): string | undefined {
  if (e.condition.op !== "exact" || !isExactCondition(e.condition.expression)) return undefined;
  const [condition, yes, no] = [exact(e.condition.expression), render(e.then), render(e.otherwise)];
  if (!condition || yes === undefined || no === undefined) return undefined;
  return `(CASE WHEN ${known(e.condition.inputs)} AND (${condition}) THEN ${yes} ELSE ${no} END)`;
}

/** Every input is a number (not NULL, not NaN). */
const known = (inputs: string[]) => inputs.map((name) => `NULLIF(${quote(name)}::numeric, 'NaN') IS NOT NULL`).join(" AND ") || "TRUE";

function exactText(expression: ExactExpression, inputs: string[], yes: string, no: string): string | undefined {
  const sql = exact(expression);
  if (!sql) return undefined;
  if (isExactCondition(expression)) return `(CASE WHEN ${known(inputs)} THEN (CASE WHEN ${sql} THEN ${yes} ELSE ${no} END) END)`;
  const text = `(${sql})::text`;
  // numeric text has exactly the result's scale; Node writes the value without trailing zeros.
  const trimmed = "scale" in expression && expression.scale > 0 ? `rtrim(rtrim(${text}, '0'), '.')` : text;
  return `(CASE WHEN ${known(inputs)} THEN ${trimmed} END)`;
}

function exact(e: ExactExpression): string | undefined {
  switch (e.op) {
    case "number": return e.literal !== undefined ? `${e.literal}::numeric` : `${quote(e.column!)}::numeric`;
    case "negate": { const input = exact(e.input); return input && `(-${input})`; }
    case "arithmetic": case "compare": case "logic": {
      const [left, right] = [exact(e.left), exact(e.right)];
      return left && right && `(${left} ${e.operator.toUpperCase()} ${right})`;
    }
    case "not": { const input = exact(e.input); return input && `(NOT ${input})`; }
  }
}

function all(parts: (string | undefined)[]): string[] | undefined {
  return parts.every((p) => p !== undefined) ? (parts as string[]) : undefined;
}
