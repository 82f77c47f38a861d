import { type CopyLineFormat, type CopyTextLine, copyLineText, type EncodedRows, type PreEncodedRows } from "../connector.js";

/** The options of a `COPY … FROM STDIN` whose rows are in this format (see {@link CopyLineFormat}). */
export function copyFormatOptions(format: CopyLineFormat | undefined): string {
  return format === "csv" ? " WITH (FORMAT csv, DELIMITER E'\\t')" : "";
}

/**
 * Encodes rows in COPY's text format: tab-separated, `\N` for NULL, backslash escapes for
 * backslash, tab, newline and carriage return, `\\x…` hex for binary. Strings are escaped only
 * when they contain something to escape, which is the common case's fast path.
 */
export function encodeCopyText(rows: readonly unknown[][], preEncoded?: PreEncodedRows): string {
  const encodeValue = preEncoded?.format === "csv" ? encodeCsvValue : encodeCopyValue;
  let out = "";
  for (const row of rows) {
    const values = preEncoded ? preEncoded.leading : row.length;
    for (let i = 0; i < values; i++) {
      if (i > 0) out += "\t";
      out += encodeValue(row[i]);
    }
    if (preEncoded) out += (values > 0 ? "\t" : "") + copyLineText(row[preEncoded.textAt] as CopyTextLine);
    out += "\n";
  }
  return out;
}

/**
 * The same bytes as {@link encodeCopyText}, as Buffer chunks of about `chunkBytes` (see {@link CopyChunkWriter}).
 * With `firstOrdinal`, each row starts with its ordinal, counting from there (a staging table's ordinal column).
 */
export function* encodeCopyChunks(rows: readonly unknown[][], preEncoded?: PreEncodedRows, chunkBytes = COPY_CHUNK_BYTES, firstOrdinal?: number): Generator<Buffer> {
  const writer = new CopyChunkWriter(chunkBytes);
  writer.writeRows(rows, preEncoded, firstOrdinal);
  yield* writer.end();
}

/** The size of a COPY data chunk: large enough that a batch is a few socket writes, small enough to pool. */
export const COPY_CHUNK_BYTES = 256 * 1024;

/**
 * Chunks of batches that are done with them (committed: every byte reached the server), handed out again.
 * Without it a long copy allocates a fresh 256 kB of memory outside the JavaScript heap for every chunk,
 * and that churn alone makes V8 run full collections ("external memory pressure").
 */
const chunkPool: Buffer[] = [];
const CHUNK_POOL_LIMIT = 32;

function takeChunk(bytes: number): Buffer {
  return (bytes === COPY_CHUNK_BYTES && chunkPool.pop()) || Buffer.allocUnsafe(bytes);
}

/**
 * Gives a loaded batch's chunks back for the next batches to write into. Only once nothing will read them
 * again (the batch committed); the batch is left without chunks, so they cannot be given back twice.
 */
export function releaseCopyChunks(encoded: EncodedRows): void {
  for (const view of encoded.chunks.splice(0)) {
    if (chunkPool.length >= CHUNK_POOL_LIMIT) break;
    if (view.byteOffset === 0 && view.buffer.byteLength === COPY_CHUNK_BYTES) chunkPool.push(Buffer.from(view.buffer, 0, COPY_CHUNK_BYTES));
  }
}

/**
 * Writes rows in COPY's format into Buffer chunks of about `chunkBytes`, value by value straight into the chunk
 * (UTF-8, escapes applied to the bytes): no row or batch string is ever built, so a million rows allocate little
 * more than their chunks. Rows may be written in several calls (a batch read as a stream). COPY data may split
 * anywhere, so a row can span two chunks.
 */
export class CopyChunkWriter {
  private readonly chunks: Buffer[] = [];
  private chunk: Buffer;
  private used = 0;

  constructor(private readonly chunkBytes = COPY_CHUNK_BYTES) {
    this.chunk = takeChunk(chunkBytes);
  }

  /** With `firstOrdinal`, each row starts with its ordinal: `firstOrdinal`, `firstOrdinal + 1`, … */
  writeRows(rows: readonly unknown[][], preEncoded?: PreEncodedRows, firstOrdinal?: number): void {
    const { chunks, chunkBytes } = this;
    let { chunk, used } = this;
    // Room for `need` more bytes: the chunk so far is done when it has less.
    const room = (need: number) => {
      if (used + need <= chunk.length) return;
      if (used > 0) chunks.push(chunk.subarray(0, used));
      chunk = takeChunk(Math.max(chunkBytes, need));
      used = 0;
    };
    const csv = preEncoded?.format === "csv";
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (firstOrdinal !== undefined) {
        room(17);
        used += chunk.write(String(firstOrdinal + r), used, "latin1");
        chunk[used++] = TAB;
      }
      // A pre-encoded row: its leading values, then the line the source wrote (escapes included) as it is.
      const values = preEncoded ? preEncoded.leading : row.length;
      const last = preEncoded ? -1 : values - 1;
      for (let i = 0; i < values; i++) {
        const value = row[i];
        if (csv) {
          // Only the few values Node computes ahead of a source's CSV line: written as text, then the tab before the line.
          const text = encodeCsvValue(value);
          room(text.length * 3 + 1);
          used += chunk.write(text, used, "utf8");
          chunk[used++] = TAB;
          continue;
        }
        // A value needs at most 3 bytes per UTF-16 unit (escapes included), plus the separator.
        const text = typeof value === "string" ? value : value === null || value === undefined ? null : value instanceof Uint8Array ? undefined : encodeCopyValue(value);
        room(text === null ? 3 : text === undefined ? 4 + (value as Uint8Array).byteLength * 2 : text.length * 3 + 1);
        if (text === null) {
          chunk[used++] = BACKSLASH;
          chunk[used++] = 0x4e; // N
        } else if (text === undefined) {
          used = writeHexBytea(chunk, used, value as Uint8Array);
        } else {
          const written = chunk.write(text, used, "utf8");
          used = typeof value === "string" && needsEscape.test(text) ? escapeBytes(chunk, used, written) : used + written;
        }
        chunk[used++] = i === last ? NEWLINE : TAB;
      }
      if (preEncoded) {
        const line = row[preEncoded.textAt] as CopyTextLine;
        room((typeof line === "string" ? line.length * 3 : line.byteLength) + 1);
        if (typeof line === "string") used += chunk.write(line, used, "utf8");
        else {
          chunk.set(line, used);
          used += line.byteLength;
        }
        chunk[used++] = NEWLINE;
      }
    }
    this.chunk = chunk;
    this.used = used;
  }

  /** The chunks written; the writer is empty afterwards. */
  end(): Buffer[] {
    if (this.used > 0) this.chunks.push(this.chunk.subarray(0, this.used));
    // The last chunk now belongs to the caller: a later row starts a new one.
    this.chunk = Buffer.alloc(0);
    this.used = 0;
    return this.chunks.splice(0);
  }
}

const BACKSLASH = 0x5c;
const TAB = 0x09;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const escapedByte: Record<number, number> = { [BACKSLASH]: BACKSLASH, [TAB]: 0x74, [NEWLINE]: 0x6e, [CARRIAGE_RETURN]: 0x72 };
const HEX = Buffer.from("0123456789abcdef", "latin1");

/** Escapes backslash, tab, newline and CR in `length` bytes written at `start`, in place (UTF-8 never uses these bytes inside a character). Returns the new end. */
function escapeBytes(chunk: Buffer, start: number, length: number): number {
  const end = start + length;
  let specials = 0;
  for (let i = start; i < end; i++) {
    const b = chunk[i];
    if (b === BACKSLASH || b === TAB || b === NEWLINE || b === CARRIAGE_RETURN) specials++;
  }
  let to = end + specials;
  for (let from = end - 1; from >= start; from--) {
    const b = chunk[from];
    const escaped = b === BACKSLASH || b === TAB || b === NEWLINE || b === CARRIAGE_RETURN ? escapedByte[b] : -1;
    if (escaped < 0) chunk[--to] = b;
    else {
      chunk[--to] = escaped;
      chunk[--to] = BACKSLASH;
    }
  }
  return end + specials;
}

/** `\\x` and hex digits: COPY's text escape of a bytea's hex input. */
function writeHexBytea(chunk: Buffer, at: number, bytes: Uint8Array): number {
  chunk[at++] = BACKSLASH;
  chunk[at++] = BACKSLASH;
  chunk[at++] = 0x78; // x
  for (let i = 0; i < bytes.length; i++) {
    chunk[at++] = HEX[bytes[i] >> 4];
    chunk[at++] = HEX[bytes[i] & 15];
  }
  return at;
}

const needsEscape = /[\\\t\n\r]/;
const escapes = /[\\\t\n\r]/g;
const escapeOf: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

const unescaped: Record<string, string> = { t: "\t", n: "\n", r: "\r" };

/** One COPY line back into its fields (NULL → null, escapes or quotes undone): the inverse of the encoding, for reporting a row. */
export function decodeCopyLine(line: string, format: CopyLineFormat = "text"): (string | null)[] {
  if (format === "csv") return decodeCsvLine(line);
  return line.split("\t").map((field) => (field === "\\N" ? null : field.replace(/\\(.)/g, (_, c: string) => unescaped[c] ?? c)));
}

/** A tab-delimited CSV line's fields: a quoted field is text (`""` a quote, tabs and newlines as they are), an empty bare one NULL. */
function decodeCsvLine(line: string): (string | null)[] {
  const fields: (string | null)[] = [];
  let at = 0;
  for (;;) {
    if (line[at] === '"') {
      let text = "";
      at++;
      for (;;) {
        const quote = line.indexOf('"', at);
        if (quote < 0) throw new Error("COPY CSV line: a quoted field is not closed");
        text += line.slice(at, quote);
        at = quote + 1;
        if (line[at] !== '"') break;
        text += '"';
        at++;
      }
      fields.push(text);
    } else {
      const tab = line.indexOf("\t", at);
      const end = tab < 0 ? line.length : tab;
      fields.push(end === at ? null : line.slice(at, end));
      at = end;
    }
    if (at >= line.length) return fields;
    at++; // the tab
  }
}

/**
 * A value as one field of a tab-delimited CSV COPY line: text double-quoted (quotes doubled), NULL empty and bare;
 * numbers, booleans, dates and `\\x` hex bytes bare (they hold no tab, newline or quote).
 */
export function encodeCsvValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  switch (typeof value) {
    case "string":
      return `"${value.includes('"') ? value.replace(/"/g, '""') : value}"`;
    case "number": case "bigint": case "boolean":
      return encodeCopyValue(value);
    default:
      if (value instanceof Uint8Array) return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`;
      if (value instanceof Date) return formatDateForCopy(value);
      return encodeCsvValue(JSON.stringify(value));
  }
}

export function encodeCopyValue(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  switch (typeof value) {
    case "string":
      return needsEscape.test(value) ? value.replace(escapes, (c) => escapeOf[c]) : value;
    case "number":
      // String(-0) is "0": negative zero is a distinct float8/float4 value in PostgreSQL.
      return Number.isFinite(value) ? (Object.is(value, -0) ? "-0" : String(value)) : value > 0 ? "Infinity" : value < 0 ? "-Infinity" : "NaN";
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "t" : "f";
    default:
      if (value instanceof Uint8Array) return `\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`;
      if (value instanceof Date) return formatDateForCopy(value);
      return encodeCopyValue(JSON.stringify(value));
  }
}

function formatDateForCopy(date: Date): string {
  // A Date carries no zone of its own; write it as UTC so the machine's TZ never shifts it.
  return date.toISOString().replace("T", " ").replace("Z", "+00");
}
