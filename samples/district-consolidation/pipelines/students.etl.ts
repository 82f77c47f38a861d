import { concat, lower, pipeline, remap, trim } from "@databridge/core";

/** Students, with their school reference rewritten from the district's legacy SchoolID to the school's UUID. */
export default pipeline({
  name: "students",
  description: "STUDENTS of districts A, B, C into district.students (school_id remapped)",
  dependsOn: ["schools"],
  source: { table: "STUDENTS", key: "StudentID" },
  sources: [
    { connection: "district_a", tenant: "a" },
    { connection: "district_b", tenant: "b" },
    { connection: "district_c", tenant: "c" },
  ],
  parallelism: 3,
  target: { connection: "warehouse", table: "district.students", mode: "upsert", tenantColumn: "tenant_id" },
  idMap: { entity: "student", key: "StudentID", column: "id" },
  columns: {
    legacy_id: "StudentID",
    school_id: remap("SchoolID", "school"),
    given_name: trim("FirstName"),
    family_name: trim("LastName"),
    full_name: concat(["FirstName", "LastName"], " "),
    birth_date: "BirthDate",
    email: lower("Email"),
  },
  onError: "skip",
  batchSize: 2_000,
});
