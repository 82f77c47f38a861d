/** An identifier inside a mathjs expression, with its offsets relative to the expression text. */
export interface ExpressionIdentifier {
  name: string;
  start: number;
  end: number;
  /** Followed by `(`: a function call, not a column. */
  isCall: boolean;
}

const identifierStart = /[A-Za-z_$\u00C0-\uFFFF]/;
const identifierPart = /[A-Za-z0-9_$\u00C0-\uFFFF]/;

/**
 * The identifiers of a mathjs expression in source order, skipping quoted strings and numbers
 * (`1e5` is a number, not the symbol `e5`). mathjs keeps no positions, so the language server
 * finds a column's range in the expression text with this.
 */
export function expressionIdentifiers(text: string): ExpressionIdentifier[] {
  const found: ExpressionIdentifier[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"' || ch === "'") {
      i++;
      while (i < text.length && text[i] !== ch) i += text[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    if (/[0-9.]/.test(ch)) {
      i++;
      while (i < text.length && /[0-9.]/.test(text[i])) i++;
      if (/[eE]/.test(text[i] ?? "") && /[0-9+-]/.test(text[i + 1] ?? "")) {
        i += 2;
        while (i < text.length && /[0-9]/.test(text[i])) i++;
      }
      continue;
    }
    if (identifierStart.test(ch)) {
      const start = i;
      while (i < text.length && identifierPart.test(text[i])) i++;
      let j = i;
      while (j < text.length && /\s/.test(text[j])) j++;
      found.push({ name: text.slice(start, i), start, end: i, isCall: text[j] === "(" });
      continue;
    }
    i++;
  }
  return found;
}

/** The identifier-ish word around `offset` (for completion replace ranges): [start, end). */
export function wordAt(text: string, offset: number): { start: number; end: number } {
  let start = offset;
  while (start > 0 && identifierPart.test(text[start - 1])) start--;
  let end = offset;
  while (end < text.length && identifierPart.test(text[end])) end++;
  return { start, end };
}

/** True when `offset` (relative to the expression) is inside a quoted string of the expression. */
export function insideExpressionString(text: string, offset: number): boolean {
  let quote: string | undefined;
  for (let i = 0; i < offset && i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
  }
  return quote !== undefined;
}
