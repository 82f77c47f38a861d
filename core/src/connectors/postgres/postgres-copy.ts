/**
 * Encodes rows in COPY's text format: tab-separated, `\N` for NULL, backslash escapes for
 * backslash, tab, newline and carriage return, `\\x…` hex for binary. Strings are escaped only
 * when they contain something to escape, which is the common case's fast path.
 */
export function encodeCopyText(rows: readonly unknown[][]): string {
  let out = "";
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      if (i > 0) out += "\t";
      out += encodeCopyValue(row[i]);
    }
    out += "\n";
  }
  return out;
}

const needsEscape = /[\\\t\n\r]/;
const escapes = /[\\\t\n\r]/g;
const escapeOf: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

export function encodeCopyValue(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  switch (typeof value) {
    case "string":
      return needsEscape.test(value) ? value.replace(escapes, (c) => escapeOf[c]) : value;
    case "number":
      return Number.isFinite(value) ? String(value) : value > 0 ? "Infinity" : value < 0 ? "-Infinity" : "NaN";
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
