import type { Target, TargetSession } from "../connectors/connector.js";
import { terminalError } from "../errors.js";
import type { Ledger } from "./ledger.js";

/**
 * One run per pipeline (and tenant) at a time, enforced where every runner meets: the target. CLI runs,
 * the runner and other machines all take the same lock before touching the ledger or the target table, so
 * two runs can never load the same rows twice or steal each other's checkpoint.
 */
export interface RunLock {
  /** After a lost connection: takes the lock again (or fails if another run took it meanwhile). */
  reassert(): Promise<void>;
  release(): Promise<void>;
}

interface LockScope {
  pipeline: string;
  tenant: string;
}

/**
 * On a server target, a session-level advisory lock held by a session of its own for the whole stage: it
 * is released when the run ends, and by PostgreSQL itself when the process dies. An embedded target has a
 * single session (advisory locks do not exclude anything there) and a single process, so an in-process
 * claim does the same job.
 */
export async function acquireRunLock(target: Target, ledger: Ledger, scope: LockScope): Promise<RunLock> {
  return target.capabilities.concurrentSessions ? sessionLock(target, ledger, scope) : processLock(target, ledger, scope);
}

const lockKey = (scope: LockScope) => JSON.stringify(["databridge.run", scope.pipeline, scope.tenant]);
// 64 bits of md5: distinct pipelines do not share a lock by accident.
const TRY_LOCK = "SELECT pg_try_advisory_lock(('x' || substr(md5($1), 1, 16))::bit(64)::bigint) AS locked";
const UNLOCK = "SELECT pg_advisory_unlock(('x' || substr(md5($1), 1, 16))::bit(64)::bigint)";

async function sessionLock(target: Target, ledger: Ledger, scope: LockScope): Promise<RunLock> {
  const take = async (): Promise<TargetSession> => {
    // Its own connection: held for the whole run, a pooled one would starve concurrent runs of sessions.
    const session = await target.session({ dedicated: true });
    try {
      const { rows } = await session.query<{ locked: boolean }>(TRY_LOCK, [lockKey(scope)]);
      if (rows[0]?.locked) return session;
    } catch (error) {
      await session.release(true);
      throw error;
    }
    await session.release();
    throw await alreadyRunning(ledger, scope);
  };
  let session = await take();
  return {
    async reassert() {
      const alive = await session.query("SELECT 1").then(() => true, () => false);
      if (alive) return;
      await session.release(true);
      session = await take();
    },
    async release() {
      const unlocked = await session.query(UNLOCK, [lockKey(scope)]).then(() => true, () => false);
      await session.release(!unlocked);
    },
  };
}

const claims = new WeakMap<Target, Set<string>>();

async function processLock(target: Target, ledger: Ledger, scope: LockScope): Promise<RunLock> {
  let held = claims.get(target);
  if (!held) claims.set(target, (held = new Set()));
  const key = lockKey(scope);
  if (held.has(key)) throw await alreadyRunning(ledger, scope);
  held.add(key);
  return {
    async reassert() {},
    async release() {
      held!.delete(key);
    },
  };
}

async function alreadyRunning(ledger: Ledger, scope: LockScope) {
  // The holder records its run right after taking the lock: give it a moment, so the refusal can name it.
  let holder: Awaited<ReturnType<Ledger["runningRun"]>>;
  for (let attempt = 0; attempt < 20 && !holder; attempt++) {
    if (attempt) await new Promise((resolve) => setTimeout(resolve, 100));
    holder = await ledger.runningRun(scope.pipeline, scope.tenant).catch(() => undefined);
  }
  const where = holder?.host ? ` on ${holder.host}${holder.pid ? ` (pid ${holder.pid})` : ""}` : "";
  const who = holder ? `run ${holder.runId}, started ${holder.startedAt}${where},` : "another run";
  return terminalError(`${who} is running this pipeline${scope.tenant ? ` for tenant ${scope.tenant}` : ""} right now; this run changed nothing`, {
    pipeline: scope.pipeline,
    fix: "wait for that run to finish (or cancel it) and run again; the lock goes away by itself if its process dies",
  });
}
