import path from "node:path";
import { exactTable, fileAction, generatePipelines, type FileAction } from "@databridge/core/generate";
import type { Catalog } from "@databridge/core/runner-protocol";

/** A table offered by "Generate Pipelines…": the source's base tables of its own schema, with their row estimates. */
export interface TableChoice {
  label: string;
  description: string;
  picked: boolean;
}

export function tableChoices(catalog: Catalog): TableChoice[] {
  return catalog.tables
    .filter((t) => t.kind === "table" && t.schema === catalog.defaultSchema)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((t) => ({ label: t.name, description: t.estimatedRows === null ? "rows unknown" : `~${t.estimatedRows.toLocaleString("en-US")} rows`, picked: true }));
}

export interface GeneratedFiles {
  /** Files to write (new, or generated earlier and untouched since), absolute paths. */
  writes: { file: string; content: string; action: FileAction }[];
  /** Every file in table order with what happens to it. */
  files: { file: string; action: FileAction }[];
  errors: string[];
  /** One line for a notification. */
  summary: string;
}

/**
 * The pipeline files for the chosen tables, decided as `databridge generate` decides: a file nobody
 * edited since it was generated is refreshed, an edited one is left alone.
 */
export function generatedFiles(input: {
  workspaceRoot: string;
  source: { name: string; catalog: Catalog };
  target: { name: string; catalog: Catalog };
  tables: string[];
  read: (file: string) => string | undefined;
}): GeneratedFiles {
  const result = generatePipelines(input.source.catalog, input.target.catalog, {
    source: input.source.name, target: input.target.name, tables: input.tables.map(exactTable),
  });
  const files = result.pipelines.map((p) => {
    const file = path.join(input.workspaceRoot, ...p.path.split("/"));
    return { file, content: p.content, action: fileAction(input.read(file), p.content, false) };
  });
  const count = (action: FileAction) => files.filter((f) => f.action === action).length;
  const parts = [
    count("create") && `${count("create")} created`,
    count("update") && `${count("update")} updated`,
    count("unchanged") && `${count("unchanged")} unchanged`,
    count("skip-edited") && `${count("skip-edited")} left alone (edited since generated; \`databridge generate --force\` overwrites)`,
  ].filter(Boolean);
  return {
    writes: files.filter((f) => f.action === "create" || f.action === "update"),
    files: files.map(({ file, action }) => ({ file, action })),
    errors: result.errors,
    summary: `${files.length} pipeline${files.length === 1 ? "" : "s"} from ${input.source.name} into ${input.target.name}${parts.length ? `: ${parts.join(", ")}` : ""}`,
  };
}
