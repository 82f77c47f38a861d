import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  type Catalog, type Connector, type ConnectorDescription, connectionEnvVar, connectionFields, connectionUrl, type EmbeddedStorage, describeConnectionUrl, messageOf, redactSecrets,
  registerSecret, resolveConnectionUrl, type Workspace,
} from "@databridge/core";
import type { ConnectionTestResult as TestResult, ConnectionView } from "@databridge/core/runner-protocol";
import type { ConnectionRow } from "../state/schema.js";
import type { SecretBox } from "../state/secrets.js";
import type { StateStore } from "../state/store.js";
import { EMBEDDED_PLACE_FIX, type ConnectionOrigin, type EmbeddedPlaces } from "./embedded-places.js";
import { ApiError, badRequest, conflict, notFound } from "./errors.js";
import type { WorkspaceSource } from "./workspace-source.js";

/** The connector a type names, from the workspace's registry (built-ins and plugins describe themselves). */
function connectorOfType(workspace: Workspace, type: string): ConnectorDescription {
  const connector = workspace.registry.connectors.get(type);
  if (!connector) throw badRequest(`type: unknown connection type "${type}" (use ${[...workspace.registry.connectors.keys()].join(", ")})`);
  return connector;
}

/** The connector a URL scheme names. */
function connectorOfScheme(workspace: Workspace, scheme: string): ConnectorDescription | undefined {
  const factory = workspace.registry.connectorsByScheme.get(scheme);
  return factory && workspace.registry.connectors.get(factory.type);
}

export const TEST_TIMEOUT_MS = 5_000;
const DISCOVER_TIMEOUT_MS = 60_000;

const connectionName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, "must start with a letter and hold only letters, digits and _ (at most 63 characters)");
const description = z.string().max(500).optional();

const fieldsShape = {
  name: connectionName,
  type: z.string().min(1).max(63),
  host: z.string().min(1).max(255).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  database: z.string().min(1).max(1024),
  username: z.string().min(1).max(255).optional(),
  password: z.string().max(4096).optional(),
  description,
};

const fieldsSchema = z.object(fieldsShape).strict();

/** Fields fit the connector: a server needs a host; a file or folder database takes only its path (as `database`). */
function checkFields(value: { type: string; host?: string | null; port?: number | null; username?: string | null; password?: string | null }, connector: ConnectorDescription): void {
  if (connector.storage === "server" && !value.host) throw badRequest(`host: is required for ${value.type} connections`);
  if (connector.storage !== "server" && (value.host || value.port || value.username || value.password)) {
    const field = value.host ? "host" : value.port ? "port" : value.username ? "username" : "password";
    throw badRequest(`${field}: is not used by ${value.type} connections (give the ${connector.storage} as database)`);
  }
}
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
  name: connectionName.optional(), type: z.string().min(1).max(63).optional(), host: z.string().min(1).max(255).nullable().optional(),
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
  origin: ConnectionOrigin;
}

/** Saved connections: CRUD with the password encrypted at rest, test, discover, and the env overlay runs use. */
export class ConnectionService {
  private readonly changeListeners = new Set<() => void>();

  constructor(
    private readonly store: StateStore,
    private readonly secrets: SecretBox,
    private readonly workspaces: WorkspaceSource,
    private readonly places: EmbeddedPlaces,
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
    await this.checkSavedPlace(values);
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
    return this.test({ name: values.name, url: buildUrl(values, effective, await this.connectorDescriptions()), password: effective, origin: "client" });
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
    await this.checkSavedPlace(values);
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
    return this.test({ name: values.name, url: buildUrl(values, password, await this.connectorDescriptions()), password, origin: "client" });
  }

  /** Tests a saved (or workspace) connection and remembers the outcome. */
  async testSaved(id: string): Promise<TestResult> {
    const result = await this.test(await this.resolve(id));
    if (workspaceName(id) === undefined) await this.store.recordConnectionTest(id, result);
    return result;
  }

  /** The connection's catalog; a connection that fails (wrong password, unreachable) is a 422 naming why. */
  async discover(id: string): Promise<Catalog> {
    const resolved = await this.resolve(id);
    const open = await this.opener(resolved);
    try {
      return await this.withConnector(resolved, open, DISCOVER_TIMEOUT_MS, (connector) => connector.introspect());
    } catch (error) {
      const message = messageOf(error);
      throw new ApiError(422, "connection_failed", message.startsWith(`connection ${resolved.name}`) ? message : `connection ${resolved.name}: ${message}`);
    }
  }

  /** `DATABRIDGE_CONN_<NAME>` → URL (with password) for every saved connection: the environment runs get. */
  async envOverlay(): Promise<Record<string, string>> {
    const overlay: Record<string, string> = {};
    const connectors = await this.connectorDescriptions();
    for (const row of await this.store.listConnections()) {
      const password = row.passwordEncrypted ? this.secrets.decrypt(row.passwordEncrypted, aad(row.id)) : undefined;
      registerSecret(password);
      overlay[connectionEnvVar(row.name)] = buildUrl(row, password, connectors).href;
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
      return { name, url, password: url.password ? decodeURIComponent(url.password) : undefined, origin: "config" };
    }
    const row = await this.row(id);
    const password = row.passwordEncrypted ? this.secrets.decrypt(row.passwordEncrypted, aad(row.id)) : undefined;
    registerSecret(password);
    return { name: row.name, url: buildUrl(row, password, await this.connectorDescriptions()), password, origin: "client" };
  }

  private async connectorDescriptions(): Promise<ReadonlyMap<string, ConnectorDescription>> {
    return (await this.workspaces.get()).registry.connectors;
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
      const connector = connectorOfScheme(workspace, scheme);
      if (!connector) throw badRequest(`url: unsupported scheme "${scheme}:" (use ${[...workspace.registry.connectorsByScheme.keys()].join(", ")})`);
      for (const key of url.searchParams.keys()) {
        if (/pass|pwd|secret/i.test(key)) throw badRequest(`url: put the password in the URL's user info (user:password@host), not in the "${key}" parameter`);
      }
      const password = url.password ? decodeURIComponent(url.password) : undefined;
      url.password = "";
      return { password, values: { name: input.name, type: connector.type, url: url.href, description: input.description ?? null, ...connectionFields(url, connector) } };
    }
    const connector = connectorOfType(await this.workspaces.get(), input.type);
    checkFields(input, connector);
    return {
      password: input.password || undefined,
      values: {
        name: input.name, type: input.type, url: null, description: input.description ?? null, host: input.host ?? null,
        port: connector.storage === "server" ? input.port ?? connector.defaultPort ?? null : null, database: input.database, username: input.username ?? null,
      },
    };
  }

  /** A request that cannot be tried (unknown scheme, a place it may not open) is a 4xx; a connection that fails is `ok: false`. */
  private async test(resolved: Resolved): Promise<TestResult> {
    const started = Date.now();
    const url = new URL(resolved.url.href);
    if (/^postgres/.test(url.protocol) && !url.searchParams.has("connect_timeout")) url.searchParams.set("connect_timeout", String(TEST_TIMEOUT_MS / 1000));
    const testing = { ...resolved, url };
    const open = await this.opener(testing);
    try {
      const serverVersion = await this.withConnector(testing, open, TEST_TIMEOUT_MS, (connector) => connector.serverVersion());
      return { ok: true, serverVersion, durationMs: Date.now() - started };
    } catch (error) {
      return { ok: false, error: scrub(messageOf(error), resolved.password), durationMs: Date.now() - started };
    }
  }

  /**
   * The connector factory for a connection, checked: an embedded database must be in a place its
   * origin may open (400 otherwise), and must exist already — a test or a discovery never creates one (422).
   */
  private async opener(resolved: Resolved): Promise<() => Promise<Connector>> {
    const workspace = await this.workspaces.get();
    const scheme = schemeOf(resolved.url);
    const factory = workspace.registry.connectorsByScheme.get(scheme);
    if (!factory) {
      throw badRequest(`connection ${resolved.name}: no connector for "${scheme}:" yet (available: ${[...workspace.registry.connectorsByScheme.keys()].join(", ")})`, "unsupported_connection_type");
    }
    const embedded = factory.embedded;
    const location = this.allowedPlace(resolved, embedded, workspace.rootDir);
    if (embedded && location !== undefined && !(await embedded.exists(location))) {
      throw new ApiError(422, "no_database", `connection ${resolved.name}: no database at ${location} (fix: run a pipeline that writes to it first, or correct the folder)`);
    }
    return () => factory.create({ name: resolved.name, url: resolved.url, baseDir: workspace.rootDir });
  }

  /** A connection about to be saved names no embedded database where a client may not put one. */
  private async checkSavedPlace(values: Pick<ConnectionRow, "name" | "type" | "url" | "host" | "port" | "database" | "username">): Promise<void> {
    const workspace = await this.workspaces.get();
    const url = buildUrl(values, undefined, workspace.registry.connectors);
    this.allowedPlace({ name: values.name, url, origin: "client" }, workspace.registry.connectorsByScheme.get(schemeOf(url))?.embedded, workspace.rootDir);
  }

  /** Where an embedded database is (undefined: not embedded, or in memory); a place its origin may not open is a 400. */
  private allowedPlace(resolved: Pick<Resolved, "name" | "url" | "origin">, embedded: EmbeddedStorage | undefined, rootDir: string): string | undefined {
    const location = embedded?.location(resolved.url, rootDir);
    if (location === undefined) return undefined;
    const refusal = this.places.refusal(location, resolved.origin);
    if (refusal) throw badRequest(`connection ${resolved.name}: the runner will not open ${refusal} (fix: ${EMBEDDED_PLACE_FIX})`, "embedded_place_refused");
    return location;
  }

  /** Opens a connector for one piece of work with a deadline; it is always closed afterwards. */
  private async withConnector<T>(resolved: Resolved, open: () => Promise<Connector>, timeoutMs: number, work: (connector: Connector) => Promise<T>): Promise<T> {
    const opening = open();
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
      url: describeConnectionUrl(buildUrl(row, undefined, workspace.registry.connectors)), hasPassword: row.passwordEncrypted !== null, description: row.description, readOnly: false,
      overridesWorkspace: Object.keys(workspace.config.connections ?? {}).some((n) => connectionEnvVar(n) === connectionEnvVar(row.name)),
      createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(),
      lastTest: row.lastTestedAt ? { ok: Boolean(row.lastTestOk), serverVersion: row.lastTestVersion, error: row.lastTestError, at: row.lastTestedAt.toISOString() } : null,
    };
  }
}

const WORKSPACE_PREFIX = "workspace:";
const workspaceName = (id: string) => (id.startsWith(WORKSPACE_PREFIX) ? id.slice(WORKSPACE_PREFIX.length) : undefined);
const aad = (id: string) => `databridge:connection:${id}`;
const schemeOf = (url: URL) => url.protocol.replace(/:$/, "").toLowerCase();
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
  const connector = connectorOfScheme(workspace, scheme);
  const fields = url && connector ? connectionFields(url, { ...connector, defaultPort: undefined }) : { host: null, port: null, database: null, username: null };
  return {
    id: `${WORKSPACE_PREFIX}${name}`, name, source: "workspace", type: connector?.type ?? scheme,
    ...fields, url: url ? describeConnectionUrl(url) : "(invalid URL)",
    hasPassword: Boolean(url?.password), description: typeof configured === "object" ? configured.description ?? null : null, readOnly: true, lastTest: null,
  };
}

/**
 * The URL a stored connection stands for; the password only when given (for the engine, never for output).
 * `connectors`: the registry's descriptions (a stored type whose connector is gone gives a URL of that scheme).
 */
export function buildUrl(
  row: Pick<ConnectionRow, "type" | "url" | "host" | "port" | "database" | "username">, password: string | undefined,
  connectors: ReadonlyMap<string, ConnectorDescription>,
): URL {
  if (row.url) {
    const url = new URL(row.url);
    if (password) url.password = encodeURIComponent(password);
    return url;
  }
  const connector = connectors.get(row.type) ?? { schemes: [row.type], storage: "server" as const };
  return connectionUrl(connector, row, password);
}
