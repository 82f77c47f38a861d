/**
 * Keeps passwords out of everything the extension writes (output channel, notifications): every registered
 * secret is replaced by `***`, and so is the password part of any URL (`scheme://user:password@host`).
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  /** Registers a value that must never be shown. Very short values are ignored (they would blank out ordinary text). */
  add(secret: string | undefined): void {
    if (secret && secret.length >= 3) this.secrets.add(secret);
    if (secret && secret.length >= 3) {
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) this.secrets.add(encoded);
    }
  }

  redact(text: string): string {
    let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)([^\s@/]+)@/gi, "$1***@");
    // Longest first, so a secret containing another one is replaced whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join("***");
    return out;
  }
}
