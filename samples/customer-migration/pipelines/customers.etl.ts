import { pipeline, concat, split, lookup, convert, defaultTo, constant, when, expr } from "@databridge/core";

/** A legacy CRM's CUSTOMERS table into the warehouse's customers table. */
export default pipeline({
  name: "customers",
  description: "Legacy CRM customers into public.customers",
  source: { connection: "legacy", table: "CUSTOMERS", key: "CUST_ID" },
  target: { connection: "warehouse", table: "public.customers", mode: "upsert", key: ["id"], create: true },
  columns: {
    id: "CUST_ID",
    full_name: concat(["FIRST_NAME", "LAST_NAME"], " "),
    given_name: split("CONTACT", ", ", 1),
    family_name: split("CONTACT", ", ", 0),
    email: "EMAIL",
    city: "CITY",
    country: defaultTo("COUNTRY", "DE"),
    status: lookup("STATUS_CODE", { A: "ACTIVE", I: "INACTIVE", B: "BLOCKED" }, "UNKNOWN"),
    credit_limit: "CREDIT_LIMIT",
    credit_band: when("CREDIT_LIMIT >= 50000", "HIGH", when("CREDIT_LIMIT >= 10000", "MEDIUM", "LOW")),
    credit_limit_eur: expr("CREDIT_LIMIT * 0.92"),
    created_on: convert("CREATED_TXT", "date", { format: "yyyy-MM-dd" }),
    last_order_at: "LAST_ORDER",
    notes: "NOTES",
    migrated_from: constant("crm-legacy"),
  },
  batchSize: 5_000,
});
