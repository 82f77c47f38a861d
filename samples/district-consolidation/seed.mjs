#!/usr/bin/env node
// Seeds the district sample's databases: `node samples/district-consolidation/seed.mjs [--students N]`.
// Uses the workspace's connections, so DATABRIDGE_CONN_DISTRICT_A/_B/_C and DATABRIDGE_CONN_WAREHOUSE
// point it at real servers (MariaDB/MySQL or PostgreSQL sources, a PostgreSQL warehouse).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { importWorkspaceModule, loadWorkspace, messageOf, openConnections } from "@databridge/core";

const dir = path.dirname(fileURLToPath(import.meta.url));
const at = process.argv.indexOf("--students");
const students = at > 0 ? Number(process.argv[at + 1]) : undefined;
if (students !== undefined && !(Number.isInteger(students) && students > 0)) {
  console.error(`error: --students needs a positive whole number (got ${JSON.stringify(process.argv[at + 1])})`);
  process.exit(2);
}
const workspace = await loadWorkspace({ configPath: path.join(dir, "databridge.config.ts") });
const connections = openConnections(workspace);
try {
  const seed = await importWorkspaceModule(workspace, path.join(dir, "seed.ts"));
  const summary = await seed(connections, { students });
  for (const d of summary.districts) {
    console.log(`${d.connection} (tenant ${d.tenant}): ${d.schools} schools, ${d.students} students, ${d.enrollments} enrollments${d.seeded ? "" : " (already seeded)"}`);
  }
  console.log("warehouse: schema district ready");
} catch (error) {
  console.error(`error: ${messageOf(error)}`);
  process.exitCode = 1;
} finally {
  await connections.closeAll();
}
