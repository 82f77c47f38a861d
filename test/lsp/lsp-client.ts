import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection,
} from "vscode-languageserver-protocol/node";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The bin as installed at the repository root (`pnpm install` links it there). */
export const SERVER_BIN = path.join(REPO, "node_modules", ".bin", "databridge-language-server");

/** The cursor marker of the fixtures; throws when a fixture lacks it (or has two). */
export function findCursorPosition(fixture: string): { text: string; line: number; character: number } {
  const offset = fixture.indexOf("|");
  if (offset < 0) throw new Error("fixture has no cursor: mark it with |");
  if (fixture.indexOf("|", offset + 1) >= 0) throw new Error("fixture has more than one |");
  const before = fixture.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { text: before + fixture.slice(offset + 1), line, character: offset - (before.lastIndexOf("\n") + 1) };
}

/** The position of the n-th occurrence of `needle` in `text` (0-based line/character of its first char). */
export function positionOf(text: string, needle: string, occurrence = 0): { line: number; character: number } {
  let offset = -1;
  for (let i = 0; i <= occurrence; i++) {
    offset = text.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`"${needle}" occurs fewer than ${occurrence + 1} times`);
  }
  const before = text.slice(0, offset);
  return { line: before.split("\n").length - 1, character: offset - (before.lastIndexOf("\n") + 1) };
}

interface Waiter {
  method: string;
  predicate: (params: any) => boolean;
  resolve: (params: any) => void;
}

/**
 * A real LSP client over the spawned server's stdio. Every notification is recorded, so a test waits
 * for the one it needs (whether it already came or is still to come) instead of sleeping.
 */
export class LspClient {
  readonly connection: ProtocolConnection;
  readonly notifications: { method: string; params: any }[] = [];
  private waiters: Waiter[] = [];
  stderr = "";

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    this.connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    this.connection.onNotification((method: string, params: any) => {
      this.notifications.push({ method, params });
      for (const waiter of [...this.waiters]) {
        if (waiter.method === method && waiter.predicate(params)) {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          waiter.resolve(params);
        }
      }
    });
    child.stderr.on("data", (chunk) => (this.stderr += chunk));
    this.connection.listen();
  }

  static start(cwd: string, env: NodeJS.ProcessEnv = process.env): LspClient {
    const child = spawn(SERVER_BIN, ["--stdio"], { cwd, env, stdio: "pipe" });
    return new LspClient(child);
  }

  /** Resolves with the first notification (past or future) matching; fails after `timeoutMs` listing what did come. */
  waitFor<T = any>(method: string, predicate: (params: T) => boolean = () => true, timeoutMs = 60_000): Promise<T> {
    const seen = this.notifications.find((n) => n.method === method && predicate(n.params));
    if (seen) return Promise.resolve(seen.params);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const got = this.notifications.filter((n) => n.method === method).map((n) => JSON.stringify(n.params).slice(0, 400));
        reject(new Error(`no ${method} notification matched within ${timeoutMs} ms; received:\n${got.join("\n")}\nserver stderr:\n${this.stderr}`));
      }, timeoutMs);
      const waiter: Waiter = { method, predicate, resolve: (params) => { clearTimeout(timer); resolve(params); } };
      this.waiters.push(waiter);
    });
  }

  /** The next `publishDiagnostics` for a document version. */
  diagnosticsFor(uri: string, version: number) {
    return this.waitFor<{ uri: string; version?: number; diagnostics: any[] }>("textDocument/publishDiagnostics", (p) => p.uri === uri && p.version === version);
  }

  async stop(): Promise<void> {
    try {
      await this.connection.sendRequest("shutdown");
      await this.connection.sendNotification("exit");
    } catch {
      // already gone
    }
    const exited = this.child.exitCode !== null ? Promise.resolve() : new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    this.connection.dispose();
  }
}
