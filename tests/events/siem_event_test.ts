import assert from "node:assert/strict";
import {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  type AuditEventType,
  parseAuditEvent,
} from "../../src/events/audit_event.ts";
import {
  DEFAULT_SOURCE,
  severityOf,
  toSIEMEvent,
} from "../../src/events/siem_event.ts";

const SIEM_EVENT_KEYS = [
  "event_id",
  "correlation_id",
  "session_id",
  "timestamp",
  "event_type",
  "actor",
  "tool_name",
  "action",
  "metadata",
  "duration_ms",
  "status",
  "error_message",
  "source",
  "severity",
];

function auditEvent(
  eventType: AuditEventType,
  status: string,
): AuditEvent {
  return parseAuditEvent({
    correlation_id: "req-1",
    event_type: eventType,
    actor: "agent-7",
    action: "act",
    status,
  });
}

Deno.test("toSIEMEvent() gives an error event the error severity", () => {
  assert.equal(toSIEMEvent(auditEvent("error", "success")).severity, "error");
  assert.equal(toSIEMEvent(auditEvent("error", "error")).severity, "error");
  assert.equal(toSIEMEvent(auditEvent("error", "pending")).severity, "error");
});

Deno.test("toSIEMEvent() gives the error severity to any event whose status is error", () => {
  for (const type of AUDIT_EVENT_TYPES) {
    assert.equal(
      toSIEMEvent(auditEvent(type, "error")).severity,
      "error",
      type,
    );
  }
});

Deno.test("toSIEMEvent() gives a successful security decision the warning severity", () => {
  assert.equal(
    toSIEMEvent(auditEvent("security_decision", "success")).severity,
    "warning",
  );
  assert.equal(
    toSIEMEvent(auditEvent("security_decision", "pending")).severity,
    "warning",
  );
});

Deno.test("toSIEMEvent() gives a failed security decision the error severity", () => {
  assert.equal(
    toSIEMEvent(auditEvent("security_decision", "error")).severity,
    "error",
  );
});

Deno.test("toSIEMEvent() gives requests, responses and tool calls the info severity", () => {
  for (const type of ["request", "response", "tool_call"] as const) {
    for (const status of ["success", "pending", "denied"]) {
      assert.equal(
        toSIEMEvent(auditEvent(type, status)).severity,
        "info",
        `${type}/${status}`,
      );
    }
  }
});

Deno.test("severityOf() follows the severity rules", () => {
  assert.equal(severityOf({ event_type: "error", status: "success" }), "error");
  assert.equal(severityOf({ event_type: "request", status: "error" }), "error");
  assert.equal(
    severityOf({ event_type: "tool_call", status: "error" }),
    "error",
  );
  assert.equal(
    severityOf({ event_type: "security_decision", status: "success" }),
    "warning",
  );
  assert.equal(
    severityOf({ event_type: "security_decision", status: "error" }),
    "error",
  );
  assert.equal(
    severityOf({ event_type: "request", status: "success" }),
    "info",
  );
  assert.equal(
    severityOf({ event_type: "response", status: "success" }),
    "info",
  );
  assert.equal(
    severityOf({ event_type: "tool_call", status: "success" }),
    "info",
  );
});

Deno.test("toSIEMEvent() writes the source harombe by default", () => {
  assert.equal(DEFAULT_SOURCE, "harombe");
  assert.equal(toSIEMEvent(auditEvent("request", "success")).source, "harombe");
  assert.equal(
    toSIEMEvent(auditEvent("request", "success"), {}).source,
    "harombe",
  );
});

Deno.test("toSIEMEvent() writes the source given as option", () => {
  assert.equal(
    toSIEMEvent(auditEvent("request", "success"), { source: "gateway-2" })
      .source,
    "gateway-2",
  );
});

Deno.test("toSIEMEvent() copies every field in the order of SIEMEvent", () => {
  const event = parseAuditEvent({
    event_id: "evt-1",
    correlation_id: "req-1",
    session_id: "sess-1",
    timestamp: "2026-01-31T12:00:00.000Z",
    event_type: "tool_call",
    actor: "agent-7",
    tool_name: "fs",
    action: "read_file",
    metadata: { path: "/etc/hosts" },
    duration_ms: 15,
    status: "success",
    error_message: "none",
  });
  const siemEvent = toSIEMEvent(event);
  assert.deepEqual(Object.keys(siemEvent), SIEM_EVENT_KEYS);
  assert.deepEqual(siemEvent, {
    event_id: "evt-1",
    correlation_id: "req-1",
    session_id: "sess-1",
    timestamp: "2026-01-31T12:00:00.000Z",
    event_type: "tool_call",
    actor: "agent-7",
    tool_name: "fs",
    action: "read_file",
    metadata: { path: "/etc/hosts" },
    duration_ms: 15,
    status: "success",
    error_message: "none",
    source: "harombe",
    severity: "info",
  });
});

Deno.test("toSIEMEvent() keeps the key order whatever the order of the audit event", () => {
  const event: AuditEvent = {
    status: "success",
    metadata: {},
    action: "a",
    actor: "b",
    event_type: "request",
    timestamp: "2026-01-31T12:00:00.000Z",
    correlation_id: "c",
    event_id: "d",
  };
  assert.deepEqual(Object.keys(toSIEMEvent(event)), SIEM_EVENT_KEYS);
  assert.equal(
    JSON.stringify(toSIEMEvent(event)),
    '{"event_id":"d","correlation_id":"c","timestamp":"2026-01-31T12:00:00.000Z","event_type":"request","actor":"b","action":"a","metadata":{},"status":"success","source":"harombe","severity":"info"}',
  );
});

Deno.test("toSIEMEvent() keeps a canonical timestamp", () => {
  const event = auditEvent("request", "success");
  assert.equal(toSIEMEvent(event).timestamp, event.timestamp);
  const handBuilt: AuditEvent = {
    ...event,
    timestamp: "2026-01-31T12:00:00.999Z",
  };
  assert.equal(toSIEMEvent(handBuilt).timestamp, "2026-01-31T12:00:00.999Z");
});

Deno.test("toSIEMEvent() normalizes a timestamp with an offset", () => {
  const event: AuditEvent = {
    ...auditEvent("request", "success"),
    timestamp: "2026-01-31T12:00:00+01:00",
  };
  assert.equal(toSIEMEvent(event).timestamp, "2026-01-31T11:00:00.000Z");
});

Deno.test("toSIEMEvent() normalizes a timestamp without offset as UTC", () => {
  const event: AuditEvent = {
    ...auditEvent("request", "success"),
    timestamp: "2026-01-31T12:00:00",
  };
  assert.equal(toSIEMEvent(event).timestamp, "2026-01-31T12:00:00.000Z");
});

Deno.test("toSIEMEvent() shares metadata rather than copying it", () => {
  const metadata = { nested: { a: 1 } };
  const event = parseAuditEvent({
    correlation_id: "req-1",
    event_type: "request",
    actor: "agent-7",
    action: "act",
    status: "success",
    metadata,
  });
  const siemEvent = toSIEMEvent(event);
  assert.equal(siemEvent.metadata, metadata);
  assert.equal(siemEvent.metadata.nested, metadata.nested);
});

Deno.test("toSIEMEvent() leaves the audit event unchanged", () => {
  const event: AuditEvent = {
    ...auditEvent("security_decision", "success"),
    timestamp: "2026-01-31T12:00:00+01:00",
  };
  const before = structuredClone(event);
  toSIEMEvent(event, { source: "x" });
  assert.deepEqual(event, before);
  assert.ok(!("severity" in event));
});

Deno.test("toSIEMEvent() gives JSON without the absent optional fields", () => {
  const event = parseAuditEvent({
    event_id: "evt-1",
    correlation_id: "req-1",
    timestamp: "2026-01-31T12:00:00.000Z",
    event_type: "request",
    actor: "agent-7",
    action: "act",
    status: "success",
  });
  const json = JSON.parse(JSON.stringify(toSIEMEvent(event)));
  for (
    const key of ["session_id", "tool_name", "duration_ms", "error_message"]
  ) {
    assert.ok(!(key in json), `${key} should be absent from the JSON`);
  }
  assert.deepEqual(Object.keys(json), [
    "event_id",
    "correlation_id",
    "timestamp",
    "event_type",
    "actor",
    "action",
    "metadata",
    "status",
    "source",
    "severity",
  ]);
});

Deno.test("toSIEMEvent() keeps a duration_ms of 0 in the JSON", () => {
  const event: AuditEvent = {
    ...auditEvent("response", "success"),
    duration_ms: 0,
  };
  assert.equal(JSON.parse(JSON.stringify(toSIEMEvent(event))).duration_ms, 0);
});
