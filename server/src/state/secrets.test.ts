import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { createSecretBox, loadSecretKey, secretKeyPath } from "./secrets.js";

const dirs: string[] = [];
const tempWorkspace = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-secrets-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe("credential encryption (AES-256-GCM)", () => {
  const box = createSecretBox(randomBytes(32));

  it("round-trips, with a fresh IV per value", () => {
    const a = box.encrypt("pa$$wörd", "conn-1");
    const b = box.encrypt("pa$$wörd", "conn-1");
    expect(a).not.toBe(b);
    expect(a.split(":")[1]).not.toBe(b.split(":")[1]);
    expect(Buffer.from(a.split(":")[1], "base64")).toHaveLength(12);
    expect(a).not.toContain("pa$$wörd");
    expect(box.decrypt(a, "conn-1")).toBe("pa$$wörd");
    expect(box.decrypt(b, "conn-1")).toBe("pa$$wörd");
  });

  it("refuses a tampered ciphertext, another record's context and another key", () => {
    const stored = box.encrypt("secret-value", "conn-1");
    const [v, iv, tag, data] = stored.split(":");
    const flipped = Buffer.from(data, "base64");
    flipped[0] ^= 1;
    expect(() => box.decrypt([v, iv, tag, flipped.toString("base64")].join(":"), "conn-1")).toThrow(/cannot be decrypted/);
    expect(() => box.decrypt(stored, "conn-2")).toThrow(/cannot be decrypted/);
    expect(() => createSecretBox(randomBytes(32)).decrypt(stored, "conn-1")).toThrow(/cannot be decrypted/);
    expect(() => box.decrypt("v0:x:y:z", "conn-1")).toThrow(/unknown format/);
  });

  it("creates the workspace key file with mode 0600 once, and reuses it", () => {
    const dir = tempWorkspace();
    const first = loadSecretKey(dir, {});
    expect(first.source).toBe("file");
    expect(first.key).toHaveLength(32);
    expect(fs.statSync(secretKeyPath(dir)).mode & 0o777).toBe(0o600);
    expect(loadSecretKey(dir, {}).key.equals(first.key)).toBe(true);
  });

  it("tightens a key file that others can read", () => {
    const dir = tempWorkspace();
    loadSecretKey(dir, {});
    fs.chmodSync(secretKeyPath(dir), 0o644);
    loadSecretKey(dir, {});
    expect(fs.statSync(secretKeyPath(dir)).mode & 0o777).toBe(0o600);
  });

  it("takes DATABRIDGE_SECRET_KEY as base64 or hex, and names the variable when it is wrong", () => {
    const key = randomBytes(32);
    const dir = tempWorkspace();
    expect(loadSecretKey(dir, { DATABRIDGE_SECRET_KEY: key.toString("base64") }).key.equals(key)).toBe(true);
    expect(loadSecretKey(dir, { DATABRIDGE_SECRET_KEY: key.toString("hex") }).key.equals(key)).toBe(true);
    expect(fs.existsSync(secretKeyPath(dir))).toBe(false);
    expect(() => loadSecretKey(dir, { DATABRIDGE_SECRET_KEY: "too-short" })).toThrow(/DATABRIDGE_SECRET_KEY must hold a 32-byte key/);
  });
});
