import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMariadbDatabase, createPostgresDatabase, requireServers } from "../support/servers.js";
import { createWorkspace, finished, pipelineFile, runCli, type Workspace } from "./harness.js";

/**
 * Issue #12 (acceptance 4): every transform the source computes gives exactly the text Node computes.
 * One pipeline maps each pushable transform over edge values (NULL, '', non-ASCII, white space of every
 * kind, COPY's special characters, long strings, keys differing only by case, accent or a trailing space,
 * the largest and smallest decimals, negative zero, products and sums that carry and would round) into
 * text columns, so nothing the target's types could normalize hides a difference. It runs twice, into two
 * tables: computed by the source (the default), and in Node (`DATABRIDGE_SOURCE_ENCODING=off`); every
 * row must be identical, and `plan` must say the source computed those columns (so the comparison is not
 * Node against Node). A rule that differs on any value must not be offered: this test is what validates
 * the rule set. Run for MariaDB and PostgreSQL sources.
 */
const servers = await requireServers("postgres", "mariadb");

const LONG = "é".repeat(3000) + "\t" + "x".repeat(3000);
/** JavaScript's trim removes these; MariaDB's and PostgreSQL's TRIM only spaces. */
const SPACES = "\t\n\u000b\f\r \u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff";

// id, first, last, code, qty, price DECIMAL(12,2), big DECIMAL(30,10), note
const ROWS: unknown[][] = [
  [1, "Jürgen", "Müller", "a", 3, "12.50", "1.0000000001", "plain"],
  [2, null, null, null, null, null, null, null],
  [3, "", "", "", 0, "0.00", "0.0000000000", ""],
  [4, "東京", "Zoë 🚀", "A", -7, "-0.01", "-99999999999999999999.9999999999", "tab\there"],
  [5, `${SPACES}pad${SPACES}`, " x ", "a ", 1, "9999999999.99", "99999999999999999999.9999999999", "back\\slash\nnew\rline"],
  [6, "O'Brien \\ \t", null, "ä", 2, "-9999999999.99", "0.5000000000", LONG],
  [7, null, "only-last", "x\ty", 100, "100.00", "-0.0000000001", null],
  [8, "İstanbul ß", "ﬁ", "Ä", -1, "0.01", "12345678901234567890.1234567890", "ß"],
  [9, LONG, LONG, "A\u0301", 2147483647, "0.05", "0.0000000005", "\\N"],
  [10, " ", "\u3000", "1", -2147483648, "-0.05", "-0.5000000000", "x"],
  [11, "neg zero", null, "0", 0, "-0.00", "-0.0000000000", null],
  // Double quotes: MariaDB writes its lines as CSV, where a quote is the one character that must be escaped.
  [12, 'say "hi"', '"', '"q"', 5, "1.00", "1.0000000000", '""\t"'],
];

const MAPPINGS: Record<string, string> = {
  concat_names: `concat(["first", "last"], " ")`,
  concat_no_separator: `concat(["first", "last"])`,
  concat_numbers: `concat(["code", "qty", "price", "big"], "|")`,
  concat_tab: `concat(["note", "first"], "\\t\\\\")`,
  lookup_code: `lookup("code", { a: "Alpha", A: "upper", "a ": "spaced", "ä": "umlaut", "": "empty", "x\\ty": "tab\\\\val", '"q"': 'quo"te' }, "other")`,
  lookup_qty: `lookup("qty", { "1": 1.5, "2": true, "3": null, "-7": "minus" }, "none")`,
  lookup_price: `lookup("price", { "12.50": "twelve-fifty", "12.5": "never", "0.00": "zero" }, null)`,
  expr_multiply: `expr("qty * price")`,
  expr_sum: `expr("price + big - 1.5")`,
  expr_negate: `expr("-price * 2 + qty")`,
  expr_column: `expr("price")`,
  expr_negative_zero: `expr("-price")`,
  expr_times_minus_one: `expr("price * -1 * qty")`,
  expr_big: `expr("big * big")`,
  expr_compare: `expr("price >= qty")`,
  expr_equal: `expr("price == 0")`,
  expr_logic: `expr("qty > 1 and price < 100 or not (qty != 3)")`,
  when_compare: `when("price > 10", "high", "low")`,
  when_nested: `when("qty * price > 100", concat(["first", "code"], "-"), constant("none"))`,
  default_first: `defaultTo("first", "n/a")`,
  default_price: `defaultTo("price", 0)`,
  coalesce_names: `coalesce(["first", "last", "code"])`,
  trim_first: `trim("first")`,
  trim_concat: `trim(concat(["last", "first"], " "))`,
  constant_text: `constant("tab\\there \\\\ back")`,
  constant_number: `constant(42.5)`,
  constant_boolean: `constant(false)`,
  constant_quoted: `constant('he said "no"\\t')`,
};
/** Stay in Node by design (Unicode case mapping; split has no pushdown): the plan must say so. */
const NODE_MAPPINGS: Record<string, string> = {
  upper_first: `upper("first")`,
  split_first: `split("first", " ", 0)`,
};
const COLUMNS = [...Object.keys(MAPPINGS), ...Object.keys(NODE_MAPPINGS)];
const IMPORTS = ["concat", "lookup", "expr", "when", "defaultTo", "coalesce", "trim", "constant", "upper", "split"];

describe.skipIf(!servers).each(["mariadb", "postgres"] as const)("transforms computed by a %s source equal Node's, text for text", (kind) => {
  let source: Awaited<ReturnType<typeof createMariadbDatabase>> | Awaited<ReturnType<typeof createPostgresDatabase>>;
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let workspace: Workspace;

  beforeAll(async () => {
    target = await createPostgresDatabase("tp_pushdown_target");
    const rows = ROWS;
    if (kind === "mariadb") {
      const maria = await createMariadbDatabase("tp_pushdown_source");
      source = maria;
      // A case- and accent-insensitive collation, as most MariaDB databases have: a lookup must still match bytes.
      await maria.query(`CREATE TABLE edge (id INT PRIMARY KEY, first TEXT, last VARCHAR(7000), code VARCHAR(20), qty INT, price DECIMAL(12,2), big DECIMAL(30,10), note TEXT)
        CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
      await maria.query("INSERT INTO edge VALUES ?", [rows]);
    } else {
      const pg = await createPostgresDatabase("tp_pushdown_source");
      source = pg;
      await pg.query(`CREATE TABLE edge (id int PRIMARY KEY, first text, last varchar(7000), code varchar(20), qty integer, price numeric(12,2), big numeric(30,10), note text)`);
      for (const row of rows) await pg.query("INSERT INTO edge VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", row);
    }
    const columns = COLUMNS.map((c) => `${c} text`).join(", ");
    await target.query(`CREATE TABLE pushed (id int PRIMARY KEY, ${columns}); CREATE TABLE in_node (id int PRIMARY KEY, ${columns});
      CREATE TABLE key_only_in_node (id int PRIMARY KEY, ${Object.keys(MAPPINGS).map((c) => `${c} text`).join(", ")});
      CREATE TABLE key_only_values (LIKE key_only_in_node INCLUDING ALL)`);
    workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
    for (const table of ["pushed", "in_node"]) {
      workspace.pipeline(table, pipelineFile(`{
        name: ${JSON.stringify(table)},
        source: { connection: "legacy", table: "edge", key: "id" },
        target: { connection: "warehouse", table: ${JSON.stringify(table)} },
        columns: { id: "id", ${Object.entries({ ...MAPPINGS, ...NODE_MAPPINGS }).map(([c, m]) => `${c}: ${m}`).join(", ")} },
        batchSize: 4,
      }`, IMPORTS));
    }
    // Every column but the key computed by the source: Node's one value is the key, whose written values a rollback needs.
    for (const table of ["key_only_in_node", "key_only_values"]) {
      workspace.pipeline(table, pipelineFile(`{
        name: ${JSON.stringify(table)},
        source: { connection: "legacy", table: "edge", key: "id" },
        target: { connection: "warehouse", table: ${JSON.stringify(table)} },
        columns: { id: "id", ${Object.entries(MAPPINGS).map(([c, m]) => `${c}: ${m}`).join(", ")} },
        batchSize: 5,
      }`, IMPORTS));
    }
  }, 180_000);

  afterAll(async () => {
    workspace?.remove();
    await source?.drop();
    await target?.drop();
  });

  it("plan: the source computes every pushable transform, Node the rest", async () => {
    const plan = await runCli(["plan", "pushed", "--json"], { cwd: workspace.dir });
    expect(plan.code, plan.stderr).toBe(0);
    const columns = (JSON.parse(plan.stdout) as { pipelines: { columns: { target: string; computedAt: string }[] }[] }).pipelines[0].columns;
    const at = Object.fromEntries(columns.map((c) => [c.target, c.computedAt]));
    expect(at).toEqual({ id: "node", ...Object.fromEntries(Object.keys(MAPPINGS).map((c) => [c, "source"])), ...Object.fromEntries(Object.keys(NODE_MAPPINGS).map((c) => [c, "node"])) });
  }, 120_000);

  it("every value computed by the source is the text Node computes", async () => {
    const pushed = await runCli(["run", "pushed", "--json"], { cwd: workspace.dir });
    expect(finished(pushed).status, JSON.stringify(finished(pushed).error ?? pushed.stderr)).toBe("succeeded");
    const node = await runCli(["run", "in_node", "--json"], { cwd: workspace.dir, env: { DATABRIDGE_SOURCE_ENCODING: "off" } });
    expect(finished(node).status, JSON.stringify(finished(node).error ?? node.stderr)).toBe("succeeded");
    const read = async (table: string) => (await target.query(`SELECT * FROM ${table} ORDER BY id`)).rows as Record<string, string | number | null>[];
    const [fromSource, fromNode] = [await read("pushed"), await read("in_node")];
    expect(fromSource).toHaveLength(ROWS.length);
    const differences = fromNode.flatMap((row, i) => COLUMNS.filter((c) => row[c] !== fromSource[i][c]).map((c) => `row ${row.id} ${c}: node ${JSON.stringify(row[c])}, source ${JSON.stringify(fromSource[i][c])}`));
    expect(differences).toEqual([]);
    // Spot checks that the edge values reached the rules (a mapping that is NULL everywhere would prove nothing).
    expect(fromNode[0]).toMatchObject({ concat_names: "Jürgen Müller", lookup_code: "Alpha", expr_multiply: "37.5", expr_compare: "t", when_compare: "high", trim_first: "Jürgen" });
    expect(fromNode[1]).toMatchObject({ concat_names: null, lookup_code: "other", expr_multiply: null, when_compare: "low", default_first: "n/a", default_price: "0" });
    expect(fromNode[3]).toMatchObject({ lookup_code: "upper", expr_negate: "-6.98", lookup_qty: "minus" });
    expect(fromNode[4]).toMatchObject({ trim_first: "pad", lookup_code: "spaced" });
    expect(fromNode[4].expr_big).toMatch(/^9{29}8/);
    expect(fromNode[6]).toMatchObject({ expr_multiply: "10000", expr_column: "100" });
    expect(fromNode[11]).toMatchObject({ concat_names: 'say "hi" "', lookup_code: 'quo"te', concat_tab: '""\t"\t\\say "hi"', constant_quoted: 'he said "no"\t' });
  }, 240_000);

  it("rows whose only Node value is the key: the same text as the value path, and a rollback removes exactly them", async () => {
    const run = await runCli(["run", "key_only_in_node", "--json"], { cwd: workspace.dir });
    expect(finished(run).status, JSON.stringify(finished(run).error ?? run.stderr)).toBe("succeeded");
    const values = await runCli(["run", "key_only_values", "--json"], { cwd: workspace.dir, env: { DATABRIDGE_SOURCE_ENCODING: "off" } });
    expect(finished(values).status, JSON.stringify(finished(values).error ?? values.stderr)).toBe("succeeded");
    const read = async (table: string) => (await target.query(`SELECT * FROM ${table} ORDER BY id`)).rows;
    const loaded = await read("key_only_in_node");
    expect(loaded).toHaveLength(ROWS.length);
    expect(loaded).toEqual(await read("key_only_values"));
    expect(loaded[11]).toMatchObject({ id: 12, concat_names: 'say "hi" "', lookup_code: 'quo"te' });
    // The run recorded the keys it wrote (taken from the rows as read): rolling it back leaves the table empty.
    const rollback = await runCli(["rollback", finished(run).runId], { cwd: workspace.dir });
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toContain(`${ROWS.length} rows removed`);
    expect((await target.query("SELECT count(*)::int AS n FROM key_only_in_node")).rows[0].n).toBe(0);
  }, 240_000);
});
