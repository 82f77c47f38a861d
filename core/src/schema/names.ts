import { createHash } from "node:crypto";
import { snakeCase } from "change-case";

/** How `generate` names target tables and columns: as the source spells them, lower-cased, or snake_case. */
export type NameStyle = "keep" | "lower" | "snake";

export const NAME_STYLES: readonly NameStyle[] = ["keep", "lower", "snake"];

/** A source name in the given style: `RegionID` → `RegionID` / `regionid` / `region_id`. */
export function styleName(name: string, style: NameStyle): string {
  if (style === "keep") return name;
  if (style === "lower") return name.toLowerCase();
  // snake_case keeps letters and digits only; a name made of nothing else stays as it is, lower-cased.
  return snakeCase(name) || name.toLowerCase();
}

/**
 * The name with case and separators ignored (`RegionID`, `region_id` and `Region ID` → `regionid`): how
 * existing target columns are matched to source columns, and what two names of one table must not share.
 */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
}

export const byteLength = (name: string): number => Buffer.byteLength(name, "utf8");

/**
 * A name DataBridge derives (an index, a constraint, a trigger function): `parts` joined with `_`, or —
 * when that is longer than the database allows — cut and ended with a hash of the whole, so two long
 * names never become one and the same input always gives the same name.
 */
export function derivedName(parts: string[], maxBytes: number): string {
  const whole = parts.join("_");
  if (byteLength(whole) <= maxBytes) return whole;
  const hash = createHash("sha256").update(whole).digest("hex").slice(0, 8);
  const characters = [...whole];
  while (byteLength(characters.join("")) > maxBytes - hash.length - 1) characters.pop();
  return `${characters.join("")}_${hash}`;
}
