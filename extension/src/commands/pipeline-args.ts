import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * What a Run/Preview/Plan command was asked to act on. Commands are invoked from the palette (no argument),
 * the editor title or explorer context menu (a Uri, plus the multi-selection), the language server's code
 * lenses (whatever the server put in `command.arguments`), and the Pipelines view (a tree item).
 */
export type PipelineTarget =
  | { kind: "names"; names: string[] }
  | { kind: "files"; files: string[] }
  | { kind: "pick" };

const PIPELINE_FILE = /\.etl\.ts$/;

function isUriLike(value: unknown): value is { fsPath?: string; scheme?: string; path?: string } {
  return typeof value === "object" && value !== null && ("fsPath" in value || ("scheme" in value && "path" in value));
}

function fileOfUriLike(value: { fsPath?: string; scheme?: string; path?: string; toString?: () => string }): string | undefined {
  if (typeof value.fsPath === "string" && value.fsPath) return value.fsPath;
  if (value.scheme === "file" && typeof value.path === "string") return value.path;
  return undefined;
}

/** A file path from a `file:` URI string or a path string; undefined when it is neither. */
function fileOfString(value: string): string | undefined {
  if (value.startsWith("file:")) {
    try {
      return fileURLToPath(value);
    } catch {
      return undefined;
    }
  }
  if (PIPELINE_FILE.test(value)) return value;
  return undefined;
}

/** Collects names and files from one argument, recursing into arrays and known object shapes. */
function collect(value: unknown, names: string[], files: string[], depth = 0): void {
  if (value === undefined || value === null || depth > 4) return;
  if (typeof value === "string") {
    const file = fileOfString(value);
    if (file) files.push(file);
    else if (value.trim()) names.push(value.trim());
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collect(item, names, files, depth + 1);
    return;
  }
  if (isUriLike(value)) {
    const file = fileOfUriLike(value);
    if (file) files.push(file);
    return;
  }
  if (typeof value === "object") {
    const v = value as Record<string, unknown>;
    const before = names.length;
    // { pipeline: "name" } from a code lens, { pipeline: { name } } from a tree item, { name }, { pipelines: [...] }.
    if (typeof v.pipeline === "string") names.push(v.pipeline);
    else if (typeof v.pipeline === "object" && v.pipeline !== null && typeof (v.pipeline as { name?: unknown }).name === "string") {
      names.push((v.pipeline as { name: string }).name);
    } else if (typeof v.name === "string") names.push(v.name);
    if (Array.isArray(v.pipelines)) collect(v.pipelines, names, files, depth + 1);
    if (names.length === before) {
      for (const key of ["uri", "file", "fileName", "resourceUri", "textDocument"]) {
        const inner = v[key];
        if (typeof inner === "string") {
          const file = fileOfString(inner) ?? (inner.startsWith("file:") ? undefined : inner);
          if (file) files.push(file);
        } else if (inner && typeof inner === "object") collect(inner, names, files, depth + 1);
      }
    }
  }
}

/**
 * Normalizes command arguments to pipeline names or files; with nothing usable, the active editor's pipeline
 * file; else "pick" (ask with a list).
 */
export function pipelineTargetFromArgs(args: readonly unknown[], activeFile?: string): PipelineTarget {
  const names: string[] = [];
  const files: string[] = [];
  // A context-menu invocation passes (clicked, allSelected): prefer the selection when it is there.
  const [first, second] = args;
  if (isUriLike(first) && Array.isArray(second) && second.length) collect(second, names, files);
  else for (const arg of args) collect(arg, names, files);
  const unique = <T>(list: T[]) => [...new Set(list)];
  if (names.length) return { kind: "names", names: unique(names) };
  const pipelineFiles = unique(files.filter((f) => PIPELINE_FILE.test(f)));
  if (pipelineFiles.length) return { kind: "files", files: pipelineFiles };
  if (activeFile && PIPELINE_FILE.test(activeFile)) return { kind: "files", files: [activeFile] };
  return { kind: "pick" };
}

/**
 * The `name` of the `pipeline({ name: "…" })` call in a pipeline file's text, when it is a literal; used to
 * map a file to its pipeline when the runner is not there to ask.
 */
export function pipelineNameFromSource(text: string): string | undefined {
  const call = text.search(/\bpipeline\s*\(\s*\{/);
  if (call === -1) return undefined;
  const rest = text.slice(call);
  const match = /[{,]\s*name\s*:\s*(["'`])((?:\\.|(?!\1)[^\\\n])*)\1/.exec(rest);
  return match?.[2];
}

/** Maps files to pipeline names using the runner's pipeline list (by file), else each file's literal name. */
export function namesForFiles(
  files: readonly string[],
  known: readonly { name: string; file?: string }[],
  readText: (file: string) => string | undefined,
): { names: string[]; problems: string[] } {
  const names: string[] = [];
  const problems: string[] = [];
  const norm = (f: string) => path.resolve(f);
  for (const file of files) {
    const byFile = known.find((p) => p.file && norm(p.file) === norm(file));
    if (byFile) {
      names.push(byFile.name);
      continue;
    }
    const text = readText(file);
    const name = text === undefined ? undefined : pipelineNameFromSource(text);
    if (name) names.push(name);
    else problems.push(`${path.basename(file)}: no pipeline({ name: "…" }) found in this file`);
  }
  return { names: [...new Set(names)], problems };
}
