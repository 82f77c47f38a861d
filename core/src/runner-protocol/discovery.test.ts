import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { claimRunnerFile, decideRunner, isProcessAlive, parseRunnerFile, readRunnerFile, releaseRunnerFile, runnerFilePath, writeRunnerFile } from "./discovery.js";

const file = { url: "http://127.0.0.1:4317", token: "tok", pid: 4242 };

describe("runner.json", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it("reads the workspace's runner.json, trims the URL, and is undefined when there is none", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "dbx-disc-"));
    dirs.push(root);
    expect(readRunnerFile(root)).toBeUndefined();
    fs.mkdirSync(path.join(root, ".databridge"));
    fs.writeFileSync(runnerFilePath(root), JSON.stringify({ ...file, url: "http://127.0.0.1:4317/" }));
    expect(readRunnerFile(root)).toEqual(file);
  });

  it("names the file and the field when it is broken", () => {
    expect(() => parseRunnerFile("{", "/w/.databridge/runner.json")).toThrow(/^\/w\/\.databridge\/runner\.json is not valid JSON .*; delete it and start the runner again$/);
    expect(() => parseRunnerFile(JSON.stringify({ ...file, url: "ftp://x" }))).toThrow("runner.json: url must be an http(s) URL");
    expect(() => parseRunnerFile(JSON.stringify({ ...file, token: "" }))).toThrow("runner.json: token is missing");
    expect(() => parseRunnerFile(JSON.stringify({ ...file, pid: "12" }))).toThrow("runner.json: pid must be a process id");
  });

  it("is claimed exclusively by one live process, taken over from a dead or broken one, and released only by its owner", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "dbx-disc-"));
    dirs.push(root);
    expect(claimRunnerFile(root, process.pid)).toEqual({ claimed: true });
    expect(fs.statSync(runnerFilePath(root)).mode & 0o777).toBe(0o600);
    expect(readRunnerFile(root)).toEqual({ url: "", token: "", pid: process.pid, starting: true });
    // This process holds it: a second claim (another runner in this process) is refused.
    expect(claimRunnerFile(root, 999_999_999)).toEqual({ claimed: false, existing: { url: "", token: "", pid: process.pid, starting: true } });
    writeRunnerFile(root, { ...file, pid: process.pid, host: "127.0.0.1", port: 4317 });
    expect(readRunnerFile(root)).toMatchObject({ ...file, pid: process.pid, host: "127.0.0.1", port: 4317 });
    releaseRunnerFile(root, 12345);
    expect(fs.existsSync(runnerFilePath(root))).toBe(true);
    releaseRunnerFile(root, process.pid);
    expect(fs.existsSync(runnerFilePath(root))).toBe(false);

    // A file left by a process that is gone, and a broken file, are taken over.
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((resolve) => child.once("exit", resolve));
    writeRunnerFile(root, { ...file, pid: child.pid! });
    expect(claimRunnerFile(root, process.pid)).toEqual({ claimed: true });
    fs.writeFileSync(runnerFilePath(root), "{ half");
    expect(claimRunnerFile(root, process.pid)).toEqual({ claimed: true });
  });
});

describe("isProcessAlive", () => {
  it("tells a live process from one that exited", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    await new Promise((resolve) => child.once("spawn", resolve));
    expect(isProcessAlive(child.pid!)).toBe(true);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill();
    await exited;
    expect(isProcessAlive(child.pid!)).toBe(false);
    expect(isProcessAlive(process.pid)).toBe(true);
  });
});

describe("decideRunner", () => {
  const alive = () => true;
  const dead = () => false;

  it("adopts a live runner from runner.json and starts one when it is dead or missing", () => {
    expect(decideRunner({ file, isAlive: alive })).toEqual({ action: "connect", endpoint: { ...file, source: "runner.json" } });
    expect(decideRunner({ file, isAlive: dead })).toEqual({ action: "spawn", reason: "the runner in runner.json (pid 4242) is not running" });
    expect(decideRunner({ isAlive: alive })).toEqual({ action: "spawn", reason: "no runner is running for this workspace" });
  });

  it("waits for a runner that claimed the workspace and is still starting", () => {
    const starting = parseRunnerFile(JSON.stringify({ pid: 77, starting: true, url: "", token: "" }));
    expect(starting).toEqual({ url: "", token: "", pid: 77, starting: true });
    expect(decideRunner({ file: starting, isAlive: alive })).toEqual({ action: "wait", pid: 77 });
    expect(decideRunner({ file: starting, isAlive: dead })).toEqual({ action: "spawn", reason: "the runner that was starting (pid 77) is gone" });
  });

  it("uses the configured URL with runner.json's token when it is the same runner (localhost = 127.0.0.1)", () => {
    expect(decideRunner({ configuredUrl: "http://localhost:4317/", file, isAlive: dead })).toEqual({
      action: "connect",
      endpoint: { url: "http://localhost:4317", token: "tok", pid: 4242, source: "runner.json" },
    });
  });

  it("uses the configured token for another runner and says how to fix a missing one", () => {
    expect(decideRunner({ configuredUrl: "http://10.0.0.5:9000", configuredToken: "other", file })).toEqual({
      action: "connect",
      endpoint: { url: "http://10.0.0.5:9000", token: "other", source: "configured" },
    });
    const missing = decideRunner({ configuredUrl: "http://10.0.0.5:9000", file, tokenHint: 'run "DataBridge: Set Runner Token"' });
    expect(missing).toEqual({ action: "error", message: 'no token for the runner at http://10.0.0.5:9000: run "DataBridge: Set Runner Token"' });
    expect(decideRunner({ configuredUrl: "localhost:4317", configuredFrom: "--runner" })).toEqual({
      action: "error", message: '--runner must be an http(s) URL such as http://127.0.0.1:4317 (got "localhost:4317")',
    });
    expect(decideRunner({ configuredUrl: "http://exa mple:1", configuredFrom: "--runner" })).toMatchObject({ action: "error" });
  });
});
