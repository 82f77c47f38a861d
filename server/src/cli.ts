import { Command, CommanderError } from "commander";
import { type CommandIO, ExitCode, processIO } from "./output/io.js";
import { reportError } from "./commands/context.js";
import { registerCommands } from "./commands/index.js";
import { packageVersion } from "./package-version.js";

/** This package's version, from its package.json (in this repository and when installed). */
export const CLI_VERSION: string = packageVersion("@databridge/server") ?? "0.0.0";

/** The `databridge` CLI: wiring only; every command lives in `commands/`. Returns the exit code. */
export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const program = new Command("databridge")
    .description("Move data out of legacy databases into PostgreSQL — pipelines as code")
    .version(CLI_VERSION, "-V, --version", "print the version")
    .option("--config <path>", "databridge.config.ts to use (default: the nearest one upward)")
    .option("--verbose", "show stack traces and rejected rows")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError("(run databridge --help for usage)");
  let exitCode: number = ExitCode.ok;
  const run = async (work: () => Promise<number>): Promise<void> => {
    try {
      exitCode = await work();
    } catch (error) {
      exitCode = reportError(error, io, program.opts().verbose);
    }
  };
  registerCommands(program, io, run);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return reportError(error, io, program.opts().verbose);
  }
  return exitCode;
}
