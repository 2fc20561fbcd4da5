/**
 * mapRow() on what SQLite's loose typing can hand it: numbers in text
 * columns, big integers, JSON that is not an object. And the timestamps
 * Python stores with `%z` offsets (no colon).
 */
import assert from "node:assert/strict";
import { mapRow } from "../../../../src/runtime/deno/audit_db/map_row.ts";
import type { SqlValue } from "../../../../src/runtime/deno/audit_db/reader.ts";
import {
  type TableName,
  TABLES,
} from "../../../../src/runtime/deno/audit_db/tables.ts";
import { readStoredTimestamp } from "../../../../src/runtime/deno/audit_db/timestamp.ts";

const INSTANT = readStoredTimestamp("2026-11-30 12:00:00.123456")!;

function row(table: TableName, values: Record<string, SqlValue>): SqlValue[] {
  const spec = TABLES.find((t) => t.name === table)!;
  return spec.columns.map((column) => values[column] ?? null);
}

Deno.test("mapRow() takes numbers stored in text columns as their text, and a big integer duration as a number", () => {
  const mapped = mapRow(
    "audit_events",
    row("audit_events", {
      event_id: 1001,
      correlation_id: 42,
      timestamp: "2026-11-30 12:00:00.123456",
      event_type: "request",
      actor: 7,
      action: "read",
      metadata: '{"a":1}',
      duration_ms: 15n,
      status: 200,
    }),
    INSTANT,
  );
  assert.ok("event" in mapped, JSON.stringify(mapped));
  assert.deepEqual(mapped.event, {
    event_id: "1001",
    correlation_id: "42",
    timestamp: "2026-11-30T12:00:00.123Z",
    event_type: "request",
    actor: "7",
    action: "read",
    metadata: { a: 1 },
    duration_ms: 15,
    status: "200",
  });
});

Deno.test("mapRow() refuses metadata that is JSON but not an object, saying so", () => {
  for (const metadata of ["[1,2]", "5", '"text"']) {
    const mapped = mapRow(
      "audit_events",
      row("audit_events", {
        event_id: "e",
        correlation_id: "c",
        timestamp: "2026-11-30 12:00:00",
        event_type: "request",
        actor: "a",
        action: "b",
        metadata,
        status: "s",
      }),
      INSTANT,
    );
    assert.deepEqual(mapped, {
      refused: "column metadata is not a JSON object",
    }, metadata);
  }
});

Deno.test("readStoredTimestamp() reads an offset written without a colon, as Python's %z writes it", () => {
  assert.equal(
    readStoredTimestamp("2026-11-30 13:30:00+0130")?.iso,
    "2026-11-30T12:00:00.000Z",
  );
  assert.equal(
    readStoredTimestamp("2026-11-30T07:00:00.5-0500")?.iso,
    "2026-11-30T12:00:00.500Z",
  );
});
