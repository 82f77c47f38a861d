// The options of the built-in transforms, declared with the authoring API so the typed helpers
// (`convert(...)`, `remap(...)`) need nothing from the transforms that implement them.

/** The types `convert(column, type)` converts to. */
export const convertTypes = ["string", "integer", "bigint", "decimal", "boolean", "date", "timestamp", "uuid", "json"] as const;

export type ConvertType = (typeof convertTypes)[number];

export interface ConvertOptions {
  /** Input pattern for `date`/`timestamp`: yyyy, yy, MM, M, dd, d, HH, H, mm, ss, SSS; anything else is literal. */
  format?: string;
  /** Decimal scale to round half-up to (`decimal`). */
  scale?: number;
  /** Strings that mean true / false (`boolean`); case-insensitive. */
  trueValues?: string[];
  falseValues?: string[];
  /** Treat an empty (or all-blank) string as NULL before converting; default true for non-string types. */
  emptyAsNull?: boolean;
}

export interface RemapOptions {
  /** What an unmapped reference does: reject the row (default) or yield NULL. */
  onMissing?: "reject" | "null";
  /** Look the id up under another tenant (default: the source's own). */
  tenant?: string;
}
