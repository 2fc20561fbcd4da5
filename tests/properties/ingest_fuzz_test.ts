/**
 * Fuzzing `POST /events` of the ingest app: for any bytes, headers and
 * almost-valid JSON or NDJSON, the answer is 2xx or 4xx (never 5xx), every
 * error answer has the documented shape and code, and a request is all or
 * nothing. Requests go through `app.request()`: no server is started.
 *
 * Replay a failure with FC_SEED=<seed> FC_PATH=<path> (see _fc_params.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.11.0";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { createIngestApp, type IngestApp } from "../../src/ingest/app.ts";
import type { IngestErrorCode } from "../../src/ingest/ingest_error.ts";
import { MemoryLogger } from "../support/receivers.ts";
import { MAX_METADATA_DEPTH } from "../../src/events/json_data.ts";
import { validAuditEvent } from "./_audit_arbitraries.ts";
import { fcParams } from "./_fc_params.ts";

// Every code of IngestErrorCode: the Record makes `deno check` fail when the
// documented list in src/ingest/ingest_error.ts gains or loses a code.
const DOCUMENTED_CODES: Record<IngestErrorCode, true> = {
  unauthorized: true,
  forbidden: true,
  token_expired: true,
  token_not_yet_valid: true,
  rate_limited: true,
  not_found: true,
  method_not_allowed: true,
  payload_too_large: true,
  too_many_events: true,
  unsupported_media_type: true,
  malformed_body: true,
  invalid_events: true,
  overloaded: true,
  internal_error: true,
};
// The status each code is documented with (docs/http-api.md, "HTTP API";
// the test below holds that table to this one).
const STATUS_OF_CODE: Record<IngestErrorCode, number[]> = {
  unauthorized: [401],
  forbidden: [403],
  token_expired: [401],
  token_not_yet_valid: [401],
  rate_limited: [429],
  not_found: [404],
  method_not_allowed: [405],
  payload_too_large: [413],
  too_many_events: [413],
  unsupported_media_type: [415],
  malformed_body: [400],
  invalid_events: [400],
  overloaded: [503],
  internal_error: [500],
};

const TOKEN = "fuzz-ingest-token-0123456789abcdef";
const MAX_BODY_BYTES = 8192;
const MAX_EVENTS = 16;
const encoder = new TextEncoder();

interface Harness {
  app: IngestApp;
  integrator: SIEMIntegrator;
  logger: MemoryLogger;
}

function harness(): Harness {
  const logger = new MemoryLogger();
  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
    token: "fuzz-hec-token-0123",
  }], { autoFlush: false, logger });
  const app = createIngestApp({
    integrator,
    tokens: [TOKEN],
    maxBodyBytes: MAX_BODY_BYTES,
    maxEventsPerRequest: MAX_EVENTS,
    logger,
  });
  return { app, integrator, logger };
}

async function gzip(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** What a request should get, when the generator knows it. */
type Expected =
  | { status: 202; accepted: number; ids: (string | undefined)[] }
  | { status: number; code: IngestErrorCode };

interface Outcome {
  status: number;
  accepted: number;
  text: string;
}

/**
 * Posts a request and checks the invariants every answer must keep: 2xx or
 * 4xx, the error shape with a documented code and its status, and all or
 * nothing in the integrator's counters.
 */
async function postAndCheck(
  h: Harness,
  body: Uint8Array,
  headers: Record<string, string>,
  label: string,
): Promise<Outcome> {
  const before = h.integrator.getStats();
  const response = await h.app.request("/events", {
    method: "POST",
    body: body as Uint8Array<ArrayBuffer>,
    headers,
  });
  const text = await response.text();
  const after = h.integrator.getStats();
  const { status } = response;
  assert.ok(
    (status >= 200 && status < 300) || (status >= 400 && status < 500),
    `${label}: answered ${status} ${text.slice(0, 300)}`,
  );
  let accepted = 0;
  if (status >= 200 && status < 300) {
    assert.equal(status, 202, `${label}: success must be 202`);
    const answer = JSON.parse(text) as { accepted: number; event_ids: unknown };
    assert.ok(Number.isInteger(answer.accepted) && answer.accepted > 0);
    assert.ok(Array.isArray(answer.event_ids));
    assert.equal(answer.event_ids.length, answer.accepted);
    for (const id of answer.event_ids) assert.equal(typeof id, "string");
    accepted = answer.accepted;
  } else {
    assert.match(
      response.headers.get("content-type") ?? "",
      /^application\/json/,
      `${label}: error content type`,
    );
    const answer = JSON.parse(text) as { error?: Record<string, unknown> };
    const error = answer.error;
    assert.ok(
      typeof error === "object" && error !== null,
      `${label}: no error object in ${text.slice(0, 200)}`,
    );
    assert.deepEqual(Object.keys(answer), ["error"], `${label}: extra members`);
    assert.equal(typeof error.code, "string", `${label}: code`);
    assert.equal(typeof error.message, "string", `${label}: message`);
    const code = error.code as IngestErrorCode;
    assert.ok(
      Object.hasOwn(DOCUMENTED_CODES, code),
      `${label}: undocumented code ${String(error.code)}`,
    );
    assert.ok(
      STATUS_OF_CODE[code].includes(status),
      `${label}: code ${code} answered with ${status}`,
    );
  }
  assert.equal(
    after.eventsAccepted - before.eventsAccepted,
    accepted,
    `${label}: eventsAccepted moved by ${
      after.eventsAccepted - before.eventsAccepted
    } for ${status} accepting ${accepted}`,
  );
  assert.equal(
    after.buffered - before.buffered,
    accepted,
    `${label}: buffered moved by ${after.buffered - before.buffered}`,
  );
  return { status, accepted, text };
}

function checkExpected(
  outcome: Outcome,
  expected: Expected | undefined,
  label: string,
): void {
  if (expected === undefined) return;
  if ("code" in expected) {
    assert.equal(outcome.status, expected.status, `${label}: ${outcome.text}`);
    const { error } = JSON.parse(outcome.text) as {
      error: { code: string };
    };
    assert.equal(error.code, expected.code, label);
    return;
  }
  assert.equal(outcome.status, 202, `${label}: ${outcome.text.slice(0, 300)}`);
  const answer = JSON.parse(outcome.text) as { event_ids: string[] };
  assert.equal(outcome.accepted, expected.accepted, label);
  expected.ids.forEach((id, i) => {
    if (id !== undefined) assert.equal(answer.event_ids[i], id, label);
  });
}

async function assertStillAccepts(h: Harness): Promise<void> {
  const response = await h.app.request("/events", {
    method: "POST",
    body: JSON.stringify({
      correlation_id: "after-the-fuzz",
      event_type: "request",
      actor: "a",
      action: "x",
      status: "success",
    }),
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${TOKEN}`,
    },
  });
  assert.equal(response.status, 202, await response.text());
  assert.deepEqual(
    h.logger.lines.filter((line) => line.includes("ingest request failed")),
    [],
  );
}

// ---------------------------------------------------------------------------
// Headers

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) =>
  String.fromCharCode(code)
);
const headerText = fc.string({ unit: printable, maxLength: 40 });

const JSON_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "Application/JSON",
  " application/json ;charset=UTF-8",
];
const NDJSON_TYPES = [
  "application/x-ndjson",
  "application/ndjson",
  "APPLICATION/X-NDJSON; charset=utf-8",
];
const OTHER_TYPES = [
  "text/plain",
  "application/xml",
  "application/json-seq",
  "application/jsonx",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded",
  "*/*",
];
const contentType = fc.oneof(
  fc.constantFrom(...JSON_TYPES, ...NDJSON_TYPES, ...OTHER_TYPES),
  headerText,
  fc.constant(undefined),
);
const contentEncoding = fc.oneof(
  fc.constantFrom("gzip", "GZIP", " gzip ", "identity", "br", "deflate"),
  fc.constantFrom("x-gzip", "gzip, gzip", "compress", "zstd"),
  headerText,
  fc.constant(undefined),
);

/** Authorization variants and what each must get. */
const AUTHORIZATIONS: readonly {
  header: string | undefined;
  expect?: { status: number; code: IngestErrorCode };
}[] = [
  { header: `Bearer ${TOKEN}` },
  { header: `bearer ${TOKEN}` },
  { header: `Bearer   ${TOKEN}` },
  {
    header: undefined,
    expect: { status: 401, code: "unauthorized" },
  },
  {
    header: `Basic ${TOKEN}`,
    expect: { status: 401, code: "unauthorized" },
  },
  { header: "Bearer", expect: { status: 401, code: "unauthorized" } },
  {
    header: `Bearer ${TOKEN.slice(0, -1)}`,
    expect: { status: 403, code: "forbidden" },
  },
  {
    header: `Bearer ${TOKEN}0`,
    expect: { status: 403, code: "forbidden" },
  },
  {
    header: `Bearer ${TOKEN.toUpperCase()}`,
    expect: { status: 403, code: "forbidden" },
  },
];
const authorization = fc.oneof(
  { weight: 20, arbitrary: fc.constant(AUTHORIZATIONS[0]!) },
  { weight: 3, arbitrary: fc.constantFrom(...AUTHORIZATIONS) },
);

function headersOf(
  auth: string | undefined,
  type: string | undefined,
  encoding: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (auth !== undefined) headers.Authorization = auth;
  if (type !== undefined) headers["Content-Type"] = type;
  if (encoding !== undefined) headers["Content-Encoding"] = encoding;
  return headers;
}

// ---------------------------------------------------------------------------
// Almost-valid events

const RAW = (text: string): string => `@@raw:${text}@@`;
const RAW_PATTERN = /"@@raw:(.*?)@@"/g;

/** Serializes, turning RAW(...) placeholders into raw JSON text. */
function serialize(value: unknown): string {
  return JSON.stringify(value).replace(
    RAW_PATTERN,
    (_, raw: string) => JSON.parse(`"${raw}"`),
  );
}

function deepArrays(levels: number): string {
  return "[".repeat(levels) + "1" + "]".repeat(levels);
}

/** One event of a request: valid, or broken by a mutation it must be refused for. */
interface EventCase {
  value: unknown;
  valid: boolean;
  id: string | undefined;
  mutation?: string;
}

type Mutation = (event: Record<string, unknown>) => string;

function mutations(): fc.Arbitrary<Mutation> {
  const set = (field: string, value: unknown): Mutation => (event) => {
    event[field] = value;
    return `${field} = ${typeof value === "string" ? value : serialize(value)}`;
  };
  return fc.oneof(
    fc.constantFrom(
      "correlation_id",
      "event_type",
      "actor",
      "action",
      "status",
    ).map((field): Mutation => (event) => {
      delete event[field];
      return `${field} left out`;
    }),
    fc.constantFrom("event_id", "correlation_id", "actor", "action", "status")
      .map((field) => set(field, "")),
    fc.tuple(
      fc.constantFrom(
        "event_id",
        "correlation_id",
        "session_id",
        "actor",
        "tool_name",
        "action",
        "status",
        "error_message",
        "event_type",
      ),
      fc.constantFrom<unknown>(1, null, true, [], {}, ["x"], RAW("1e400")),
    ).filter(([field, value]) =>
      // null is absent for an optional field (as Pydantic writes None).
      value !== null ||
      !["session_id", "tool_name", "error_message"].includes(field)
    ).map(([field, value]) => set(field, value)),
    fc.constantFrom("", "Request", "login", "security decision").map((type) =>
      set("event_type", type)
    ),
    fc.constantFrom<unknown>(
      "",
      "now",
      "2026-02-30T00:00:00Z",
      "2026-01-01",
      "+012026-01-01T00:00:00Z",
      "9999-12-31T23:59:59-00:01",
      0,
      null,
      [],
    ).map((value) => set("timestamp", value)),
    fc.constantFrom<unknown>(
      -1,
      1.5,
      "5",
      true,
      RAW("1e400"),
      RAW("-1e400"),
      RAW("123456789012345678901234567890"),
      RAW("9007199254740992"),
    ).map((value) => set("duration_ms", value)),
    fc.constantFrom<unknown>([], "x", 1, [{}]).map((value) =>
      set("metadata", value)
    ),
    fc.constantFrom<unknown>(
      { n: RAW("1e400") },
      { deep: { n: RAW("-1e999") } },
      { arrays: RAW(deepArrays(MAX_METADATA_DEPTH)) },
      { arrays: RAW(deepArrays(5_000)) },
    ).map((value) => set("metadata", value)),
    fc.constantFrom(
      "__proto__",
      "constructor",
      "toString",
      "",
      "extra",
      "eventType",
      "Actor",
    ).map((key): Mutation => (event) => {
      Object.defineProperty(event, key, {
        value: "extra",
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return `unknown field ${JSON.stringify(key)}`;
    }),
    fc.constantFrom("x".repeat(513), "\u00e9".repeat(257)).map((id) =>
      set("event_id", id)
    ),
  );
}

const NOT_AN_OBJECT: readonly unknown[] = [1, "event", null, true, [], [{}]];

function eventCase(): fc.Arbitrary<EventCase> {
  const valid = validAuditEvent().map(({ input }): EventCase => ({
    value: input,
    valid: true,
    id: input.event_id,
  }));
  const mutated = fc.tuple(validAuditEvent(), mutations()).map(
    ([{ input }, mutate]): EventCase => {
      const event = { ...input } as Record<string, unknown>;
      const mutation = mutate(event);
      return { value: event, valid: false, id: undefined, mutation };
    },
  );
  const notAnObject = fc.constantFrom(...NOT_AN_OBJECT).map((value) => ({
    value,
    valid: false,
    id: undefined,
    mutation: `element ${serialize(value)}`,
  }));
  return fc.oneof(
    { weight: 10, arbitrary: valid },
    { weight: 3, arbitrary: mutated },
    { weight: 1, arbitrary: notAnObject },
  );
}

/** A body made of events, framed, maybe damaged, maybe gzipped. */
interface BodyCase {
  framing: "object" | "array" | "ndjson";
  events: EventCase[];
  newline: "\n" | "\r\n";
  blankLines: number[];
  bom: boolean;
  damage:
    | { kind: "none" }
    | { kind: "truncate"; at: number }
    | {
      kind: "byte";
      at: number;
      byte: number;
      op: "insert" | "replace" | "delete";
    };
  gzip: "no" | "yes" | "corrupt";
  type: "matching" | "other";
  otherType: string | undefined;
  auth: (typeof AUTHORIZATIONS)[number];
}

function bodyCase(): fc.Arbitrary<BodyCase> {
  return fc.record({
    framing: fc.constantFrom("object", "array", "ndjson"),
    events: fc.array(eventCase(), {
      minLength: 1,
      maxLength: MAX_EVENTS + 4,
      size: "medium",
    }),
    newline: fc.constantFrom("\n", "\r\n"),
    blankLines: fc.array(fc.nat({ max: 30 }), { maxLength: 3 }),
    bom: fc.boolean(),
    damage: fc.oneof(
      { weight: 6, arbitrary: fc.constant({ kind: "none" as const }) },
      {
        weight: 2,
        arbitrary: fc.nat().map((at) => ({ kind: "truncate" as const, at })),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant("byte" as const),
          at: fc.nat(),
          byte: fc.integer({ min: 0, max: 255 }),
          op: fc.constantFrom("insert", "replace", "delete"),
        }),
      },
    ),
    gzip: fc.oneof(
      { weight: 6, arbitrary: fc.constant("no" as const) },
      { weight: 3, arbitrary: fc.constant("yes" as const) },
      { weight: 1, arbitrary: fc.constant("corrupt" as const) },
    ),
    type: fc.oneof(
      { weight: 12, arbitrary: fc.constant("matching" as const) },
      { weight: 1, arbitrary: fc.constant("other" as const) },
    ),
    otherType: fc.option(fc.constantFrom(...OTHER_TYPES), { nil: undefined }),
    auth: authorization,
  });
}

function frame(c: BodyCase): { text: string; count: number } {
  const texts = c.events.map((event) => serialize(event.value));
  if (c.framing === "object") {
    return { text: texts[0] as string, count: 1 };
  }
  if (c.framing === "array") {
    return { text: `[${texts.join(", ")}]`, count: texts.length };
  }
  const lines = [...texts];
  for (const at of c.blankLines) {
    lines.splice(at % (lines.length + 1), 0, at % 2 === 0 ? "" : "  \t");
  }
  return { text: lines.join(c.newline) + c.newline, count: texts.length };
}

async function build(
  c: BodyCase,
): Promise<
  {
    body: Uint8Array;
    headers: Record<string, string>;
    expected: Expected | undefined;
    label: string;
  }
> {
  const events = c.framing === "object" ? c.events.slice(0, 1) : c.events;
  const framed = frame({ ...c, events });
  let bytes = encoder.encode((c.bom ? "\ufeff" : "") + framed.text);
  const plainSize = bytes.length;
  const damage = c.damage;
  if (damage.kind === "truncate") {
    bytes = bytes.slice(0, damage.at % bytes.length);
  } else if (damage.kind === "byte") {
    const at = damage.at % (bytes.length + 1);
    const before = bytes.slice(0, at);
    const after = bytes.slice(damage.op === "insert" ? at : at + 1);
    bytes = new Uint8Array([
      ...before,
      ...(damage.op === "delete" ? [] : [damage.byte]),
      ...after,
    ]);
  }
  let body: Uint8Array = bytes;
  if (c.gzip !== "no") {
    body = await gzip(bytes);
    if (c.gzip === "corrupt") {
      // Cut the stream inside its deflate data and CRC trailer.
      body = body.slice(0, Math.max(10, body.length - 9));
    }
  }
  const type = c.type === "matching"
    ? (c.framing === "ndjson" ? "application/x-ndjson" : "application/json")
    : c.otherType;
  const headers = headersOf(
    c.auth.header,
    type,
    c.gzip === "no" ? undefined : "gzip",
  );
  const label = `${c.framing} of ${framed.count} (${
    events.filter((e) => !e.valid).map((e) => e.mutation).join("; ") ||
    "all valid"
  }), damage ${damage.kind}, gzip ${c.gzip}, type ${String(type)}, auth ${
    String(c.auth.header)
  }`;

  // What the request must get, in the order the app checks.
  let expected: Expected | undefined;
  if (c.auth.expect !== undefined) {
    expected = c.auth.expect;
  } else if (c.type !== "matching") {
    expected = { status: 415, code: "unsupported_media_type" };
  } else if (
    body.length > MAX_BODY_BYTES ||
    (c.gzip === "yes" && bytes.length > MAX_BODY_BYTES)
  ) {
    expected = { status: 413, code: "payload_too_large" };
  } else if (c.gzip === "corrupt") {
    // A cut stream may still decode up to a size past the limit.
    expected = undefined;
  } else if (damage.kind === "truncate" && c.framing !== "ndjson") {
    // A strict prefix of one JSON value is never JSON.
    expected = bytes.length < plainSize
      ? { status: 400, code: "malformed_body" }
      : undefined;
  } else if (damage.kind !== "none") {
    expected = undefined;
  } else if (framed.count > MAX_EVENTS) {
    expected = { status: 413, code: "too_many_events" };
  } else if (events.some((event) => !event.valid)) {
    const scalar = c.framing === "object" &&
      (typeof events[0]?.value !== "object" || events[0]?.value === null);
    const emptyArray = c.framing === "object" &&
      Array.isArray(events[0]?.value) &&
      (events[0]?.value as unknown[]).length === 0;
    expected = {
      status: 400,
      code: scalar || emptyArray ? "malformed_body" : "invalid_events",
    };
  } else {
    expected = {
      status: 202,
      accepted: framed.count,
      ids: events.map((event) => event.id),
    };
  }
  return { body, headers, expected, label };
}

/** Code to status, as the error table of docs/http-api.md states them. */
async function documentedStatuses(): Promise<Map<string, number>> {
  const doc = await Deno.readTextFile(
    new URL("../../docs/http-api.md", import.meta.url),
  );
  const statuses = new Map<string, number>();
  // Rows such as "| 404 / 405 | `not_found` / `method_not_allowed` | … |".
  for (const [, status, code] of doc.matchAll(/^\|([^|]+)\|([^|]+)\|/gm)) {
    const numbers = status!.split("/").map((s) => s.trim());
    const codes = code!.split("/").map((s) => s.trim());
    if (!numbers.every((n) => /^\d{3}$/.test(n))) continue;
    if (!codes.every((c) => /^`[a-z_]+`$/.test(c))) continue;
    codes.forEach((c, i) => {
      statuses.set(c.slice(1, -1), Number(numbers[numbers.length > 1 ? i : 0]));
    });
  }
  return statuses;
}

Deno.test("docs/http-api.md gives every error code the status the fuzz tests hold the app to", async () => {
  const documented = await documentedStatuses();
  for (const code of Object.keys(DOCUMENTED_CODES) as IngestErrorCode[]) {
    // A 500 is a defect, not an answer a client is told to handle.
    if (code === "internal_error") continue;
    assert.ok(documented.has(code), `${code} is not in docs/http-api.md`);
    assert.deepEqual([documented.get(code)], STATUS_OF_CODE[code], code);
  }
  assert.equal(documented.size, Object.keys(DOCUMENTED_CODES).length - 1);
});

// ---------------------------------------------------------------------------

Deno.test("property: POST /events answers any bytes with 2xx or 4xx, the documented error shape, all or nothing", async () => {
  const h = harness();
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 3000 }),
      authorization,
      contentType,
      contentEncoding,
      async (bytes, auth, type, encoding) => {
        await postAndCheck(
          h,
          bytes,
          headersOf(auth.header, type, encoding),
          `bytes, type ${String(type)}, encoding ${String(encoding)}`,
        );
      },
    ),
    fcParams(300),
  );
  await assertStillAccepts(h);
});

Deno.test("property: POST /events refuses gzip of random bytes with 400 malformed_body", async () => {
  const h = harness();
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 2000 }).map((bytes) =>
        // Not the gzip magic number, so never a valid stream.
        bytes.length > 0 && bytes[0] === 0x1f ? bytes.slice(1) : bytes
      ),
      fc.constantFrom("gzip", "GZIP", " gzip "),
      fc.constantFrom(...JSON_TYPES, ...NDJSON_TYPES),
      async (bytes, encoding, type) => {
        const outcome = await postAndCheck(
          h,
          bytes,
          headersOf(`Bearer ${TOKEN}`, type, encoding),
          "gzip of random bytes",
        );
        checkExpected(
          outcome,
          { status: 400, code: "malformed_body" },
          `gzip of ${bytes.length} random bytes`,
        );
      },
    ),
    fcParams(150),
  );
  await assertStillAccepts(h);
});

Deno.test("property: POST /events on almost-valid JSON and NDJSON gets the expected answer, all or nothing", async () => {
  const h = harness();
  await fc.assert(
    fc.asyncProperty(bodyCase(), async (c) => {
      const { body, headers, expected, label } = await build(c);
      const outcome = await postAndCheck(h, body, headers, label);
      checkExpected(outcome, expected, label);
    }),
    fcParams(300),
  );
  await assertStillAccepts(h);
});
