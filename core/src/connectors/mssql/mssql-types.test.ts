import sql from "mssql";
import { describe, expect, it } from "vitest";
import { mssqlCatalogTables } from "./mssql-connector.js";
import {
  mssqlKeyParameter, mssqlReadExpression, mssqlTypeFromCatalog, mssqlTypeFromColumn, portableFromMssqlColumn, portableFromMssqlType, shortestFloat32,
  type MssqlColumnMetadata,
} from "./mssql-types.js";

describe("portableFromMssqlType (catalog spellings)", () => {
  it.each([
    ["tinyint", { kind: "smallint" }],
    ["smallint", { kind: "smallint" }],
    ["int", { kind: "integer" }],
    ["bigint", { kind: "bigint" }],
    ["decimal(10,2)", { kind: "decimal", precision: 10, scale: 2 }],
    ["DECIMAL(38, 10)", { kind: "decimal", precision: 38, scale: 10 }],
    ["numeric(18,0)", { kind: "decimal", precision: 18, scale: 0 }],
    ["decimal", { kind: "decimal", precision: 18, scale: 0 }],
    ["money", { kind: "decimal", precision: 19, scale: 4 }],
    ["smallmoney", { kind: "decimal", precision: 10, scale: 4 }],
    ["float", { kind: "float" }],
    ["real", { kind: "float" }],
    ["bit", { kind: "boolean" }],
    ["char(10)", { kind: "string", length: 10 }],
    ["varchar(50)", { kind: "string", length: 50 }],
    ["varchar(max)", { kind: "text" }],
    ["nchar(3)", { kind: "string", length: 3 }],
    ["nvarchar(4000)", { kind: "string", length: 4000 }],
    ["nvarchar(max)", { kind: "text" }],
    ["sysname", { kind: "string", length: 128 }],
    ["text", { kind: "text" }],
    ["ntext", { kind: "text" }],
    ["xml", { kind: "text" }],
    ["date", { kind: "date" }],
    ["time(7)", { kind: "time" }],
    ["datetime", { kind: "timestamp" }],
    ["datetime2(3)", { kind: "timestamp" }],
    ["smalldatetime", { kind: "timestamp" }],
    ["datetimeoffset(7)", { kind: "timestamptz" }],
    ["uniqueidentifier", { kind: "uuid" }],
    ["binary(16)", { kind: "binary" }],
    ["varbinary(max)", { kind: "binary" }],
    ["image", { kind: "binary" }],
    ["timestamp", { kind: "binary" }],
    ["rowversion", { kind: "binary" }],
    ["hierarchyid", { kind: "binary" }],
    ["geography", { kind: "binary" }],
    ["json", { kind: "json" }],
    ["sql_variant", { kind: "unknown" }],
  ])("%s", (spelling, expected) => {
    expect(portableFromMssqlType(spelling)).toEqual(expected);
  });
});

describe("type spellings", () => {
  it("from sys.columns (max_length in bytes, -1 for max)", () => {
    const t = (typeName: string, maxLength: number, precision = 0, scale = 0) => mssqlTypeFromCatalog({ typeName, maxLength, precision, scale });
    expect(t("nvarchar", 100)).toBe("nvarchar(50)");
    expect(t("nvarchar", -1)).toBe("nvarchar(max)");
    expect(t("nchar", 6)).toBe("nchar(3)");
    expect(t("varchar", 50)).toBe("varchar(50)");
    expect(t("varbinary", -1)).toBe("varbinary(max)");
    expect(t("binary", 16)).toBe("binary(16)");
    expect(t("decimal", 9, 12, 4)).toBe("decimal(12,4)");
    expect(t("numeric", 17, 38, 0)).toBe("numeric(38,0)");
    expect(t("datetime2", 8, 27, 7)).toBe("datetime2(7)");
    expect(t("time", 5, 16, 3)).toBe("time(3)");
    expect(t("datetimeoffset", 10, 34, 7)).toBe("datetimeoffset(7)");
    expect(t("int", 4, 10, 0)).toBe("int");
    expect(t("money", 8, 19, 4)).toBe("money");
    expect(t("timestamp", 8)).toBe("timestamp");
  });
});

describe("portableFromMssqlColumn (the mssql driver's result metadata)", () => {
  // What mssql reports per column: its own type factory (sql.Decimal, …) and tedious' dataLength in bytes.
  const column = (type: unknown, extra: Partial<MssqlColumnMetadata> = {}): MssqlColumnMetadata => ({ name: "c", type: type as MssqlColumnMetadata["type"], ...extra });

  it.each([
    ["TinyInt", column(sql.TYPES.TinyInt, { length: 1 }), "tinyint", { kind: "smallint" }],
    ["SmallInt", column(sql.TYPES.SmallInt, { length: 2 }), "smallint", { kind: "smallint" }],
    ["Int", column(sql.TYPES.Int, { length: 4 }), "int", { kind: "integer" }],
    ["BigInt", column(sql.TYPES.BigInt, { length: 8 }), "bigint", { kind: "bigint" }],
    ["Decimal", column(sql.TYPES.Decimal, { length: 9, precision: 12, scale: 4 }), "decimal(12,4)", { kind: "decimal", precision: 12, scale: 4 }],
    ["Numeric", column(sql.TYPES.Numeric, { length: 17, precision: 38, scale: 0 }), "numeric(38,0)", { kind: "decimal", precision: 38, scale: 0 }],
    ["Money", column(sql.TYPES.Money, { length: 8 }), "money", { kind: "decimal", precision: 19, scale: 4 }],
    ["SmallMoney", column(sql.TYPES.SmallMoney, { length: 4 }), "smallmoney", { kind: "decimal", precision: 10, scale: 4 }],
    ["Float", column(sql.TYPES.Float, { length: 8 }), "float", { kind: "float" }],
    ["Real", column(sql.TYPES.Real, { length: 4 }), "real", { kind: "float" }],
    ["Bit", column(sql.TYPES.Bit, { length: 1 }), "bit", { kind: "boolean" }],
    ["Char", column(sql.TYPES.Char, { length: 10 }), "char(10)", { kind: "string", length: 10 }],
    ["VarChar", column(sql.TYPES.VarChar, { length: 50 }), "varchar(50)", { kind: "string", length: 50 }],
    ["VarChar(max)", column(sql.TYPES.VarChar, { length: 65535 }), "varchar(max)", { kind: "text" }],
    ["NChar", column(sql.TYPES.NChar, { length: 6 }), "nchar(3)", { kind: "string", length: 3 }],
    ["NVarChar", column(sql.TYPES.NVarChar, { length: 100 }), "nvarchar(50)", { kind: "string", length: 50 }],
    ["NVarChar(max)", column(sql.TYPES.NVarChar, { length: 65535 }), "nvarchar(max)", { kind: "text" }],
    ["Text", column(sql.TYPES.Text, { length: 2147483647 }), "text", { kind: "text" }],
    ["NText", column(sql.TYPES.NText), "ntext", { kind: "text" }],
    ["Xml", column(sql.TYPES.Xml), "xml", { kind: "text" }],
    ["Date", column(sql.TYPES.Date, { length: 3 }), "date", { kind: "date" }],
    ["Time", column(sql.TYPES.Time, { scale: 3 }), "time(3)", { kind: "time" }],
    ["DateTime", column(sql.TYPES.DateTime, { length: 8 }), "datetime", { kind: "timestamp" }],
    ["DateTime2", column(sql.TYPES.DateTime2, { scale: 7 }), "datetime2(7)", { kind: "timestamp" }],
    ["SmallDateTime", column(sql.TYPES.SmallDateTime, { length: 4 }), "smalldatetime", { kind: "timestamp" }],
    ["DateTimeOffset", column(sql.TYPES.DateTimeOffset, { scale: 7 }), "datetimeoffset(7)", { kind: "timestamptz" }],
    ["UniqueIdentifier", column(sql.TYPES.UniqueIdentifier, { length: 16 }), "uniqueidentifier", { kind: "uuid" }],
    ["Binary", column(sql.TYPES.Binary, { length: 8 }), "binary(8)", { kind: "binary" }],
    ["VarBinary(max)", column(sql.TYPES.VarBinary, { length: 65535 }), "varbinary(max)", { kind: "binary" }],
    ["Image", column(sql.TYPES.Image), "image", { kind: "binary" }],
    ["Geography", column(sql.TYPES.Geography, { udt: { name: "geography" } }), "geography", { kind: "binary" }],
    ["UDT hierarchyid", column(sql.TYPES.UDT, { udt: { name: "hierarchyid" } }), "hierarchyid", { kind: "binary" }],
    ["Variant", column(sql.TYPES.Variant), "sql_variant", { kind: "unknown" }],
  ])("%s", (_label, meta, spelling, expected) => {
    expect(mssqlTypeFromColumn(meta)).toBe(spelling);
    expect(portableFromMssqlColumn(meta)).toEqual(expected);
  });

  it("a column without type metadata is unknown", () => {
    expect(portableFromMssqlColumn({ name: "x" })).toEqual({ kind: "unknown" });
  });
});

describe("exact reads", () => {
  it("converts decimal, money and every date type to text on the server, and CLR types to bytes", () => {
    expect(mssqlReadExpression("[p]", "decimal(38,10)")).toBe("CONVERT(varchar(64), [p])");
    expect(mssqlReadExpression("[p]", "numeric(5,0)")).toBe("CONVERT(varchar(64), [p])");
    expect(mssqlReadExpression("[m]", "money")).toBe("CONVERT(varchar(64), [m], 2)");
    expect(mssqlReadExpression("[m]", "smallmoney")).toBe("CONVERT(varchar(64), [m], 2)");
    for (const type of ["date", "time(7)", "datetime", "datetime2(7)", "datetimeoffset(3)"]) {
      expect(mssqlReadExpression("[d]", type)).toBe("CONVERT(varchar(40), [d], 121)");
    }
    expect(mssqlReadExpression("[d]", "smalldatetime")).toBe("CONVERT(varchar(19), [d], 120)");
    expect(mssqlReadExpression("[g]", "geography")).toBe("CAST([g] AS varbinary(max))");
    expect(mssqlReadExpression("[h]", "hierarchyid")).toBe("CAST([h] AS varbinary(max))");
  });

  it("leaves exact driver values alone: integers, bigint (a string already), strings, binary, bit, uuid, float", () => {
    for (const type of ["int", "bigint", "nvarchar(10)", "varchar(max)", "varbinary(16)", "bit", "uniqueidentifier", "float", "real", "timestamp", "xml"]) {
      expect(mssqlReadExpression("[c]", type)).toBeUndefined();
    }
  });

  it("key parameters: varchar columns bind as varchar, datetime columns in the ISO form", () => {
    expect(mssqlKeyParameter("varchar(20)")).toBe("varchar");
    expect(mssqlKeyParameter("char(3)")).toBe("varchar");
    expect(mssqlKeyParameter("nvarchar(20)")).toBeUndefined();
    expect(mssqlKeyParameter("datetime")).toBe("iso-datetime");
    expect(mssqlKeyParameter("smalldatetime")).toBe("iso-datetime");
    expect(mssqlKeyParameter("datetime2(7)")).toBeUndefined();
    expect(mssqlKeyParameter("int")).toBeUndefined();
  });

  it("REAL values come back as the shortest decimal of the same 32-bit float", () => {
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(Math.fround(1 / 3))).toBe(0.33333334);
    expect(shortestFloat32(Math.fround(16777217))).toBe(16777216);
    expect(shortestFloat32(Math.fround(-2.5e-7))).toBe(-2.5e-7);
    expect(shortestFloat32(0)).toBe(0);
    expect(shortestFloat32(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    for (const x of [3.4028234663852886e38, 1.1754943508222875e-38, 123.456, 7e-45]) {
      const f = Math.fround(x);
      expect(Math.fround(shortestFloat32(f))).toBe(f);
    }
  });
});

describe("mssqlCatalogTables (rows of the sys.* queries)", () => {
  it("assembles tables, views, columns, keys, indexes and row estimates", () => {
    const tables = mssqlCatalogTables({
      tables: [
        { schema_name: "dbo", table_name: "Orders", object_type: "U ", estimated_rows: "1250000" },
        { schema_name: "dbo", table_name: "OrderLines", object_type: "U ", estimated_rows: "0" },
        { schema_name: "rpt", table_name: "OpenOrders", object_type: "V ", estimated_rows: null },
      ],
      columns: [
        { schema_name: "dbo", table_name: "Orders", column_name: "Id", type_name: "int", max_length: 4, precision: 10, scale: 0, is_nullable: false, is_identity: true, is_computed: false, default_definition: null },
        { schema_name: "dbo", table_name: "Orders", column_name: "Total", type_name: "decimal", max_length: 9, precision: 12, scale: 2, is_nullable: true, is_identity: false, is_computed: false, default_definition: "((0))" },
        { schema_name: "dbo", table_name: "Orders", column_name: "Ver", type_name: "timestamp", max_length: 8, precision: 0, scale: 0, is_nullable: false, is_identity: false, is_computed: false, default_definition: null },
        { schema_name: "dbo", table_name: "OrderLines", column_name: "OrderId", type_name: "int", max_length: 4, precision: 10, scale: 0, is_nullable: false, is_identity: false, is_computed: false, default_definition: null },
        { schema_name: "dbo", table_name: "OrderLines", column_name: "LineNo", type_name: "smallint", max_length: 2, precision: 5, scale: 0, is_nullable: false, is_identity: false, is_computed: false, default_definition: null },
        { schema_name: "rpt", table_name: "OpenOrders", column_name: "Note", type_name: "nvarchar", max_length: -1, precision: 0, scale: 0, is_nullable: true, is_identity: false, is_computed: false, default_definition: null },
      ],
      indexes: [
        { schema_name: "dbo", table_name: "OrderLines", index_name: "PK_OrderLines", is_primary_key: true, is_unique: true, column_name: "OrderId" },
        { schema_name: "dbo", table_name: "OrderLines", index_name: "PK_OrderLines", is_primary_key: true, is_unique: true, column_name: "LineNo" },
        { schema_name: "dbo", table_name: "Orders", index_name: "IX_Orders_Total", is_primary_key: false, is_unique: false, column_name: "Total" },
        { schema_name: "dbo", table_name: "Orders", index_name: "PK_Orders", is_primary_key: true, is_unique: true, column_name: "Id" },
      ],
      foreignKeys: [
        { schema_name: "dbo", table_name: "OrderLines", constraint_name: "FK_Lines_Orders", column_name: "OrderId", referenced_schema: "dbo", referenced_table: "Orders", referenced_column: "Id" },
      ],
    });
    expect(tables.map((t) => [t.schema, t.name, t.kind, t.estimatedRows])).toEqual([
      ["dbo", "Orders", "table", 1250000], ["dbo", "OrderLines", "table", 0], ["rpt", "OpenOrders", "view", null],
    ]);
    const [orders, lines, view] = tables;
    expect(orders.columns).toEqual([
      { name: "Id", nativeType: "int", type: { kind: "integer" }, nullable: false, default: null, generated: true, identity: true },
      { name: "Total", nativeType: "decimal(12,2)", type: { kind: "decimal", precision: 12, scale: 2 }, nullable: true, default: "((0))", generated: false },
      { name: "Ver", nativeType: "timestamp", type: { kind: "binary" }, nullable: false, default: null, generated: true },
    ]);
    expect(orders.primaryKey).toEqual(["Id"]);
    expect(orders.indexes).toEqual([{ name: "IX_Orders_Total", columns: ["Total"], unique: false }, { name: "PK_Orders", columns: ["Id"], unique: true }]);
    expect(lines.primaryKey).toEqual(["OrderId", "LineNo"]);
    expect(lines.foreignKeys).toEqual([{ name: "FK_Lines_Orders", columns: ["OrderId"], referencedTable: { schema: "dbo", name: "Orders" }, referencedColumns: ["Id"] }]);
    expect(view.columns[0]).toMatchObject({ name: "Note", nativeType: "nvarchar(max)", type: { kind: "text" } });
  });
});
