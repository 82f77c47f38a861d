import { loadColumns, type TargetSession } from "../connectors/connector.js";
import { dataError, messageOf } from "../errors.js";
import type { RowCounts } from "../runner-protocol/events.js";
import type { PreparedStage } from "./prepare.js";
import { isUniqueViolation, underSavepoint } from "../target/statements.js";
import { rowObject, type TransformedBatch } from "./transform-batch.js";


/**
 * COPY is all-or-nothing. Load the whole batch under a savepoint (the clean-data fast path);
 * if the database rejects a value, bisect: halves under their own savepoints, down to the bad rows.
 */
export async function loadIsolatingRejects(session: TargetSession, load: (s: TargetSession, rows: unknown[][]) => Promise<number>, batch: TransformedBatch, stage: PreparedStage): Promise<number> {
  let savepoint = 0;
  const attempt = async (from: number, to: number): Promise<number> => {
    if (from >= to) return 0;
    try {
      return await underSavepoint(session, `databridge_${++savepoint}`, () => load(session, batch.rows.slice(from, to)));
    } catch (caught) {
      if (stage.target.classifyError(caught) !== "data") throw caught;
      if (to - from === 1) {
        batch.rejectedAtLoad.add(from);
        const error = caught as { code?: string; column?: string; message?: string; where?: string };
        const values = await batch.sourceValuesAt(from);
        const loaded = batch.loadValuesAt ? await batch.loadValuesAt(from) : batch.preEncoded ? values : batch.rows[from];
        batch.rejects.push({
          key: batch.keyAt(from), row: rowObject(stage, values), stage: "load",
          column: error.column ?? copyErrorColumn(error.where, loadColumns(stage.targetColumns, batch.preEncoded), loaded), code: error.code, message: messageOf(caught),
        });
        return 0;
      }
      const middle = from + Math.ceil((to - from) / 2);
      return (await attempt(from, middle)) + (await attempt(middle, to));
    }
  };
  return attempt(0, batch.rows.length);
}

/**
 * The column a COPY error's context names (`COPY t, line 1, column note: "…"`), matched against the
 * columns loaded; for a NUL byte (rejected before COPY splits the line) the text column holding it.
 */
function copyErrorColumn(where: string | undefined, columns: string[], row: unknown[]): string | undefined {
  const named = where ? columns.filter((c) => where.includes(`, column ${c}: `) || where.endsWith(`, column ${c}`)).sort((a, b) => b.length - a.length)[0] : undefined;
  return named ?? columns.find((_, i) => typeof row[i] === "string" && (row[i] as string).includes("\u0000"));
}

export function checkRejectThreshold(stage: PreparedStage, counts: RowCounts, batch: TransformedBatch): void {
  const { onError } = stage;
  if (typeof onError !== "object") return;
  const rejected = counts.rejected + batch.rejects.length;
  const read = counts.read + batch.read;
  const max = onError.maxRejected;
  const limit = typeof max === "number" ? max : (parseFloat(max) / 100) * Math.max(read, stage.estimatedRows ?? 0);
  if (rejected > limit) {
    throw dataError(`${rejected} rows rejected, more than onError.maxRejected (${max}); the batch was rolled back`, {
      pipeline: stage.pipeline.name, batch: batch.number, fix: "see `databridge errors <run>` for the rejected rows",
    });
  }
}

/** The database's reason, with the row the failure is about when the database names it. */
export function explainLoadError(error: unknown, stage: PreparedStage, batch: TransformedBatch): unknown {
  if (stage.target.classifyError(error) !== "data") return error;
  const e = error as { message?: string; column?: string; where?: string; code?: string; detail?: string };
  // COPY names the row and the column in its context: `COPY t, line 3, column label: "…"`.
  const where = /COPY [^,]+, line (\d+)(?:, column ([^:]+))?/.exec(e.where ?? "");
  const rowKey = where ? batch.keyAt(Number(where[1]) - 1) : undefined;
  // A duplicate key is a row that is already there: rejecting it would not load it, so the fix is about the data or the mode.
  // A duplicate key is a row that is already there, which skipping would not fix.
  const fix = isUniqueViolation(error)
    ? `the target already holds a row with this key (${e.detail ?? "see the constraint"}): if an earlier run loaded it, \`databridge rollback <run>\` first, or use mode: "upsert"`
    : 'fix the data or the mapping, or set onError: "skip" to reject such rows and load the rest';
  return dataError(messageOf(error), {
    pipeline: stage.pipeline.name, table: stage.targetLabel, column: e.column ?? where?.[2], batch: batch.number, rowKey, code: e.code, stage: "load", fix,
  }, error);
}
