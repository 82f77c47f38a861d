import type { TransformDefinition } from "../authoring/plugin.js";
import { dataError } from "../errors.js";
import type { IdMapService } from "../engine/id-map.js";
import { legacyKeyText } from "../engine/id-map.js";

export interface RemapOptions {
  /** What an unmapped reference does: reject the row (default) or yield NULL. */
  onMissing?: "reject" | "null";
  /** Look the id up under another tenant (default: the source's own). */
  tenant?: string;
}

/** Rewrites a legacy foreign key through `databridge.id_map` (one lookup query per batch). */
export const remapTransform: TransformDefinition<[string, string, RemapOptions?]> = {
  name: "remap",
  sourceColumns: ([column]) => [column],
  outputType: () => ({ kind: "uuid" }),
  compile([column, entity, options = {}], ctx) {
    const read = ctx.column(column);
    const idMap = ctx.services.idMap as IdMapService;
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
