import type { TableRef, Target, TargetSession } from "../connectors/connector.js";
import { decodeCopyLine } from "../connectors/postgres/postgres-copy.js";

/**
 * The PostgreSQL target's own statements and error codes that the engine's steps need, named for what they
 * do: the engine decides when (a batch, a savepoint, the final commit); the target says how.
 */

/** PostgreSQL's lock_not_available: a lock wait ended by lock_timeout. */
const LOCK_NOT_AVAILABLE = "55P03";
/** PostgreSQL's unique_violation: the row is there already. */
const UNIQUE_VIOLATION = "23505";

const codeOf = (error: unknown) => (error as { code?: string } | undefined)?.code;

export const isLockTimeout = (error: unknown) => codeOf(error) === LOCK_NOT_AVAILABLE;
export const isUniqueViolation = (error: unknown) => codeOf(error) === UNIQUE_VIOLATION;

/**
 * A batch's transaction: its commit need not wait for the WAL flush (the stage's final commit does, and
 * checks the checkpoint first); while batches are in flight side by side, a wait for another's row lock ends
 * after `lockTimeout` instead of waiting on a batch that waits on this one.
 */
export async function beginBatch(session: TargetSession, options: { lockTimeout?: string }): Promise<void> {
  await session.query("SET LOCAL synchronous_commit = off");
  if (options.lockTimeout) await session.query(`SET LOCAL lock_timeout = '${options.lockTimeout}'`);
}

/** The stage's final transaction waits for its commit to be durable, and so for every batch committed before it. */
export async function beginDurable(session: TargetSession): Promise<void> {
  await session.query("SET LOCAL synchronous_commit = on");
}

/** Runs work under a savepoint: on failure the transaction is as it was before, and the error goes on. */
export async function underSavepoint<T>(session: TargetSession, name: string, work: () => Promise<T>): Promise<T> {
  await session.query(`SAVEPOINT ${name}`);
  try {
    const result = await work();
    await session.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    await session.query(`ROLLBACK TO SAVEPOINT ${name}`);
    throw error;
  }
}

/** Rows of a table (of one tenant, given its column). */
export async function countRows(target: Target, ref: TableRef, tenant?: { column: string; value: string }): Promise<number> {
  const q = target.dialect.quoteIdentifier;
  const { rows } = await target.query<{ n: unknown }>(
    `SELECT count(*) AS n FROM ${target.dialect.quoteTable(ref)}${tenant ? ` WHERE ${q(tenant.column)} = $1` : ""}`, tenant ? [tenant.value] : []);
  return Number(rows[0]?.n ?? 0);
}

/** Whether a table (one tenant's part of it) holds any row. */
export async function holdsRows(target: Target, ref: TableRef, tenant?: { column: string; value: string }): Promise<boolean> {
  const q = target.dialect.quoteIdentifier;
  const { rows } = await target.query<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${target.dialect.quoteTable(ref)}${tenant ? ` WHERE ${q(tenant.column)} = $1` : ""}) AS any`, tenant ? [tenant.value] : []);
  return Boolean(rows[0]?.any);
}

/** Whether one of the ledger's tables is there yet (a target never run into has none). */
export async function hasLedgerTable(target: Target, table: "runs" | "rejected_rows"): Promise<boolean> {
  const { rows } = await target.query<{ ok: boolean }>(`SELECT to_regclass('databridge.${table}') IS NOT NULL AS ok`);
  return Boolean(rows[0]?.ok);
}

/** The fields of one line of COPY text (a row a source rendered), NULL as null. */
export const copyLineFields = decodeCopyLine;
