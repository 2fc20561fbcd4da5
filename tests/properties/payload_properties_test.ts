/**
 * Properties of audit events and of every platform's payload: any valid
 * event is accepted and normalized, any invalid one is refused with
 * InvalidAuditEventError, and the exact bytes each exporter sends are taken
 * by the strict fake receivers and parse back to the same field values.
 *
 * Replay a failure with FC_SEED=<seed> FC_PATH=<path> (see _fc_params.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.11.0";
import {
  InvalidAuditEventError,
  parseAuditEvent,
} from "../../src/events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../../src/events/siem_event.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import type { Exporter } from "../../src/platforms/exporter.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { indexTemplate } from "../../src/platforms/index_template.ts";
import {
  MemoryLogger,
  type Receivers,
  startReceivers,
} from "../support/receivers.ts";
import {
  dataObject,
  documentedTimestamp,
  invalidAuditEvent,
  text,
  validAuditEvent,
  type ValidCase,
} from "./_audit_arbitraries.ts";
import { fcParams } from "./_fc_params.ts";
import { parseJsonText } from "../../src/events/json_text.ts";

const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PLAIN_FIELDS = [
  "event_id",
  "correlation_id",
  "session_id",
  "event_type",
  "actor",
  "tool_name",
  "action",
  "duration_ms",
  "status",
  "error_message",
] as const;

function prototypeKeys(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}

function assertNotPolluted(before: readonly string[]): void {
  assert.deepEqual(prototypeKeys(), before, "Object.prototype changed");
  const probe: Record<string, unknown> = {};
  for (const key of ["polluted", "x", "isAdmin", "k"]) {
    assert.equal(probe[key], undefined, `Object.prototype.${key} is set`);
  }
}

/**
 * Checks that every own `__proto__` key of `expected` is an own data
 * property of `actual` too, and that `actual`'s objects have the plain
 * object prototype (the parsed JSON did not set a prototype from data).
 */
function assertProtoKeysAreData(
  expected: unknown,
  actual: unknown,
  path = "$",
): void {
  if (typeof expected !== "object" || expected === null) return;
  assert.equal(typeof actual, "object", `${path} is not an object`);
  assert.notEqual(actual, null, `${path} is null`);
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path} is not an array`);
    expected.forEach((item, i) =>
      assertProtoKeysAreData(item, (actual as unknown[])[i], `${path}[${i}]`)
    );
    return;
  }
  assert.equal(
    Object.getPrototypeOf(actual),
    Object.prototype,
    `${path} has another prototype`,
  );
  for (const key of Object.keys(expected)) {
    assert.ok(
      Object.hasOwn(actual as object, key),
      `${path}.${key} is not an own property`,
    );
    const descriptor = Object.getOwnPropertyDescriptor(actual, key);
    assert.ok(
      descriptor && "value" in descriptor,
      `${path}.${key} is not data`,
    );
    assertProtoKeysAreData(
      (expected as Record<string, unknown>)[key],
      descriptor.value,
      `${path}.${key}`,
    );
  }
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

function describe(error: unknown): string {
  return error === undefined
    ? "no error"
    : error instanceof Error
    ? `${error.name}: ${error.message.slice(0, 200)}`
    : String(error);
}

// ---------------------------------------------------------------------------
// (a) validation

Deno.test("property: parseAuditEvent() accepts any valid audit event, keeps its fields and normalizes its timestamp", () => {
  fc.assert(
    fc.property(
      validAuditEvent({ long: true }),
      ({ input, normalizedTimestamp }: ValidCase) => {
        const event = parseAuditEvent(input);
        const given = input as unknown as Record<string, unknown>;
        const parsed = event as unknown as Record<string, unknown>;
        for (const field of PLAIN_FIELDS) {
          if (given[field] != null) {
            assert.equal(parsed[field], given[field], field);
          } else if (field !== "event_id") {
            // Absent, undefined and null (Pydantic's None) all leave no key.
            assert.ok(!(field in parsed), `${field} key kept`);
          }
        }
        if (given.event_id === undefined) assert.match(event.event_id, UUID);
        if (given.metadata == null) {
          assert.deepEqual(event.metadata, {});
        } else {
          assert.equal(
            event.metadata,
            given.metadata,
            "metadata kept as given",
          );
        }
        assert.match(event.timestamp, CANONICAL);
        if (normalizedTimestamp !== undefined) {
          assert.equal(event.timestamp, normalizedTimestamp);
        }
        const siem = toSIEMEvent(event);
        assert.equal(siem.timestamp, event.timestamp);
      },
    ),
    fcParams(300),
  );
});

Deno.test("property: parseAuditEvent() refuses any invalid audit event with InvalidAuditEventError, never another error", () => {
  fc.assert(
    fc.property(invalidAuditEvent(), ({ input, mutation }) => {
      const error = caught(() => parseAuditEvent(input));
      assert.ok(
        error instanceof InvalidAuditEventError,
        `${mutation}: expected InvalidAuditEventError, got ${describe(error)}`,
      );
      assert.ok(error.issues.length > 0, `${mutation}: no issue listed`);
    }),
    fcParams(400),
  );
});

Deno.test("property: parseAuditEvent() on any value returns an event or throws InvalidAuditEventError", () => {
  fc.assert(
    fc.property(
      fc.anything({
        withBigInt: true,
        withBoxedValues: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withObjectString: true,
        withSparseArray: true,
        withTypedArray: true,
        withUnicodeString: true,
      }),
      (value) => {
        const error = caught(() => parseAuditEvent(value));
        assert.ok(
          error === undefined || error instanceof InvalidAuditEventError,
          `got ${describe(error)}`,
        );
      },
    ),
    fcParams(300),
  );
});

// Defect probe: metadata properties that are accessors are read, not
// refused. A throwing getter escapes as its own error instead of
// InvalidAuditEventError.
Deno.test("parseAuditEvent() refuses metadata with a throwing getter with InvalidAuditEventError", () => {
  const metadata: Record<string, unknown> = {};
  Object.defineProperty(metadata, "secret", {
    enumerable: true,
    get(): never {
      throw new Error("getter ran");
    },
  });
  const error = caught(() =>
    parseAuditEvent({
      correlation_id: "c",
      event_type: "request",
      actor: "a",
      action: "x",
      status: "success",
      metadata,
    })
  );
  assert.ok(
    error instanceof InvalidAuditEventError,
    `expected InvalidAuditEventError, got ${describe(error)}`,
  );
});

// Regression: validation read an accessor once and serialization read it
// again, so a value checked as JSON data could be something else when the
// batch was written. Accessors are now refused, and an event whose shared
// metadata is changed after validation into something JSON cannot hold is
// dead-lettered alone instead of breaking the batch.
Deno.test("a metadata accessor is refused, and metadata changed after validation changes nothing sent", async () => {
  await using receivers = startReceivers();
  const logger = new MemoryLogger();
  const letters: string[] = [];
  const integrator = new SIEMIntegrator(
    [receivers.configs()[0] as SIEMConfigInput],
    {
      autoFlush: false,
      logger,
      onDeadLetter: (letter) =>
        void letters.push(`${letter.events[0]!.event_id}: ${letter.reason}`),
    },
  );
  let reads = 0;
  const accessor: Record<string, unknown> = {};
  Object.defineProperty(accessor, "value", {
    enumerable: true,
    get(): unknown {
      return reads++ === 0 ? "checked" : 10n;
    },
  });
  const base = {
    correlation_id: "c",
    event_type: "request",
    actor: "a",
    action: "x",
    status: "success",
  } as const;
  assert.throws(
    () =>
      integrator.exportEvent({
        ...base,
        event_id: "accessor",
        metadata: accessor,
      }),
    (error: unknown) =>
      error instanceof InvalidAuditEventError &&
      /metadata\.value must be a data property/.test(error.message),
  );
  const shared: Record<string, unknown> = { value: "checked" };
  integrator.exportEvent({ ...base, event_id: "mutated", metadata: shared });
  integrator.exportEvent({ ...base, event_id: "well-formed" });
  shared.value = 10n;
  let error: unknown;
  try {
    await integrator.flushAll();
  } catch (thrown) {
    error = thrown;
  } finally {
    await integrator.stop({ timeoutMs: 2000 }).catch(() => undefined);
  }
  assert.equal(error, undefined, `flushAll() threw ${describe(error)}`);
  const delivered = receivers.splunk.events.map((envelope) =>
    (envelope.event as SIEMEvent).event_id
  );
  // What was accepted is what is sent: the later change reaches nothing.
  assert.deepEqual(delivered, ["mutated", "well-formed"]);
  assert.deepEqual(
    (receivers.splunk.events[0]!.event as SIEMEvent).metadata,
    { value: "checked" },
  );
  assert.deepEqual(letters, []);
});

// ---------------------------------------------------------------------------
// (b) and (c): the strict fakes take every payload, and it parses back

function batchOf(
  size: { min: number; max: number },
  options: Parameters<typeof validAuditEvent>[0],
): fc.Arbitrary<ValidCase[]> {
  return fc.uniqueArray(validAuditEvent({ ...options, withEventId: true }), {
    minLength: size.min,
    maxLength: size.max,
    selector: (c) => c.input.event_id,
  });
}

interface Platforms {
  receivers: Receivers;
  splunk: Exporter;
  datadog: Exporter;
  /** A fresh Elasticsearch exporter with its own index, so ids never collide across runs. */
  elasticsearch(): { exporter: Exporter; index: string };
}

// Arbitrary metadata (empty keys, deep nesting, edge numbers) is what the
// module's index template takes and a dynamic mapping refuses: these
// round trips check the wire, so their indices have the template.
async function platforms(receivers: Receivers): Promise<Platforms> {
  const [splunk, elasticsearch, datadog] = receivers.configs() as [
    SIEMConfigInput,
    SIEMConfigInput,
    SIEMConfigInput,
  ];
  const installed = await fetch(
    `${receivers.elasticsearch.url}/_index_template/payload`,
    {
      method: "PUT",
      headers: {
        "Content-Type": "application/json",
        Authorization: `ApiKey ${elasticsearch.token}`,
      },
      body: JSON.stringify(indexTemplate({ index: "payload-*" })),
    },
  );
  assert.equal(installed.status, 200, await installed.text());
  let indexes = 0;
  return {
    receivers,
    splunk: createExporter(splunk),
    datadog: createExporter(datadog),
    elasticsearch(): { exporter: Exporter; index: string } {
      const index = `payload-${++indexes}`;
      return { exporter: createExporter({ ...elasticsearch, index }), index };
    },
  };
}

function datadogMessage(event: SIEMEvent): string {
  const tool = event.tool_name === undefined ? "" : ` ${event.tool_name}`;
  return `${event.event_type}: ${event.actor} ${event.action}${tool} -> ${event.status}`;
}

/** The bytes a fake received are exactly `encodeBatch()` of the events. */
function assertSentBytes(
  received: Uint8Array | undefined,
  exporter: Exporter,
  events: SIEMEvent[],
): void {
  assert.ok(received !== undefined, `${exporter.platform}: no request`);
  assert.deepEqual(
    received,
    exporter.encodeBatch(events),
    `${exporter.platform}: the body sent is not encodeBatch() of the events`,
  );
}

/** Sends `events` to every fake and checks what each stored. */
async function roundTrip(p: Platforms, events: SIEMEvent[]): Promise<void> {
  const expected = events.map((event) => parseJsonText(JSON.stringify(event)));
  const { receivers } = p;

  const splunkBefore = receivers.splunk.events.length;
  const splunk = await p.splunk.send(events);
  assert.deepEqual(splunk.verdict, { kind: "delivered" }, "splunk verdict");
  assertSentBytes(receivers.splunk.requests.at(-1)?.rawBody, p.splunk, events);
  const envelopes = receivers.splunk.events.slice(splunkBefore);
  assert.equal(envelopes.length, events.length, "splunk envelope count");
  envelopes.forEach((envelope, i) => {
    const event = events[i] as SIEMEvent;
    assert.deepStrictEqual(envelope.event, expected[i], `splunk event ${i}`);
    assertProtoKeysAreData(expected[i], envelope.event, `splunk[${i}]`);
    assert.equal(envelope.time, Date.parse(event.timestamp) / 1000);
    assert.equal(envelope.source, event.source);
  });

  const es = p.elasticsearch();
  const elastic = await es.exporter.send(events);
  assert.deepEqual(elastic.verdict, { kind: "delivered" }, "es verdict");
  assertSentBytes(
    receivers.elasticsearch.requests.at(-1)?.rawBody,
    es.exporter,
    events,
  );
  const documents = receivers.elasticsearch.documents.filter((document) =>
    document.index === es.index
  );
  assert.equal(documents.length, events.length, "es document count");
  documents.forEach((document, i) => {
    const event = events[i] as SIEMEvent;
    assert.equal(document.id, event.event_id, `es _id ${i}`);
    const { "@timestamp": timestamp, ...source } = document.source;
    assert.equal(timestamp, event.timestamp);
    assert.deepStrictEqual(source, expected[i], `es document ${i}`);
    assertProtoKeysAreData(expected[i], source, `es[${i}]`);
  });

  const datadogBefore = receivers.datadog.logs.length;
  const datadog = await p.datadog.send(events);
  assert.deepEqual(datadog.verdict, { kind: "delivered" }, "datadog verdict");
  assertSentBytes(
    receivers.datadog.requests.at(-1)?.rawBody,
    p.datadog,
    events,
  );
  const logs = receivers.datadog.logs.slice(datadogBefore);
  assert.equal(logs.length, events.length, "datadog log count");
  logs.forEach((log, i) => {
    const event = events[i] as SIEMEvent;
    assert.deepStrictEqual(log.audit, expected[i], `datadog audit ${i}`);
    assertProtoKeysAreData(expected[i], log.audit, `datadog[${i}]`);
    assert.equal(log.timestamp, event.timestamp);
    assert.equal(log.status, event.severity);
    assert.equal(log.ddsource, event.source);
    assert.equal(log.message, datadogMessage(event));
  });
}

Deno.test("property: every platform's payload of 1-5 valid events is delivered by the strict fakes and parses back to the same fields", async () => {
  const before = prototypeKeys();
  await using receivers = startReceivers();
  const p = await platforms(receivers);
  await fc.assert(
    fc.asyncProperty(
      batchOf({ min: 1, max: 5 }, { long: true }),
      fc.option(text({ maxLength: 20 }), { nil: undefined, freq: 3 }),
      async (cases, source) => {
        const events = cases.map(({ input }) =>
          toSIEMEvent(
            parseAuditEvent(input),
            source === undefined ? undefined : { source },
          )
        );
        await roundTrip(p, events);
        assertNotPolluted(before);
      },
    ),
    fcParams(120),
  );
  assertNotPolluted(before);
});

// The case FC_SEED=-508314653 FC_PATH=112 found, made small: Deno 2.9.6's
// JSON.parse read the fake receivers' bodies with the key "\u0000" turned
// into "\\" (one backslash), from the second parse of the same shapes on
// (src/events/json_text.ts).
Deno.test("an escaped metadata key next to a key holding a backslash reaches every platform unchanged, batch after batch", async () => {
  await using receivers = startReceivers();
  const p = await platforms(receivers);
  for (let batch = 0; batch < 3; batch++) {
    const events = [
      { a: 0, "\u0000": 1 },
      { a: 0, "\\": 2 },
    ].map((metadata, i) =>
      toSIEMEvent(parseAuditEvent({
        event_id: `nul-${batch}-${i}`,
        correlation_id: "c",
        event_type: "tool_call",
        actor: "a",
        action: "x",
        status: "success",
        metadata,
      }))
    );
    await roundTrip(p, events);
    const last = receivers.splunk.events.at(-2)!.event as SIEMEvent;
    assert.deepEqual(Object.keys(last.metadata), ["a", "\u0000"]);
  }
});

Deno.test("__proto__, constructor and toString metadata keys stay own data on every platform; Object.prototype is not polluted", async () => {
  const before = prototypeKeys();
  await using receivers = startReceivers();
  const p = await platforms(receivers);
  const metadata = dataObject([
    ["__proto__", dataObject([["polluted", "yes"], ["isAdmin", true]])],
    ["constructor", dataObject([["prototype", dataObject([["x", 1]])]])],
    ["toString", "not a function"],
    ["", "empty key"],
    ["a.b", dataObject([["__proto__", [dataObject([["__proto__", null]])]]])],
  ]);
  const events = [
    toSIEMEvent(parseAuditEvent({
      event_id: "proto-keys",
      correlation_id: "c",
      event_type: "tool_call",
      actor: "a",
      action: "x",
      status: "success",
      metadata,
    })),
  ];
  await roundTrip(p, events);
  const stored = receivers.splunk.events.at(-1)?.event as SIEMEvent;
  assert.ok(Object.hasOwn(stored.metadata, "__proto__"));
  assert.equal(Object.getPrototypeOf(stored.metadata), Object.prototype);
  assert.deepEqual(
    Object.getOwnPropertyDescriptor(stored.metadata, "__proto__")?.value,
    { polluted: "yes", isAdmin: true },
  );
  assertNotPolluted(before);
});

// docs/events.md documents timestamps from year 1970 to 9999. Each platform is
// its own test so that one platform's refusal does not hide the others.
for (const platform of ["splunk", "elasticsearch", "datadog"] as const) {
  Deno.test(`property: ${platform} takes events across the documented timestamp range (years 1970-9999)`, async () => {
    await using receivers = startReceivers();
    const p = await platforms(receivers);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(documentedTimestamp(), async (timestamp) => {
        const event = toSIEMEvent(parseAuditEvent({
          event_id: `range-${++n}`,
          correlation_id: "c",
          timestamp,
          event_type: "request",
          actor: "a",
          action: "x",
          status: "success",
        }));
        const exporter = platform === "splunk"
          ? p.splunk
          : platform === "datadog"
          ? p.datadog
          : p.elasticsearch().exporter;
        const { verdict } = await exporter.send([event]);
        assert.deepEqual(
          verdict,
          { kind: "delivered" },
          `${platform} refused timestamp ${timestamp}`,
        );
      }),
      fcParams(60),
    );
  });
}
