import type { Writable } from "node:stream";

/** Where a command writes: injected so commands are testable without a terminal. */
export interface CommandIO {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const processIO = (): CommandIO => ({ stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });

/** Exit codes: 0 success, 1 run failed, 2 usage or config error, 3 succeeded with rejected rows. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, rejects: 3 } as const;

export function writeLine(stream: Writable, line = ""): void {
  stream.write(`${line}\n`);
}

/** Formats rows as an aligned text table. */
export function formatTable(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "" : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? "")].length)));
  const line = (r: string[]) => r.map((c, i) => c + " ".repeat(widths[i] - [...c].length)).join("  ").trimEnd();
  return [line(cells[0]), widths.map((w) => "─".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

export const formatNumber = (n: number) => n.toLocaleString("en-US");

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  // Round once, then split, so 59.97 s never reads "60.0 s" and 119.6 s never reads "1m 60s".
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}h ${m}m ${s}s` : `${m}m ${s}s`;
}
