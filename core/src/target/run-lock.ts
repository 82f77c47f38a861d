import type { Target, TargetSession } from "../connectors/connector.js";
import { terminalError, transientError } from "../errors.js";
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
  /** A key range of a queue run (`parallelism`): the partitions of one run load at once, another run still waits. */
  partition?: string;
  runId?: string;
}

/**
 * On a server target, a session-level advisory lock held by a session of its own for the whole stage: it
 * is released when the run ends, and by PostgreSQL itself when the process dies. An embedded target has a
 * single session (advisory locks do not exclude anything there) and a single process, so an in-process
 * claim does the same job.
 */
export async function acquireRunLock(target: Target, ledger: Ledger, scope: LockScope): Promise<RunLock> {
  if (!target.capabilities.concurrentSessions) return processLock(target, ledger, scope);
  return scope.partition && scope.runId ? partitionLock(target, ledger, scope as Required<LockScope>) : sessionLock(target, ledger, scope);
}

const lockKey = (scope: LockScope) => JSON.stringify(["databridge.run", scope.pipeline, scope.tenant]);
/** Held (shared) by every partition of one run: who else holds the pipeline's lock is another run. */
const memberKey = (scope: Required<LockScope>) => JSON.stringify(["databridge.run.member", scope.pipeline, scope.tenant, scope.runId]);
/** One worker per partition: a job redelivered while its first worker still lives waits for it. */
const partitionKey = (scope: Required<LockScope>) => JSON.stringify(["databridge.run.partition", scope.pipeline, scope.tenant, scope.partition]);
/** Serializes taking the three locks above, so two runs cannot both find the pipeline's lock free of others. */
const gateKey = (scope: LockScope) => JSON.stringify(["databridge.run.gate", scope.pipeline, scope.tenant]);
const LOCK_ID = "('x' || substr(md5($1), 1, 16))::bit(64)::bigint";
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
  return heldOn(take, (session) => session.query(UNLOCK, [lockKey(scope)]));
}

/**
 * A lock held by a dedicated session that `take` opens: taken again on a new session if the one holding it died
 * (the server let go of the lock with it), let go of by `unlock` at the end, the session closed if that fails.
 */
async function heldOn(take: () => Promise<TargetSession>, unlock: (session: TargetSession) => Promise<unknown>): Promise<RunLock> {
  let session = await take();
  return {
    async reassert() {
      const alive = await session.query("SELECT 1").then(() => true, () => false);
      if (alive) return;
      await session.release(true);
      session = await take();
    },
    async release() {
      const unlocked = await unlock(session).then(() => true, () => false);
      await session.release(!unlocked);
    },
  };
}

/**
 * A partition of a queue run: the pipeline's lock taken shared (so a whole-stage run, which takes it
 * exclusively, still excludes and is excluded), its partition's lock exclusively, and the run's membership
 * lock shared. Under a gate, it then checks that every other holder of the pipeline's lock is a member of
 * the same run — a second run of the pipeline is refused while any partition of the first is loading.
 */
async function partitionLock(target: Target, ledger: Ledger, scope: Required<LockScope>): Promise<RunLock> {
  const take = async (): Promise<TargetSession> => {
    const session = await target.session({ dedicated: true });
    let refusal: Error | undefined;
    try {
      await session.query("BEGIN");
      await session.query(`SELECT pg_advisory_xact_lock(${LOCK_ID})`, [gateKey(scope)]);
      const pipelineShared = await session.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock_shared(${LOCK_ID}) AS ok`, [lockKey(scope)]);
      if (!pipelineShared.rows[0]?.ok) refusal = await alreadyRunning(ledger, scope);
      else {
        const own = await session.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_ID}) AS ok`, [partitionKey(scope)]);
        if (!own.rows[0]?.ok) {
          // Transient: once that worker finishes or dies, the partition is free again.
          refusal = transientError(`partition ${scope.partition} of this pipeline is being loaded by another worker right now`, {
            pipeline: scope.pipeline, fix: "the queue tries it again; it goes on from that worker's last committed batch",
          });
        } else {
          await session.query(`SELECT pg_advisory_lock_shared(${LOCK_ID})`, [memberKey(scope)]);
          // Advisory locks show in pg_locks as the two 32-bit halves of their key.
          const { rows } = await session.query<{ others: string }>(
            `WITH k AS (SELECT ${LOCK_ID} AS pipeline, ('x' || substr(md5($2), 1, 16))::bit(64)::bigint AS member),
                  held AS (SELECT l.pid, (l.classid::bigint << 32) | l.objid::bigint AS id FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted)
             SELECT count(*) AS others FROM held, k WHERE held.id = k.pipeline
                AND held.pid NOT IN (SELECT h.pid FROM held h, k WHERE h.id = k.member)`,
            [lockKey(scope), memberKey(scope)],
          );
          if (Number(rows[0]?.others ?? 0) > 0) refusal = await alreadyRunning(ledger, scope, scope.runId);
        }
      }
      await session.query("COMMIT");
    } catch (error) {
      await session.release(true);
      throw error;
    }
    if (refusal) {
      // Closing the connection lets go of whatever of the three it took.
      await session.release(true);
      throw refusal;
    }
    return session;
  };
  return heldOn(take, (session) => session.query("SELECT pg_advisory_unlock_all()"));
}

const claims = new WeakMap<Target, Set<string>>();

async function processLock(target: Target, ledger: Ledger, scope: LockScope): Promise<RunLock> {
  let held = claims.get(target);
  if (!held) claims.set(target, (held = new Set()));
  const key = scope.partition ? `${lockKey(scope)}:${scope.partition}` : lockKey(scope);
  if (held.has(key)) throw await alreadyRunning(ledger, scope);
  held.add(key);
  return {
    async reassert() {},
    async release() {
      held!.delete(key);
    },
  };
}

async function alreadyRunning(ledger: Ledger, scope: LockScope, notRun?: string) {
  // The holder records its run right after taking the lock: give it a moment, so the refusal can name it.
  let holder: Awaited<ReturnType<Ledger["runningRun"]>>;
  for (let attempt = 0; attempt < 20 && !holder; attempt++) {
    if (attempt) await new Promise((resolve) => setTimeout(resolve, 100));
    holder = await ledger.runningRun(scope.pipeline, scope.tenant, notRun).catch(() => undefined);
  }
  const where = holder?.host ? ` on ${holder.host}${holder.pid ? ` (pid ${holder.pid})` : ""}` : "";
  const who = holder ? `run ${holder.runId}, started ${holder.startedAt}${where},` : "another run";
  return terminalError(`${who} is running this pipeline${scope.tenant ? ` for tenant ${scope.tenant}` : ""} right now; this run changed nothing`, {
    pipeline: scope.pipeline,
    fix: "wait for that run to finish (or cancel it) and run again; the lock goes away by itself if its process dies",
  });
}
