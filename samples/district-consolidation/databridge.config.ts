import { defineConfig } from "@databridge/core";

// Three district legacy databases consolidated into one warehouse. Embedded by default (no server
// needed); point any of them at a real server with DATABRIDGE_CONN_DISTRICT_A / _B / _C (MySQL,
// MariaDB or PostgreSQL) and DATABRIDGE_CONN_WAREHOUSE (PostgreSQL). Passwords belong there, not here.
export default defineConfig({
  connections: {
    district_a: { url: "pglite:.databridge/district_a", description: "Nordstadt school district (legacy SIS)" },
    district_b: { url: "pglite:.databridge/district_b", description: "Rivière school district (legacy SIS)" },
    district_c: { url: "pglite:.databridge/district_c", description: "Wschód school district (legacy SIS)" },
    warehouse: { url: "pglite:.databridge/warehouse", description: "consolidated multi-tenant warehouse" },
  },
});
