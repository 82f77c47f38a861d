import { describe, it, expect } from "vitest";
import { Writable } from "node:stream";
import { configError, dataError, terminalError } from "@databridge/core";
import type { CommandIO } from "../output/io.js";
import { reportError, UsageError } from "./context.js";

function io() {
  let err = "";
  let out = "";
  const value: CommandIO = {
    stdout: new Writable({ write: (c, _e, done) => { out += c; done(); } }),
    stderr: new Writable({ write: (c, _e, done) => { err += c; done(); } }),
    env: {},
    cwd: "/",
  };
  return { io: value, stderr: () => err, stdout: () => out };
}

describe("reportError", () => {
  it("prints one line and maps the error kind to the exit code", () => {
    const cases: [unknown, number, string][] = [
      [configError("unknown connection \"legasy\"", { connection: "legasy" }), 2, 'error: connection legasy: unknown connection "legasy"\n'],
      [new UsageError("--rows needs a number"), 2, "error: --rows needs a number\n"],
      [dataError("bad value", { pipeline: "p", rowKey: [1] }), 1, "error: pipeline p, row key 1: bad value\n"],
      [terminalError("permission denied"), 1, "error: permission denied\n"],
      [new Error("boom"), 1, "error: boom\n"],
      ["a string", 1, "error: a string\n"],
    ];
    for (const [error, code, text] of cases) {
      const out = io();
      expect(reportError(error, out.io)).toBe(code);
      expect(out.stderr()).toBe(text);
      expect(out.stdout()).toBe("");
    }
  });

  it("never prints a password, with or without --verbose", () => {
    const out = io();
    reportError(new Error("cannot connect to postgres://app:hunter22@db:5432/x"), out.io, true);
    expect(out.stderr()).toContain("postgres://app:***@db:5432/x");
    expect(out.stderr()).not.toContain("hunter22");
  });

  it("prints no stack trace by default, and the real stack (and its cause) with --verbose", () => {
    const quiet = io();
    reportError(terminalError("failed", {}, new Error("root cause")), quiet.io);
    expect(quiet.stderr().trim().split("\n")).toHaveLength(1);

    const verbose = io();
    reportError(terminalError("failed", {}, new Error("root cause")), verbose.io, true);
    const text = verbose.stderr();
    expect(text).not.toContain("[object Object]");
    expect(text).toMatch(/^error: failed\nDataBridgeError: failed\n\s+at /);
    expect(text).toMatch(/caused by: Error: root cause\n\s+at /);
  });
});
