/**
 * The value-fidelity data set shared by the MariaDB → PostgreSQL and PostgreSQL → PostgreSQL suites:
 * the awkward values the foundation issue lists, in both dialects' DDL.
 */

export const FIDELITY_COLUMNS = ["id", "label", "body", "amount", "big_amount", "big_int", "happened", "day", "payload", "flag", "ratio"] as const;

/** One row, in column order: ids and big numbers as text (exact), binary as Buffer, flag as 0/1. */
export type FidelityRow = [string, string | null, string | null, string | null, string | null, string | null, string | null, string | null, Buffer | null, 0 | 1 | null, number | null];

export const MARIADB_FIDELITY_DDL = (table: string) => `CREATE TABLE \`${table}\` (
  id BIGINT NOT NULL PRIMARY KEY,
  label VARCHAR(100) NULL,
  body TEXT NULL,
  amount DECIMAL(10,2) NULL,
  big_amount DECIMAL(38,10) NULL,
  big_int BIGINT NULL,
  happened DATETIME(6) NULL,
  day DATE NULL,
  payload VARBINARY(64) NULL,
  flag TINYINT(1) NULL,
  ratio DOUBLE NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`;

export const POSTGRES_FIDELITY_DDL = (table: string) => `CREATE TABLE "${table}" (
  id bigint NOT NULL PRIMARY KEY,
  label varchar(100) NULL,
  body text NULL,
  amount numeric(10,2) NULL,
  big_amount numeric(38,10) NULL,
  big_int bigint NULL,
  happened timestamp(6) NULL,
  day date NULL,
  payload bytea NULL,
  flag boolean NULL,
  ratio double precision NULL
)`;

/** Hand-picked edge cases, then generated rows so the table spans several batches. */
export function fidelityRows(generated = 240): FidelityRow[] {
  const rows: FidelityRow[] = [
    // Empty string, empty binary, zeros.
    ["1", "", null, "0.00", "0.0000000000", "0", "2024-01-01 00:00:00", "2024-01-01", Buffer.alloc(0), 0, 0],
    // NULL everywhere except an empty body: NULL and '' must stay apart.
    ["2", null, "", null, null, null, null, null, null, null, null],
    // The texts NULL and \N (COPY's null marker) are values, not NULL.
    ["3", "NULL", "\\N", "-0.01", "-0.0000000001", "-1", "2000-02-29 23:59:59.999999", "2000-02-29", Buffer.from("NULL"), 1, -0.5],
    // Control characters and backslashes.
    ["4", "tab\there", "line1\nline2\r\nline3\rend \\ back\\slash \\\\ double \\t not-a-tab \\N", "12345678.90", "1234567890123456789012345678.0123456789", "9007199254740993",
      // 02:30 on 2024-03-10 does not exist in America/New_York (DST gap): a TZ shift would show.
      "2024-03-10 02:30:00", "2024-03-10", Buffer.from([0x00, 0xff, 0x10, 0x5c, 0x09, 0x0a, 0x0d]), 1, 0.1],
    // Non-ASCII: accents, CJK, emoji (4-byte UTF-8, ZWJ sequences).
    ["5", "Ünïcödé — Grüße ½ ñ", "日本語のテキスト 🚀 emoji 👩‍👩‍👧 中文 한국어 Ελληνικά", "-99999999.99", "99999999999999999999999999.9999999999", "-9223372036854775808",
      // 01:30 on 2024-11-03 happens twice in America/New_York.
      "2024-11-03 01:30:00.5", "1999-12-31", Buffer.from("€😀", "utf8"), 0, -1.5e300],
    ["6", "  spaces  ", " ", "99999999.99", "-99999999999999999999999999.9999999999", "9223372036854775807", "1970-01-01 00:00:00.000001", "1970-01-01", Buffer.from([0]), 0, 1e-300],
    // A key beyond 2^53 (keyset paging must bind it exactly).
    ["9223372036854775807", "max key", "last row", "1.10", "2.5", "9007199254740992", "9999-12-31 23:59:59.999999", "9999-12-31", Buffer.from("ff", "hex"), 1, 123456.789],
  ];
  const names = ["Müller", "Señor", "Øre", "東京", "Zoë 🚀", "O'Brien", 'say "hi"'];
  for (let i = 0; i < generated; i++) {
    const id = 1000 + i;
    rows.push([
      String(id),
      i % 13 === 0 ? null : `${names[i % names.length]} ${i}`,
      i % 7 === 0 ? null : i % 7 === 1 ? "" : `row ${i}\tcol\nline \\ ${names[(i * 3) % names.length]}`,
      `${(i * 37) % 100000}.${String(i % 100).padStart(2, "0")}`,
      `${i}.${String(i * 7919).padStart(10, "0").slice(0, 10)}`,
      (9007199254740993n + BigInt(i) * 1000003n).toString(),
      `20${String(10 + (i % 15)).padStart(2, "0")}-0${1 + (i % 9)}-1${i % 10} 1${i % 10}:${String(i % 60).padStart(2, "0")}:0${i % 10}${i % 3 === 0 ? `.${i % 1000}` : ""}`,
      `20${String(10 + (i % 15)).padStart(2, "0")}-1${i % 3}-0${1 + (i % 9)}`,
      i % 5 === 0 ? null : Buffer.from([i % 256, (i * 7) % 256, 0]),
      i % 4 === 0 ? null : ((i % 2) as 0 | 1),
      i % 6 === 0 ? null : i / 8,
    ]);
  }
  return rows;
}

/** Composite-key rows: regions with non-ASCII names × sequence numbers. */
export function pairRows(perRegion = 100): [string, number, string | null][] {
  const regions = ["abc", "ábc", "Zürich", "東京"];
  return regions.flatMap((region) => Array.from({ length: perRegion }, (_, seq) => [region, seq, seq % 9 === 0 ? null : `${region}#${seq}\t✓`] as [string, number, string | null]));
}
