#!/usr/bin/env node
// Seeds the district sample's databases:
//   node samples/district-consolidation/seed.mjs [--students N] [--config path/to/databridge.config.ts]
// Uses the workspace's connections, so DATABRIDGE_CONN_DISTRICT_A/_B/_C and DATABRIDGE_CONN_WAREHOUSE
// point it at real servers (MariaDB/MySQL or PostgreSQL sources, a PostgreSQL warehouse).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { importWorkspaceModule, loadWorkspace, messageOf, openConnections } from "@databridge/core";

const option = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const studentsText = option("--students");
const students = studentsText === undefined ? undefined : Number(studentsText);
if (students !== undefined && !(Number.isInteger(students) && students > 0)) {
  console.error(`error: --students needs a positive whole number (got ${JSON.stringify(studentsText)})`);
  process.exit(2);
}
const configPath = path.resolve(option("--config") ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "databridge.config.ts"));

let connections;
try {
  const workspace = await loadWorkspace({ configPath });
  connections = openConnections(workspace);
  const seed = await importWorkspaceModule(workspace, path.join(workspace.rootDir, "seed.ts"));
  const summary = await seed(connections, { students });
  for (const d of summary.districts) {
    console.log(`${d.connection} (tenant ${d.tenant}): ${d.schools} schools, ${d.students} students, ${d.enrollments} enrollments${d.seeded ? "" : " (already seeded)"}`);
  }
  console.log("warehouse: schema district ready");
} catch (error) {
  console.error(`error: ${messageOf(error)}`);
  process.exitCode = 1;
} finally {
  await connections?.closeAll();
}
