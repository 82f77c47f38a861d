import { describe, it, expect } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { initWorkspace, seedSampleLegacy } from "./init.js";

const temp = () => fs.mkdtempSync(path.join(os.tmpdir(), "databridge-init-"));

describe("initWorkspace", () => {
  it("writes config, pipeline, tsconfig and .gitignore; existing files are kept unless forced", () => {
    const dir = temp();
    try {
      expect(initWorkspace(dir)).toEqual(["databridge.config.ts", path.join("pipelines", "customers.etl.ts"), "tsconfig.json", ".gitignore"]);
      const config = fs.readFileSync(path.join(dir, "databridge.config.ts"), "utf8");
      expect(config).toContain('legacy: { url: "pglite:.databridge/legacy" }');
      // Passwords belong in the environment: no URL in the config carries one.
      expect(config.match(/url: "[^"]*"/g)).toEqual(['url: "pglite:.databridge/legacy"', 'url: "pglite:.databridge/warehouse"']);
      expect(fs.readFileSync(path.join(dir, ".gitignore"), "utf8")).toContain(".databridge/");
      expect(JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).compilerOptions.strict).toBe(true);

      fs.writeFileSync(path.join(dir, "tsconfig.json"), "{}");
      fs.rmSync(path.join(dir, ".gitignore"));
      expect(initWorkspace(dir)).toEqual([".gitignore"]);
      expect(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).toBe("{}");
      expect(initWorkspace(dir, true)).toHaveLength(4);
      expect(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).not.toBe("{}");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never seeds a legacy connection that the environment points at a real server", async () => {
    const dir = temp();
    try {
      initWorkspace(dir);
      // An unreachable server: a connection attempt would fail the test.
      expect(await seedSampleLegacy(dir, { DATABRIDGE_CONN_LEGACY: "mysql://root@127.0.0.1:1/legacy" })).toBe(0);
      expect(fs.existsSync(path.join(dir, ".databridge"))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
