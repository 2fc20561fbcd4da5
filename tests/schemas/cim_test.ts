/**
 * The CIM mapping: the fields of each event type and status, each checked
 * against the Change data model's All_Changes fields as Splunk's add-on
 * checks define them (tests/fixtures/cim/change_all_changes.json, from
 * splunk/pytest-splunk-addon's `data_models/Change.json`, and the CIM
 * manual's prescribed `action` values).
 */
import assert from "node:assert/strict";
import { toCIM } from "../../src/schemas/cim.ts";
import change from "../fixtures/cim/change_all_changes.json" with {
  type: "json",
};
import { eventTable } from "./_events.ts";

const FIELDS = change.fields as Record<
  string,
  { type: string; expected_values?: string[] }
>;

// The event's own fields, which CIM has no name for: Splunk extracts them
// from the JSON at search time like any other.
const OWN = new Set([
  "event_id",
  "correlation_id",
  "session_id",
  "event_type",
  "timestamp",
  "original_timestamp",
  "severity",
  "duration_ms",
  "metadata",
]);

// Required by the data model, but not known to the forwarder: where the
// change happened (dest), the reporting device (dvc, HEC's `host`), and the
// object's id, path and changed attributes. A sourcetype's props can fill
// them per deployment.
const LEFT_TO_THE_ADD_ON = [
  "dest",
  "dvc",
  "object_attrs",
  "object_id",
  "object_path",
];

function cimProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(doc)) {
    if (OWN.has(name)) continue;
    const field = FIELDS[name];
    if (field === undefined) {
      problems.push(`${name} is not an All_Changes field`);
      continue;
    }
    if (typeof value !== "string") problems.push(`${name} is not a string`);
    if (
      field.expected_values && !field.expected_values.includes(String(value))
    ) {
      problems.push(`${name} is ${String(value)}, not an expected value`);
    }
  }
  if (!change.prescribed_actions.includes(String(doc.action))) {
    problems.push(`action ${String(doc.action)} is not prescribed`);
  }
  return problems;
}

// event_type/status → [status, result]
const EXPECTED: Record<string, [string | undefined, string | undefined]> = {
  "request/success": ["success", undefined],
  "request/error": ["failure", "exit code 1"],
  "request/allowed": ["success", undefined],
  "request/denied": ["failure", undefined],
  "request/pending": [undefined, undefined],
  "response/success": ["success", undefined],
  "response/error": ["failure", "exit code 1"],
  "response/allowed": ["success", undefined],
  "response/denied": ["failure", undefined],
  "response/pending": [undefined, undefined],
  "error/success": ["failure", undefined],
  "error/error": ["failure", "exit code 1"],
  "error/allowed": ["failure", undefined],
  "error/denied": ["failure", undefined],
  "error/pending": ["failure", undefined],
  "security_decision/success": ["success", "allowed"],
  "security_decision/error": ["failure", "exit code 1"],
  "security_decision/allowed": ["success", "allowed"],
  "security_decision/denied": ["failure", "denied"],
  "security_decision/pending": [undefined, undefined],
  "tool_call/success": ["success", undefined],
  "tool_call/error": ["failure", "exit code 1"],
  "tool_call/allowed": ["success", undefined],
  "tool_call/denied": ["failure", undefined],
  "tool_call/pending": [undefined, undefined],
};

for (const { name, event } of eventTable()) {
  Deno.test(`toCIM(): ${name} gives its status and result, in Change field names`, () => {
    const doc = toCIM(event);
    const [status, result] = EXPECTED[name]!;
    assert.equal(doc.status, status);
    assert.equal(doc.result, result);
    assert.equal(doc.result_id, event.status);
    assert.equal(doc.action, "deleted");
    assert.equal(doc.change_type, "api");
    assert.deepEqual(
      cimProblems(doc as unknown as Record<string, unknown>),
      [],
    );
    const unfilled = Object.entries(FIELDS)
      .filter(([field, d]) => d.type === "required" && !(field in doc))
      .map(([field]) => field);
    assert.deepEqual(
      unfilled,
      status === undefined
        ? [...LEFT_TO_THE_ADD_ON, "status"].sort()
        : LEFT_TO_THE_ADD_ON,
    );
  });
}

Deno.test("toCIM(): actions normalise to the prescribed values", () => {
  const base = eventTable()[0]!.event;
  const cases: [string, string][] = [
    ["create_user", "created"],
    ["read_file", "read"],
    ["write_file", "modified"],
    ["delete_file", "deleted"],
    ["run_shell", "read"],
  ];
  for (const [action, normalised] of cases) {
    const doc = toCIM({ ...base, action });
    assert.equal(doc.action, normalised, action);
    assert.equal(doc.command, action);
  }
});

Deno.test("cimProblems(): the check refuses what the Change model refuses", () => {
  const doc = {
    ...toCIM(eventTable()[0]!.event),
    action: "updated",
    status: "ok",
    tool: "shell",
  } as unknown as Record<string, unknown>;
  assert.deepEqual(cimProblems(doc), [
    "status is ok, not an expected value",
    "tool is not an All_Changes field",
    "action updated is not prescribed",
  ]);
});

Deno.test("toCIM(): original_timestamp and the producer's stamp are kept; without them, absent", () => {
  const [first] = eventTable();
  const event = {
    ...first!.event,
    original_timestamp: "2026-01-01T00:00:00.000Z",
    producer: "billing",
  };
  const cim = toCIM(event);
  assert.equal(cim.original_timestamp, "2026-01-01T00:00:00.000Z");
  assert.equal(cim.producer, "billing");
  assert.equal(cim.timestamp, event.timestamp);
  const plain = toCIM(first!.event);
  assert.equal("original_timestamp" in plain, false);
  assert.equal("producer" in plain, false);
});

Deno.test("toCIM(): an action whose first word is no CRUD verb reads; a decision without an error gives allowed/denied as result", () => {
  const [first] = eventTable();
  for (
    const [action, expected] of [
      ["invoke_tool", "read"],
      ["x", "read"],
      ["create_user", "created"],
      ["update_row", "modified"],
      ["get_file", "read"],
    ] as const
  ) {
    assert.equal(toCIM({ ...first!.event, action }).action, expected, action);
  }
  const { error_message: _, ...decision } = first!.event;
  const denied = toCIM({
    ...decision,
    event_type: "security_decision",
    status: "denied",
  });
  assert.equal(denied.result, "denied");
});
