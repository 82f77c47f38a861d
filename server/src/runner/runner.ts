import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import type { Hono } from "hono";
import { configError, findConfigFile, type LoadedPipeline, loadWorkspace, pipelineSlaMs } from "@databridge/core";
import type { AlerterOptions } from "../alerts/alerter.js";
import { RunnerAlerts } from "../alerts/runner-alerts.js";
import type { RunRow } from "../state/schema.js";
import { type Clock, systemClock } from "./clock.js";
import { RunOutcomes } from "./run-outcomes.js";
import { slaDeadlines, SlaMonitor } from "./sla-monitor.js";
import { openStateDatabase } from "../state/database.js";
import { createSecretBox, loadSecretKey } from "../state/secrets.js";
import { StateStore } from "../state/store.js";
import { createApp } from "./app.js";
import { ConnectionService } from "./connection-service.js";
import type { RunnerServices } from "./context.js";
import { claimRunnerFile, releaseRunnerFile, type RunnerFile, writeRunnerFile } from "@databridge/core/runner-protocol/discovery";
import { EmbeddedPlaces } from "./embedded-places.js";
import { EventBus } from "./event-bus.js";
import { PipelineCatalog } from "./pipeline-catalog.js";
import { EventRecorder } from "./recorder.js";
import { RunManager } from "./run-manager.js";
import { Scheduler } from "./scheduler.js";
import { loopbackHosts } from "./security/host-allowlist.js";
import { RunnerConnections, WorkspaceSource } from "./workspace-source.js";

export interface RunnerServicesOptions {
  /** databridge.config.ts of the workspace. */
  configPath: string;
  /** DATABRIDGE_STATE_URL: PostgreSQL or `pglite:<folder>`; default `<workspace>/.databridge/state`. */
  stateUrl?: string;
  env?: NodeJS.ProcessEnv;
  maxConcurrentRuns?: number;
  log?: (line: string) => void;
  /** Time for schedules and SLAs (tests pass a fake clock). */
  clock?: Clock;
  /** How often pipeline files are looked at for schedule changes (ms; 0: never on its own). */
  schedulePollMs?: number;
  /** Alert delivery retries and timeouts. */
  alertDelivery?: AlerterOptions;
}

/** Opens the state database, marks runs a dead runner left in flight `interrupted`, arms schedules. */
export async function createRunnerServices(options: RunnerServicesOptions): Promise<RunnerServices> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const workspaces = await WorkspaceSource.load(options.configPath);
  const database = await openStateDatabase({ workspaceRoot: workspaces.rootDir, url: options.stateUrl ?? env.DATABRIDGE_STATE_URL });
  try {
    const store = new StateStore(database);
    const secrets = createSecretBox(loadSecretKey(workspaces.rootDir, env).key);
    const bus = new EventBus();
    const recorder = new EventRecorder(store, bus, log);
    const catalog = new PipelineCatalog(workspaces);
    const places = new EmbeddedPlaces(workspaces.rootDir, database.embeddedDir);
    const connectionService = new ConnectionService(store, secrets, workspaces, places);
    const connections = new RunnerConnections(workspaces, () => connectionService.envOverlay(), places, env);
    connectionService.onChange(() => connections.invalidate());
    const clock = options.clock ?? systemClock;
    const alerts = new RunnerAlerts({ workspaces, store, log, env, delivery: options.alertDelivery });
    await alerts.check();
    const sla = new SlaMonitor({ clock, emit: (event) => recorder.record(event), statusOf: (id) => runs.statusOf(id) });
    recorder.observe((event) => sla.observe(event));
    const watchSla = async (run: RunRow, pipelines: LoadedPipeline[]) => {
      const schedule = run.scheduleId ? await store.getSchedule(run.scheduleId) : undefined;
      sla.watch(run.id, slaDeadlines({
        pipelines: pipelines.map(({ pipeline }) => ({ name: pipeline.name, sla: pipeline.sla, slaMs: pipelineSlaMs(pipeline) })),
        schedule: schedule ? { pipeline: schedule.source === "file" ? schedule.pipelines[0] : null, sla: schedule.sla, slaMs: schedule.slaMs } : null,
        since: run.scheduledAt ?? clock.now(),
      }));
    };
    const runs: RunManager = new RunManager({ store, recorder, catalog, connections, maxConcurrentRuns: options.maxConcurrentRuns, log, onQueued: watchSla });
    await runs.recover();
    const scheduler = new Scheduler({
      store, runs, catalog, log, clock, pollMs: options.schedulePollMs,
      onTickFailed: (schedule, tickAt, message) => void alerts.tickFailed(schedule.pipelines.join(","), tickAt, message),
    });
    const outcomes = new RunOutcomes(bus, scheduler, alerts, log);
    await scheduler.start();
    return { workspaces, store, bus, recorder, catalog, connections, connectionService, runs, scheduler, sla, alerts, outcomes, clock, log, startedAt: Date.now() };
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
}

/** Stops schedules, stops runs at a batch boundary (recorded `interrupted`), closes the state database. */
export async function closeRunnerServices(services: RunnerServices, timeoutMs = 30_000): Promise<void> {
  services.scheduler.stop();
  await services.runs.shutdown(timeoutMs);
  await services.recorder.flush();
  await settleOutcomes(services, timeoutMs);
  await services.store.close();
}

/** After the last runs ended: their retries are decided (none while stopping) and their alerts sent, then nothing more is watched. */
async function settleOutcomes(services: RunnerServices, timeoutMs: number): Promise<void> {
  services.sla.stop();
  await services.outcomes.settle(timeoutMs);
  await services.scheduler.idle();
  services.outcomes.stop();
  services.alerts.close();
}

export interface StartRunnerOptions extends Partial<RunnerServicesOptions> {
  /** Where to look for databridge.config.ts when configPath is not given (default: cwd). */
  from?: string;
  /** Interface to bind (default 127.0.0.1). Anything but loopback needs `allowRemote`. */
  host?: string;
  /** Port (default 0: any free port). */
  port?: number;
  allowRemote?: boolean;
  /** Extra Host header values to accept (`name` or `name:port`), e.g. the machine's name when bound remotely. */
  allowHosts?: string[];
  token?: string;
  maxBodyBytes?: number;
  dashboardDir?: string;
  /** Shutdown wait for in-flight runs to reach a batch boundary. */
  shutdownTimeoutMs?: number;
}

export interface RunningRunner {
  url: string;
  /** The dashboard link with the token in the fragment (never sent to the server). */
  dashboardUrl: string;
  host: string;
  port: number;
  token: string;
  workspaceRoot: string;
  services: RunnerServices;
  app: Hono;
  server: Server;
  /** Graceful stop: runs stop at a batch boundary, streams close, runner.json is removed. */
  close(): Promise<void>;
}

export class RunnerAlreadyRunning extends Error {
  constructor(readonly info: RunnerFile) {
    super(info.starting ? `a runner for this workspace is starting (pid ${info.pid})` : `a runner for this workspace is already running at ${info.url} (pid ${info.pid})`);
  }
}

export const isLoopback = (host: string) => host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
const urlHost = (host: string) => (host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);

/** Starts the runner for a workspace: state, API, SSE, dashboard; writes `.databridge/runner.json` (0600). */
export async function startRunner(options: StartRunnerOptions = {}): Promise<RunningRunner> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host) && !options.allowRemote) {
    throw configError(`binding to ${host} would expose the runner beyond this machine`, { fix: "keep the default 127.0.0.1, or pass --allow-remote to do it anyway" });
  }
  const configPath = options.configPath ?? findConfigFile(options.from ?? process.cwd());
  if (!configPath) throw configError(`no databridge.config.ts found in ${options.from ?? process.cwd()} or any folder above it`, { fix: "run `databridge init`, or pass --config <path>" });
  const workspaceRoot = (await loadWorkspace({ configPath })).rootDir;

  const claim = claimRunnerFile(workspaceRoot);
  if (!claim.claimed) throw new RunnerAlreadyRunning(claim.existing);
  let services: RunnerServices | undefined;
  try {
    services = await createRunnerServices({ ...options, configPath });
    const token = options.token ?? randomBytes(32).toString("base64url");
    let port = options.port ?? 0;
    const extraHosts = options.allowHosts ?? [];
    const allowedHosts = () => [
      ...loopbackHosts(port),
      ...(isLoopback(host) || host === "0.0.0.0" || host === "::" ? [] : [`${urlHost(host)}:${port}`]),
      ...extraHosts.map((h) => (/:\d+$/.test(h) ? h : `${h}:${port}`)),
    ];
    const app = createApp(services, { token, allowedHosts, maxBodyBytes: options.maxBodyBytes }, { dashboardDir: options.dashboardDir });
    const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    port = (server.address() as AddressInfo).port;
    const url = `http://${urlHost(host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host)}:${port}`;
    services.alerts.setDashboardBase(url);
    writeRunnerFile(workspaceRoot, { url, token, pid: process.pid, host, port, workspace: workspaceRoot, startedAt: new Date().toISOString() });
    services.log(`runner listening on ${url} (workspace ${workspaceRoot}, state ${services.store.database.location})`);
    const running = services;
    let closing: Promise<void> | undefined;
    return {
      url, dashboardUrl: `${url}/#token=${token}`, host, port, token, workspaceRoot, services, app, server,
      close: () => (closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        running.scheduler.stop();
        await running.runs.shutdown(options.shutdownTimeoutMs);
        await running.recorder.flush();
        await settleOutcomes(running, options.shutdownTimeoutMs ?? 30_000);
        server.closeAllConnections();
        await stopped;
        await running.store.close();
        releaseRunnerFile(workspaceRoot);
      })()),
    };
  } catch (error) {
    if (services) await closeRunnerServices(services, 1000).catch(() => {});
    releaseRunnerFile(workspaceRoot);
    throw error;
  }
}
