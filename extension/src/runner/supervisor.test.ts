import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunnerClient } from "@databridge/core/runner-protocol";
import { isProcessAlive, readRunnerFile, runnerFilePath } from "@databridge/core/runner-protocol/discovery";
import { RunnerSupervisor, type RunnerState } from "./supervisor.js";

// The real runner: `databridge serve` from the built CLI (pnpm build), in a throwaway PGlite workspace.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const cli = path.join(repo, "server", "bin", "databridge.mjs");

function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const value = check();
      if (value) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

describe("RunnerSupervisor with the real databridge serve", () => {
  let root: string;
  const supervisors: RunnerSupervisor[] = [];
  const logs: string[] = [];

  const supervisor = (states: RunnerState[] = []) => {
    const s = new RunnerSupervisor({
      workspaceRoot: root,
      configPath: path.join(root, "databridge.config.ts"),
      nodePath: process.execPath,
      cliPath: cli,
      probe: async (endpoint) => {
        await new RunnerClient(endpoint).health();
      },
      log: (line) => logs.push(line),
      onState: (state) => states.push(state),
      watchIntervalMs: 200,
      restartDelayMs: () => 50,
    });
    supervisors.push(s);
    return s;
  };

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "dbx-sup-"));
    fs.mkdirSync(path.join(root, "pipelines"));
    fs.writeFileSync(
      path.join(root, "databridge.config.ts"),
      `export default { connections: { local: { url: "pglite:memory:" } } };\n`,
    );
  });

  afterAll(async () => {
    for (const s of supervisors) await s.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("starts serve, adopts it from a second supervisor, restarts it after it dies, and stops only what it started", async () => {
    const states: RunnerState[] = [];
    const first = supervisor(states);
    const endpoint = await first.start();
    expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.current).toMatchObject({ kind: "running", owned: true });
    expect(readRunnerFile(root)).toMatchObject({ url: endpoint.url, token: endpoint.token, pid: endpoint.pid });
    const health = await new RunnerClient(endpoint).health();
    expect(health).toMatchObject({ ok: true, pid: endpoint.pid });
    expect(fs.statSync(runnerFilePath(root)).mode & 0o777).toBe(0o600);

    // A second window on the same workspace talks to the same runner.
    const second = supervisor();
    const adopted = await second.start();
    expect(adopted).toMatchObject({ url: endpoint.url, token: endpoint.token, pid: endpoint.pid });
    expect(second.current).toMatchObject({ kind: "running", owned: false });

    // The runner dies: the supervisor that started it brings up a new one.
    process.kill(endpoint.pid!, "SIGKILL");
    const restarted = await waitFor("a restarted runner", () => {
      const state = first.current;
      return state.kind === "running" && state.endpoint.pid !== endpoint.pid ? state.endpoint : undefined;
    });
    expect(states.some((s) => s.kind === "restarting")).toBe(true);
    expect(await new RunnerClient(restarted).health()).toMatchObject({ ok: true, pid: restarted.pid });
    // The adopting supervisor notices the old process is gone and finds the new runner through runner.json.
    const readopted = await waitFor("the second supervisor to re-adopt", () => {
      const state = second.current;
      return state.kind === "running" && state.endpoint.pid === restarted.pid ? state.endpoint : undefined;
    });
    expect(readopted.token).toBe(restarted.token);

    // Both windows saw the death; whichever brought the new runner up owns it. Stopping the adopter
    // leaves the runner alone; stopping the owner ends it and removes runner.json.
    const ownedBy = (s: RunnerSupervisor) => s.current.kind === "running" && s.current.owned;
    expect(ownedBy(first) !== ownedBy(second)).toBe(true);
    const [owner, adopter] = ownedBy(first) ? [first, second] : [second, first];
    await adopter.stop();
    expect(isProcessAlive(restarted.pid!)).toBe(true);
    await owner.stop();
    await waitFor("the runner to exit", () => !isProcessAlive(restarted.pid!));
    expect(fs.existsSync(runnerFilePath(root))).toBe(false);
    expect(logs.join("\n")).toContain("restarting");
  }, 120_000);

  it("reports a configured runner URL without a token as one actionable line", async () => {
    const s = new RunnerSupervisor({
      workspaceRoot: root,
      configPath: path.join(root, "databridge.config.ts"),
      nodePath: process.execPath,
      cliPath: cli,
      configuredUrl: () => "http://127.0.0.1:9",
      probe: async () => {},
      log: () => {},
    });
    supervisors.push(s);
    await expect(s.start()).rejects.toThrow(/^no token for the runner at http:\/\/127\.0\.0\.1:9: run "DataBridge: Set Runner Token"/);
    expect(s.current.kind).toBe("failed");
  });
});
