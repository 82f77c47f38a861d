import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  type Catalog, type Connector, connectionEnvVar, describeConnectionUrl, messageOf, redactSecrets, registerSecret, resolveConnectionUrl, type Workspace,
} from "@databridge/core";
import type { ConnectionTestResult as TestResult, ConnectionView } from "@databridge/core/runner-protocol";
import type { ConnectionRow } from "../state/schema.js";
import type { SecretBox } from "../state/secrets.js";
import type { StateStore } from "../state/store.js";
import { badRequest, conflict, notFound } from "./errors.js";
import type { WorkspaceSource } from "./workspace-source.js";

export const CONNECTION_TYPES = ["postgres", "mysql", "mssql", "oracle", "pglite"] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

/** URL scheme per connection type, and the types each scheme means. */
const SCHEME_OF: Record<ConnectionType, string> = { postgres: "postgres", mysql: "mysql", mssql: "mssql", oracle: "oracle", pglite: "pglite" };
const TYPE_OF_SCHEME: Record<string, ConnectionType> = {
  postgres: "postgres", postgresql: "postgres", mysql: "mysql", mariadb: "mysql", mssql: "mssql", sqlserver: "mssql", oracle: "oracle", pglite: "pglite",
};
const DEFAULT_PORT: Partial<Record<ConnectionType, number>> = { postgres: 5432, mysql: 3306, mssql: 1433, oracle: 1521 };

export const TEST_TIMEOUT_MS = 5_000;
const DISCOVER_TIMEOUT_MS = 60_000;

const connectionName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, "must start with a letter and hold only letters, digits and _ (at most 63 characters)");
const description = z.string().max(500).optional();

const fieldsShape = {
  name: connectionName,
  type: z.enum(CONNECTION_TYPES),
  host: z.string().min(1).max(255).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  database: z.string().min(1).max(1024),
  username: z.string().min(1).max(255).optional(),
  password: z.string().max(4096).optional(),
  description,
};

const fieldsSchema = z.object(fieldsShape).strict().superRefine((value, ctx) => {
  if (value.type !== "pglite" && !value.host) ctx.addIssue({ code: "custom", path: ["host"], message: `is required for ${value.type} connections` });
  if (value.type === "pglite" && (value.host || value.port || value.username || value.password)) {
    ctx.addIssue({ code: "custom", path: [value.host ? "host" : value.port ? "port" : value.username ? "username" : "password"], message: "is not used by pglite connections (give the folder as database)" });
  }
});
const urlSchema = z.object({ name: connectionName, url: z.string().min(1).max(4096), description }).strict();

const testUrlSchema = urlSchema.extend({ name: connectionName.optional() });
const testFieldsSchema = z.object({ ...fieldsShape, name: connectionName.optional() }).strict();

/** A JSON object; which form it is (`url` or fields) decides the schema, so errors name the right field. */
export const connectionBodySchema = z.record(z.string(), z.unknown());
const hasUrl = (input: unknown) => typeof input === "object" && input !== null && "url" in input;

/** `POST /connections`: `{ name, type, host, port, database, username, password }` or `{ name, url }`. */
export const createConnectionSchema = {
  parse: (input: unknown): z.output<typeof urlSchema> | z.output<typeof fieldsSchema> => (hasUrl(input) ? urlSchema.parse(input) : fieldsSchema.parse(input)),
};
/** The unsaved connection `POST /connections/test` checks. */
export const testConnectionSchema = {
  parse: (input: unknown): z.output<typeof testUrlSchema> | z.output<typeof testFieldsSchema> => (hasUrl(input) ? testUrlSchema.parse(input) : testFieldsSchema.parse(input)),
};
/** `PATCH /connections/:id`: any field; `password: null` removes the password. */
export const updateConnectionSchema = z.object({
  name: connectionName.optional(), type: z.enum(CONNECTION_TYPES).optional(), host: z.string().min(1).max(255).nullable().optional(),
  port: z.number().int().min(1).max(65535).nullable().optional(), database: z.string().min(1).max(1024).optional(),
  username: z.string().min(1).max(255).nullable().optional(), password: z.string().max(4096).nullable().optional(),
  url: z.string().min(1).max(4096).optional(), description: z.string().max(500).nullable().optional(),
}).strict();

type FieldsInput = z.output<typeof fieldsSchema>;
type UrlInput = z.output<typeof urlSchema>;

interface Resolved {
  name: string;
  url: URL;
  password?: string;
}

/** Saved connections: CRUD with the password encrypted at rest, test, discover, and the env overlay runs use. */
export class ConnectionService {
  private readonly changeListeners = new Set<() => void>();

  constructor(
    private readonly store: StateStore,
    private readonly secrets: SecretBox,
    private readonly workspaces: WorkspaceSource,
  ) {}

  onChange(listener: () => void): void {
    this.changeListeners.add(listener);
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  async list(): Promise<ConnectionView[]> {
    const workspace = await this.workspaces.get();
    const saved = await this.store.listConnections();
    const savedNames = new Set(saved.map((r) => connectionEnvVar(r.name)));
    const views = saved.map((row) => this.view(row, workspace));
    for (const name of Object.keys(workspace.config.connections ?? {})) {
      if (!savedNames.has(connectionEnvVar(name))) views.push(workspaceView(name, workspace));
    }
    return views.sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(id: string): Promise<ConnectionView> {
    const workspace = await this.workspaces.get();
    const name = workspaceName(id);
    if (name !== undefined) {
      if (!(name in (workspace.config.connections ?? {}))) throw notFound(`connection ${id}`);
      return workspaceView(name, workspace);
    }
    return this.view(await this.row(id), workspace);
  }

  async create(input: unknown): Promise<ConnectionView> {
    const parsed = createConnectionSchema.parse(input);
    await this.checkNameFree(parsed.name);
    const id = randomUUID();
    const { values, password } = await this.normalize(parsed);
    const row = await this.store.insertConnection({ id, ...values, passwordEncrypted: password ? this.secrets.encrypt(password, aad(id)) : null });
    this.changed();
    return this.view(row, await this.workspaces.get());
  }

  async update(id: string, input: unknown): Promise<ConnectionView> {
    const { values, password, keepPassword, row } = await this.merge(id, input);
    const passwordEncrypted = keepPassword ? row.passwordEncrypted : password ? this.secrets.encrypt(password, aad(id)) : null;
    const updated = await this.store.updateConnection(id, { ...values, passwordEncrypted });
    this.changed();
    return this.view(updated!, await this.workspaces.get());
  }

  /**
   * Tests a saved connection as a patch would change it, without saving anything: an edit is tested before
   * it is saved, with the saved password unless the patch gives (or removes) one.
   */
  async testEdited(id: string, input: unknown): Promise<TestResult> {
    const { values, password, keepPassword, row } = await this.merge(id, input);
    const effective = keepPassword ? (row.passwordEncrypted ? this.secrets.decrypt(row.passwordEncrypted, aad(row.id)) : undefined) : password;
    registerSecret(effective);
    return this.test({ name: values.name, url: buildUrl(values, effective), password: effective });
  }

  /** A saved connection with a patch applied: the columns to store, and the password (kept, replaced or removed). */
  private async merge(id: string, input: unknown) {
    if (workspaceName(id) !== undefined) throw conflict(`connection ${id} is defined in databridge.config.ts; edit it there`, "read_only");
    const patch = updateConnectionSchema.parse(input);
    const row = await this.row(id);
    if (patch.name && patch.name !== row.name) await this.checkNameFree(patch.name, id);
    const name = patch.name ?? row.name;
    const description = patch.description === undefined ? row.description ?? undefined : patch.description ?? undefined;
    const usingUrl = patch.url !== undefined || (row.url !== null && !["type", "host", "port", "database", "username"].some((k) => k in patch));
    let merged: FieldsInput | UrlInput;
    let keepPassword = patch.password === undefined;
    if (usingUrl) {
      if (patch.url === undefined && row.url === null) throw badRequest("url: is required");
      merged = urlSchema.parse({ name, url: patch.url ?? row.url!, description });
      if (patch.url !== undefined && new URL(patch.url).password) keepPassword = false;
    } else {
      const pick = <K extends "host" | "port" | "username">(key: K) => (patch[key] === undefined ? row[key] ?? undefined : patch[key] ?? undefined);
      merged = fieldsSchema.parse({
        name, type: patch.type ?? row.type, host: pick("host"), port: pick("port"), database: patch.database ?? row.database ?? undefined,
        username: pick("username"), description, ...(typeof patch.password === "string" ? { password: patch.password } : {}),
      });
    }
    const { values, password } = await this.normalize(merged);
    return { row, values, password, keepPassword };
  }

  async delete(id: string): Promise<void> {
    if (workspaceName(id) !== undefined) throw conflict(`connection ${id} is defined in databridge.config.ts; edit it there`, "read_only");
    if (!(await this.store.deleteConnection(id))) throw notFound(`connection ${id}`);
    this.changed();
  }

  /** Tests an unsaved connection: `{ name?, type, host, … }` or `{ url }`. */
  async testUnsaved(input: unknown): Promise<TestResult> {
    const parsed = testConnectionSchema.parse(input);
    const { values, password } = await this.normalize({ ...parsed, name: parsed.name ?? "unsaved" } as FieldsInput | UrlInput);
    return this.test({ name: values.name, url: buildUrl(values, password), password });
  }

  /** Tests a saved (or workspace) connection and remembers the outcome. */
  async testSaved(id: string): Promise<TestResult> {
    const result = await this.test(await this.resolve(id));
    if (workspaceName(id) === undefined) await this.store.recordConnectionTest(id, result);
    return result;
  }

  async discover(id: string): Promise<Catalog> {
    const resolved = await this.resolve(id);
    return this.withConnector(resolved, DISCOVER_TIMEOUT_MS, (connector) => connector.introspect());
  }

  /** `DATABRIDGE_CONN_<NAME>` → URL (with password) for every saved connection: the environment runs get. */
  async envOverlay(): Promise<Record<string, string>> {
    const overlay: Record<string, string> = {};
    for (const row of await this.store.listConnections()) {
      const password = row.passwordEncrypted ? this.secrets.decrypt(row.passwordEncrypted, aad(row.id)) : undefined;
      registerSecret(password);
      overlay[connectionEnvVar(row.name)] = buildUrl(row, password).href;
    }
    return overlay;
  }

  private async row(id: string): Promise<ConnectionRow> {
    const row = await this.store.getConnection(id);
    if (!row) throw notFound(`connection ${id}`);
    return row;
  }

  private async resolve(id: string): Promise<Resolved> {
    const name = workspaceName(id);
    if (name !== undefined) {
      const workspace = await this.workspaces.get();
      if (!(name in (workspace.config.connections ?? {}))) throw notFound(`connection ${id}`);
      const url = resolveConnectionUrl(name, workspace.config);
      return { name, url, password: url.password ? decodeURIComponent(url.password) : undefined };
    }
    const row = await this.row(id);
    const password = row.passwordEncrypted ? this.secrets.decrypt(row.passwordEncrypted, aad(row.id)) : undefined;
    registerSecret(password);
    return { name: row.name, url: buildUrl(row, password), password };
  }

  private async checkNameFree(name: string, exceptId?: string): Promise<void> {
    const clash = (await this.store.listConnections()).find((r) => r.id !== exceptId && connectionEnvVar(r.name) === connectionEnvVar(name));
    if (clash) throw conflict(`a connection named "${clash.name}" already exists`, "name_taken");
  }

  /** Input → stored columns (no password) plus the password to encrypt. */
  private async normalize(input: FieldsInput | UrlInput): Promise<{ values: Omit<ConnectionRow, "id" | "passwordEncrypted" | "createdAt" | "updatedAt" | "lastTestedAt" | "lastTestOk" | "lastTestVersion" | "lastTestError">; password?: string }> {
    if ("url" in input) {
      let url: URL;
      try {
        url = new URL(input.url);
      } catch {
        throw badRequest("url: is not a valid URL (e.g. postgres://user@host:5432/db)");
      }
      const scheme = url.protocol.replace(/:$/, "").toLowerCase();
      const workspace = await this.workspaces.get();
      const type = TYPE_OF_SCHEME[scheme] ?? workspace.registry.connectorsByScheme.get(scheme)?.type;
      if (!type) throw badRequest(`url: unsupported scheme "${scheme}:" (use ${Object.keys(TYPE_OF_SCHEME).join(", ")})`);
      for (const key of url.searchParams.keys()) {
        if (/pass|pwd|secret/i.test(key)) throw badRequest(`url: put the password in the URL's user info (user:password@host), not in the "${key}" parameter`);
      }
      const password = url.password ? decodeURIComponent(url.password) : undefined;
      url.password = "";
      const pglite = type === "pglite";
      return {
        password,
        values: {
          name: input.name, type, url: url.href, description: input.description ?? null,
          host: pglite ? null : url.hostname || null, port: pglite ? null : url.port ? Number(url.port) : DEFAULT_PORT[type as ConnectionType] ?? null,
          database: pglite ? decodeURIComponent(url.href.slice(url.protocol.length)) : decodeURIComponent(url.pathname.replace(/^\//, "")) || null,
          username: url.username ? decodeURIComponent(url.username) : null,
        },
      };
    }
    return {
      password: input.password || undefined,
      values: {
        name: input.name, type: input.type, url: null, description: input.description ?? null, host: input.host ?? null,
        port: input.type === "pglite" ? null : input.port ?? DEFAULT_PORT[input.type] ?? null, database: input.database, username: input.username ?? null,
      },
    };
  }

  private async test(resolved: Resolved): Promise<TestResult> {
    const started = Date.now();
    const url = new URL(resolved.url.href);
    if (/^postgres/.test(url.protocol) && !url.searchParams.has("connect_timeout")) url.searchParams.set("connect_timeout", String(TEST_TIMEOUT_MS / 1000));
    try {
      const serverVersion = await this.withConnector({ ...resolved, url }, TEST_TIMEOUT_MS, (connector) => connector.serverVersion());
      return { ok: true, serverVersion, durationMs: Date.now() - started };
    } catch (error) {
      return { ok: false, error: scrub(messageOf(error), resolved.password), durationMs: Date.now() - started };
    }
  }

  /** Opens a connector for one piece of work with a deadline; it is always closed afterwards. */
  private async withConnector<T>(resolved: Resolved, timeoutMs: number, work: (connector: Connector) => Promise<T>): Promise<T> {
    const workspace = await this.workspaces.get();
    const scheme = resolved.url.protocol.replace(/:$/, "").toLowerCase();
    const factory = workspace.registry.connectorsByScheme.get(scheme);
    if (!factory) {
      throw badRequest(`connection ${resolved.name}: no connector for "${scheme}:" yet (available: ${[...workspace.registry.connectorsByScheme.keys()].join(", ")})`, "unsupported_connection_type");
    }
    const opening = factory.create({ name: resolved.name, url: resolved.url, baseDir: workspace.rootDir });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      return await Promise.race([opening.then(work), deadline]);
    } catch (error) {
      throw new Error(scrub(messageOf(error), resolved.password), { cause: error });
    } finally {
      clearTimeout(timer);
      void opening.then((connector) => connector.close()).catch(() => {});
    }
  }

  private view(row: ConnectionRow, workspace: Workspace): ConnectionView {
    return {
      id: row.id, name: row.name, source: "saved", type: row.type, host: row.host, port: row.port, database: row.database, username: row.username,
      url: describeConnectionUrl(buildUrl(row, undefined)), hasPassword: row.passwordEncrypted !== null, description: row.description, readOnly: false,
      overridesWorkspace: Object.keys(workspace.config.connections ?? {}).some((n) => connectionEnvVar(n) === connectionEnvVar(row.name)),
      createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(),
      lastTest: row.lastTestedAt ? { ok: Boolean(row.lastTestOk), serverVersion: row.lastTestVersion, error: row.lastTestError, at: row.lastTestedAt.toISOString() } : null,
    };
  }
}

const WORKSPACE_PREFIX = "workspace:";
const workspaceName = (id: string) => (id.startsWith(WORKSPACE_PREFIX) ? id.slice(WORKSPACE_PREFIX.length) : undefined);
const aad = (id: string) => `databridge:connection:${id}`;
const scrub = (text: string, password?: string) => redactSecrets(password && password.length > 0 ? text.split(password).join("***") : text);

function workspaceView(name: string, workspace: Workspace): ConnectionView {
  const configured = workspace.config.connections[name];
  let url: URL | undefined;
  try {
    url = resolveConnectionUrl(name, workspace.config);
  } catch {
    url = undefined;
  }
  const scheme = url?.protocol.replace(/:$/, "").toLowerCase() ?? "";
  const pglite = scheme === "pglite";
  return {
    id: `${WORKSPACE_PREFIX}${name}`, name, source: "workspace", type: TYPE_OF_SCHEME[scheme] ?? workspace.registry.connectorsByScheme.get(scheme)?.type ?? scheme,
    host: url && !pglite ? url.hostname || null : null, port: url && !pglite && url.port ? Number(url.port) : null,
    database: url ? (pglite ? decodeURIComponent(url.href.slice(url.protocol.length)) : decodeURIComponent(url.pathname.replace(/^\//, "")) || null) : null,
    username: url?.username ? decodeURIComponent(url.username) : null, url: url ? describeConnectionUrl(url) : "(invalid URL)",
    hasPassword: Boolean(url?.password), description: typeof configured === "object" ? configured.description ?? null : null, readOnly: true, lastTest: null,
  };
}

/** The URL a stored connection stands for; the password only when given (for the engine, never for output). */
export function buildUrl(row: Pick<ConnectionRow, "type" | "url" | "host" | "port" | "database" | "username">, password: string | undefined): URL {
  if (row.url) {
    const url = new URL(row.url);
    if (password) url.password = encodeURIComponent(password);
    return url;
  }
  const type = row.type as ConnectionType;
  if (type === "pglite") return new URL(`pglite:${row.database ?? "memory:"}`);
  const url = new URL(`${SCHEME_OF[type] ?? type}://host`);
  const host = row.host ?? "localhost";
  url.hostname = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  if (row.port) url.port = String(row.port);
  if (row.username) url.username = encodeURIComponent(row.username);
  if (password) url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(row.database ?? "")}`;
  return url;
}
