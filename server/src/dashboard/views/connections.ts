import type { ConnectionInput, ConnectionPatch, ConnectionTestResult, ConnectionView, ConnectorList } from "@databridge/core/runner-protocol";
import { formatTime, h, replace } from "../dom.js";
import type { View, ViewContext } from "./view.js";

type Described = ConnectorList["connectors"][number];

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Connections: the workspace's and saved ones, with test status; add, edit, test and delete saved ones. A
 * connection is tested before it is saved: a failed test shows the reason and saves nothing unless the user
 * chooses "Save anyway". Editing leaves the password as saved while its field stays empty.
 */
export function connectionsView(ctx: ViewContext): View {
  const { client } = ctx;
  const list = h("div", { "data-testid": "connections" });
  const message = h("div", { class: "message", role: "status" });
  const results = new Map<string, { ok: boolean; text: string }>();
  let connections: ConnectionView[] = [];
  /** The saved connection the form edits; undefined while it adds a new one. */
  let editing: ConnectionView | undefined;

  const test = async (connection: ConnectionView) => {
    results.set(connection.id, { ok: true, text: "testing…" });
    render();
    try {
      const result = await client.testConnection(connection.id);
      results.set(connection.id, { ok: result.ok, text: result.ok ? `✓ ${result.serverVersion} (${result.durationMs} ms)` : `✗ ${result.error}` });
    } catch (error) {
      results.set(connection.id, { ok: false, text: `✗ ${errorText(error)}` });
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
        h("td", {}, h("button", { onclick: () => void test(c) }, "Test"), c.readOnly ? null : [
          h("button", { "data-action": "edit", onclick: () => startEditing(c) }, "Edit"),
          h("button", {
            class: "danger", onclick: async () => {
              if (!confirm(`Delete connection ${c.name}?`)) return;
              await client.deleteConnection(c.id);
              await load();
            },
          }, "Delete"),
        ]),
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
      message.textContent = errorText(error);
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
    serverFields[1].querySelector("input")!.placeholder = connector?.defaultPort ? String(connector.defaultPort) : "";
    databaseField.querySelector("input")!.placeholder = connector && !server ? connector.urlExample.slice(connector.urlExample.indexOf(":") + 1) : "";
  };
  const formStatus = h("div", { class: "message", role: "status", "data-testid": "form-status" });
  const saveAnyway = h("button", { type: "button", class: "danger", "data-action": "save-anyway", hidden: true, onclick: () => void submit(true) }, "Save anyway");
  const cancel = h("button", { type: "button", "data-action": "cancel-edit", hidden: true, onclick: () => stopEditing() }, "Cancel");
  const title = h("summary", {}, "Add a connection");
  const input = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;

  /** The form's values: what to create, or (editing) the changes to the saved connection, an empty password keeping it. */
  const readForm = (): { create: ConnectionInput; patch: ConnectionPatch } => {
    const data = new FormData(form);
    const value = (k: string) => (String(data.get(k) ?? "").trim() || undefined);
    // Name and database are required fields of the form; the runner names any other missing field.
    const create: ConnectionInput = {
      name: value("name") ?? "", type: value("type") ?? "", host: value("host"), database: value("database") ?? "", username: value("username"), password: value("password"),
      ...(value("port") ? { port: Number(value("port")) } : {}),
    };
    const patch: ConnectionPatch = {
      name: create.name, type: create.type, host: value("host") ?? null, port: value("port") ? Number(value("port")) : null,
      database: create.database, username: value("username") ?? null, ...(value("password") ? { password: value("password") } : {}),
    };
    return { create, patch };
  };

  /** Tests the form's connection, then saves it; `force` ("Save anyway") saves without the test. */
  const submit = async (force: boolean) => {
    const { create, patch } = readForm();
    const target = editing;
    saveAnyway.hidden = true;
    let tested: ConnectionTestResult | undefined;
    if (!force) {
      formStatus.className = "message";
      formStatus.textContent = "Testing the connection…";
      try {
        tested = target ? await client.testConnection(target.id, patch) : await client.testUnsavedConnection(create);
      } catch (error) {
        tested = { ok: false, error: errorText(error), durationMs: 0 };
      }
      if (!tested.ok) {
        formStatus.className = "message bad";
        formStatus.textContent = `✗ The test failed: ${tested.error}. Nothing was saved.`;
        saveAnyway.hidden = false;
        return;
      }
    }
    try {
      const saved = target ? await client.updateConnection(target.id, patch) : await client.createConnection(create);
      results.delete(saved.id);
      stopEditing();
      const encrypted = saved.hasPassword ? " (the password is stored encrypted)" : "";
      formStatus.className = tested ? "message good" : "message";
      formStatus.textContent = tested ? `✓ ${tested.serverVersion} answered; saved ${saved.name}${encrypted}.` : `Saved ${saved.name} without a successful test${encrypted}.`;
      await load();
    } catch (error) {
      formStatus.className = "message bad";
      formStatus.textContent = errorText(error);
    }
  };

  const form = h("form", {
    class: "connection-form", "data-testid": "connection-form",
    onsubmit: (e: Event) => {
      e.preventDefault();
      void submit(false);
    },
  },
    field("name", "Name", { required: "" }),
    h("label", {}, "Type", typeSelect),
    serverFields[0], serverFields[1], databaseField, serverFields[2], serverFields[3],
    h("button", { class: "primary", type: "submit", "data-action": "save-connection" }, "Test and save"), saveAnyway, cancel,
  );
  const details = h("details", { class: "card" }, title, form, formStatus);

  function startEditing(connection: ConnectionView) {
    editing = connection;
    form.reset();
    const values: Record<string, string> = {
      name: connection.name, type: connection.type, host: connection.host ?? "", port: connection.port === null ? "" : String(connection.port),
      database: connection.database ?? "", username: connection.username ?? "", password: "",
    };
    for (const [name, value] of Object.entries(values)) input(name).value = value;
    fitFields();
    (input("password") as HTMLInputElement).placeholder = connection.hasPassword ? "unchanged (leave empty to keep)" : "";
    title.textContent = `Edit connection ${connection.name}`;
    cancel.hidden = false;
    saveAnyway.hidden = true;
    formStatus.textContent = "";
    details.open = true;
  }

  function stopEditing() {
    editing = undefined;
    form.reset();
    (input("password") as HTMLInputElement).placeholder = "";
    title.textContent = "Add a connection";
    cancel.hidden = true;
    saveAnyway.hidden = true;
    formStatus.textContent = "";
  }

  void load();
  return {
    element: h("section", { class: "view connections-view" }, h("h3", {}, "Connections"), message, list, details),
    destroy: () => {},
  };
}
