/** One Server-Sent Events message (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export interface SseMessage {
  /** The `event:` field; "message" when absent. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last event ID in effect after this message ("" when none was ever set): what `Last-Event-ID` resumes from. */
  id: string;
}

/**
 * Incremental SSE parser: feed it decoded text in chunks of any size (frames may be split anywhere, even inside
 * a CRLF pair); it returns the complete messages. It follows the spec's rules: lines end with CRLF, LF or CR;
 * comments (`:`) are ignored; a field without a colon has an empty value; one space after the colon is dropped;
 * an `id` containing NUL is ignored; `retry` counts only when it is all digits; a message without data lines is
 * not dispatched (its `id` still takes effect).
 */
export class SseParser {
  private buffer = "";
  /** How far `buffer` has been searched for a line end. */
  private scanned = 0;
  /** The previous chunk ended with CR: a LF starting the next one belongs to it. */
  private pendingCR = false;
  private data: string[] = [];
  private hasData = false;
  private eventType = "";
  /** The `id:` seen so far; it becomes `lastEventId` when the message ends. */
  private idBuffer: string;
  lastEventId: string;
  /** The reconnection delay the server asked for with `retry:`, if any. */
  retryMs: number | undefined;

  constructor(lastEventId = "") {
    this.lastEventId = lastEventId;
    this.idBuffer = lastEventId;
  }

  push(chunk: string): SseMessage[] {
    let text = chunk;
    if (this.pendingCR && text.length > 0) {
      this.pendingCR = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    this.buffer += text;
    const messages: SseMessage[] = [];
    let start = 0;
    for (let i = this.scanned; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (ch === 13) {
        if (i + 1 === this.buffer.length) this.pendingCR = true;
        else if (this.buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      const message = this.line(line);
      if (message) messages.push(message);
    }
    this.buffer = this.buffer.slice(start);
    this.scanned = this.buffer.length;
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === "") return this.dispatch();
    if (line.charCodeAt(0) === 58 /* ":" */) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case "event":
        this.eventType = value;
        break;
      case "data":
        this.data.push(value);
        this.hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) this.idBuffer = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    this.lastEventId = this.idBuffer;
    const message = this.hasData ? { event: this.eventType || "message", data: this.data.join("\n"), id: this.lastEventId } : undefined;
    this.data = [];
    this.hasData = false;
    this.eventType = "";
    return message;
  }
}
