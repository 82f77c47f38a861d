import { pipeline, trim } from "@databridge/core";

/** Every district's schools into district.schools; each legacy SchoolID gets a stable UUID per tenant. */
export default pipeline({
  name: "schools",
  description: "SCHOOLS of districts A, B, C into district.schools (UUIDs, tenant_id)",
  source: { table: "SCHOOLS", key: "SchoolID" },
  sources: [
    { connection: "district_a", tenant: "a" },
    { connection: "district_b", tenant: "b" },
    { connection: "district_c", tenant: "c" },
  ],
  parallelism: 3,
  target: { connection: "warehouse", table: "district.schools", mode: "upsert", tenantColumn: "tenant_id" },
  idMap: { entity: "school", key: "SchoolID", column: "id" },
  columns: {
    legacy_id: "SchoolID",
    name: trim("SchoolName"),
    city: "City",
    opened_on: "OpenedOn",
  },
  onError: "skip",
  batchSize: 2_000,
});
