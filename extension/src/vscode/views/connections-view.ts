import * as vscode from "vscode";
import type { ColumnInfo, TableInfo } from "@databridge/core";
import type { Catalog, ConnectionView } from "@databridge/core/runner-protocol";
import { describeSpec } from "../../connections/connection-spec.js";
import { columnDescription, schemasOf, tableDescription } from "../../views/tree-model.js";
import type { ConnectionStore } from "../connection-store.js";
import type { LanguageService } from "../language-service.js";
import type { RunnerService } from "../runner-service.js";

export type TestStatus = { ok: true; version: string; at: number } | { ok: false; message: string; at: number };

export type ConnectionNode =
  | { kind: "connection"; name: string; runner?: ConnectionView; extension: boolean; description: string }
  | { kind: "schema"; connection: string; schema: string; tables: TableInfo[] }
  | { kind: "table"; connection: string; table: TableInfo }
  | { kind: "column"; connection: string; table: TableInfo; column: ColumnInfo }
  | { kind: "message"; text: string; icon: string; detail?: string };

/** Connections → schemas → tables → columns, with test-status icons and row estimates. */
export class ConnectionsView implements vscode.TreeDataProvider<ConnectionNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ConnectionNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly catalogs = new Map<string, Promise<Catalog>>();
  readonly tests = new Map<string, TestStatus>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly runner: RunnerService,
    private readonly store: ConnectionStore,
    private readonly language: LanguageService,
  ) {
    this.disposables.push(
      runner.onDidChangeState(() => this.refresh()),
      store.onDidChange(() => this.refresh(true)),
      language.onDidUpdateSchema(() => this.refresh()),
    );
  }

  refresh(dropCatalogs = false): void {
    if (dropCatalogs) this.catalogs.clear();
    this.changed.fire(undefined);
  }

  /** Forgets the cached schemas so they are read again. */
  forgetSchemas(): void {
    this.refresh(true);
  }

  recordTest(name: string, status: TestStatus): void {
    this.tests.set(name, status);
    this.changed.fire(undefined);
  }

  async getChildren(node?: ConnectionNode): Promise<ConnectionNode[]> {
    if (!node) return this.roots();
    switch (node.kind) {
      case "connection":
        return this.schemas(node);
      case "schema":
        return node.tables.map((table) => ({ kind: "table", connection: node.connection, table }));
      case "table":
        return node.table.columns.map((column) => ({ kind: "column", connection: node.connection, table: node.table, column }));
      default:
        return [];
    }
  }

  private async roots(): Promise<ConnectionNode[]> {
    const specs = this.store.specs();
    const byName = new Map<string, ConnectionNode & { kind: "connection" }>();
    if (this.runner.state.kind === "running") {
      try {
        for (const view of (await this.runner.client.connections()).connections) {
          byName.set(view.name, { kind: "connection", name: view.name, runner: view, extension: specs.some((s) => s.name === view.name), description: view.url });
        }
      } catch (error) {
        return [{ kind: "message", text: "Could not list connections", icon: "error", detail: (error as Error).message }];
      }
    } else {
      for (const status of this.language.status) {
        for (const c of status.connections) byName.set(c.name, { kind: "connection", name: c.name, extension: false, description: c.type ?? "" });
      }
    }
    for (const spec of specs) {
      if (!byName.has(spec.name)) byName.set(spec.name, { kind: "connection", name: spec.name, extension: true, description: describeSpec(spec).replace(/^\S+ \((.*)\)$/, "$1") });
      else byName.get(spec.name)!.extension = true;
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  catalog(name: string, id: string): Promise<Catalog> {
    let catalog = this.catalogs.get(name);
    if (!catalog) {
      catalog = this.runner.client.discover(id);
      this.catalogs.set(name, catalog);
      catalog.catch(() => this.catalogs.delete(name));
    }
    return catalog;
  }

  private async schemas(node: ConnectionNode & { kind: "connection" }): Promise<ConnectionNode[]> {
    if (this.runner.state.kind !== "running") return [{ kind: "message", text: "The runner is not running", icon: "debug-disconnect" }];
    const id = node.runner?.id;
    if (!id) return [{ kind: "message", text: "Not known to the runner yet", icon: "info" }];
    try {
      const catalog = await this.catalog(node.name, id);
      const schemas = schemasOf(catalog);
      if (!schemas.length) return [{ kind: "message", text: "No tables", icon: "info" }];
      if (schemas.length === 1) return schemas[0]!.tables.map((table) => ({ kind: "table", connection: node.name, table }));
      return schemas.map((s) => ({ kind: "schema", connection: node.name, schema: s.schema, tables: s.tables }));
    } catch (error) {
      this.tests.set(node.name, { ok: false, message: (error as Error).message, at: Date.now() });
      return [{ kind: "message", text: "Could not read the schema", icon: "error", detail: (error as Error).message }];
    }
  }

  getTreeItem(node: ConnectionNode): vscode.TreeItem {
    switch (node.kind) {
      case "connection": {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `connection:${node.name}`;
        item.description = node.description;
        item.contextValue = node.extension ? "connection.extension" : node.runner?.source === "saved" ? "connection.saved" : "connection.workspace";
        const test = this.tests.get(node.name);
        const last = node.runner?.lastTest;
        const schema = this.language.status.flatMap((s) => s.connections).find((c) => c.name === node.name);
        const ok = test ? test.ok : last ? last.ok : schema ? schema.status === "ok" : undefined;
        item.iconPath = ok === undefined ? new vscode.ThemeIcon("database") : ok ? new vscode.ThemeIcon("pass", new vscode.ThemeColor("testing.iconPassed")) : new vscode.ThemeIcon("error", new vscode.ThemeColor("testing.iconFailed"));
        const lines = [`**${node.name}** — ${node.description}`];
        if (node.extension) lines.push("Added in VS Code; the password is in VS Code's secret storage.");
        else if (node.runner?.source === "workspace") lines.push("From databridge.config.ts.");
        if (test) lines.push(test.ok ? `Test: connected (${test.version})` : `Test: failed — ${test.message}`);
        else if (last) lines.push(last.ok ? `Last test: connected (${last.serverVersion ?? ""})` : `Last test: failed — ${last.error ?? ""}`);
        if (schema) lines.push(`Schema: ${schema.status}${schema.tables ? `, ${schema.tables} tables` : ""}${schema.error ? ` — ${schema.error}` : ""}`);
        item.tooltip = new vscode.MarkdownString(lines.join("\n\n"));
        return item;
      }
      case "schema": {
        const item = new vscode.TreeItem(node.schema, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `schema:${node.connection}:${node.schema}`;
        item.description = `${node.tables.length} table${node.tables.length === 1 ? "" : "s"}`;
        item.iconPath = new vscode.ThemeIcon("symbol-namespace");
        item.contextValue = "schema";
        return item;
      }
      case "table": {
        const item = new vscode.TreeItem(node.table.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `table:${node.connection}:${node.table.schema}.${node.table.name}`;
        item.description = tableDescription(node.table);
        item.iconPath = new vscode.ThemeIcon(node.table.kind === "view" ? "eye" : "table");
        item.tooltip = `${node.table.schema}.${node.table.name}: ${node.table.columns.length} columns${node.table.primaryKey.length ? `, key (${node.table.primaryKey.join(", ")})` : ""}`;
        item.contextValue = "table";
        return item;
      }
      case "column": {
        const item = new vscode.TreeItem(node.column.name, vscode.TreeItemCollapsibleState.None);
        item.id = `column:${node.connection}:${node.table.schema}.${node.table.name}.${node.column.name}`;
        item.description = columnDescription(node.column, node.table);
        item.iconPath = new vscode.ThemeIcon(node.table.primaryKey.includes(node.column.name) ? "key" : "symbol-field");
        item.tooltip = `${node.column.name} ${node.column.nativeType}${node.column.nullable ? "" : " NOT NULL"}${node.column.default ? ` DEFAULT ${node.column.default}` : ""}`;
        item.contextValue = "column";
        return item;
      }
      case "message": {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.description = node.detail;
        item.tooltip = node.detail;
        return item;
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
