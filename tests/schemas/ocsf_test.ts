/**
 * The OCSF mapping: the event of each event type and status, each checked
 * against the published OCSF 1.8.0 API Activity class.
 */
import assert from "node:assert/strict";
import { OCSF_VERSION, toOCSF } from "../../src/schemas/ocsf.ts";
import { OCSF_SOURCE, ocsfProblems } from "./_ocsf_check.ts";
import { eventTable } from "./_events.ts";

// event_type/status → [status_id, action_id (decisions only), severity_id]
const EXPECTED: Record<string, [number, number | undefined, number]> = {
  "request/success": [1, undefined, 1],
  "request/error": [2, undefined, 4],
  "request/allowed": [1, undefined, 1],
  "request/denied": [2, undefined, 1],
  "request/pending": [99, undefined, 1],
  "response/success": [1, undefined, 1],
  "response/error": [2, undefined, 4],
  "response/allowed": [1, undefined, 1],
  "response/denied": [2, undefined, 1],
  "response/pending": [99, undefined, 1],
  "error/success": [2, undefined, 4],
  "error/error": [2, undefined, 4],
  "error/allowed": [2, undefined, 4],
  "error/denied": [2, undefined, 4],
  "error/pending": [2, undefined, 4],
  "security_decision/success": [1, 1, 3],
  "security_decision/error": [2, 2, 4],
  "security_decision/allowed": [1, 1, 3],
  "security_decision/denied": [2, 2, 3],
  "security_decision/pending": [99, 0, 3],
  "tool_call/success": [1, undefined, 1],
  "tool_call/error": [2, undefined, 4],
  "tool_call/allowed": [1, undefined, 1],
  "tool_call/denied": [2, undefined, 1],
  "tool_call/pending": [99, undefined, 1],
};

for (const { name, event } of eventTable()) {
  Deno.test(`toOCSF(): ${name} gives its status, verdict and severity, within OCSF 1.8.0`, () => {
    const doc = toOCSF(event);
    const [statusId, actionId, severityId] = EXPECTED[name]!;
    assert.equal(doc.status_id, statusId);
    assert.equal(doc.action_id, actionId);
    assert.equal(doc.disposition_id, actionId);
    assert.equal(doc.severity_id, severityId);
    assert.equal(doc.status_code, event.status);
    assert.deepEqual(
      doc.metadata.profiles,
      actionId === undefined ? undefined : ["security_control"],
    );
    // delete_file: a Delete activity.
    assert.equal(doc.activity_id, 4);
    assert.equal(doc.type_uid, 600304);
    assert.deepEqual(
      ocsfProblems(doc as unknown as Record<string, unknown>),
      [],
    );
  });
}

Deno.test("toOCSF(): a security decision, attribute by attribute", () => {
  const event =
    eventTable().find((c) => c.name === "security_decision/denied")!.event;
  assert.deepEqual(toOCSF(event), {
    activity_id: 4,
    activity_name: "Delete",
    category_uid: 6,
    category_name: "Application",
    class_uid: 6003,
    class_name: "API Activity",
    type_uid: 600304,
    type_name: "API Activity: Delete",
    time: Date.parse("2026-01-31T12:00:00.123Z"),
    severity_id: 3,
    severity: "Medium",
    status_id: 2,
    status: "Failure",
    status_code: "denied",
    message: "agent-7 delete_file shell: denied",
    duration: 12,
    metadata: {
      uid: "evt-security_decision-denied",
      correlation_uid: "4bf92f3577b34da6a3ce929d0e0e4736",
      version: "1.8.0",
      product: { name: "harombe" },
      profiles: ["security_control"],
    },
    actor: { user: { name: "agent-7" }, session: { uid: "sess-7" } },
    api: {
      operation: "delete_file",
      service: { name: "shell" },
      request: { uid: "evt-security_decision-denied" },
    },
    src_endpoint: { name: "harombe" },
    action_id: 2,
    action: "Denied",
    disposition_id: 2,
    disposition: "Blocked",
    unmapped: {
      event_type: "security_decision",
      metadata: { rule: "no-rm", depth: { n: 1 } },
    },
  });
});

Deno.test("toOCSF(): actions map to CRUD activities by their first word", () => {
  const base = eventTable()[0]!.event;
  const cases: [string, number][] = [
    ["create_user", 1],
    ["addItem", 1],
    ["read_file", 2],
    ["list", 2],
    ["write_file", 3],
    ["updateConfig", 3],
    ["delete_file", 4],
    ["rm", 4],
    ["run_shell", 99],
    ["", 99],
    ["READ_FILE", 2],
  ];
  for (const [action, id] of cases) {
    assert.equal(toOCSF({ ...base, action }).activity_id, id, action);
  }
});

Deno.test("ocsfProblems(): the check refuses what OCSF 1.8.0 refuses", () => {
  assert.equal(OCSF_SOURCE.tag, OCSF_VERSION);
  const doc = structuredClone(
    toOCSF(eventTable()[0]!.event),
  ) as unknown as Record<string, Record<string, unknown>>;
  delete (doc as Record<string, unknown>).src_endpoint;
  (doc as Record<string, unknown>).status_id = 7;
  (doc as Record<string, unknown>).action_id = 1;
  doc.actor!.user = { display_name: "x" };
  (doc as Record<string, unknown>).time = "2026-01-31";
  (doc as Record<string, unknown>).tool = "shell";
  const problems = ocsfProblems(doc).join("\n");
  assert.match(problems, /^src_endpoint is required$/m);
  assert.match(problems, /^status_id is 7, not one of its enum ids$/m);
  assert.match(problems, /^action_id belongs to profile security_control/m);
  assert.match(
    problems,
    /^actor\.user\. needs at least one of account, name, uid$/m,
  );
  assert.match(problems, /^time is not a long$/m);
  assert.match(problems, /^tool is not an attribute here$/m);
});

Deno.test("toOCSF(): a stamped event's producer is src_endpoint.svc_name, within OCSF 1.8.0; an unstamped one has none", () => {
  const event = eventTable()[0]!.event;
  const stamped = toOCSF({ ...event, producer: "billing" });
  assert.deepEqual(stamped.src_endpoint, {
    name: event.source,
    svc_name: "billing",
  });
  assert.deepEqual(
    ocsfProblems(stamped as unknown as Record<string, unknown>),
    [],
  );
  assert.deepEqual(toOCSF(event).src_endpoint, { name: event.source });
});

Deno.test("toOCSF(): original_timestamp is metadata.original_time; absent without one", () => {
  const [first] = eventTable();
  const doc = toOCSF({
    ...first!.event,
    original_timestamp: "2026-01-01T00:00:00.000Z",
  });
  assert.equal(doc.metadata.original_time, "2026-01-01T00:00:00.000Z");
  assert.equal(doc.time, Date.parse(first!.event.timestamp));
  assert.equal("original_time" in toOCSF(first!.event).metadata, false);
});
