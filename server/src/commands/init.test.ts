import { describe, it, expect } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DataBridgeError } from "@databridge/core";
import { cliCommand, cliDependencies, initWorkspace, seedSampleLegacy, workspaceManifest } from "./init.js";

const temp = () => fs.mkdtempSync(path.join(os.tmpdir(), "databridge-init-"));
const versions = { core: "1.2.3", server: "1.2.3", typescript: "~5.9.3" };
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;

describe("initWorkspace", () => {
  it("writes config, pipeline, tsconfig and .gitignore; existing files are kept unless forced", () => {
    const dir = temp();
    try {
      expect(initWorkspace(dir, false, versions)).toEqual(["databridge.config.ts", path.join("pipelines", "customers.etl.ts"), "tsconfig.json", ".gitignore", "package.json"]);
      const config = fs.readFileSync(path.join(dir, "databridge.config.ts"), "utf8");
      expect(config).toContain('legacy: { url: "pglite:.databridge/legacy" }');
      // Passwords belong in the environment: no URL in the config carries one.
      expect(config.match(/url: "[^"]*"/g)).toEqual(['url: "pglite:.databridge/legacy"', 'url: "pglite:.databridge/warehouse"']);
      expect(fs.readFileSync(path.join(dir, ".gitignore"), "utf8")).toContain(".databridge/");
      expect(JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).compilerOptions.strict).toBe(true);

      fs.writeFileSync(path.join(dir, "tsconfig.json"), "{}");
      fs.rmSync(path.join(dir, ".gitignore"));
      expect(initWorkspace(dir, false, versions)).toEqual([".gitignore"]);
      expect(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).toBe("{}");
      expect(initWorkspace(dir, true, versions)).toHaveLength(4);
      expect(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).not.toBe("{}");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("package.json depends on the CLI's core (and the CLI and TypeScript for development); the tsconfig includes the generated types", () => {
    const dir = path.join(temp(), "My Migration");
    try {
      initWorkspace(dir, false, versions);
      expect(readJson(path.join(dir, "package.json"))).toEqual({
        name: "my-migration",
        private: true,
        dependencies: { "@databridge/core": "1.2.3" },
        devDependencies: { "@databridge/server": "1.2.3", typescript: "~5.9.3" },
      });
      expect(readJson(path.join(dir, "tsconfig.json")).include).toEqual(["databridge.config.ts", "pipelines/**/*.ts", ".databridge/types/**/*.d.ts"]);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  it("an existing package.json only gains the dependencies it lacks, even with --force", () => {
    const dir = temp();
    try {
      const own = { name: "etl", version: "2.0.0", scripts: { migrate: "databridge run" }, devDependencies: { "@databridge/core": "^1.0.0" } };
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(own));
      expect(initWorkspace(dir, true, versions)).toContain("package.json");
      expect(readJson(path.join(dir, "package.json"))).toEqual({ ...own, devDependencies: { "@databridge/core": "^1.0.0", "@databridge/server": "1.2.3", typescript: "~5.9.3" } });
      expect(initWorkspace(dir, true, versions)).not.toContain("package.json");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a package.json that is not JSON stops init before it writes anything, naming the file", () => {
    const dir = temp();
    try {
      fs.writeFileSync(path.join(dir, "package.json"), "{ name: etl }");
      let error: unknown;
      try {
        initWorkspace(dir, false, versions);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(DataBridgeError);
      const line = (error as DataBridgeError).toLine();
      expect(line.startsWith(`${path.join(dir, "package.json")} is not valid JSON (`)).toBe(true);
      expect(line.endsWith(") (fix: correct it and run init again, or add @databridge/core to its dependencies yourself)")).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(["package.json"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a package whose version is unknown (inside a bundle) is left out rather than guessed", () => {
    expect(JSON.parse(workspaceManifest(undefined, "/x/ws/package.json", {})!)).toEqual({ name: "ws", private: true });
  });

  it("the CLI's versions are the installed packages' own", () => {
    const server = readJson(new URL("../../package.json", import.meta.url).pathname) as { version: string; dependencies: Record<string, string> };
    const core = readJson(new URL("../../../core/package.json", import.meta.url).pathname) as { version: string };
    expect(cliDependencies()).toEqual({ core: core.version, server: server.version, typescript: server.dependencies.typescript });
  });

  it("never seeds a legacy connection that the environment points at a real server", async () => {
    const dir = temp();
    try {
      initWorkspace(dir, false, versions);
      // An unreachable server: a connection attempt would fail the test.
      expect(await seedSampleLegacy(dir, { DATABRIDGE_CONN_LEGACY: "mysql://root@127.0.0.1:1/legacy" })).toBe(0);
      expect(fs.existsSync(path.join(dir, ".databridge"))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("cliCommand: how the next steps tell the user to run databridge", () => {
  it("bare when the shell finds it on PATH, else through npx", () => {
    const bin = temp();
    try {
      expect(cliCommand({ PATH: [os.tmpdir(), bin].join(path.delimiter) })).toBe("npx databridge");
      fs.writeFileSync(path.join(bin, "databridge"), "#!/bin/sh\n", { mode: 0o755 });
      expect(cliCommand({ PATH: [os.tmpdir(), bin].join(path.delimiter) })).toBe("databridge");
      fs.chmodSync(path.join(bin, "databridge"), 0o644);
      expect(cliCommand({ PATH: bin })).toBe("npx databridge");
      expect(cliCommand({})).toBe("npx databridge");
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it("through the launcher that started it: npx, pnpm exec and package scripts put the bin on PATH for this process only", () => {
    const bin = temp();
    try {
      fs.writeFileSync(path.join(bin, "databridge"), "#!/bin/sh\n", { mode: 0o755 });
      expect(cliCommand({ PATH: bin, npm_command: "exec", npm_config_user_agent: "npm/11.19.1 node/v20.20.2 linux x64" })).toBe("npx databridge");
      expect(cliCommand({ PATH: bin, npm_command: "exec", npm_config_user_agent: "pnpm/10.34.9 npm/? node/v20.20.2 linux x64" })).toBe("pnpm exec databridge");
      expect(cliCommand({ PATH: bin, npm_lifecycle_event: "init", npm_config_user_agent: "npm/11.19.1" })).toBe("npx databridge");
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
});
