import type { IdMapLookup, TransformDefinition } from "../authoring/plugin.js";
import type { RemapOptions } from "../authoring/transform-options.js";
import { dataError } from "../errors.js";
import { legacyKeyText } from "../util/legacy-key.js";

export type { RemapOptions };

/** Rewrites a legacy foreign key through `databridge.id_map` (one lookup query per batch). */
export const remapTransform: TransformDefinition<[string, string, RemapOptions?]> = {
  name: "remap",
  args: [{ name: "column", role: "column" }, { name: "entity", role: "literal" }, { name: "options", role: "literal" }],
  outputType: () => ({ kind: "uuid" }),
  compile([column, entity, options = {}], ctx) {
    const read = ctx.column(column);
    const idMap = ctx.services.idMap as IdMapLookup;
    const tenant = options.tenant ?? ctx.tenant;
    let ids = new Map<string, string>();
    ctx.onBatch(async (rows) => {
      const keys: string[] = [];
      for (const row of rows) {
        const value = read(row);
        if (value !== null && value !== undefined) keys.push(legacyKeyText(value));
      }
      ids = await idMap.resolve(entity, tenant, keys, false);
    });
    return (row) => {
      const value = read(row);
      if (value === null || value === undefined) return null;
      const id = ids.get(legacyKeyText(value));
      if (id) return id;
      if (options.onMissing === "null") return null;
      throw dataError(`no ${entity} with legacy id ${JSON.stringify(legacyKeyText(value))}${tenant ? ` in tenant ${tenant}` : ""} (remap)`, { column });
    };
  },
};
