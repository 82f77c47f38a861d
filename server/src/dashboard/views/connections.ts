import type { ConnectionInput, ConnectionView, ConnectorList } from "@databridge/core/runner-protocol";
import { formatTime, h, replace } from "../dom.js";
import type { View, ViewContext } from "./view.js";

type Described = ConnectorList["connectors"][number];

/** Connections: the workspace's and saved ones, with test status; add, test and delete saved ones. */
export function connectionsView(ctx: ViewContext): View {
  const { client } = ctx;
  const list = h("div", { "data-testid": "connections" });
  const message = h("div", { class: "message", role: "status" });
  const results = new Map<string, { ok: boolean; text: string }>();
  let connections: ConnectionView[] = [];

  const test = async (connection: ConnectionView) => {
    results.set(connection.id, { ok: true, text: "testing…" });
    render();
    try {
      const result = await client.testConnection(connection.id);
      results.set(connection.id, { ok: result.ok, text: result.ok ? `✓ ${result.serverVersion} (${result.durationMs} ms)` : `✗ ${result.error}` });
    } catch (error) {
      results.set(connection.id, { ok: false, text: `✗ ${error instanceof Error ? error.message : error}` });
    }
    render();
  };

  const render = () => replace(list, h("table", { class: "grid" },
    h("thead", {}, h("tr", {}, ...["Name", "Type", "Where", "From", "Test", ""].map((t) => h("th", {}, t)))),
    h("tbody", {}, connections.map((c) => {
      const result = results.get(c.id) ?? (c.lastTest ? { ok: c.lastTest.ok, text: c.lastTest.ok ? `✓ ${c.lastTest.serverVersion} (${formatTime(c.lastTest.at)})` : `✗ ${c.lastTest.error}` } : undefined);
      return h("tr", { "data-connection": c.name },
        h("td", {}, h("strong", {}, c.name)), h("td", {}, c.type), h("td", {}, h("code", {}, c.url), c.hasPassword ? h("span", { class: "hint" }, " (password saved)") : null),
        h("td", {}, c.source === "saved" ? "saved" : "databridge.config.ts"),
        h("td", { class: result ? (result.ok ? "good" : "bad") : "", "data-testid": "test-result" }, result?.text ?? "not tested"),
        h("td", {}, h("button", { onclick: () => void test(c) }, "Test"), c.readOnly ? null : h("button", {
          class: "danger", onclick: async () => {
            if (!confirm(`Delete connection ${c.name}?`)) return;
            await client.deleteConnection(c.id);
            await load();
          },
        }, "Delete")),
      );
    })),
  ));

  const load = async () => {
    try {
      connections = (await client.connections()).connections;
      render();
      if (!connectors.length) {
        // The runner lists every database its workspace can reach, as each connector describes itself.
        connectors = (await client.connectors()).connectors;
        replace(typeSelect, ...connectors.map((c) => h("option", { value: c.type, title: c.detail }, c.integrationTested ? c.label : `${c.label} (not integration-tested)`)));
        fitFields();
      }
    } catch (error) {
      message.textContent = error instanceof Error ? error.message : String(error);
    }
  };

  let connectors: Described[] = [];
  const field = (name: string, label: string, attrs: Record<string, string> = {}) => h("label", { "data-field": name }, label, h("input", { name, ...attrs }));
  const typeSelect = h("select", { name: "type", onchange: () => fitFields() });
  const serverFields = [
    field("host", "Host", { placeholder: "127.0.0.1" }), field("port", "Port", { inputmode: "numeric" }),
    field("username", "User"), field("password", "Password", { type: "password", autocomplete: "new-password" }),
  ];
  const databaseField = field("database", "Database", { required: "" });
  // A file or folder database is a path; a server is an address, a database and a user.
  const fitFields = () => {
    const connector = connectors.find((c) => c.type === (typeSelect as HTMLSelectElement).value);
    const server = !connector || connector.storage === "server";
    for (const label of serverFields) (label as HTMLElement).hidden = !server;
    databaseField.firstChild!.textContent = server ? "Database" : connector!.storage === "file" ? "File" : "Folder";
    const port = serverFields[1].querySelector("input")!;
    port.placeholder = connector?.defaultPort ? String(connector.defaultPort) : "";
    (databaseField.querySelector("input") as HTMLInputElement).placeholder = connector && !server ? connector.urlExample.slice(connector.urlExample.indexOf(":") + 1) : "";
  };
  const form = h("form", {
    class: "connection-form",
    onsubmit: async (e: Event) => {
      e.preventDefault();
      const data = new FormData(form);
      const value = (k: string) => (String(data.get(k) ?? "").trim() || undefined);
      // Name and database are required fields of the form; the runner names any other missing field.
      const body: ConnectionInput = {
        name: value("name") ?? "", type: value("type") ?? "", host: value("host"), database: value("database") ?? "", username: value("username"), password: value("password"),
        ...(value("port") ? { port: Number(value("port")) } : {}),
      };
      try {
        await client.createConnection(body);
        form.reset();
        message.textContent = "Saved (the password is stored encrypted).";
        await load();
      } catch (error) {
        message.textContent = error instanceof Error ? error.message : String(error);
      }
    },
  },
    field("name", "Name", { required: "" }),
    h("label", {}, "Type", typeSelect),
    serverFields[0], serverFields[1], databaseField, serverFields[2], serverFields[3],
    h("button", { class: "primary", type: "submit" }, "Save connection"),
  );

  void load();
  return {
    element: h("section", { class: "view connections-view" }, h("h3", {}, "Connections"), message, list, h("details", { class: "card" }, h("summary", {}, "Add a connection"), form)),
    destroy: () => {},
  };
}
