import {
  type ConnectionSpec, type ConnectorChoice, describeSpec, validateHost, validateName, validatePort, validateRequired,
} from "./connection-spec.js";

/** The few prompts the flow needs; the extension implements them with QuickPick/InputBox, tests with a script. */
export interface FlowUi {
  pick<T extends { label: string }>(items: readonly T[], options: { title: string; placeholder: string; step: number; totalSteps: number }): Promise<T | undefined>;
  input(options: {
    title: string;
    prompt: string;
    value?: string;
    placeholder?: string;
    password?: boolean;
    step: number;
    totalSteps: number;
    validate?: (value: string) => string | undefined;
  }): Promise<string | undefined>;
  /** Runs the connection test (with progress) and returns its outcome. */
  test(spec: ConnectionSpec, password: string | undefined): Promise<TestOutcome>;
  /** After the test: what to do next. */
  decide(outcome: TestOutcome, spec: ConnectionSpec): Promise<"save" | "edit" | "cancel" | undefined>;
}

export type TestOutcome = { ok: true; version: string } | { ok: false; message: string };

export interface FlowResult {
  spec: ConnectionSpec;
  password: string | undefined;
  tested: TestOutcome;
}

export interface FlowOptions {
  /** Names already saved by the extension (a new connection may not reuse them, an edit keeps its own). */
  savedNames: readonly string[];
  /** Names in databridge.config.ts: offered first, since saving one supplies its credentials. */
  configNames: readonly string[];
  /** Editing an existing connection: the fields to start from. */
  initial?: Partial<ConnectionSpec>;
  /** The databases the runner can connect to, as each connector describes itself (`GET /connectors`). */
  connectors: readonly ConnectorChoice[];
}

const TITLE = "DataBridge: Add Connection";

/**
 * The guided Add Connection flow: name, type, host, port, database, user, password; then Test before Save.
 * Returns the connection and its password (to be put in SecretStorage only), or undefined when cancelled.
 */
export async function runAddConnectionFlow(ui: FlowUi, options: FlowOptions): Promise<FlowResult | undefined> {
  let draft: Partial<ConnectionSpec> = { ...options.initial };
  let password: string | undefined;
  const editing = options.initial?.name;
  for (;;) {
    const answered = await askFields(ui, draft, options, editing);
    if (!answered) return undefined;
    draft = answered.spec;
    password = answered.password;
    const spec = answered.spec;
    const outcome = await ui.test(spec, password);
    const next = await ui.decide(outcome, spec);
    if (next === "save") return { spec, password, tested: outcome };
    if (next !== "edit") return undefined;
  }
}

async function askFields(
  ui: FlowUi,
  draft: Partial<ConnectionSpec>,
  options: FlowOptions,
  editing: string | undefined,
): Promise<{ spec: ConnectionSpec; password: string | undefined } | undefined> {
  const taken = options.savedNames.filter((n) => n !== editing);
  // 1. Name: the config's connections that have no credentials yet, or a new name.
  let name = draft.name;
  const unsaved = options.configNames.filter((n) => !taken.includes(n));
  if (!editing && unsaved.length) {
    const items = [
      ...unsaved.map((n) => ({ label: n, description: "from databridge.config.ts", name: n as string | undefined })),
      { label: "$(add) New connection name…", description: "", name: undefined },
    ];
    const picked = await ui.pick(items, { title: TITLE, placeholder: "Which connection? (names from databridge.config.ts first)", step: 1, totalSteps: 7 });
    if (!picked) return undefined;
    name = picked.name;
  }
  if (!name || editing) {
    const value = await ui.input({
      title: TITLE,
      prompt: "Connection name (pipelines refer to it as connection: \"<name>\")",
      value: name ?? "",
      placeholder: "legacy",
      step: 1,
      totalSteps: 7,
      validate: (v) => validateName(v.trim(), taken),
    });
    if (value === undefined) return undefined;
    name = value.trim();
  }
  // 2. Type: every connector the runner describes, the one being edited first.
  const typeItems = options.connectors.map((c) => ({ label: c.label, detail: c.detail, connector: c, picked: c.type === draft.type }));
  const ordered = draft.type ? [...typeItems.filter((t) => t.connector.type === draft.type), ...typeItems.filter((t) => t.connector.type !== draft.type)] : typeItems;
  const picked = await ui.pick(ordered, { title: TITLE, placeholder: `Database type of "${name}"`, step: 2, totalSteps: 7 });
  if (!picked) return undefined;
  const info = picked.connector;
  const type = { type: info.type };
  if (info.storage !== "server") {
    const kind = info.storage === "file" ? "file" : "folder";
    const folder = await ui.input({
      title: TITLE,
      // The runner opens embedded databases only inside the workspace and outside .databridge/ (its own folder).
      prompt: `${kind === "file" ? "Database file" : "Data folder"} of ${info.label.replace(/\s*\(.*\)$/, "")}, relative to databridge.config.ts (inside the workspace, not in .databridge/)`,
      value: draft.type === info.type && draft.folder ? draft.folder : info.storage === "file" ? `data/${name}.db` : `data/${name}`,
      step: 3,
      totalSteps: 3,
      validate: (v) => validateRequired(kind, v),
    });
    if (folder === undefined) return undefined;
    return { spec: { name, type: type.type, folder: folder.trim() }, password: undefined };
  }
  // 3.–7. Server fields.
  const host = await ui.input({ title: TITLE, prompt: "Host", value: draft.host ?? "127.0.0.1", step: 3, totalSteps: 7, validate: validateHost });
  if (host === undefined) return undefined;
  const sameType = draft.type === type.type;
  const port = await ui.input({
    title: TITLE,
    prompt: "Port",
    value: String((sameType && draft.port) || (info.defaultPort ?? "")),
    step: 4,
    totalSteps: 7,
    validate: validatePort,
  });
  if (port === undefined) return undefined;
  const database = await ui.input({ title: TITLE, prompt: "Database", value: draft.database ?? "", step: 5, totalSteps: 7, validate: (v) => validateRequired("database name", v) });
  if (database === undefined) return undefined;
  const username = await ui.input({ title: TITLE, prompt: "User", value: draft.username ?? "", step: 6, totalSteps: 7, validate: (v) => validateRequired("user name", v) });
  if (username === undefined) return undefined;
  const password = await ui.input({
    title: TITLE,
    prompt: `Password for ${username.trim()} (kept in VS Code's secret storage only; leave empty for none)`,
    password: true,
    step: 7,
    totalSteps: 7,
  });
  if (password === undefined) return undefined;
  return {
    spec: { name, type: type.type, host: host.trim(), port: Number(port), database: database.trim(), username: username.trim() },
    password: password === "" ? undefined : password,
  };
}

/** The message shown after a test, naming the connection but never its password. */
export function testMessage(outcome: TestOutcome, spec: ConnectionSpec): string {
  return outcome.ok ? `Connected to ${describeSpec(spec)}: ${outcome.version}` : `Could not connect to ${describeSpec(spec)}: ${outcome.message}`;
}
