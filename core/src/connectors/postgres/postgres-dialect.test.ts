import { describe, expect, it } from "vitest";
import { postgresCopyTextRow } from "./postgres-dialect.js";

describe("postgresCopyTextRow (COPY text rendered by the server)", () => {
  it("renders every column through its text output, escaped, NULL as \\N, joined by tabs", () => {
    const sql = postgresCopyTextRow([{ name: "id" }, { name: "Payload" }])!;
    expect(sql.startsWith("concat_ws(chr(9), coalesce(replace(replace(replace(replace(\"id\"::text, chr(92), chr(92) || chr(92)), chr(9), chr(92) || 't'), chr(10), chr(92) || 'n'), chr(13), chr(92) || 'r'), chr(92) || 'N')")).toBe(true);
    expect(sql).toContain("\"Payload\"::text");
    expect(sql).not.toContain("\\"); // no backslash in a literal: standard_conforming_strings cannot change its meaning
  });

  it("quotes identifiers and has nothing to render for no columns", () => {
    expect(postgresCopyTextRow([{ name: 'we"ird' }])).toContain('"we""ird"::text');
    expect(postgresCopyTextRow([])).toBeUndefined();
  });
});
