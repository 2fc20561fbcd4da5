import assert from "node:assert/strict";
import { readStoredTimestamp } from "../../../../src/runtime/deno/audit_db/timestamp.ts";

Deno.test("readStoredTimestamp reads what Python stores: naive is UTC, offsets honoured, microseconds kept for order", () => {
  const cases: [string, string, number][] = [
    ["2026-11-30 12:00:00.123456", "2026-11-30T12:00:00.123Z", 123456],
    ["2026-11-30T12:00:00.123456", "2026-11-30T12:00:00.123Z", 123456],
    ["2026-11-30 12:00:00", "2026-11-30T12:00:00.000Z", 0],
    ["2026-11-30 12:00:00.5", "2026-11-30T12:00:00.500Z", 500000],
    ["2026-11-30 13:00:00.000007+01:00", "2026-11-30T12:00:00.000Z", 7],
    ["2026-11-30T06:30:00-05:30", "2026-11-30T12:00:00.000Z", 0],
    ["2026-11-30T12:00:00Z", "2026-11-30T12:00:00.000Z", 0],
    ["2024-02-29 23:59:59.999999", "2024-02-29T23:59:59.999Z", 999999],
  ];
  for (const [stored, iso, micros] of cases) {
    const read = readStoredTimestamp(stored);
    assert.equal(read?.iso, iso, stored);
    assert.equal(read!.micros % 1_000_000, micros, stored);
    assert.equal(Math.floor(read!.micros / 1000), Date.parse(iso), stored);
  }
});

Deno.test("readStoredTimestamp refuses what is no instant between 1970 and 9999", () => {
  for (
    const value of [
      "yesterday",
      "2026-02-30 12:00:00",
      "2026-11-30 24:00:00",
      "2026-11-30 12:60:00",
      // Second 60 (a leap second) is no instant Date or Python can hold.
      "2026-11-30 12:00:60",
      "2026-11-30 12:00:60+01:00",
      "0075-01-01 00:00:00",
      "1969-12-31 23:59:59",
      "2026-11-30 12:00:00+25:00",
      1796040000,
      null,
    ]
  ) {
    assert.equal(readStoredTimestamp(value), undefined, String(value));
  }
});
