import * as vscode from "vscode";
import { Redactor } from "../log/redactor.js";

/**
 * The DataBridge output channel: the extension's, the runner's and the language server's lines, each passed
 * through the redactor so no password reaches it.
 */
export class Logger implements vscode.Disposable {
  readonly redactor = new Redactor();
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel("DataBridge", { log: true });
  }

  info(line: string): void {
    this.channel.info(this.redactor.redact(line));
  }

  warn(line: string): void {
    this.channel.warn(this.redactor.redact(line));
  }

  error(line: string): void {
    this.channel.error(this.redactor.redact(line));
  }

  show(): void {
    this.channel.show(true);
  }

  /**
   * A log channel for the language client: same output, every line prefixed and redacted (the language client
   * writes its own messages and the server's `window/logMessage` here).
   */
  languageClientChannel(): vscode.LogOutputChannel {
    const channel = this.channel;
    const redact = (text: string) => `language server: ${this.redactor.redact(text)}`;
    let partial = "";
    const lines = (value: string, flush: boolean) => {
      partial += value;
      const parts = partial.split("\n");
      partial = flush ? "" : parts.pop() ?? "";
      for (const line of parts) if (line.trim()) channel.info(redact(line));
    };
    return {
      name: channel.name,
      get logLevel() {
        return channel.logLevel;
      },
      onDidChangeLogLevel: channel.onDidChangeLogLevel,
      trace: (message: string, ...args: unknown[]) => channel.trace(redact(message), ...args),
      debug: (message: string, ...args: unknown[]) => channel.debug(redact(message), ...args),
      info: (message: string, ...args: unknown[]) => channel.info(redact(message), ...args),
      warn: (message: string, ...args: unknown[]) => channel.warn(redact(message), ...args),
      error: (error: string | Error, ...args: unknown[]) => channel.error(redact(typeof error === "string" ? error : error.message), ...args),
      append: (value: string) => lines(value, false),
      appendLine: (value: string) => lines(`${value}\n`, true),
      replace: (value: string) => lines(`${value}\n`, true),
      clear: () => {},
      show: () => channel.show(true),
      hide: () => {},
      dispose: () => {},
    };
  }

  dispose(): void {
    this.channel.dispose();
  }
}
