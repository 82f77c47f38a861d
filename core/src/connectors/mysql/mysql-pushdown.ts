import { literalCsvText, literalPlainText, isExactCondition, type ExactExpression, type PushdownExpression, type SourcePushdown } from "../pushdown.js";
import type { PortableType } from "../connector.js";
import { mysqlCsvQuote, mysqlCopyLine, mysqlCopyTextValue, NULL_FIELD, quoteMysqlIdentifier, utf8 } from "./mysql-dialect.js";
import { mysqlReadShape, type MysqlReadOptions } from "./mysql-types.js";

/**
 * JavaScript's white space for `String.prototype.trim` (WhiteSpace and LineTerminator: tab to carriage
 * return, space, NBSP, the Zs spaces, line and paragraph separators, BOM), as a PCRE class.
 */
const JS_WHITE_SPACE = "[\t-\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF]";
const INTEGER_DIGITS: Partial<Record<PortableType["kind"], number>> = { smallint: 5, integer: 10, bigint: 19 };

/**
 * Transforms computed by MariaDB/MySQL as fields of a CSV COPY line (see `SourcePushdown`, `mysqlCopyTextRow`):
 * each rule gives exactly the value Node would encode, which `test/integrity/pushdown-differential.test.ts` checks over edge values.
 * - concat → `CONCAT_WS`, NULL when every part is NULL (CONCAT_WS alone gives '');
 * - lookup → `CASE` on the key's bytes (`BINARY`: no collation folds case, accents or trailing spaces);
 * - expr/when → DECIMAL arithmetic (integers cast to DECIMAL, so nothing overflows BIGINT), trailing zeros
 *   dropped as Node writes them, NULL when any input is NULL;
 * - defaultTo/coalesce → `COALESCE`, constant → a literal, trim → `REGEXP_REPLACE` with JavaScript's white space.
 * Text is converted to utf8mb4 and literals are hex, whatever the server's `sql_mode` or character sets.
 */
export function mysqlPushdown(options: MysqlReadOptions): SourcePushdown {
  const q = quoteMysqlIdentifier;

  /** The value's text as transforms read it (`asText`), NULL when NULL. */
  const plain = (e: PushdownExpression): string | undefined => {
    switch (e.op) {
      case "column": {
        if (/\bzerofill\b/i.test(e.nativeType) || /^\s*set\b/i.test(e.nativeType)) return undefined;
        const shape = mysqlReadShape(e.nativeType);
        if (shape === "character") return `CONVERT(${q(e.name)} USING utf8mb4)`;
        if ((shape === "integer" && !/^\s*year/i.test(e.nativeType)) || shape === "decimal") return `CAST(${q(e.name)} AS CHAR CHARACTER SET utf8mb4)`;
        return undefined;
      }
      case "literal": return literal(literalPlainText(e.value));
      case "concat": {
        const parts = all(e.parts.map(plain));
        return parts && `IF(COALESCE(${parts.join(", ")}) IS NULL, NULL, CONCAT_WS(${utf8(e.separator)}, ${parts.join(", ")}))`;
      }
      case "lookup": return lookup(e, (value) => literal(literalPlainText(value)));
      case "coalesce": {
        const parts = all(e.parts.map(plain));
        return parts && `COALESCE(${parts.join(", ")})`;
      }
      case "trim": {
        const input = plain(e.input);
        return input && `REGEXP_REPLACE(${input}, ${utf8(`^${JS_WHITE_SPACE}+|${JS_WHITE_SPACE}+\\z`)}, ${utf8("")})`;
      }
      case "exact": return exactText(e.expression, e.inputs, utf8("true"), utf8("false"));
      case "choose": return choose(e, plain);
    }
  };

  /** The value's CSV COPY field (text quoted), NULL when NULL. */
  const copy = (e: PushdownExpression): string | undefined => {
    switch (e.op) {
      case "column": return mysqlCopyTextValue(e, options);
      case "literal": return literal(literalCsvText(e.value));
      case "concat": case "trim": {
        const text = plain(e);
        return text && mysqlCsvQuote(text);
      }
      case "lookup": return lookup(e, (value) => literal(literalCsvText(value)));
      case "coalesce": {
        const parts = all(e.parts.map(copy));
        return parts && `COALESCE(${parts.join(", ")})`;
      }
      case "exact": return exactText(e.expression, e.inputs, utf8("t"), utf8("f"));
      case "choose": return choose(e, copy);
    }
  };

  const literal = (text: string | null) => (text === null ? "NULL" : utf8(text));

  const lookup = (e: Extract<PushdownExpression, { op: "lookup" }>, value: (v: (typeof e.entries)[number][1]) => string): string | undefined => {
    const key = plain(e.input);
    if (key === undefined) return undefined;
    if (!e.entries.length) return value(e.fallback);
    const cases = e.entries.map(([k, v]) => `WHEN X'${Buffer.from(k, "utf8").toString("hex").toUpperCase()}' THEN ${value(v)}`).join(" ");
    return `(CASE CAST(${key} AS BINARY) ${cases} ELSE ${value(e.fallback)} END)`;
  };

  const choose = (e: Extract<PushdownExpression, { op: "choose" }>, render: (e: PushdownExpression) => string | undefined): string | undefined => {
    if (e.condition.op !== "exact" || !isExactCondition(e.condition.expression)) return undefined;
    const [condition, yes, no] = [exact(e.condition.expression), render(e.then), render(e.otherwise)];
    if (!condition || yes === undefined || no === undefined) return undefined;
    return `(CASE WHEN ${guard(e.condition.inputs)}(${condition}) THEN ${yes} ELSE ${no} END)`;
  };

  const guard = (inputs: string[]) => inputs.map((name) => `${q(name)} IS NOT NULL AND `).join("");

  const exactText = (expression: ExactExpression, inputs: string[], yes: string, no: string): string | undefined => {
    const sql = exact(expression);
    if (!sql) return undefined;
    const known = guard(inputs).replace(/ AND $/, "") || "TRUE";
    if (isExactCondition(expression)) return `(CASE WHEN ${known} THEN IF(${sql}, ${yes}, ${no}) END)`;
    const text = `CAST(${sql} AS CHAR CHARACTER SET utf8mb4)`;
    // DECIMAL text has exactly the result's scale; Node writes the value without trailing zeros.
    const trimmed = "scale" in expression && expression.scale > 0 ? `TRIM(TRAILING ${utf8(".")} FROM TRIM(TRAILING ${utf8("0")} FROM ${text}))` : text;
    return `(CASE WHEN ${known} THEN ${trimmed} END)`;
  };

  const exact = (e: ExactExpression): string | undefined => {
    switch (e.op) {
      case "number": {
        if (e.literal !== undefined) return e.literal;
        return e.scale === 0 && e.precision <= 20 ? `CAST(${q(e.column!)} AS DECIMAL(${Math.max(e.precision, INTEGER_DIGITS.bigint!) + 1}, 0))` : q(e.column!);
      }
      case "negate": { const input = exact(e.input); return input && `(-${input})`; }
      case "arithmetic": case "compare": case "logic": {
        const [left, right] = [exact(e.left), exact(e.right)];
        return left && right && `(${left} ${e.operator.toUpperCase()} ${right})`;
      }
      case "not": { const input = exact(e.input); return input && `(NOT ${input})`; }
    }
  };

  return {
    field(expression) {
      const text = copy(expression);
      return text === undefined ? undefined : `IFNULL(${text}, ${NULL_FIELD})`;
    },
    line: mysqlCopyLine,
  };
}

function all(parts: (string | undefined)[]): string[] | undefined {
  return parts.every((p) => p !== undefined) ? (parts as string[]) : undefined;
}
