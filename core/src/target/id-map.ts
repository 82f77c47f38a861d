import { randomUUID } from "node:crypto";
import type { Connector, TargetSession } from "../connectors/connector.js";

export interface IdMapping {
  entity: string;
  tenant: string;
  legacyKey: string;
  newId: string;
}

const cacheKey = (entity: string, tenant: string, legacyKey: string) => `${entity}\u0000${tenant}\u0000${legacyKey}`;

/**
 * Legacy ids → stable new ids (UUIDs), kept in the target's `databridge.id_map`. Lookups are batched
 * (one query per entity per batch); ids created for a batch are persisted in that batch's transaction,
 * so a rolled-back batch leaves no mapping behind and a re-run reuses every committed one.
 */
export class IdMapService {
  private readonly confirmed = new Map<string, string>();
  /** Created in this run but not yet known to be committed: re-attached to whichever batch uses them. */
  private readonly unconfirmed = new Map<string, IdMapping>();
  private pending = new Map<string, IdMapping>();

  constructor(private readonly target: Connector) {}

  /** New ids for the current batch's legacy keys, creating the missing ones when `create`. */
  async resolve(entity: string, tenant: string, legacyKeys: Iterable<string>, create: boolean): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    const unknown: string[] = [];
    for (const key of new Set(legacyKeys)) {
      const id = cacheKey(entity, tenant, key);
      const known = this.confirmed.get(id);
      if (known) result.set(key, known);
      else if (this.unconfirmed.has(id)) {
        const mapping = this.unconfirmed.get(id)!;
        this.pending.set(id, mapping);
        result.set(key, mapping.newId);
      } else unknown.push(key);
    }
    if (unknown.length) {
      const { rows } = await this.target.query<{ legacy_key: string; new_id: string }>(
        "SELECT legacy_key, new_id::text AS new_id FROM databridge.id_map WHERE entity = $1 AND tenant = $2 AND legacy_key = ANY($3::text[])",
        [entity, tenant, unknown],
      ).catch((error) => {
        if ((error as { code?: string }).code === "42P01") return { rows: [] as { legacy_key: string; new_id: string }[] };
        throw error;
      });
      for (const row of rows) {
        this.confirmed.set(cacheKey(entity, tenant, row.legacy_key), row.new_id);
        result.set(row.legacy_key, row.new_id);
      }
      if (create) {
        for (const key of unknown) {
          if (result.has(key)) continue;
          const mapping = { entity, tenant, legacyKey: key, newId: randomUUID() };
          const id = cacheKey(entity, tenant, key);
          this.unconfirmed.set(id, mapping);
          this.pending.set(id, mapping);
          result.set(key, mapping.newId);
        }
      }
    }
    return result;
  }

  /** The ids created (or reused while unconfirmed) since the last call: they belong to the batch just transformed. */
  takePending(): IdMapping[] {
    const taken = [...this.pending.values()];
    this.pending = new Map();
    return taken;
  }

  /** In the batch's transaction. */
  static async persist(session: TargetSession, mappings: IdMapping[]): Promise<void> {
    if (!mappings.length) return;
    await session.query(
      `INSERT INTO databridge.id_map (entity, tenant, legacy_key, new_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[]) ON CONFLICT DO NOTHING`,
      [mappings.map((m) => m.entity), mappings.map((m) => m.tenant), mappings.map((m) => m.legacyKey), mappings.map((m) => m.newId)],
    );
  }

  /**
   * After a failure of the target: a commit it acknowledged may not have reached disk (batches commit
   * asynchronously), so no mapping is known to be stored any more. Each is kept as created-but-unconfirmed:
   * the next batch that uses it writes it again (a no-op where it survived), so a legacy key keeps its id.
   */
  forgetUnflushed(): void {
    for (const [id, newId] of this.confirmed) {
      const [entity, tenant, legacyKey] = id.split("\u0000");
      if (!this.unconfirmed.has(id)) this.unconfirmed.set(id, { entity, tenant, legacyKey, newId });
    }
    this.confirmed.clear();
    this.pending.clear();
  }

  /** After the batch committed (acknowledged; durable once the stage's final, synchronous commit is in). */
  confirm(mappings: IdMapping[]): void {
    for (const m of mappings) {
      const id = cacheKey(m.entity, m.tenant, m.legacyKey);
      this.unconfirmed.delete(id);
      this.confirmed.set(id, m.newId);
    }
  }
}

export { legacyKeyText } from "../util/legacy-key.js";
