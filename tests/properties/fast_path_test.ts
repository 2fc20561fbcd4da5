/**
 * The hand-checked fast path of AuditEventSchema must give exactly the zod
 * schema's answer: same success, same output (defaults aside).
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.11.0";
import {
  AuditEventSchema,
  ZodAuditEvent,
} from "../../src/events/audit_event.ts";
import { invalidAuditEvent, validAuditEvent } from "./_audit_arbitraries.ts";
import { fcParams } from "./_fc_params.ts";

// Defaults (a random event_id, the current time) differ between two parses:
// compare the rest.
function comparable(data: Record<string, unknown>, input: unknown): unknown {
  const given = input as Record<string, unknown>;
  const copy = { ...data };
  if (given.event_id === undefined) delete copy.event_id;
  if (given.timestamp === undefined) delete copy.timestamp;
  return copy;
}

function agree(input: unknown): void {
  const ours = AuditEventSchema.safeParse(input);
  const zods = ZodAuditEvent.safeParse(input);
  assert.equal(ours.success, zods.success, fc.stringify(input));
  if (ours.success && zods.success) {
    assert.deepStrictEqual(
      comparable(ours.data as unknown as Record<string, unknown>, input),
      comparable(zods.data as unknown as Record<string, unknown>, input),
    );
    assert.deepStrictEqual(Object.keys(ours.data), Object.keys(zods.data));
  }
}

Deno.test("AuditEventSchema agrees with the zod schema on valid events", () => {
  fc.assert(
    fc.property(validAuditEvent(), ({ input }) => agree(input)),
    fcParams(300),
  );
});

Deno.test("AuditEventSchema agrees with the zod schema on invalid events and any value", () => {
  fc.assert(
    fc.property(
      fc.oneof(invalidAuditEvent().map((c) => c.input), fc.anything()),
      (input) => agree(input),
    ),
    fcParams(300),
  );
});

Deno.test("AuditEventSchema agrees with the zod schema on the timestamp edge cases", () => {
  const base = {
    correlation_id: "c",
    event_type: "request",
    actor: "a",
    action: "x",
    status: "success",
  };
  for (
    const timestamp of [
      "2026-01-31T12:00:00Z",
      "2026-01-31T12:00:00.1Z",
      "2026-01-31T12:00:00.12Z",
      "2026-01-31T12:00:00.123Z",
      "2026-01-31T12:00:00.123456789Z",
      "2026-01-31T12:00:00.1234567890Z",
      "2024-02-29T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2100-02-29T00:00:00Z",
      "2000-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-01-31T24:00:00Z",
      "2026-01-31T23:60:00Z",
      "2026-01-31T23:59:60Z",
      "1969-12-31T23:59:59.999Z",
      "1970-01-01T00:00:00.000Z",
      "9999-12-31T23:59:59.999Z",
      "2026-01-31t12:00:00z",
      "2026-01-31T12:00Z",
      "2026-01-31T12:00:00+01:00",
      "2026-01-31T12:00:00",
      "2026-11-30T12:00:00.123456",
      "2026-11-30T12:00:00.123456+00:00",
      "2026-11-30T12:00:00.123456-00:00",
      "2026-11-30T17:30:00.123456+05:30",
      "2026-12-31T20:30:00.0005-08:00",
      "2026-01-31T12:00:00+23:59",
      "2026-01-31T12:00:00-23:59",
      "2026-01-31T12:00:00+24:00",
      "2026-01-31T12:00:00+05:60",
      "2026-01-31T12:00:00+0530",
      "2026-01-31T12:00:00+05",
      "1970-01-01T05:29:59.999+05:30",
      "1970-01-01T05:30:00+05:30",
      "9999-12-31T23:59:59.999999",
      "9999-12-31T23:59:59-00:01",
      "9999-12-31T23:59:59+00:01",
    ]
  ) {
    agree({ ...base, timestamp });
  }
  agree({ ...base, metadata: null });
  agree({
    ...base,
    session_id: null,
    tool_name: null,
    duration_ms: null,
    error_message: null,
  });
  agree({ ...base, source: "audit-logger", severity: "warning" });
  agree({ ...base, source: null, severity: null });
  agree({ ...base, severity: "critical" });
  agree({ ...base, source: 1 });
  agree({ ...base, event_id: null });
  agree({ ...base, timestamp: null });
  agree({ ...base, metadata: [] });
  agree({ ...base, duration_ms: -0 });
  agree({ ...base, duration_ms: 2 ** 53 });
  agree({ ...base, session_id: undefined, tool_name: undefined });
  agree({ ...base, event_id: "é".repeat(256) });
  agree({ ...base, event_id: "é".repeat(257) });
  agree(Object.assign(Object.create(null), base));
});
