import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { configError, makePrivateDir } from "@databridge/core";

/**
 * Encryption of credentials at rest: AES-256-GCM, a fresh random 12-byte IV per value, the
 * record's id bound as additional authenticated data (a ciphertext copied to another row fails).
 * Stored form: `v1:<iv>:<tag>:<ciphertext>`, each part base64.
 */
export interface SecretBox {
  encrypt(plaintext: string, context: string): string;
  decrypt(stored: string, context: string): string;
}

const VERSION = "v1";

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error("the credentials key must be 32 bytes");
  return {
    encrypt(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(context, "utf8"));
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return [VERSION, iv.toString("base64"), cipher.getAuthTag().toString("base64"), ciphertext.toString("base64")].join(":");
    },
    decrypt(stored, context) {
      const [version, iv, tag, ciphertext] = stored.split(":");
      if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new Error("stored credential has an unknown format");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(Buffer.from(tag, "base64"));
      try {
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64")), decipher.final()]).toString("utf8");
      } catch {
        throw configError("a saved credential cannot be decrypted with the current key", {
          fix: "use the DATABRIDGE_SECRET_KEY / .databridge/secret.key the connection was saved with, or save the connection again",
        });
      }
    },
  };
}

/** `.databridge/secret.key` in the workspace: 32 random bytes, base64, mode 0600. */
export const secretKeyPath = (workspaceRoot: string) => path.join(workspaceRoot, ".databridge", "secret.key");

/**
 * The credentials key: `DATABRIDGE_SECRET_KEY` (32 bytes as base64 or 64 hex digits), else the
 * workspace's key file, created on first use with mode 0600.
 */
export function loadSecretKey(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): { key: Buffer; source: "env" | "file" } {
  const fromEnv = env.DATABRIDGE_SECRET_KEY?.trim();
  if (fromEnv) return { key: parseKey(fromEnv, "DATABRIDGE_SECRET_KEY"), source: "env" };
  const file = secretKeyPath(workspaceRoot);
  makePrivateDir(path.dirname(file));
  try {
    fs.writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  return { key: parseKey(fs.readFileSync(file, "utf8").trim(), file), source: "file" };
}

function parseKey(text: string, where: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
  if (key.length !== 32) {
    throw configError(`${where} must hold a 32-byte key, as base64 or 64 hex digits`, { fix: "generate one with `openssl rand -base64 32`" });
  }
  return key;
}
