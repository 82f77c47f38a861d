import { defineConfig } from "@databridge/core";

// Embedded by default, so the sample runs with no database server. Point it at real servers with
// DATABRIDGE_CONN_LEGACY / DATABRIDGE_CONN_WAREHOUSE (passwords belong there, not in this file).
export default defineConfig({
  connections: {
    legacy: { url: "pglite:.databridge/legacy" },
    warehouse: { url: "pglite:.databridge/warehouse" },
  },
});
