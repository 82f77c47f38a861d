import { describe, it, expect } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { main } from "./cli.js";

async function cli(args: string[], cwd = os.tmpdir()) {
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "databridge", ...args], {
    stdout: new Writable({ write: (c, _e, done) => { stdout += c; done(); } }),
    stderr: new Writable({ write: (c, _e, done) => { stderr += c; done(); } }),
    env: {},
    cwd,
  });
  return { code, stdout, stderr };
}

describe("databridge CLI wiring", () => {
  it("--help lists every command and exits 0", async () => {
    const result = await cli(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["init", "run", "preview", "plan", "check", "discover", "demo"]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
  });

  it("--version prints the version of this package and exits 0", async () => {
    const manifest = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const result = await cli([flag]);
      expect(result).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: "" });
    }
  });

  it("an unknown command or option is a usage error: exit 2 with a hint", async () => {
    const unknown = await cli(["rnu"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown command 'rnu'");
    expect(unknown.stderr).toContain("(run databridge --help for usage)");
    const option = await cli(["plan", "--nope"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("error: unknown option '--nope'");
  });

  it("no config anywhere above the folder: exit 2, one line naming the folder and the fix", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-noconfig-"));
    try {
      const result = await cli(["plan"], dir);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`error: no databridge.config.ts found in ${dir} or any folder above it (fix: run \`databridge init\`, or pass --config <path>)\n`);
      const verbose = await cli(["--verbose", "plan"], dir);
      expect(verbose.code).toBe(2);
      expect(verbose.stderr).toMatch(/\nDataBridgeError: no databridge\.config\.ts found .*\n\s+at /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a config that does not load names the file and the reason in one line", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "databridge-badconfig-"));
    try {
      fs.writeFileSync(path.join(dir, "databridge.config.ts"), "export default { connections: { legacy: { url: 42 } } };\n");
      const result = await cli(["discover", "legacy"], dir);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe("error: connection legacy: connections.legacy needs a url\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
