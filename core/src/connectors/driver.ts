import { configError } from "../errors.js";

/**
 * Loads a connector's driver package on first use. Drivers a workspace may not need (mssql, oracledb) are
 * optional dependencies of `@databridge/core`: an install that skipped one (its platform, `--omit=optional`)
 * still works for every other database, and a connection that needs it fails with the command that fixes it.
 * `load` is the literal `import("…")`, so bundlers still see the specifier.
 */
export async function importDriver<M>(driver: string, connection: string, load: () => Promise<M>): Promise<M> {
  try {
    return await load();
  } catch (error) {
    if (!isMissingPackage(error, driver)) throw error;
    throw configError(`the ${driver} driver is not installed`, { connection, fix: `npm install ${driver}` }, error);
  }
}

function isMissingPackage(error: unknown, driver: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && typeof message === "string" && message.includes(`'${driver}'`);
}
