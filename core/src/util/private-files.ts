import fs from "node:fs";
import path from "node:path";

/** Creates `dir` (missing parents too) with mode 0700, or tightens it to 0700: only this user may list or enter it. */
export function makePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((fs.statSync(dir).mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
}

/**
 * Makes a folder tree this user's alone: folders 0700, files 0600. Embedded PostgreSQL (PGlite)
 * creates its data files world-writable (0666) whatever the umask, so its folders are tightened
 * after it opened or closed them.
 */
export function restrictToOwner(dir: string): void {
  const tighten = (target: string, mode: number) => {
    try {
      if ((fs.lstatSync(target).mode & 0o777) !== mode) fs.chmodSync(target, mode);
    } catch (error) {
      // A file PostgreSQL removed meanwhile (a recycled WAL segment) needs no mode.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  };
  tighten(dir, 0o700);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isSymbolicLink()) continue;
    const target = path.join(entry.parentPath, entry.name);
    tighten(target, entry.isDirectory() ? 0o700 : 0o600);
  }
}
