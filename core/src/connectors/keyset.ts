import type { ConnectorCapabilities, ReadRequest, SqlDialect } from "./connector.js";

/**
 * Builds one keyset page: `SELECT … WHERE key > :last ORDER BY key LIMIT n`.
 * Composite keys use a row-value comparison where the dialect pages with it efficiently,
 * otherwise the expanded `a > ? OR (a = ? AND b > ?)` form.
 */
/**
 * A source query as a derived table: trailing `;` dropped, and the closing parenthesis on its own line
 * so a trailing `-- comment` cannot swallow it.
 */
export function asDerivedTable(sql: string, alias = "databridge_source"): string {
  return `(${sql.trim().replace(/;\s*$/, "")}\n) ${alias}`;
}

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
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
  const from = "table" in request.from
    ? dialect.quoteTable(request.from.table)
    // The newline ends a trailing `-- comment` in the user's query before our closing parenthesis.
    : asDerivedTable(request.from.query, q("databridge_source"));
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
  const conditions: string[] = [];
  if (request.where) {
    const { sql, params: values } = request.where;
    // The caller's predicate numbers its own parameters `{1}`, `{2}`, …; each occurrence is bound in text
    // order, which is what positional placeholders (`?`) need, even when one is used twice or out of order.
    conditions.push(`(${sql.replace(/\{(\d+)\}/g, (token, n: string) => {
      const i = Number(n) - 1;
      if (i < 0 || i >= values.length) throw new Error(`keyset: where clause uses ${token} but has ${values.length} parameter(s)`);
      return bind(values[i]);
    })})`);
  }
  const order = request.orderBy ?? request.key;
  if (request.after) conditions.push(keyAfter(order, request.after, capabilities.rowValueComparison, q, bind));
  const where = conditions.length ? ` WHERE ${conditions.join(" AND ")}` : "";
  const orderBy = order.map(orderColumn).join(", ");
  return { sql: dialect.limit(`SELECT ${select} FROM ${from}${where} ORDER BY ${orderBy}`, request.limit), params };
}

function keyAfter(
  key: string[],
  after: unknown[],
  rowValues: boolean,
  q: (name: string) => string,
  bind: (value: unknown) => string,
): string {
  if (key.length !== after.length) throw new Error(`keyset: ${key.length} key columns but ${after.length} values`);
  if (key.length === 1) return `${q(key[0])} > ${bind(after[0])}`;
  if (rowValues) return `(${key.map(q).join(", ")}) > (${after.map(bind).join(", ")})`;
  const alternatives: string[] = [];
  for (let i = 0; i < key.length; i++) {
    const equalities = key.slice(0, i).map((column, j) => `${q(column)} = ${bind(after[j])}`);
    alternatives.push(`(${[...equalities, `${q(key[i])} > ${bind(after[i])}`].join(" AND ")})`);
  }
  return `(${alternatives.join(" OR ")})`;
}
