import { pipeline, concat, defaultTo, lookup } from "@databridge/core";

export default pipeline({
  name: "customers",
  source: { connection: "legacy", table: "customers", key: "id" },
  target: { connection: "warehouse", table: "public.customers", mode: "upsert", key: ["id"], create: true },
  columns: {
    id: "id",
    full_name: concat(["first_name", "last_name"], " "),
    email: "email",
    status: lookup("status_code", { A: "ACTIVE", I: "INACTIVE" }, "UNKNOWN"),
    country: defaultTo("country", "??"),
  },
});
