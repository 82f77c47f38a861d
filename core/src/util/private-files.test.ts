import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makePrivateDir, restrictToOwner } from "./private-files.js";

const modeOf = (file: string) => fs.lstatSync(file).mode & 0o777;

describe("private files", () => {
  const made: string[] = [];
  const temp = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-private-"));
    made.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("makePrivateDir creates folders 0700 (missing parents too) and tightens an existing one", () => {
    const top = temp();
    const nested = path.join(top, "a", "b");
    makePrivateDir(nested);
    expect([modeOf(path.join(top, "a")), modeOf(nested)]).toEqual([0o700, 0o700]);
    const open = path.join(top, "open");
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o755);
    makePrivateDir(open);
    expect(modeOf(open)).toBe(0o700);
  });

  it("restrictToOwner makes every folder 0700 and every file 0600, and leaves what a symlink points to alone", () => {
    const top = temp();
    const outside = path.join(temp(), "shared.txt");
    fs.writeFileSync(outside, "x");
    fs.chmodSync(outside, 0o644);
    fs.mkdirSync(path.join(top, "base", "1"), { recursive: true });
    for (const file of ["PG_VERSION", "base/1/1259", "base/1/1259_fsm"]) {
      fs.writeFileSync(path.join(top, file), "x");
      fs.chmodSync(path.join(top, file), 0o666);
    }
    fs.chmodSync(path.join(top, "base"), 0o777);
    fs.symlinkSync(outside, path.join(top, "link"));
    restrictToOwner(top);
    expect([top, "base", "base/1"].map((d) => modeOf(path.resolve(top, d)))).toEqual([0o700, 0o700, 0o700]);
    expect(["PG_VERSION", "base/1/1259", "base/1/1259_fsm"].map((f) => modeOf(path.join(top, f)))).toEqual([0o600, 0o600, 0o600]);
    expect(modeOf(outside)).toBe(0o644);
  });
});
