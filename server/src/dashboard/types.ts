/** The runner API's shapes the dashboard reads (kept local: the bundle imports nothing from the server). */
export interface RowCounts {
  read: number;
  written: number;
  rejected: number;
}

export interface StageView {
  pipeline: string;
  tenant: string | null;
  status: string;
  source: string | null;
  target: string | null;
  mode: string | null;
  estimatedRows: number | null;
  batches: number;
  rows: RowCounts;
  progress: number | null;
  rowsPerSecond: number | null;
  etaMs: number | null;
  durationMs: number | null;
  error: string | null;
  parity: { source: number; target: number } | null;
}

export interface RunView {
  id: string;
  status: string;
  pipelines: string[];
  resume: boolean;
  retryOf: string | null;
  trigger: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  rows: RowCounts;
  rowsPerSecond: number | null;
  etaMs: number | null;
  error: string | null;
  lastEventId: number;
  heldAtBoundary: boolean;
  stages: StageView[];
}

export interface PipelineSummary {
  name: string;
  description: string | null;
  file: string;
  source: string;
  target: string;
  mode: string;
  dependsOn: string[];
}

export interface ConnectionView {
  id: string;
  name: string;
  source: "saved" | "workspace";
  type: string;
  url: string;
  hasPassword: boolean;
  readOnly: boolean;
  lastTest: { ok: boolean; serverVersion: string | null; error: string | null; at: string } | null;
}

export interface RejectedRowView {
  pipeline: string;
  tenant: string | null;
  batch: number;
  key: unknown[];
  row: Record<string, unknown> | null;
  stage: string;
  column: string | null;
  message: string;
}

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
