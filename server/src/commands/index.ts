import type { Command } from "commander";
import type { CommandIO } from "../output/io.js";
import { registerCheck } from "./check.js";
import { registerDemo } from "./demo.js";
import { registerDiscover } from "./discover.js";
import { registerInit } from "./init.js";
import { registerPlan } from "./plan.js";
import { registerPreview } from "./preview.js";
import { registerRun } from "./run.js";
import { registerServe } from "./serve.js";
import { registerWorker } from "./worker.js";
import { registerVerify } from "./verify.js";
import { registerErrors } from "./errors.js";
import { registerReplay } from "./replay.js";
import { registerRollback } from "./rollback.js";
import { registerRuns } from "./runs.js";
import { registerTypes } from "./types.js";
import { registerGenerate } from "./generate.js";

export type CommandRunner = (work: () => Promise<number>) => Promise<void>;

/** Every CLI command; each module adds one (keep this list the only shared line per command). */
export function registerCommands(program: Command, io: CommandIO, run: CommandRunner): void {
  registerInit(program, io, run);
  registerRun(program, io, run);
  registerPreview(program, io, run);
  registerPlan(program, io, run);
  registerCheck(program, io, run);
  registerDiscover(program, io, run);
  registerDemo(program, io, run);
  registerServe(program, io, run);
  registerWorker(program, io, run);
  registerVerify(program, io, run);
  registerErrors(program, io, run);
  registerReplay(program, io, run);
  registerRollback(program, io, run);
  registerRuns(program, io, run);
  registerTypes(program, io, run);
  registerGenerate(program, io, run);
}
