import { defineConfig } from "@databridge/core";

// The URLs of the CI service containers; the workflow sets DATABRIDGE_CONN_LEGACY / DATABRIDGE_CONN_WAREHOUSE,
// which override them (against your own source, from a secret: passwords never go into this file).
export default defineConfig({
  connections: {
    legacy: { url: "mysql://root@127.0.0.1:3306/legacy" },
    warehouse: { url: "postgres://postgres@127.0.0.1:5432/warehouse" },
  },
});
