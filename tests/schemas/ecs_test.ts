/**
 * The ECS mapping: the document of each event type and status, and each
 * checked against the ECS definitions of the `@elastic/ecs` package.
 */
import assert from "node:assert/strict";
import { ECS_VERSION, toECS } from "../../src/schemas/ecs.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { ecsProblems, PACKAGE_ECS_VERSION } from "./_ecs_check.ts";
import { eventTable } from "./_events.ts";

// event_type/status → [event.type, event.outcome]
const EXPECTED: Record<string, [string, string]> = {
  "request/success": ["start", "success"],
  "request/error": ["start", "failure"],
  "request/allowed": ["start", "success"],
  "request/denied": ["start", "failure"],
  "request/pending": ["start", "unknown"],
  "response/success": ["end", "success"],
  "response/error": ["end", "failure"],
  "response/allowed": ["end", "success"],
  "response/denied": ["end", "failure"],
  "response/pending": ["end", "unknown"],
  "error/success": ["info", "failure"],
  "error/error": ["info", "failure"],
  "error/allowed": ["info", "failure"],
  "error/denied": ["info", "failure"],
  "error/pending": ["info", "failure"],
  "security_decision/success": ["allowed", "success"],
  "security_decision/error": ["denied", "failure"],
  "security_decision/allowed": ["allowed", "success"],
  "security_decision/denied": ["denied", "failure"],
  "security_decision/pending": ["info", "unknown"],
  "tool_call/success": ["access", "success"],
  "tool_call/error": ["access", "failure"],
  "tool_call/allowed": ["access", "success"],
  "tool_call/denied": ["access", "failure"],
  "tool_call/pending": ["access", "unknown"],
};

for (const { name, event } of eventTable()) {
  Deno.test(`toECS(): ${name} gives its type and outcome, within ECS`, () => {
    const doc = toECS(event);
    const [type, outcome] = EXPECTED[name]!;
    assert.deepEqual(doc.event.type, [type]);
    assert.equal(doc.event.outcome, outcome);
    assert.equal(doc.event.kind, "event");
    assert.deepEqual(doc.event.category, ["api"]);
    assert.equal(doc.event.code, event.event_type);
    assert.equal(doc.labels.status, event.status);
    assert.deepEqual(
      ecsProblems(doc as unknown as Record<string, unknown>),
      [],
    );
  });
}

Deno.test("toECS(): a security decision, field by field", () => {
  const event =
    eventTable().find((c) => c.name === "security_decision/denied")!.event;
  assert.deepEqual(toECS(event), {
    "@timestamp": "2026-01-31T12:00:00.123Z",
    ecs: { version: ECS_VERSION },
    event: {
      kind: "event",
      category: ["api"],
      type: ["denied"],
      code: "security_decision",
      action: "delete_file",
      outcome: "failure",
      id: "evt-security_decision-denied",
      provider: "harombe",
      duration: 12_000_000,
    },
    log: { level: "warning" },
    user: { name: "agent-7" },
    gen_ai: { tool: { name: "shell" } },
    trace: { id: "4bf92f3577b34da6a3ce929d0e0e4736" },
    labels: {
      correlation_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      session_id: "sess-7",
      status: "denied",
    },
    harombe: { metadata: { rule: "no-rm", depth: { n: 1 } } },
  });
});

Deno.test("toECS(): the ECS version written is the package's", () => {
  assert.equal(ECS_VERSION, PACKAGE_ECS_VERSION);
});

Deno.test("toECS(): a correlation id that is no W3C trace id stays a label only", () => {
  const doc = toECS(toSIEMEvent(parseAuditEvent({
    correlation_id: "req-1",
    event_type: "request",
    actor: "a",
    action: "x",
    status: "success",
  })));
  assert.equal(doc.trace, undefined);
  assert.equal(doc.labels.correlation_id, "req-1");
  assert.equal(doc.event.duration, undefined);
  assert.equal(doc.gen_ai, undefined);
  assert.equal(doc.error, undefined);
});

Deno.test("toECS(): a duration whose nanoseconds a double cannot hold keeps its milliseconds", () => {
  const doc = toECS(toSIEMEvent(parseAuditEvent({
    correlation_id: "req-1",
    event_type: "request",
    actor: "a",
    action: "x",
    status: "success",
    duration_ms: Number.MAX_SAFE_INTEGER,
  })));
  assert.equal(doc.event.duration, undefined);
  assert.equal(doc.harombe.duration_ms, Number.MAX_SAFE_INTEGER);
});

Deno.test("ecsProblems(): the check refuses what ECS refuses", () => {
  const doc = toECS(eventTable()[0]!.event) as unknown as Record<
    string,
    Record<string, unknown>
  >;
  const broken = structuredClone(doc);
  broken.event!.type = ["denied"]; // allowed alone, but not with…
  broken.event!.category = ["file"]; // …file, which expects no "denied"
  broken.event!.outcome = "ok";
  broken.event!.duration = "12";
  broken.user!.id_of_nobody = "x";
  const problems = ecsProblems(broken).join("\n");
  assert.match(problems, /event\.outcome takes "ok", not allowed/);
  assert.match(problems, /event\.duration is not a whole number/);
  assert.match(problems, /user\.id_of_nobody is not an ECS field/);
  assert.match(
    problems,
    /event\.type denied is not expected with event\.category file/,
  );
});

Deno.test("toECS(): a stamped event's producer is the keyword label labels.producer, within ECS; an unstamped one has none", () => {
  const input = {
    correlation_id: "req-1",
    event_type: "request",
    actor: "a",
    action: "x",
    status: "success",
    metadata: { producer: "claimed" },
  } as const;
  const stamped = toECS(
    toSIEMEvent(parseAuditEvent(input), { producer: "billing" }),
  );
  assert.equal(stamped.labels.producer, "billing");
  assert.deepEqual(stamped.harombe.metadata, { producer: "claimed" });
  assert.deepEqual(
    ecsProblems(stamped as unknown as Record<string, unknown>),
    [],
  );
  const plain = toECS(toSIEMEvent(parseAuditEvent(input)));
  assert.equal("producer" in plain.labels, false);
});

Deno.test("toECS(): original_timestamp is kept under harombe; absent without one", () => {
  const [first] = eventTable();
  const doc = toECS({
    ...first!.event,
    original_timestamp: "2026-01-01T00:00:00.000Z",
  });
  assert.equal(doc.harombe.original_timestamp, "2026-01-01T00:00:00.000Z");
  assert.equal(doc["@timestamp"], first!.event.timestamp);
  assert.equal("original_timestamp" in toECS(first!.event).harombe, false);
});

Deno.test("toECS(): event.duration in ns up to the exact limit; one ms more keeps the exact ms under harombe", () => {
  const [first] = eventTable();
  const at = (duration_ms: number) => toECS({ ...first!.event, duration_ms });
  assert.equal(at(576_460_752_303).event.duration, 576_460_752_303_000_000);
  assert.equal(at(576_460_752_303).harombe.duration_ms, undefined);
  const long = at(576_460_752_304);
  assert.equal(long.event.duration, undefined);
  assert.equal(long.harombe.duration_ms, 576_460_752_304);
  assert.equal(at(0).event.duration, 0);
});
