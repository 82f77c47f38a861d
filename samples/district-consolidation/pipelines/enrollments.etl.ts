import { pipeline, remap } from "@databridge/core";

/** Enrollments, with both references (student and school) remapped to the consolidated UUIDs. */
export default pipeline({
  name: "enrollments",
  description: "ENROLLMENTS of districts A, B, C into district.enrollments (student_id, school_id remapped)",
  dependsOn: ["students"],
  source: { table: "ENROLLMENTS", key: "EnrollmentID" },
  sources: [
    { connection: "district_a", tenant: "a" },
    { connection: "district_b", tenant: "b" },
    { connection: "district_c", tenant: "c" },
  ],
  parallelism: 3,
  target: { connection: "warehouse", table: "district.enrollments", mode: "upsert", tenantColumn: "tenant_id" },
  idMap: { entity: "enrollment", key: "EnrollmentID", column: "id" },
  columns: {
    legacy_id: "EnrollmentID",
    student_id: remap("StudentID", "student"),
    school_id: remap("SchoolID", "school"),
    course_code: "CourseCode",
    term: "Term",
    grade: "Grade",
  },
  onError: "skip",
  batchSize: 5_000,
});
