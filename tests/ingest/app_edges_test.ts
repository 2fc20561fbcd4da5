/**
 * The ingest app at its edges: exact limits and defaults, the request and
 * producer counts of `/stats` and `/metrics` after each kind of answer,
 * unexpected errors, and options that cannot go together.
 */
import assert from "node:assert/strict";
import type { AuditEvent } from "../../src/events/audit_event.ts";
import type { DeliveryStats } from "../../src/delivery/stats.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { createIngestApp, type IngestApp } from "../../src/ingest/app.ts";
import type { IngestErrorBody } from "../../src/ingest/ingest_error.ts";
import { refusedEventsError } from "../../src/ingest/ingest_error.ts";
import type { IngestSink } from "../../src/ingest/sink.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { memorySink } from "../support/memory_sink.ts";
import { serveIngest } from "../support/serve_ingest.ts";
import { MemoryLogger } from "../support/receivers.ts";
import { destination, integratorStats } from "../support/stats.ts";

const TOKEN = "ingest-token-0123456789abcdef";
const BILLING = "billing-token-0123456789abcdef";
const quiet = new MemoryLogger();

function offlineIntegrator(): SIEMIntegrator {
  return new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
  }], { autoFlush: false, logger: quiet });
}

function request(
  target: IngestApp,
  body: BodyInit,
  headers: Record<string, string> = {},
  token = TOKEN,
): Promise<Response> {
  return Promise.resolve(target.request("/events", {
    method: "POST",
    body,
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${token}`,
      ...headers,
    },
  }));
}

async function errorOf(
  response: Response,
  status: number,
  code: string,
): Promise<IngestErrorBody["error"]> {
  assert.equal(response.status, status);
  const body = await response.json() as IngestErrorBody;
  assert.equal(body.error.code, code);
  return body.error;
}

/** A sink of a fixed capacity that keeps what it accepts. */
function sizedSink(capacity: number): IngestSink & { events: AuditEvent[] } {
  const sink = memorySink();
  return { ...sink, events: sink.events, capacity: () => capacity };
}

/** One event as JSON text, padded with metadata to exactly `bytes` bytes. */
function eventOfBytes(bytes: number): string {
  const base = JSON.stringify({
    ...realisticEvents(1)[0],
    metadata: { p: "" },
  });
  const padding = bytes - new TextEncoder().encode(base).length;
  assert.ok(padding >= 0);
  return JSON.stringify({
    ...realisticEvents(1)[0],
    metadata: { p: "x".repeat(padding) },
  });
}

Deno.test("createIngestApp() refuses both an integrator and a sink", () => {
  assert.throws(
    () =>
      createIngestApp({
        integrator: offlineIntegrator(),
        sink: memorySink(),
        tokens: [TOKEN],
      }),
    (error: unknown) =>
      error instanceof TypeError &&
      /give either 'integrator' or 'sink', not both/.test(error.message),
  );
});

Deno.test("POST /events: the default body limit is exactly 1 MiB, before any event is read", async () => {
  const ingest = createIngestApp({ sink: memorySink(), tokens: [TOKEN] });
  const exact = eventOfBytes(1 << 20);
  assert.equal((await request(ingest, exact)).status, 202);
  const over = eventOfBytes((1 << 20) + 1);
  const error = await errorOf(
    await request(ingest, over),
    413,
    "payload_too_large",
  );
  assert.equal(error.message, "body is larger than 1048576 bytes");
});

Deno.test("POST /events: the default is 1000 events per request, and the 1001st refuses the request", async () => {
  const sink = memorySink();
  const ingest = createIngestApp({ sink, tokens: [TOKEN] });
  const events = realisticEvents(1001).map((event) => ({
    ...event,
    metadata: {},
  }));
  assert.equal(
    (await request(ingest, JSON.stringify(events.slice(0, 1000)))).status,
    202,
  );
  const error = await errorOf(
    await request(ingest, JSON.stringify(events)),
    413,
    "too_many_events",
  );
  assert.equal(
    error.message,
    "request holds 1001 events, more than the 1000 allowed",
  );
  assert.equal(sink.events.length, 1000);
});

Deno.test("POST /events: a sink with exactly the room for the events takes them; one less is 503 with the default Retry-After of 5 s", async () => {
  const events = JSON.stringify(realisticEvents(3));
  const roomy = sizedSink(3);
  assert.equal(
    (await request(
      createIngestApp({ sink: roomy, tokens: [TOKEN] }),
      events,
    )).status,
    202,
  );
  assert.equal(roomy.events.length, 3);

  const tight = sizedSink(2);
  const answer = await request(
    createIngestApp({ sink: tight, tokens: [TOKEN] }),
    events,
  );
  assert.equal(answer.headers.get("retry-after"), "5");
  const error = await errorOf(answer, 503, "overloaded");
  assert.equal(
    error.message,
    "the forwarder can take 2 more events now, fewer than the 3 sent",
  );
  assert.equal(tight.events.length, 0);

  const full = await request(
    createIngestApp({ sink: sizedSink(0), tokens: [TOKEN] }),
    events,
  );
  assert.equal(full.headers.get("retry-after"), "5");
  assert.match(
    (await errorOf(full, 503, "overloaded")).message,
    /buffers are full or no destination is enabled/,
  );
});

Deno.test("GET /stats counts each POST /events answer in its class, and nothing else", async () => {
  const integrator = offlineIntegrator();
  const ingest = createIngestApp({
    integrator,
    tokens: [TOKEN, { name: "billing", token: BILLING }],
    maxBodyBytes: 4096,
    quotas: { billing: { eventsPerSecond: 1, burstEvents: 1 } },
    clock: { now: () => 0 },
  });
  const one = JSON.stringify(realisticEvents(1)[0]);
  // 202, 202 (billing), 400, 401, 403, 413, 415, 429 (billing).
  assert.equal((await request(ingest, one)).status, 202);
  assert.equal((await request(ingest, one, {}, BILLING)).status, 202);
  assert.equal((await request(ingest, "{")).status, 400);
  assert.equal(
    (await request(ingest, one, { Authorization: "" })).status,
    401,
  );
  assert.equal(
    (await request(ingest, one, {}, "unknown-token-0123456789")).status,
    403,
  );
  assert.equal((await request(ingest, eventOfBytes(4097))).status, 413);
  assert.equal(
    (await request(ingest, one, { "Content-Type": "text/plain" })).status,
    415,
  );
  assert.equal((await request(ingest, one, {}, BILLING)).status, 429);
  // Not POST /events: none of these is counted.
  assert.equal((await ingest.request("/events")).status, 405);
  await ingest.request("/health");
  await ingest.request("/nowhere", { method: "POST" });

  const stats = await (await ingest.request("/stats", {
    headers: { Authorization: `Bearer ${TOKEN}` },
  })).json();
  assert.deepEqual(stats.ingest, {
    requests: 8,
    accepted: 2,
    refused: 6,
    overloaded: 0,
    failed: 0,
  });
  assert.deepEqual(stats.producers, {
    default: {
      accepted: 1,
      eventsAccepted: 1,
      refusedByQuota: 0,
      refusedOverShare: 0,
      // 400, 413 and 415; not 401 or 403 (no producer is known there).
      refusedInvalid: 3,
    },
    billing: {
      accepted: 1,
      eventsAccepted: 1,
      refusedByQuota: 1,
      refusedOverShare: 0,
      refusedInvalid: 0,
    },
  });
  assert.equal(stats.eventsAccepted, 2);
});

Deno.test("GET /stats counts a 503 as overloaded and another 5xx as failed, and neither as refused by the producer", async () => {
  let fail: unknown = undefined;
  let capacity = 100;
  const stats = offlineIntegrator().getStats();
  const sink: IngestSink = {
    ...memorySink(),
    accept: () => fail === undefined ? Promise.resolve() : Promise.reject(fail),
    capacity: () => capacity,
    getStats: (): DeliveryStats => stats,
  };
  const ingest = createIngestApp({
    sink,
    tokens: [TOKEN],
    logger: new MemoryLogger(),
  });
  const two = JSON.stringify(realisticEvents(2));
  assert.equal((await request(ingest, two)).status, 202);
  fail = new Error("disk full");
  assert.equal((await request(ingest, two)).status, 500);
  fail = undefined;
  capacity = 1;
  assert.equal((await request(ingest, two)).status, 503);
  capacity = 0;
  assert.equal((await request(ingest, two)).status, 503);
  const answer = await (await ingest.request("/stats", {
    headers: { Authorization: `Bearer ${TOKEN}` },
  })).json();
  assert.deepEqual(answer.ingest, {
    requests: 4,
    accepted: 1,
    refused: 0,
    overloaded: 2,
    failed: 1,
  });
  assert.deepEqual(answer.producers.default, {
    accepted: 1,
    eventsAccepted: 2,
    refusedByQuota: 0,
    refusedOverShare: 0,
    refusedInvalid: 0,
  });
});

Deno.test("an unexpected error is a 500 internal_error, logged by its name and path only (never its message)", async () => {
  const sink: IngestSink = {
    ...memorySink(),
    accept: () =>
      Promise.reject(new RangeError("secret-token-0123456789 in a message")),
  };
  const logger = new MemoryLogger();
  const ingest = createIngestApp({ sink, tokens: [TOKEN], logger });
  const answer = await request(ingest, JSON.stringify(realisticEvents(1)[0]));
  const error = await errorOf(answer, 500, "internal_error");
  assert.equal(error.message, "internal error");
  assert.deepEqual(logger.lines, [
    'error ingest request failed {"path":"/events","error":"RangeError"}',
  ]);
});

Deno.test("a sink that rejects with a value that is not an Error still gets a JSON 500, counted in /stats, its value never logged", async () => {
  const sink: IngestSink = {
    ...memorySink(),
    // A custom sink's bug: a rejected string, not an Error.
    accept: () => Promise.reject("secret-token-0123456789 in a string"),
    getStats: (): DeliveryStats => offlineIntegrator().getStats(),
  };
  const logger = new MemoryLogger();
  const ingest = createIngestApp({ sink, tokens: [TOKEN], logger });
  const answer = await request(ingest, JSON.stringify(realisticEvents(1)[0]));
  const error = await errorOf(answer, 500, "internal_error");
  assert.equal(error.message, "internal error");
  assert.deepEqual(logger.lines, [
    'error ingest request failed {"path":"/events","error":"SinkRejection"}',
  ]);
  const stats = await ingest.request("/stats", {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  const body = await stats.json();
  assert.equal(body.ingest.failed, 1, JSON.stringify(body.ingest));
});

Deno.test("POST /events: a failed flush handed to waitUntil is logged, and the events stay accepted", async () => {
  const sink: IngestSink = {
    ...memorySink(),
    flush: () => Promise.reject(new Error("SIEM unreachable")),
  };
  const logger = new MemoryLogger();
  const ingest = createIngestApp({ sink, tokens: [TOKEN], logger });
  const pending: Promise<unknown>[] = [];
  const answer = await ingest.request(
    "/events",
    {
      method: "POST",
      body: JSON.stringify(realisticEvents(1)[0]),
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${TOKEN}`,
      },
    },
    {},
    {
      waitUntil: (promise) => void pending.push(promise),
      passThroughOnException: () => {},
    },
  );
  assert.equal(answer.status, 202);
  assert.equal(pending.length, 1);
  await Promise.all(pending);
  assert.deepEqual(logger.lines, [
    'error flush after ingest failed {"error":"Error: SIEM unreachable"}',
  ]);
});

Deno.test("refusedEventsError() counts every problem, lists the first 100, and says one problem in the singular", () => {
  const one = refusedEventsError([{
    index: 0,
    path: "metadata",
    message: "x",
  }]);
  assert.equal(one.status, 400);
  assert.equal(one.code, "invalid_events");
  assert.equal(one.message, "1 problem in the events; none was accepted");
  const many = refusedEventsError(
    Array.from({ length: 101 }, (_, index) => ({
      index,
      path: "metadata",
      message: "empty key",
    })),
  );
  assert.equal(
    many.message,
    "101 problems in the events; none was accepted (the first 100 are listed)",
  );
  assert.equal(many.details.events?.length, 100);
  assert.equal(many.details.events?.[99]?.index, 99);
  const hundred = refusedEventsError(
    Array.from(
      { length: 100 },
      (_, index) => ({ index, path: "", message: "" }),
    ),
  );
  assert.equal(
    hundred.message,
    "100 problems in the events; none was accepted",
  );
});

/** An app over a sink whose statistics the test sets. */
function statsApp(
  stats: () => DeliveryStats,
  options: Partial<Parameters<typeof createIngestApp>[0]> = {},
): IngestApp {
  const sink: IngestSink = { ...memorySink(), getStats: stats };
  return createIngestApp({ sink, tokens: [TOKEN], ...options });
}

Deno.test("GET /health answers 200 when degraded and 503 only when failing; failingAfter and deadLetterWindowMs reach the report", async () => {
  let stats = integratorStats([
    destination({ name: "a" }),
    destination({ name: "b", state: "backing_off", consecutiveFailures: 2 }),
  ]);
  const health = async (
    target: IngestApp,
  ): Promise<[number, Record<string, unknown>]> => {
    const answer = await target.request("/health");
    return [answer.status, await answer.json()];
  };
  const byDefault = statsApp(() => stats);
  const [degraded, body] = await health(byDefault);
  assert.equal(degraded, 200);
  assert.equal(body.status, "degraded");
  assert.equal(body.capacity, 100_000);
  assert.deepEqual(body.destinations, {
    a: {
      status: "delivering",
      buffered: 0,
      consecutiveFailures: 0,
      deadLettered: 0,
    },
    b: {
      status: "backing_off",
      buffered: 0,
      consecutiveFailures: 2,
      deadLettered: 0,
    },
  });
  // failingAfter 2: b fails, a delivers: still degraded, still 200.
  const strict = statsApp(() => stats, { failingAfter: 2 });
  const [status, strictBody] = await health(strict);
  assert.equal(status, 200);
  assert.equal(
    (strictBody.destinations as Record<string, { status: string }>).b!
      .status,
    "failing",
  );
  stats = integratorStats([
    destination({ name: "b", state: "backing_off", consecutiveFailures: 2 }),
  ]);
  assert.equal((await health(strict))[0], 503);
  assert.equal((await health(byDefault))[0], 200);

  // A dead letter 10 minutes ago: degraded within the default 15 minutes,
  // ok with a window of 5.
  const tenMinutesAgo = new Date(Date.now() - 10 * 60_000).toISOString();
  stats = integratorStats([
    destination({
      name: "a",
      eventsFailed: 3,
      recentDeadLetters: [
        { at: tenMinutesAgo, events: 3, reason: "refused", status: 400 },
      ],
    }),
  ]);
  const [withLetters, lettersBody] = await health(byDefault);
  assert.equal(withLetters, 200);
  assert.equal(lettersBody.status, "degraded");
  assert.deepEqual(
    (lettersBody.destinations as Record<string, unknown>).a,
    {
      status: "delivering",
      buffered: 0,
      consecutiveFailures: 0,
      deadLettered: 3,
      recentDeadLetters: { events: 3, lastAt: tenMinutesAgo, lastStatus: 400 },
    },
  );
  const short = statsApp(() => stats, { deadLetterWindowMs: 5 * 60_000 });
  const [, shortBody] = await health(short);
  assert.equal(shortBody.status, "ok");
});

Deno.test("POST /events: a producer over its quota gets 429 before its body is read, whatever the body holds", async () => {
  const stats = offlineIntegrator().getStats();
  const ingest = createIngestApp({
    sink: { ...memorySink(), getStats: () => stats },
    tokens: [{ name: "billing", token: BILLING }],
    quotas: { billing: { eventsPerSecond: 1 } },
    maxBodyBytes: 200,
    clock: { now: () => 0 },
  });
  const one = JSON.stringify({
    correlation_id: "c",
    event_type: "request",
    actor: "a",
    action: "b",
    status: "s",
  });
  assert.equal((await request(ingest, one, {}, BILLING)).status, 202);
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller): void {
      pulled++;
      controller.enqueue(new TextEncoder().encode("not json at all"));
      controller.close();
    },
  }, { highWaterMark: 0 });
  const answer = await ingest.request("/events", {
    method: "POST",
    body,
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${BILLING}`,
    },
  });
  assert.equal(answer.status, 429);
  assert.equal(answer.headers.get("retry-after"), "1");
  assert.equal(pulled, 0);
  const answered = await (await ingest.request("/stats", {
    headers: { Authorization: `Bearer ${BILLING}` },
  })).json();
  assert.equal(answered.producers.billing.refusedByQuota, 1);
  assert.equal(answered.producers.billing.refusedInvalid, 0);
});

Deno.test("POST /events over HTTP: a declared Content-Length of exactly maxBodyBytes is read; one byte more is 413 unread", async () => {
  const sink = memorySink();
  await using served = serveIngest(
    createIngestApp({ sink, tokens: [TOKEN], maxBodyBytes: 2048 }),
  );
  const send = (text: string) =>
    fetch(`${served.url}/events`, {
      method: "POST",
      body: text,
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${TOKEN}`,
      },
    });
  const exact = await send(eventOfBytes(2048));
  assert.equal(exact.status, 202);
  await exact.body?.cancel();
  const over = await send(eventOfBytes(2049));
  assert.equal(over.status, 413);
  assert.equal(
    (await over.json()).error.message,
    "body is larger than 2048 bytes",
  );
  assert.equal(sink.events.length, 1);
});

Deno.test("POST /events: a 400 names each problem by event index and dotted field path", async () => {
  let deep: Record<string, unknown> = {};
  for (let i = 1; i < 65; i++) deep = { d: deep };
  const [first, second] = realisticEvents(2);
  const answer = await request(
    createIngestApp({ sink: memorySink(), tokens: [TOKEN] }),
    JSON.stringify([first, { ...second, metadata: { user: deep } }]),
  );
  const error = await errorOf(answer, 400, "invalid_events");
  assert.equal(
    error.message,
    "1 problem in the events; none was accepted",
  );
  assert.deepEqual(error.events, [{
    index: 1,
    path: ["metadata", "user", ...Array(63).fill("d")].join("."),
    message: "nests deeper than 64 levels",
  }]);
});
