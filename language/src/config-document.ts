import ts from "typescript";
import { propertyName } from "./pipeline-document.js";

export interface ConfigConnection {
  name: string;
  /** The key's offsets in the config file. */
  start: number;
  end: number;
}

export interface ConfigDocument {
  connections: ConfigConnection[];
  /** `pipelinesDir`, when set to a literal. */
  pipelinesDir?: string;
}

/**
 * Reads connection names (with their positions) and `pipelinesDir` from `databridge.config.ts`
 * without running it: instant, and it works while the file does not compile.
 */
export function parseConfigDocument(text: string, fileName = "databridge.config.ts"): ConfigDocument {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const result: ConfigDocument = { connections: [] };
  const visit = (node: ts.Node) => {
    if (ts.isPropertyAssignment(node) && ts.isObjectLiteralExpression(node.parent)) {
      const key = propertyName(node.name);
      if (key === "connections" && ts.isObjectLiteralExpression(node.initializer) && !result.connections.length) {
        for (const member of node.initializer.properties) {
          if ((ts.isPropertyAssignment(member) || ts.isShorthandPropertyAssignment(member)) && member.name) {
            const name = propertyName(member.name);
            if (name !== undefined) result.connections.push({ name, start: member.name.getStart(sf), end: member.name.end });
          }
        }
        return;
      }
      if (key === "pipelinesDir" && (ts.isStringLiteral(node.initializer) || ts.isNoSubstitutionTemplateLiteral(node.initializer))) {
        result.pipelinesDir = node.initializer.text;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return result;
}
