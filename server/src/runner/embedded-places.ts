import fs from "node:fs";
import path from "node:path";
import { configError, type ConnectorFactory, type Registry } from "@databridge/core";

/** Where a connection comes from: a client of the API (a URL anyone with the token sent), or databridge.config.ts. */
export type ConnectionOrigin = "client" | "config";

const MAX_LINKS = 40;

/**
 * The path `target` really names: `..` and symlinks resolved, also through the part that does not
 * exist yet (the nearest existing parent is resolved, the rest appended; a dangling link is followed).
 */
export function realLocation(target: string, links = 0): string {
  const absolute = path.resolve(target);
  try {
    return fs.realpathSync(absolute);
  } catch {
    // missing (or a dangling link): resolve what exists
  }
  if (lstat(absolute)?.isSymbolicLink()) {
    if (links >= MAX_LINKS) throw new Error(`too many symbolic links at ${absolute}`);
    return realLocation(path.resolve(path.dirname(absolute), fs.readlinkSync(absolute)), links + 1);
  }
  const parent = path.dirname(absolute);
  if (parent === absolute) return absolute;
  return path.join(realLocation(parent, links), path.basename(absolute));
}

function lstat(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

/** `inner` is `outer` or lies below it. */
export function isWithin(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === "" || (relative.split(path.sep)[0] !== ".." && !path.isAbsolute(relative));
}

/**
 * Where the runner lets an embedded database (a folder or file opened in-process) be. A second
 * embedded engine on the runner's own state database corrupts it (after a crash the runner could
 * not start again), and opening a missing database creates one, anywhere. So a URL a client sends
 * may only name a place inside the workspace and outside `.databridge/` (state, secrets, caches);
 * a connection of databridge.config.ts (the user's own file) only may not touch the state database
 * or hold `.databridge/` itself.
 */
export class EmbeddedPlaces {
  private readonly root: string;
  private readonly runnerDir: string;
  private readonly stateDir: string | undefined;

  /** `stateDir`: the folder of the runner's embedded state database (undefined when the state lives in PostgreSQL). */
  constructor(workspaceRoot: string, stateDir: string | undefined) {
    this.root = realLocation(workspaceRoot);
    this.runnerDir = realLocation(path.join(workspaceRoot, ".databridge"));
    this.stateDir = stateDir === undefined ? undefined : realLocation(stateDir);
  }

  /** Why a database at `location` may not be opened for a connection of this origin; undefined when it may. */
  refusal(location: string, origin: ConnectionOrigin): string | undefined {
    let real: string;
    try {
      real = realLocation(location);
    } catch (error) {
      return `${location} cannot be resolved (${(error as Error).message})`;
    }
    const shown = real === location ? location : `${location} (really ${real})`;
    if (isWithin(this.runnerDir, real)) return `${shown} would hold the runner's folder .databridge/`;
    if (this.stateDir !== undefined && isWithin(real, this.stateDir)) return `${shown} is the runner's own state database`;
    if (this.stateDir !== undefined && isWithin(this.stateDir, real)) return `${shown} would hold the runner's own state database`;
    if (origin === "config") return undefined;
    if (!isWithin(real, this.root)) return `${shown} is outside the workspace ${this.root}`;
    if (isWithin(real, this.runnerDir)) return `${shown} is inside .databridge/, the runner's own folder (state, secrets, caches)`;
    return undefined;
  }
}

/** The fix every refusal names. */
export const EMBEDDED_PLACE_FIX = "give a folder inside the workspace and outside .databridge/, e.g. pglite:data/<name>";

/**
 * The registry runs use: every embedded connector first checks its place (as a config connection;
 * saved connections were checked when they were saved), so no run opens the runner's state database.
 */
export function guardRegistry(registry: Registry, places: EmbeddedPlaces): Registry {
  const guarded = new Map<string, ConnectorFactory>();
  for (const [scheme, factory] of registry.connectorsByScheme) {
    const embedded = factory.embedded;
    if (!embedded) {
      guarded.set(scheme, factory);
      continue;
    }
    guarded.set(scheme, {
      ...factory,
      create: async (options) => {
        const location = embedded.location(options.url, options.baseDir);
        const refusal = location === undefined ? undefined : places.refusal(location, "config");
        if (refusal) throw configError(`the runner will not open ${refusal}`, { connection: options.name, fix: EMBEDDED_PLACE_FIX });
        return factory.create(options);
      },
    });
  }
  return { ...registry, connectorsByScheme: guarded };
}
