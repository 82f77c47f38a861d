import type { ConnectorCapabilities, ReadRequest, SqlDialect } from "./connector.js";

/**
 * A source query as a derived table: trailing `;` dropped, and the closing parenthesis on its own line
 * so a trailing `-- comment` cannot swallow it.
 */
export function asDerivedTable(sql: string, alias = "databridge_source"): string {
  return `(${sql.trim().replace(/;\s*$/, "")}\n) ${alias}`;
}

/**
 * Builds one keyset page: `SELECT … WHERE key > :last ORDER BY key LIMIT n`.
 * Composite keys use a row-value comparison where the dialect pages with it efficiently,
 * otherwise the expanded `a > ? OR (a = ? AND b > ?)` form.
 */
export function buildKeysetSelect(
  dialect: SqlDialect,
  capabilities: Pick<ConnectorCapabilities, "rowValueComparison">,
  request: ReadRequest,
  /**
   * The expression that reads a column when it is not the plain column (a connector's exact reading of
   * a type, e.g. `CAST(f AS DOUBLE)`): selected under the column's name, while the rows stay ordered
   * and compared by the column itself.
   */
  readExpression?: (column: string) => string | undefined,
): { sql: string; params: unknown[] } {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const parts = keysetParts(dialect, request);
  const columns = request.columns
    ? request.columns.map((column) => {
      const expression = readExpression?.(column);
      return expression && expression !== q(column) ? `${expression} AS ${q(column)}` : q(column);
    })
    : ["*"];
  // ORDER BY names resolve to select-list aliases first (MySQL): a column read through an expression is
  // ordered by the table's own column, qualified, so the order (and the index) stays the column's.
  const fromName = "table" in request.from ? dialect.quoteTable(request.from.table) : q("databridge_source");
  const orderColumn = (column: string) => {
    const expression = readExpression?.(column);
    return expression && expression !== q(column) && request.columns?.includes(column) ? `${fromName}.${q(column)}` : q(column);
  };
  const select = request.copyText ? [...columns, `${request.copyText} AS ${q("databridge_copy_text")}`].join(", ") : columns.join(", ");
  const order = request.orderBy ?? request.key;
  if (request.after) parts.conditions.push(keyCompare(order, ">", request.after, capabilities.rowValueComparison, q, parts.bind));
  const where = parts.conditions.length ? ` WHERE ${parts.conditions.join(" AND ")}` : "";
  return { sql: dialect.limit(`SELECT ${select} FROM ${parts.from}${where} ORDER BY ${order.map(orderColumn).join(", ")}`, request.limit), params: parts.params };
}

/**
 * Counts the rows a keyset read covers: the same source and filter, up to and including `through`
 * (the last key read) when given — rows added past the reader's end are not counted.
 */
export function buildKeysetCount(
  dialect: SqlDialect,
  capabilities: Pick<ConnectorCapabilities, "rowValueComparison">,
  request: Pick<ReadRequest, "from" | "where" | "key" | "orderBy"> & { through?: unknown[] | null },
): { sql: string; params: unknown[] } {
  const parts = keysetParts(dialect, request);
  if (request.through) parts.conditions.push(keyCompare(request.orderBy ?? request.key, "<=", request.through, capabilities.rowValueComparison, dialect.quoteIdentifier, parts.bind));
  const where = parts.conditions.length ? ` WHERE ${parts.conditions.join(" AND ")}` : "";
  return { sql: `SELECT count(*) AS ${dialect.quoteIdentifier("n")} FROM ${parts.from}${where}`, params: parts.params };
}

/**
 * The lowest and highest value of a column over the rows a keyset read covers (the same source and
 * filter), as `lo` and `hi`: where a key range is split into partitions.
 */
export function buildKeyBounds(
  dialect: SqlDialect,
  request: Pick<ReadRequest, "from" | "where"> & { column: string },
): { sql: string; params: unknown[] } {
  const parts = keysetParts(dialect, request);
  const q = dialect.quoteIdentifier;
  const where = parts.conditions.length ? ` WHERE ${parts.conditions.join(" AND ")}` : "";
  return { sql: `SELECT MIN(${q(request.column)}) AS ${q("lo")}, MAX(${q(request.column)}) AS ${q("hi")} FROM ${parts.from}${where}`, params: parts.params };
}

/** A parameter `{n}` of a `where`, or an escaped brace `{{`. */
const PARAMETER = /\{\{|\{(\d+)\}/g;

/** SQL text (a user's filter, a quoted name) put into a `where` as it is: `{n}` there would name a parameter. */
export const sqlText = (sql: string) => sql.replace(/\{/g, "{{");

/** Both predicates (each parenthesized), parameters renumbered in order; `undefined` parts are left out. */
export function andWhere(...parts: (ReadRequest["where"] | undefined)[]): ReadRequest["where"] {
  const present = parts.filter((part): part is NonNullable<ReadRequest["where"]> => part !== undefined);
  if (!present.length) return undefined;
  if (present.length === 1) return present[0];
  const params: unknown[] = [];
  const sql = present.map((part) => {
    const offset = params.length;
    params.push(...part.params);
    return `(${part.sql.replace(PARAMETER, (token, n: string | undefined) => (n === undefined ? token : `{${Number(n) + offset}}`))})`;
  }).join(" AND ");
  return { sql, params };
}

/** The FROM and the caller's WHERE of a keyset statement, with a binder that numbers parameters in text order. */
function keysetParts(dialect: SqlDialect, request: Pick<ReadRequest, "from" | "where">) {
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
  const from = "table" in request.from
    ? dialect.quoteTable(request.from.table)
    // The newline ends a trailing `-- comment` in the user's query before our closing parenthesis.
    : asDerivedTable(request.from.query, dialect.quoteIdentifier("databridge_source"));
  const conditions: string[] = [];
  if (request.where) {
    const { sql, params: values } = request.where;
    // The caller's predicate numbers its own parameters `{1}`, `{2}`, …; each occurrence is bound in text
    // order, which is what positional placeholders (`?`) need, even when one is used twice or out of order.
    // `{{` is a brace of the SQL itself (see sqlText).
    conditions.push(`(${sql.replace(PARAMETER, (token, n: string | undefined) => {
      if (n === undefined) return "{";
      const i = Number(n) - 1;
      if (i < 0 || i >= values.length) throw new Error(`keyset: where clause uses ${token} but has ${values.length} parameter(s)`);
      return bind(values[i]);
    })})`);
  }
  return { from, conditions, params, bind };
}

/** `key > after` (or `key <= through`) for single and composite keys, in the form the dialect pages with efficiently. */
function keyCompare(
  key: string[],
  operator: ">" | "<=",
  values: unknown[],
  rowValues: boolean,
  q: (name: string) => string,
  bind: (value: unknown) => string,
): string {
  if (key.length !== values.length) throw new Error(`keyset: ${key.length} key columns but ${values.length} values`);
  if (key.length === 1) return `${q(key[0])} ${operator} ${bind(values[0])}`;
  if (rowValues) return `(${key.map(q).join(", ")}) ${operator} (${values.map(bind).join(", ")})`;
  // Expanded: (a > x) OR (a = x AND b > y) …; for <=, the last column compares with <= and the others with <.
  const strict = operator === ">" ? ">" : "<";
  const alternatives: string[] = [];
  for (let i = 0; i < key.length; i++) {
    const equalities = key.slice(0, i).map((column, j) => `${q(column)} = ${bind(values[j])}`);
    const last = i === key.length - 1 ? operator : strict;
    alternatives.push(`(${[...equalities, `${q(key[i])} ${last} ${bind(values[i])}`].join(" AND ")})`);
  }
  return `(${alternatives.join(" OR ")})`;
}
