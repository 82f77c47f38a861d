import { describe, expect, it } from "vitest";
import type { ForeignKeyInfo, TableInfo } from "../connectors/connector.js";
import { foreignKeyParents, orderPipelines } from "./analysis.js";
import { runInOrder } from "./scheduler.js";

const item = (name: string, dependsOn?: string[]) => ({ pipeline: { name, dependsOn } });
const names = (items: { pipeline: { name: string } }[]) => items.map((i) => i.pipeline.name);
const parents = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

describe("orderPipelines", () => {
  it("puts the pipelines loading referenced tables first, ties in input order", () => {
    const { ordered, after, cycles, problems } = orderPipelines([item("order_items"), item("orders"), item("audit"), item("customers"), item("products")], {
      foreignKeyParents: parents({ order_items: ["orders", "products"], orders: ["customers"] }),
    });
    expect(names(ordered)).toEqual(["audit", "customers", "orders", "products", "order_items"]);
    expect(after.get("order_items")).toEqual(["orders", "products"]);
    expect(cycles).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("a foreign key cycle orders nothing among its members (their keys come after the data), yet what the cycle references still goes first", () => {
    const { ordered, after, cycles } = orderPipelines([item("employees"), item("departments"), item("companies"), item("badges")], {
      // departments.manager → employees, employees.department → departments; both → companies; badges → employees; employees → itself.
      foreignKeyParents: parents({ employees: ["departments", "companies", "employees"], departments: ["employees", "companies"], badges: ["employees"] }),
    });
    expect(cycles).toEqual([["employees", "departments"]]);
    expect(after.get("employees")).toEqual(["companies"]);
    expect(after.get("departments")).toEqual(["companies"]);
    expect(names(ordered)).toEqual(["companies", "employees", "departments", "badges"]);
  });

  it("dependsOn stays binding inside a foreign key cycle, and a dependsOn cycle is still an error", () => {
    const inCycle = orderPipelines([item("a", ["b"]), item("b")], { foreignKeyParents: parents({ b: ["a"] }) });
    expect(names(inCycle.ordered)).toEqual(["b", "a"]);
    expect(inCycle.after.get("a")).toEqual(["b"]);
    expect(inCycle.after.get("b")).toEqual([]);
    expect(inCycle.problems).toEqual([]);
    expect(orderPipelines([item("a", ["b"]), item("b", ["a"])]).problems.map((p) => p.code)).toEqual(["cyclic-dependency"]);
  });

  it("ignores parents outside the selection", () => {
    const { ordered, after } = orderPipelines([item("orders")], { foreignKeyParents: parents({ orders: ["customers"] }) });
    expect(names(ordered)).toEqual(["orders"]);
    expect(after.get("orders")).toEqual([]);
  });
});

const table = (name: string, foreignKeys: Partial<ForeignKeyInfo>[] = []): TableInfo => ({
  schema: "shop", name, kind: "table", columns: [], primaryKey: ["id"], indexes: [], estimatedRows: 0,
  foreignKeys: foreignKeys.map((fk, i) => ({ name: `fk${i}`, columns: ["x"], referencedColumns: ["id"], referencedTable: { name: "" }, ...fk })),
});

describe("foreignKeyParents", () => {
  it("follows the source's foreign keys to the pipelines reading the referenced tables (same connection, names case-insensitive)", () => {
    const result = foreignKeyParents([
      { pipeline: "orders", sources: [{ connection: "legacy", table: table("Orders", [{ referencedTable: { name: "customers" } }, { referencedTable: { schema: "shop", name: "Orders" } }]) }], target: { connection: "wh", label: "public.orders" } },
      { pipeline: "customers", sources: [{ connection: "legacy", table: table("Customers") }], target: { connection: "wh", label: "public.customers" } },
      { pipeline: "other-customers", sources: [{ connection: "crm", table: table("customers") }], target: { connection: "wh", label: "public.crm_customers" } },
    ]);
    expect(result.get("orders")).toEqual(["customers"]);
    expect(result.get("customers")).toEqual([]);
  });

  it("follows an existing target table's foreign keys to the pipelines writing the referenced target tables", () => {
    const target = { ...table("lines", [{ referencedTable: { schema: "public", name: "headers" } }]), schema: "public" };
    const result = foreignKeyParents([
      { pipeline: "lines", sources: [{ connection: "legacy" }], target: { connection: "wh", label: "public.lines", table: target } },
      { pipeline: "headers", sources: [{ connection: "legacy" }], target: { connection: "wh", label: "public.headers" } },
    ]);
    expect(result.get("lines")).toEqual(["headers"]);
  });
});

describe("runInOrder", () => {
  it("runs at most `parallel` items at once, each only after what it waits for has finished", async () => {
    const after = new Map([["c", ["a"]], ["d", ["a", "b"]]]);
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const release = new Map<string, () => void>();
    const done = runInOrder(["a", "b", "c", "d", "e"], { name: (x) => x, after, parallel: 2 }, async (x) => {
      running++;
      peak = Math.max(peak, running);
      log.push(`start ${x}`);
      await new Promise<void>((resolve) => release.set(x, resolve));
      log.push(`end ${x}`);
      running--;
    });
    const finish = async (x: string) => {
      while (!release.has(x)) await new Promise((resolve) => setImmediate(resolve));
      release.get(x)!();
    };
    await finish("b");
    await finish("a");
    await finish("c");
    await finish("d");
    await finish("e");
    await done;
    expect(peak).toBe(2);
    // c waits for a, d for a and b; e (free) takes the place b left.
    expect(log.indexOf("start c")).toBeGreaterThan(log.indexOf("end a"));
    expect(log.indexOf("start d")).toBeGreaterThan(Math.max(log.indexOf("end a"), log.indexOf("end b")));
    expect(log.slice(0, 4)).toEqual(["start a", "start b", "end b", "start e"]);
  });

  it("starts nothing more once stopped, and fails on a cycle instead of hanging", async () => {
    const started: string[] = [];
    let stop = false;
    await runInOrder(["a", "b", "c"], { name: (x) => x, after: new Map(), parallel: 1, stop: () => stop }, async (x) => {
      started.push(x);
      stop = true;
    });
    expect(started).toEqual(["a"]);
    await expect(runInOrder(["a", "b"], { name: (x) => x, after: new Map([["a", ["b"]], ["b", ["a"]]]), parallel: 2 }, async () => {})).rejects.toThrow(/wait for each other/);
  });
});
