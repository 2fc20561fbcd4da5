import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { fromParts, jsonToParts, toParts } from "../../src/spool/blob.ts";
import { realisticEvents } from "../fixtures/events.ts";

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
