/**
 * `@databridge/server/runner`: the runner as a library — start it in-process, or build its Hono app over its
 * services (route tests use `app.request`, no port) — and the state store it keeps. The CLI's `serve` is a thin
 * wrapper over `startRunner`.
 */
export { startRunner, RunnerAlreadyRunning, createRunnerServices, closeRunnerServices, isLoopback, type RunningRunner, type StartRunnerOptions, type RunnerServicesOptions } from "./runner.js";
export { createApp, API_PREFIX } from "./app.js";
export type { RunnerServices, SecurityOptions } from "./context.js";
export { loopbackHosts } from "./security/host-allowlist.js";
export { systemClock, type Clock } from "./clock.js";
export { fileScheduleId } from "./scheduler.js";
export { openStateDatabase, MIGRATIONS_FOLDER, defaultStateDir, type StateDatabase } from "../state/database.js";
export { createSecretBox, loadSecretKey, secretKeyPath, type SecretBox } from "../state/secrets.js";
