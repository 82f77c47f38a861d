/**
 * Text form of a legacy key value, as stored in `databridge.id_map.legacy_key`: the engine writes ids under
 * it and `remap` looks them up under it, so both must spell a key the same way.
 */
export function legacyKeyText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  return String(value);
}
