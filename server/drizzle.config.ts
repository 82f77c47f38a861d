import { defineConfig } from "drizzle-kit";

// `pnpm --filter @databridge/server db:generate` writes a new migration after a schema change.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/state/schema.ts",
  out: "./drizzle",
  migrations: { schema: "databridge_runner", table: "__drizzle_migrations" },
});
