import { pipeline, convert, defaultTo, expr, lookup, trim, when, constant } from "@databridge/core";

/** SAP material master (MARA/MAKT/MARD flattened into PARTS) into the warehouse's parts table. */
export default pipeline({
  name: "parts",
  description: "SAP-style PARTS master data into public.parts",
  source: { connection: "legacy", table: "PARTS", key: "MATNR" },
  target: { connection: "warehouse", table: "public.parts", mode: "upsert", key: ["part_no"], create: true },
  columns: {
    part_no: "MATNR",
    description: trim("MAKTX"),
    unit: lookup("MEINS", { ST: "piece", KG: "kg", M: "m", L: "l", PAK: "pack" }, "other"),
    kind: when("MTART == 'FERT'", "FINISHED", when("MTART == 'HALB'", "SEMI_FINISHED", "RAW")),
    stock_qty: "LABST",
    unit_price: "VERPR",
    stock_value: expr("LABST * VERPR"),
    created_on: convert("ERSDA", "date", { format: "yyyyMMdd" }),
    deleted: defaultTo(convert("LVORM", "boolean", { trueValues: ["X"], falseValues: [""] }), false),
    plant: "WERKS",
    source_system: constant("SAP-ECC"),
  },
  batchSize: 5_000,
});
