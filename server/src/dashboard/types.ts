/**
 * The runner API's shapes the dashboard reads: the runner's own types, imported for their types only
 * (erased from the bundle, which imports nothing from the server at run time).
 */
export type { RowCounts } from "@databridge/core";
export type { RunView, StageView } from "../runner/run-views.js";
export type { PipelineSummary } from "../runner/pipeline-catalog.js";
export type { ConnectionView } from "../runner/connection-service.js";
export type { RejectedRowView } from "../runner/rejects.js";
import type { RowCounts } from "@databridge/core";

/** The fields of run events the dashboard uses (see @databridge/core protocol.ts). */
export interface RunEventData {
  type: string;
  runId: string;
  pipeline: string;
  ts: string;
  tenant?: string;
  status?: string;
  batch?: number;
  batchRows?: RowCounts;
  rows?: RowCounts;
  rowsPerSecond?: number;
  estimatedRows?: number | null;
  etaMs?: number | null;
  source?: string;
  target?: string;
  mode?: string;
  key?: unknown[];
  column?: string;
  message?: string;
  level?: string;
  error?: string;
}

export const TERMINAL = ["succeeded", "succeeded_with_rejects", "failed", "cancelled", "interrupted"];
