import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../../src/events/siem_event.ts";
import {
  fromParts,
  jsonToParts,
  PART_BYTES,
  toParts,
} from "../../src/spool/blob.ts";
import { realisticEvents } from "../fixtures/events.ts";

function event(metadata: Record<string, unknown>): SIEMEvent {
  return toSIEMEvent(parseAuditEvent({
    event_id: "e-1",
    correlation_id: "c",
    event_type: "request",
    actor: "a",
    action: "x",
    status: "success",
    timestamp: "2026-11-30T12:00:00.123Z",
    metadata,
  }));
}

Deno.test("fromParts() reads back a group cut into several parts", () => {
  const group = { at: 1, events: [event({ big: "x".repeat(PART_BYTES * 2) })] };
  const parts = toParts(group);
  assert.equal(parts.length, 3);
  assert.deepEqual(fromParts(parts), JSON.parse(JSON.stringify(group)));
});

// A group read back from the spool must hold the keys it was written with,
// even after a group with a key "\" after the same keys was read: Deno
// 2.9.6's JSON.parse would then return "\" for "\u0000"
// (src/events/json_text.ts).
Deno.test("fromParts() keeps an escaped metadata key that Deno 2.9.6's JSON.parse turns into another key", () => {
  fromParts(toParts({ at: 1, events: [event({ a: 0, "\\": 0 })] }));
  for (const key of ["\u0000", "\n", '"']) {
    const group = fromParts(
      toParts({ at: 2, events: [event({ a: 0, [key]: 1 })] }),
    );
    assert.deepEqual(
      Object.keys(group.events[0]!.metadata),
      ["a", key],
      JSON.stringify(key),
    );
  }
});

Deno.test("jsonToParts writes the bytes toParts writes, from the events' JSON", () => {
  const events = realisticEvents(400, 5).map((e) =>
    toSIEMEvent(parseAuditEvent(e))
  );
  events[3]!.metadata = {
    text: 'ünïcødé ✓ 🎉 \u2028 "quoted" \\',
    long: "x".repeat(70_000),
  };
  const at = 1_796_040_000_123;
  const expected = toParts({ at, events });
  const actual = jsonToParts(at, events.map((e) => JSON.stringify(e)));
  assert.ok(expected.length > 2, "several parts");
  assert.deepEqual(actual, expected);
  assert.deepEqual(
    fromParts(actual),
    JSON.parse(JSON.stringify({ at, events })),
  );
});
