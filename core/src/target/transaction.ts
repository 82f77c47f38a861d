import type { TableRef, Target, TargetSession } from "../connectors/connector.js";

/** Runs work in one transaction on a dedicated session; a failed session is discarded, never left idle in transaction. */
export async function inTransaction<T>(
  target: Target,
  work: (session: TargetSession) => Promise<T>,
  options: { lockTable?: string; ignoreExisting?: boolean } = {},
): Promise<T> {
  const session = await target.session();
  try {
    await session.query("BEGIN");
    if (options.lockTable) await session.query("SELECT pg_advisory_xact_lock(hashtext($1))", [options.lockTable]);
    const result = await work(session);
    await session.query("COMMIT");
    await session.release();
    return result;
  } catch (error) {
    const rolledBack = await session.query("ROLLBACK").then(() => true, () => false);
    await session.release(!rolledBack);
    if (options.ignoreExisting && (error as { code?: string })?.code === "42P07") return undefined as T;
    throw error;
  }
}

export async function tableExists(target: Target, ref: TableRef): Promise<boolean> {
  const { rows } = await target.query<{ exists: boolean }>("SELECT to_regclass($1) IS NOT NULL AS exists", [target.dialect.quoteTable(ref)]);
  return Boolean(rows[0]?.exists);
}
