import fs from "node:fs";
import type { Problem, SourceLocation } from "@databridge/core";
import { parsePipelineDocument, type PipelineDocument, type PipelineModel, type StringRef } from "@databridge/language";

interface Place {
  start: number;
}

/** Parsed pipeline files, read once per command. */
export class PipelineSources {
  private readonly documents = new Map<string, PipelineDocument | undefined>();

  document(file: string): PipelineDocument | undefined {
    if (!this.documents.has(file)) {
      let document: PipelineDocument | undefined;
      try {
        document = parsePipelineDocument(fs.readFileSync(file, "utf8"), file);
      } catch {
        document = undefined;
      }
      this.documents.set(file, document);
    }
    return this.documents.get(file);
  }

  /** 1-based line and column of an offset in a file. */
  position(file: string, offset: number): SourceLocation | undefined {
    const document = this.document(file);
    if (!document) return undefined;
    const { line, character } = document.sourceFile.getLineAndCharacterOfPosition(offset);
    return { file, line: line + 1, column: character + 1 };
  }

  /**
   * Where in its pipeline file a problem from `plan` lies: on the literal it is about (a source column inside a
   * mapping, a target column's name, a table, a key, a dependency), else on the pipeline's call.
   */
  locate(problem: Problem, file: string): SourceLocation | undefined {
    const document = this.document(file);
    if (!document) return undefined;
    const model = document.pipelines.find((p) => p.name?.text === problem.pipeline) ?? document.pipelines[0];
    if (!model) return this.position(file, 0);
    return this.position(file, placeOf(problem, model)?.start ?? model.callStart);
  }
}

const literal = (ref: StringRef | undefined): Place | undefined => (ref ? { start: ref.literalStart } : undefined);

function placeOf(problem: Problem, model: PipelineModel): Place | undefined {
  const entry = problem.column === undefined ? undefined : model.columns?.entries.find((e) => e.name === problem.column);
  const entryName = entry ? { start: entry.nameStart } : undefined;
  const sourceRefs = model.sources.flatMap((s) => [s.connection, s.table, ...s.keys]).filter((r): r is StringRef => Boolean(r));
  const bySubject = (refs: (StringRef | undefined)[]) => literal(refs.find((r) => r !== undefined && r.text === problem.subject));
  switch (problem.code) {
    case "unknown-target-column":
      return entryName;
    case "unmapped-not-null":
      return model.columns ? { start: model.columns.keyStart } : undefined;
    case "unknown-source-column":
    case "lossy-length": case "lossy-scale": case "lossy-integer": case "lossy-nullability": case "incompatible-type":
      return bySubject(entry?.refs.filter((r) => r.kind === "source-column") ?? [])
        ?? bySubject([...sourceRefs, model.incrementalCursor, model.idMap?.key])
        ?? entryName;
    case "bad-expression":
      return bySubject(entry?.refs.filter((r) => r.kind === "expression") ?? []) ?? entryName;
    case "unknown-transform":
      return entryName;
    case "unknown-table":
      return literal([...model.sources.map((s) => s.table), model.target.table].find((r) => r !== undefined && (r.text === problem.table || problem.message.includes(r.text))));
    case "unknown-connection":
    case "unreachable-connection":
      return bySubject([...model.sources.map((s) => s.connection), model.target.connection]);
    case "unknown-dependency":
    case "cyclic-dependency":
      return bySubject(model.dependsOn) ?? literal(model.dependsOn[0]);
    case "nullable-cursor":
    case "incremental-insert":
    case "incremental-replace":
      return literal(model.incrementalCursor);
    case "non-unique-key":
    case "unchecked-key":
      return bySubject(model.sources.flatMap((s) => s.keys)) ?? literal(model.sources[0]?.table);
    case "missing-key":
    case "no-unique-target-key":
      return bySubject(model.target.keys) ?? literal(model.target.keys[0]) ?? entryName ?? literal(model.target.table);
    default:
      return entryName ?? literal(model.name);
  }
}
