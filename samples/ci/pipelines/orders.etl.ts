import { pipeline } from "@databridge/core";

export default pipeline({
  name: "orders",
  dependsOn: ["customers"],
  source: { connection: "legacy", table: "orders", key: "id" },
  target: { connection: "warehouse", table: "public.orders", mode: "upsert", key: ["id"], create: true },
  columns: {
    id: "id",
    customer_id: "customer_id",
    total: "total",
    ordered_at: "ordered_at",
  },
});
