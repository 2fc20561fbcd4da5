/**
 * Audit event validation where the common tests do not go: metadata that
 * throws when read, holes in arrays, `AuditEventSchema.parse()` on the slow
 * path, and the checked JSON parser's depth limit through arrays.
 */
import assert from "node:assert/strict";
import {
  type AuditEvent,
  AuditEventSchema,
  InvalidAuditEventError,
  parseAuditEvent,
} from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { findNonJsonValue } from "../../src/events/json_data.ts";
import {
  MAX_CHECKED_DEPTH,
  parseJsonText,
} from "../../src/events/json_text.ts";

function minimal(): Record<string, unknown> {
  return {
    correlation_id: "req-1",
    event_type: "tool_call",
    actor: "agent-7",
    action: "read_file",
    status: "success",
  };
}

Deno.test("parseAuditEvent() refuses metadata that throws when its keys are read, naming metadata", () => {
  const metadata = new Proxy({}, {
    ownKeys(): never {
      throw new Error("no keys for you");
    },
  });
  assert.throws(
    () => parseAuditEvent({ ...minimal(), metadata }),
    (error: unknown) =>
      error instanceof InvalidAuditEventError &&
      error.issues.length === 1 &&
      error.issues[0]!.path === "metadata" &&
      error.issues[0]!.message === "must be plain JSON data (reading it threw)",
  );
  const result = AuditEventSchema.safeParse({ ...minimal(), metadata });
  assert.equal(result.success, false);
});

Deno.test("parseAuditEvent() refuses an array with a hole in metadata (JSON would write null where there was nothing)", () => {
  // deno-lint-ignore no-sparse-arrays
  const holes = [1, , 3];
  assert.deepEqual(findNonJsonValue({ list: holes }), {
    path: ["list", 1],
    reason: "must be JSON data, got undefined",
  });
  assert.throws(
    () => parseAuditEvent({ ...minimal(), metadata: { list: holes } }),
    (error: unknown) =>
      error instanceof InvalidAuditEventError &&
      error.issues[0]!.path === "metadata.list.1",
  );
});

Deno.test("AuditEventSchema.parse() takes the slow path for a Date timestamp and gives the same event; it throws for an invalid one", () => {
  const event = AuditEventSchema.parse({
    ...minimal(),
    event_id: "e-1",
    timestamp: new Date(Date.UTC(2026, 0, 31, 12, 0, 0, 5)),
    tool_name: null,
    severity: "error",
  });
  assert.deepEqual(event, {
    ...minimal(),
    event_id: "e-1",
    timestamp: "2026-01-31T12:00:00.005Z",
    metadata: {},
  });
  assert.throws(() => AuditEventSchema.parse({ ...minimal(), actor: "" }));
});

Deno.test("parseJsonText() refuses arrays nested deeper than MAX_CHECKED_DEPTH when the text has an escaped key, and reads that depth exactly", () => {
  const nested = (depth: number): string =>
    '{"\\u0061":' + "[".repeat(depth - 1) + "0" + "]".repeat(depth - 1) + "}";
  const deepest = parseJsonText(nested(MAX_CHECKED_DEPTH)) as {
    a: unknown;
  };
  let level: unknown = deepest.a;
  let depth = 1;
  while (Array.isArray(level)) {
    level = level[0];
    depth++;
  }
  assert.equal(depth, MAX_CHECKED_DEPTH);
  assert.throws(
    () => parseJsonText(nested(MAX_CHECKED_DEPTH + 1)),
    (error: unknown) =>
      error instanceof SyntaxError && /nested too deeply/.test(error.message),
  );
});

Deno.test("a timestamp without an offset is UTC on both paths, whatever the host's time zone", async () => {
  // The host's zone is read once per process: a child with TZ set.
  const module = new URL("../../src/events/audit_event.ts", import.meta.url)
    .href;
  const script = `
    import { parseAuditEvent } from ${JSON.stringify(module)};
    const event = {
      correlation_id: "c", event_type: "request", actor: "a", action: "b",
      status: "s", timestamp: "2026-01-31T12:00:00",
    };
    // The fast path, and zod (an event without Object.prototype).
    const slow = Object.assign(Object.create(null), event);
    console.log(JSON.stringify([
      parseAuditEvent(event).timestamp,
      parseAuditEvent(slow).timestamp,
      parseAuditEvent({ ...event, timestamp: "2026-01-31T12:00:00.123456" })
        .timestamp,
      parseAuditEvent(Object.assign(Object.create(null), {
        ...event, timestamp: "2026-01-31T12:00:00.123456",
      })).timestamp,
    ]));
  `;
  for (const zone of ["Asia/Kolkata", "America/New_York"]) {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-check", "--no-lock", script],
      env: { TZ: zone },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), [
      "2026-01-31T12:00:00.000Z",
      "2026-01-31T12:00:00.000Z",
      "2026-01-31T12:00:00.123Z",
      "2026-01-31T12:00:00.123Z",
    ], zone);
  }
});

Deno.test("metadata may nest 64 levels deep, as docs/events.md promises, and not 65", () => {
  const nested = (levels: number): Record<string, unknown> => {
    let value: Record<string, unknown> = {};
    for (let i = 1; i < levels; i++) value = { d: value };
    return value;
  };
  // The event's metadata object is the first level.
  assert.doesNotThrow(() =>
    parseAuditEvent({ ...minimal(), metadata: nested(64) })
  );
  assert.throws(
    () => parseAuditEvent({ ...minimal(), metadata: nested(65) }),
    (error: unknown) =>
      error instanceof InvalidAuditEventError &&
      error.issues[0]!.message === "nests deeper than 64 levels",
  );
});

Deno.test("parseJsonText() with an escaped key refuses what JSON.parse refuses: a key without ':', a bare word, a trailing comma", () => {
  for (
    const text of [
      '{"\\u0061":1,"b" 2}',
      '{"\\u0061":1,}',
      '{"\\u0061":tru}',
      '{"\\u0061":[1,]}',
      '{"\\u0061":1} x',
      "{\"\\u0061\":'x'}",
    ]
  ) {
    assert.throws(() => JSON.parse(text), SyntaxError, text);
    assert.throws(() => parseJsonText(text), SyntaxError, text);
  }
});

Deno.test("toSIEMEvent() writes any timestamp of a validated-looking event in the canonical form", () => {
  const event = {
    ...minimal(),
    event_id: "e",
    metadata: {},
  } as unknown as AuditEvent;
  const cases: [given: string, written: string][] = [
    ["2026-01-31T12:00:00Z", "2026-01-31T12:00:00.000Z"],
    ["2026-01-31T12:00:00.5Z", "2026-01-31T12:00:00.500Z"],
    ["2026-01-31T12:00:00.000+01:00", "2026-01-31T11:00:00.000Z"],
    ["2026-01-31T12:00:00.123Z", "2026-01-31T12:00:00.123Z"],
  ];
  for (const [given, written] of cases) {
    assert.equal(
      toSIEMEvent({ ...event, timestamp: given }).timestamp,
      written,
      given,
    );
  }
});
