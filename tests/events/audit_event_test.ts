import assert from "node:assert/strict";
import {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  AuditEventSchema,
  InvalidAuditEventError,
  MAX_EVENT_ID_BYTES,
  parseAuditEvent,
  ZodAuditEvent,
} from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { MAX_METADATA_DEPTH } from "../../src/events/json_data.ts";

const UUID_V4 =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function minimal(): Record<string, unknown> {
  return {
    correlation_id: "req-1",
    event_type: "tool_call",
    actor: "agent-7",
    action: "read_file",
    status: "success",
  };
}

function parseError(input: unknown): InvalidAuditEventError {
  try {
    parseAuditEvent(input);
  } catch (error) {
    assert.ok(
      error instanceof InvalidAuditEventError,
      `expected InvalidAuditEventError, got ${error}`,
    );
    return error;
  }
  assert.fail("parseAuditEvent() accepted an invalid event");
}

/** Metadata made of `levels` objects, each nested in the previous one. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

Deno.test("parseAuditEvent() fills event_id with a UUID v4", () => {
  const event = parseAuditEvent(minimal());
  assert.match(event.event_id, UUID_V4);
});

Deno.test("parseAuditEvent() fills a different event_id on each call", () => {
  const first = parseAuditEvent(minimal());
  const second = parseAuditEvent(minimal());
  assert.notEqual(first.event_id, second.event_id);
});

Deno.test("parseAuditEvent() keeps a given event_id", () => {
  const event = parseAuditEvent({ ...minimal(), event_id: "evt-42" });
  assert.equal(event.event_id, "evt-42");
});

Deno.test("parseAuditEvent() fills timestamp with the current time", () => {
  const before = Date.now();
  const event = parseAuditEvent(minimal());
  const after = Date.now();
  assert.match(event.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const time = Date.parse(event.timestamp);
  assert.ok(time >= before - 2000 && time <= after + 2000, event.timestamp);
});

Deno.test("parseAuditEvent() fills metadata with an empty object", () => {
  const event = parseAuditEvent(minimal());
  assert.deepEqual(event.metadata, {});
  assert.equal(Object.getPrototypeOf(event.metadata), Object.prototype);
});

Deno.test("parseAuditEvent() keeps the optional fields it is given", () => {
  const event = parseAuditEvent({
    ...minimal(),
    session_id: "sess-1",
    tool_name: "fs",
    duration_ms: 12,
    error_message: "none",
  });
  assert.equal(event.session_id, "sess-1");
  assert.equal(event.tool_name, "fs");
  assert.equal(event.duration_ms, 12);
  assert.equal(event.error_message, "none");
});

Deno.test("parseAuditEvent() leaves absent optional fields absent", () => {
  const event = parseAuditEvent(minimal());
  for (const key of ["session_id", "tool_name", "duration_ms"]) {
    assert.ok(!(key in event), `${key} should be absent`);
  }
});

// Pydantic v2's model_dump_json() writes an optional field that is None as
// null: the Python audit logger's events all have these.
Deno.test("parseAuditEvent() reads null optional fields as absent, without their keys, and metadata null as {}", () => {
  for (const schema of ["fast", "zod"] as const) {
    const input = {
      ...minimal(),
      session_id: null,
      tool_name: null,
      duration_ms: null,
      error_message: null,
      metadata: null,
    };
    const event = schema === "fast"
      ? parseAuditEvent(input)
      : ZodAuditEvent.parse(input);
    for (
      const key of ["session_id", "tool_name", "duration_ms", "error_message"]
    ) {
      assert.ok(!(key in event), `${schema}: ${key} key kept`);
    }
    assert.deepEqual(event.metadata, {});
    assert.ok(
      !JSON.stringify(toSIEMEvent(event as AuditEvent)).includes("null"),
    );
  }
  // Explicit undefined is absent too.
  const event = parseAuditEvent({ ...minimal(), session_id: undefined });
  assert.ok(!("session_id" in event));
});

Deno.test("parseAuditEvent() still refuses null for a required field, event_id and timestamp", () => {
  for (
    const field of [
      "correlation_id",
      "event_type",
      "actor",
      "action",
      "status",
      "event_id",
      "timestamp",
    ]
  ) {
    const error = parseError({ ...minimal(), [field]: null });
    assert.deepEqual(error.issues.map((i) => i.path), [field]);
  }
});

Deno.test("parseAuditEvent() reads Python's timestamps: naive is UTC, microseconds cut to milliseconds, offsets honoured", () => {
  for (
    const [timestamp, expected] of [
      ["2026-11-30T12:00:00.123456", "2026-11-30T12:00:00.123Z"],
      ["2026-11-30T12:00:00.999999", "2026-11-30T12:00:00.999Z"],
      ["2026-12-31T23:59:59.999999", "2026-12-31T23:59:59.999Z"],
      ["2026-11-30T12:00:00", "2026-11-30T12:00:00.000Z"],
      ["2026-11-30T12:00:00.123456Z", "2026-11-30T12:00:00.123Z"],
      ["2026-11-30T12:00:00.123456+00:00", "2026-11-30T12:00:00.123Z"],
      ["2026-11-30T12:00:00.123456-00:00", "2026-11-30T12:00:00.123Z"],
      ["2026-11-30T17:30:00.123456+05:30", "2026-11-30T12:00:00.123Z"],
      ["2026-11-30T04:00:00.000999-08:00", "2026-11-30T12:00:00.000Z"],
      ["2026-12-31T20:30:00.0005-08:00", "2027-01-01T04:30:00.000Z"],
      ["1970-01-01T05:30:00+05:30", "1970-01-01T00:00:00.000Z"],
      ["9999-12-31T23:59:59.999999", "9999-12-31T23:59:59.999Z"],
    ] as const
  ) {
    const input = { ...minimal(), timestamp };
    assert.equal(parseAuditEvent(input).timestamp, expected, timestamp);
    assert.equal(ZodAuditEvent.parse(input).timestamp, expected, timestamp);
  }
  for (
    const timestamp of [
      "1970-01-01T05:29:59.999+05:30",
      "9999-12-31T23:59:59-00:01",
      "2026-11-30T12:00:00+24:00",
      "2026-11-30T12:00:00+05:60",
    ]
  ) {
    parseError({ ...minimal(), timestamp });
  }
});

Deno.test("parseAuditEvent() accepts a normalized event's source and severity and leaves them out", () => {
  const event = parseAuditEvent({
    ...minimal(),
    source: "audit-logger",
    severity: "warning",
  });
  assert.ok(!("source" in event) && !("severity" in event));
  assert.deepEqual(
    Object.keys(
      parseAuditEvent({ ...minimal(), source: null, severity: null }),
    ),
    Object.keys(event),
  );
  for (
    const [field, value] of [
      ["severity", "critical"],
      ["severity", "INFO"],
      ["severity", 3],
      ["source", 1],
    ] as const
  ) {
    const error = parseError({ ...minimal(), [field]: value });
    assert.deepEqual(error.issues.map((i) => i.path), [field]);
  }
});

Deno.test("parseAuditEvent() accepts every event type", () => {
  for (const type of AUDIT_EVENT_TYPES) {
    assert.equal(
      parseAuditEvent({ ...minimal(), event_type: type }).event_type,
      type,
    );
  }
});

for (
  const field of [
    "correlation_id",
    "event_type",
    "actor",
    "action",
    "status",
  ]
) {
  Deno.test(`parseAuditEvent() refuses an event without ${field}`, () => {
    const input = minimal();
    delete input[field];
    const error = parseError(input);
    assert.deepEqual(error.issues.map((i) => i.path), [field]);
    assert.match(error.message, new RegExp(`\\b${field}\\b`));
    assert.equal(error.name, "InvalidAuditEventError");
    assert.ok(error instanceof TypeError);
  });
}

Deno.test("parseAuditEvent() names every missing field at once", () => {
  const error = parseError({});
  const paths = error.issues.map((i) => i.path);
  for (
    const field of ["correlation_id", "event_type", "actor", "action", "status"]
  ) {
    assert.ok(paths.includes(field), `${field} not in ${paths}`);
    assert.ok(error.message.includes(field), error.message);
  }
});

Deno.test("parseAuditEvent() refuses an empty required string", () => {
  for (const field of ["correlation_id", "actor", "action", "status"]) {
    const error = parseError({ ...minimal(), [field]: "" });
    assert.deepEqual(error.issues, [{
      path: field,
      message: "must not be empty",
    }]);
  }
});

Deno.test("parseAuditEvent() refuses a non-object input", () => {
  for (const input of [null, undefined, "event", 42, []]) {
    const error = parseError(input);
    assert.ok(error.issues.length > 0);
  }
});

Deno.test("parseAuditEvent() refuses an unknown event_type", () => {
  const error = parseError({ ...minimal(), event_type: "login" });
  assert.deepEqual(error.issues.map((i) => i.path), ["event_type"]);
  assert.match(error.message, /event_type/);
});

Deno.test("parseAuditEvent() refuses an event_type in the wrong case", () => {
  const error = parseError({ ...minimal(), event_type: "ERROR" });
  assert.deepEqual(error.issues.map((i) => i.path), ["event_type"]);
});

Deno.test("parseAuditEvent() refuses a negative duration_ms", () => {
  const error = parseError({ ...minimal(), duration_ms: -1 });
  assert.deepEqual(error.issues.map((i) => i.path), ["duration_ms"]);
  assert.match(error.message, /duration_ms/);
});

Deno.test("parseAuditEvent() refuses a non-integer duration_ms", () => {
  for (const value of [1.5, NaN, Infinity, "12"]) {
    const error = parseError({ ...minimal(), duration_ms: value });
    assert.deepEqual(error.issues.map((i) => i.path), ["duration_ms"]);
  }
});

Deno.test("parseAuditEvent() accepts a duration_ms of 0", () => {
  assert.equal(
    parseAuditEvent({ ...minimal(), duration_ms: 0 }).duration_ms,
    0,
  );
});

Deno.test("parseAuditEvent() refuses an unknown top-level field", () => {
  const error = parseError({ ...minimal(), user_agent: "curl" });
  assert.match(error.message, /user_agent/);
  assert.ok(error.issues.some((i) => i.message.includes("user_agent")));
});

Deno.test("AuditEventSchema.safeParse() refuses an unknown field rather than dropping it", () => {
  const result = AuditEventSchema.safeParse({ ...minimal(), extra: 1 });
  assert.equal(result.success, false);
  if (!result.success) assert.ok(result.error.issues.length > 0);
});

Deno.test("AuditEventSchema.parse() fills the defaults", () => {
  const event = AuditEventSchema.parse(minimal());
  assert.match(event.event_id, UUID_V4);
  assert.deepEqual(event.metadata, {});
});

Deno.test("parseAuditEvent() turns a Date timestamp into ISO 8601 UTC with milliseconds", () => {
  const event = parseAuditEvent({
    ...minimal(),
    timestamp: new Date(Date.UTC(2026, 0, 31, 12, 0, 0, 7)),
  });
  assert.equal(event.timestamp, "2026-01-31T12:00:00.007Z");
});

Deno.test("parseAuditEvent() converts a timestamp with an offset to UTC", () => {
  const event = parseAuditEvent({
    ...minimal(),
    timestamp: "2026-01-31T12:00:00+01:00",
  });
  assert.equal(event.timestamp, "2026-01-31T11:00:00.000Z");
});

Deno.test("parseAuditEvent() converts a timestamp with a negative offset to UTC", () => {
  const event = parseAuditEvent({
    ...minimal(),
    timestamp: "2026-01-31T22:30:00-05:00",
  });
  assert.equal(event.timestamp, "2026-02-01T03:30:00.000Z");
});

Deno.test("parseAuditEvent() reads a timestamp without offset as UTC", () => {
  const event = parseAuditEvent({
    ...minimal(),
    timestamp: "2026-01-31T12:00:00.123456",
  });
  assert.equal(event.timestamp, "2026-01-31T12:00:00.123Z");
});

Deno.test("parseAuditEvent() keeps a canonical timestamp", () => {
  const event = parseAuditEvent({
    ...minimal(),
    timestamp: "2026-01-31T12:00:00.123Z",
  });
  assert.equal(event.timestamp, "2026-01-31T12:00:00.123Z");
});

for (
  const [label, timestamp] of [
    ["an offset followed by Z", "2026-01-01T00:00:00+00:00Z"],
    ["February 30", "2026-02-30T00:00:00Z"],
    ["a date without time", "2026-01-31"],
    ["a free-form date", "January 31, 2026"],
    ["an empty string", ""],
  ] as const
) {
  Deno.test(`parseAuditEvent() refuses a timestamp with ${label}`, () => {
    const error = parseError({ ...minimal(), timestamp });
    assert.deepEqual(error.issues.map((i) => i.path), ["timestamp"]);
    assert.match(error.message, /timestamp/);
  });
}

Deno.test("parseAuditEvent() refuses an Invalid Date timestamp", () => {
  const error = parseError({ ...minimal(), timestamp: new Date(NaN) });
  assert.deepEqual(error.issues.map((i) => i.path), ["timestamp"]);
});

Deno.test("parseAuditEvent() refuses a numeric timestamp", () => {
  const error = parseError({ ...minimal(), timestamp: 1769860800000 });
  assert.deepEqual(error.issues.map((i) => i.path), ["timestamp"]);
});

Deno.test("parseAuditEvent() refuses a Date outside years 0000-9999", () => {
  const error = parseError({
    ...minimal(),
    timestamp: new Date(Date.UTC(10000, 0, 1)),
  });
  assert.deepEqual(error.issues.map((i) => i.path), ["timestamp"]);
});

// Fails: src/events/audit_event.ts only checks the 0000-9999 range for Date
// values; a string whose offset moves it past a year boundary becomes
// "+010000-01-01T04:00:00.000Z" or "-000001-12-31T23:00:00.000Z", which is
// not ISO 8601 that Elasticsearch can read.
Deno.test("parseAuditEvent() refuses a timestamp string whose UTC time falls outside years 0000-9999", () => {
  for (
    const timestamp of [
      "9999-12-31T23:00:00-05:00",
      "0000-01-01T00:00:00+01:00",
    ]
  ) {
    assert.throws(
      () => {
        const event = parseAuditEvent({ ...minimal(), timestamp });
        assert.fail(`${timestamp} became ${event.timestamp}`);
      },
      InvalidAuditEventError,
    );
  }
});

Deno.test("parseAuditEvent() keeps nested metadata by reference", () => {
  const inner = { list: [1, "two", null, { deep: true }] };
  const metadata = { inner, flag: false };
  const event = parseAuditEvent({ ...minimal(), metadata });
  assert.equal(event.metadata, metadata);
  assert.equal(event.metadata.inner, inner);
});

Deno.test("parseAuditEvent() keeps a __proto__ metadata key as data", () => {
  const metadata = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}');
  const event = parseAuditEvent({ ...minimal(), metadata });
  assert.ok(Object.hasOwn(event.metadata, "__proto__"));
  const descriptor = Object.getOwnPropertyDescriptor(
    event.metadata,
    "__proto__",
  );
  assert.deepEqual(descriptor?.value, { polluted: true });
  assert.equal(Object.getPrototypeOf(event.metadata), Object.prototype);
  assert.match(
    JSON.stringify(event.metadata),
    /"__proto__":\{"polluted":true\}/,
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(
    (Object.prototype as Record<string, unknown>).polluted,
    undefined,
  );
});

Deno.test("parseAuditEvent() accepts null-prototype metadata", () => {
  const metadata = Object.assign(Object.create(null), { a: 1 });
  const event = parseAuditEvent({ ...minimal(), metadata });
  assert.equal(event.metadata, metadata);
});

Deno.test("parseAuditEvent() accepts metadata properties that are undefined", () => {
  const event = parseAuditEvent({
    ...minimal(),
    metadata: { a: undefined, b: 1 },
  });
  assert.equal(JSON.stringify(event.metadata), '{"b":1}');
});

class Point {
  constructor(readonly x: number) {}
}

for (
  const [label, value, reason] of [
    ["a BigInt", 1n, /bigint/],
    ["a function", () => 1, /function/],
    ["a Map", new Map([["k", 1]]), /Map/],
    ["a Set", new Set([1]), /Set/],
    ["a Date", new Date(0), /Date/],
    ["NaN", NaN, /finite/],
    ["Infinity", Infinity, /finite/],
    ["-Infinity", -Infinity, /finite/],
    ["a class instance", new Point(1), /Point/],
    ["a symbol", Symbol("s"), /symbol/],
  ] as const
) {
  Deno.test(`parseAuditEvent() refuses metadata with ${label} and names its path`, () => {
    const error = parseError({
      ...minimal(),
      metadata: { a: { b: value } },
    });
    assert.equal(error.issues.length, 1);
    assert.equal(error.issues[0]?.path, "metadata.a.b");
    assert.match(error.issues[0]?.message ?? "", reason);
    assert.match(error.message, /metadata\.a\.b/);
  });
}

Deno.test("parseAuditEvent() names array indexes in a metadata path", () => {
  const error = parseError({
    ...minimal(),
    metadata: { list: [1, { x: 2n }] },
  });
  assert.equal(error.issues[0]?.path, "metadata.list.1.x");
});

Deno.test("parseAuditEvent() refuses metadata that is not an object", () => {
  for (const metadata of [[], "text", 1, false]) {
    const error = parseError({ ...minimal(), metadata });
    assert.deepEqual(error.issues.map((i) => i.path), ["metadata"]);
  }
});

Deno.test("parseAuditEvent() refuses metadata with a cycle", () => {
  const metadata: Record<string, unknown> = { name: "loop" };
  metadata.self = metadata;
  const error = parseError({ ...minimal(), metadata });
  assert.equal(error.issues.length, 1);
  assert.ok(error.issues[0]?.path.startsWith("metadata.self.self"));
  assert.match(error.issues[0]?.message ?? "", /deeper than/);
});

Deno.test("parseAuditEvent() accepts metadata nested MAX_METADATA_DEPTH levels deep", () => {
  const metadata = nested(MAX_METADATA_DEPTH);
  assert.equal(parseAuditEvent({ ...minimal(), metadata }).metadata, metadata);
});

Deno.test("parseAuditEvent() refuses metadata nested deeper than MAX_METADATA_DEPTH", () => {
  const error = parseError({
    ...minimal(),
    metadata: nested(MAX_METADATA_DEPTH + 1),
  });
  assert.equal(
    error.issues[0]?.path,
    ["metadata", ...Array(MAX_METADATA_DEPTH).fill("a")].join("."),
  );
  assert.match(error.message, new RegExp(`deeper than ${MAX_METADATA_DEPTH}`));
});

Deno.test("parseAuditEvent() accepts an event_id of MAX_EVENT_ID_BYTES bytes", () => {
  const eventId = "é".repeat(MAX_EVENT_ID_BYTES / 2);
  assert.equal(
    parseAuditEvent({ ...minimal(), event_id: eventId }).event_id,
    eventId,
  );
});

Deno.test("parseAuditEvent() refuses an event_id longer than 512 UTF-8 bytes", () => {
  assert.equal(MAX_EVENT_ID_BYTES, 512);
  // 257 characters but 514 bytes: the limit is on bytes.
  const error = parseError({ ...minimal(), event_id: "é".repeat(257) });
  assert.deepEqual(error.issues.map((i) => i.path), ["event_id"]);
  assert.match(error.message, /event_id must be at most 512 bytes/);
  parseError({ ...minimal(), event_id: "x".repeat(513) });
});

Deno.test("parseAuditEvent() refuses an empty event_id", () => {
  const error = parseError({ ...minimal(), event_id: "" });
  assert.deepEqual(error.issues.map((i) => i.path), ["event_id"]);
});

Deno.test("parseAuditEvent() accepts unicode and control characters in strings", () => {
  const actor = "агент-7 🤖 \u202e";
  const action = "read\nfile\t\u0000\r";
  const event = parseAuditEvent({
    ...minimal(),
    actor,
    action,
    error_message: "\u0007bell 😀",
    metadata: { "ключ\n": "значение\u0001" },
  });
  assert.equal(event.actor, actor);
  assert.equal(event.action, action);
  assert.equal(event.error_message, "\u0007bell 😀");
  assert.deepEqual(event.metadata, { "ключ\n": "значение\u0001" });
});

Deno.test("InvalidAuditEventError lists each issue in its message", () => {
  const error = new InvalidAuditEventError([
    { path: "actor", message: "must not be empty" },
    { path: "", message: "bad" },
  ]);
  assert.equal(
    error.message,
    "Cannot accept audit event: actor must not be empty; (event) bad",
  );
  assert.equal(error.issues.length, 2);
});

Deno.test("parseAuditEvent() refuses ids that are not well-formed Unicode", () => {
  // A server that stores UTF-8 turns each lone surrogate into U+FFFD, so these
  // three distinct ids would become one `_id`.
  for (const id of ["x-\uD800", "x-\uDBFF", "\uDC00x"]) {
    const error = parseError({ ...minimal(), event_id: id });
    assert.equal(error.issues[0]?.path, "event_id");
    assert.match(error.message, /well-formed Unicode/);
  }
  assert.equal(
    parseAuditEvent({ ...minimal(), event_id: "x-\uFFFD" }).event_id,
    "x-\uFFFD",
  );
  assert.equal(
    parseAuditEvent({ ...minimal(), event_id: "x-\uD83D\uDE00" }).event_id,
    "x-\uD83D\uDE00",
  );
  assert.match(
    parseError({ ...minimal(), correlation_id: "c-\uD800" }).message,
    /correlation_id.*well-formed Unicode/,
  );
  assert.match(
    parseError({ ...minimal(), session_id: "s-\uDFFF" }).message,
    /session_id.*well-formed Unicode/,
  );
});

Deno.test("parseAuditEvent() refuses metadata keys that are not well-formed Unicode", () => {
  const error = parseError({
    ...minimal(),
    metadata: { nested: { "k-\uD800": 1 } },
  });
  assert.match(error.message, /metadata/);
  assert.match(error.message, /key must be well-formed Unicode/);
  // Lone surrogates in values are kept: they cannot make two fields one.
  assert.deepEqual(
    parseAuditEvent({ ...minimal(), metadata: { k: "v-\uD800" } }).metadata,
    { k: "v-\uD800" },
  );
});
