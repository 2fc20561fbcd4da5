import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { Destination } from "../../src/delivery/destination.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import { SplunkExporter } from "../../src/platforms/splunk.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import type { ResponseVerdict } from "../../src/platforms/verdict.ts";
import { DATADOG_MAX_LOG_BYTES } from "../../src/platforms/datadog.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { goldenEvents, realisticEvents } from "../fixtures/events.ts";
import {
  clockTest as test,
  FakeClock,
  waitFor,
} from "../support/fake_clock.ts";
import {
  deadLetterSink,
  MemoryLogger,
  startReceivers,
  TOKENS,
} from "../support/receivers.ts";

const quiet = new MemoryLogger();

function splunkIds(events: Array<Record<string, unknown>>): string[] {
  return events.map((env) => (env.event as { event_id: string }).event_id);
}

test("Destination retries with exponential backoff, then keeps the batch and backs off", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  hec.down({ status: 503 });
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  await using integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: hec.url,
    token: TOKENS.splunk,
    maxRetries: 3,
    retryDelayMs: 1000,
  }], { clock, random: () => 0, logger, autoFlush: false });
  for (const event of realisticEvents(4)) integrator.exportEvent(event);
  const flushing = integrator.flushAll();
  const delays: number[] = [];
  for (let retry = 0; retry < 3; retry++) {
    delays.push(await clock.nextTimer());
    assert.equal(
      integrator.getStats().perDestination.splunk!.state,
      "retrying",
    );
    await clock.advance(delays.at(-1)!);
  }
  const [result] = await flushing;
  // delay = retryDelayMs * 2^attempt (no jitter with random() = 0).
  assert.deepEqual(delays, [1000, 2000, 4000]);
  assert.equal(hec.requests.length, 4);
  assert.equal(result!.success, false);
  assert.equal(result!.eventsQueued, 4);
  assert.equal(result!.eventsFailed, 0);
  assert.equal(result!.retries, 3);
  assert.match(result!.error ?? "", /HEC code 9: Server is busy \(HTTP 503\)/);
  const stats = integrator.getStats().perDestination.splunk!;
  assert.equal(stats.state, "backing_off");
  assert.equal(stats.buffered, 4);
  assert.equal(stats.eventsFailed, 0);
  assert.equal(stats.consecutiveFailures, 1);
  assert.equal(stats.totalRetries, 3);
  // The next try waits retryDelayMs * 2^3.
  assert.equal(stats.retryAt, new Date(clock.now() + 8000).toISOString());
  assert.ok(logger.lines.some((line) => line.includes("backing off")));
  hec.down(null);
  await integrator.flushAll();
  assert.equal(hec.events.length, 4);
  assert.equal(integrator.getStats().perDestination.splunk!.state, "idle");
  // A delivery ends the backoff: the next event waits for no retryAt.
  integrator.exportEvent(realisticEvents(1, 2)[0]!);
  const after = integrator.getStats().perDestination.splunk!;
  assert.equal(after.state, "idle");
  assert.equal(after.retryAt, undefined);
  assert.equal(after.consecutiveFailures, 0);
});

test("Destination counts a bulk answer that accepts no event of the batch as a failure, flush after flush", async () => {
  // Every item refused with 429: a 200 that delivered nothing.
  const refuseAll: typeof fetch = (_input, init) => {
    const lines = new TextDecoder().decode(init!.body as Uint8Array).trim()
      .split("\n").length;
    const items = Array.from({ length: lines / 2 }, () => ({
      create: {
        status: 429,
        error: { type: "es_rejected_execution_exception", reason: "full" },
      },
    }));
    return Promise.resolve(
      new Response(JSON.stringify({ errors: true, items }), {
        headers: { "content-type": "application/json" },
      }),
    );
  };
  await using integrator = new SIEMIntegrator([{
    platform: "elasticsearch",
    endpoint: "http://127.0.0.1:9",
    token: TOKENS.elasticsearch,
    maxRetries: 0,
  }], {
    clock: new FakeClock(),
    random: () => 0,
    logger: quiet,
    autoFlush: false,
    fetch: refuseAll,
  });
  for (const event of realisticEvents(3)) integrator.exportEvent(event);
  for (let flush = 1; flush <= 3; flush++) {
    const [result] = await integrator.flushAll();
    assert.equal(result!.eventsSent, 0);
    assert.equal(result!.eventsQueued, 3);
    const stats = integrator.getStats().perDestination.elasticsearch!;
    assert.equal(stats.consecutiveFailures, flush);
    assert.equal(stats.state, "backing_off");
  }
});

test("Destination keeps a batch whose answer names an event outside it", async () => {
  const accepted: typeof fetch = () =>
    Promise.resolve(
      new Response('{"text":"Success","code":0}', {
        headers: { "content-type": "application/json" },
      }),
    );
  for (const index of [-1, 2]) {
    // An exporter whose classify() names event `index` of a batch of 2.
    class Naming extends SplunkExporter {
      override classify(): ResponseVerdict {
        return {
          kind: "partial",
          retry: [],
          rejected: [{ index, reason: "bad event" }],
          backoff: false,
        };
      }
    }
    const destination = new Destination(
      new Naming(parseSIEMConfig({
        platform: "splunk",
        endpoint: "http://127.0.0.1:9",
        token: TOKENS.splunk,
        maxRetries: 0,
      })),
      {
        fetch: accepted,
        clock: new FakeClock(),
        random: () => 0,
        logger: quiet,
        autoFlush: false,
      },
    );
    for (const event of realisticEvents(2)) {
      destination.enqueue(toSIEMEvent(parseAuditEvent(event)));
    }
    const result = await destination.flush();
    assert.equal(result.eventsQueued, 2, `index ${index}`);
    assert.equal(result.eventsFailed, 0);
    assert.equal(result.error, `answer names event ${index} of a batch of 2`);
    await destination.close(0);
  }
});

test("Destination honours Retry-After on 429", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  hec.failNext({ status: 429, headers: { "Retry-After": "7" } });
  const clock = new FakeClock();
  await using integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: hec.url,
    token: TOKENS.splunk,
    retryDelayMs: 100,
  }], { clock, random: () => 0, logger: quiet, autoFlush: false });
  integrator.exportEvent(goldenEvents()[0]!);
  const flushing = integrator.flushAll();
  assert.equal(await clock.nextTimer(), 7000);
  await clock.advance(7000);
  const [result] = await flushing;
  assert.equal(result!.success, true);
  assert.equal(result!.retries, 1);
  assert.equal(hec.events.length, 1);
});

Deno.test("Destination delivers every event after an outage, on its own timer", async () => {
  await using siems = startReceivers();
  siems.elasticsearch.down({ status: 503 });
  await using integrator = new SIEMIntegrator(
    siems.configs({
      batchSize: 10,
      flushIntervalMs: 100,
      maxRetries: 1,
      retryDelayMs: 20,
      maxRetryDelayMs: 200,
    }),
    { logger: quiet },
  );
  const events = realisticEvents(45);
  for (const event of events) integrator.exportEvent(event);
  // Healthy destinations are not held up by the failing one.
  await waitFor(
    () => siems.splunk.events.length === 45 && siems.datadog.logs.length === 45,
    5000,
    "healthy destinations",
  );
  assert.equal(siems.elasticsearch.documents.length, 0);
  await waitFor(
    () =>
      integrator.getStats().perDestination.elasticsearch!.state ===
        "backing_off",
    5000,
    "backoff",
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  siems.elasticsearch.down(null);
  await waitFor(
    () => siems.elasticsearch.documents.length === 45,
    10_000,
    "recovery",
  );
  assert.deepEqual(
    siems.elasticsearch.documents.map((d) => d.id),
    events.map((e) => e.event_id),
  );
  // The fake stores before it answers: wait for the answer to be read.
  await waitFor(
    () => integrator.getStats().eventsExported === 135,
    5000,
    "the last answer",
  );
  assert.equal(integrator.getStats().eventsFailed, 0);
});

Deno.test("Destination keeps the backlog through a wrong or revoked token", async () => {
  await using siems = startReceivers();
  siems.datadog.down({ status: 403 });
  siems.splunk.down({ status: 401 });
  await using integrator = new SIEMIntegrator(
    siems.configs({ maxRetries: 0 }),
    { logger: quiet, autoFlush: false },
  );
  for (const event of realisticEvents(5)) integrator.exportEvent(event);
  await integrator.flushAll();
  const stats = integrator.getStats();
  assert.equal(stats.perDestination.datadog!.buffered, 5);
  assert.match(stats.perDestination.datadog!.lastError!, /HTTP 403/);
  assert.equal(stats.perDestination.splunk!.buffered, 5);
  assert.match(stats.perDestination.splunk!.lastError!, /HEC code 2/);
  assert.equal(stats.eventsFailed, 0);
  siems.datadog.down(null);
  siems.splunk.down(null);
  await integrator.flushAll();
  assert.equal(siems.datadog.logs.length, 5);
  assert.equal(siems.splunk.events.length, 5);
});

Deno.test("Destination retries a request that hangs past timeoutMs, and one whose connection drops", async () => {
  await using siems = startReceivers();
  siems.splunk.failNext({ hang: true });
  siems.datadog.failNext({ reset: true });
  await using integrator = new SIEMIntegrator(
    siems.configs({ timeoutMs: 1000, retryDelayMs: 10 }),
    { logger: quiet, autoFlush: false },
  );
  for (const event of realisticEvents(3)) integrator.exportEvent(event);
  const started = Date.now();
  const results = await integrator.flushAll();
  assert.ok(Date.now() - started >= 1000);
  assert.deepEqual(results.map((r) => [r.success, r.retries]), [
    [true, 1],
    [true, 0],
    [true, 1],
  ]);
  assert.match(
    integrator.getStats().perDestination.splunk!.lastError!,
    /timed out after 1000 ms/,
  );
  assert.match(
    integrator.getStats().perDestination.datadog!.lastError!,
    /^network error/,
  );
  assert.equal(siems.splunk.events.length, 3);
  assert.equal(siems.datadog.logs.length, 3);
});

Deno.test("Destination retries only the bulk items that failed with 429 or 5xx, and dead-letters the rest", async () => {
  await using es = startFakeElasticsearch({ apiKey: TOKENS.elasticsearch });
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([{
    platform: "elasticsearch",
    endpoint: es.url,
    token: TOKENS.elasticsearch,
    retryDelayMs: 10,
  }], { logger: quiet, autoFlush: false, onDeadLetter: sink.onDeadLetter });
  const events = realisticEvents(6);
  for (const event of events) integrator.exportEvent(event);
  es.failItemsNext(({ index }) =>
    index === 1
      ? { status: 429, type: "es_rejected_execution_exception", reason: "q" }
      : index === 3
      ? { status: 503, type: "unavailable_shards_exception", reason: "s" }
      : index === 4
      ? {
        status: 400,
        type: "document_parsing_exception",
        reason: "failed to parse field [metadata.x]",
      }
      : undefined
  );
  const [result] = await integrator.flushAll();
  assert.equal(es.requests.length, 2);
  // The retry request carries only the two failed items.
  const retried = new TextDecoder().decode(es.requests[1]!.body).trim()
    .split("\n").filter((_, i) => i % 2 === 0).map((line) =>
      JSON.parse(line).create._id
    );
  assert.deepEqual(retried, [events[1]!.event_id, events[3]!.event_id]);
  assert.deepEqual(
    es.documents.map((d) => d.id).sort(),
    events.filter((_, i) => i !== 4).map((e) => e.event_id).sort(),
  );
  assert.equal(result!.eventsSent, 5);
  assert.equal(result!.eventsFailed, 1);
  assert.equal(result!.success, false);
  assert.equal(sink.letters.length, 1);
  assert.equal(sink.letters[0]!.events[0]!.event_id, events[4]!.event_id);
  assert.equal(
    sink.letters[0]!.reason,
    "item HTTP 400: document_parsing_exception: failed to parse field [metadata.x]",
  );
  assert.equal(integrator.getStats().perDestination.elasticsearch!.buffered, 0);
});

Deno.test("Destination dead-letters bulk items refused for different reasons apart, each with the deepest cause and the item's status", async () => {
  await using es = startFakeElasticsearch({ apiKey: TOKENS.elasticsearch });
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([{
    platform: "elasticsearch",
    endpoint: es.url,
    token: TOKENS.elasticsearch,
  }], { logger: quiet, autoFlush: false, onDeadLetter: sink.onDeadLetter });
  const events = realisticEvents(5);
  for (const event of events) integrator.exportEvent(event);
  // One top-level reason, three root causes (elastic/elasticsearch#70960,
  // #57272, and a depth limit).
  const causes = [
    "field name cannot be an empty string",
    "Numeric value (100000000000000000000) out of range of long",
    "Limit of mapping depth [20] has been exceeded due to object field [metadata.a]",
    "field name cannot be an empty string",
  ];
  es.failItemsNext(({ index }) =>
    index < 4
      ? {
        status: 400,
        type: "mapper_parsing_exception",
        reason: "failed to parse",
        causedBy: {
          type: "illegal_argument_exception",
          reason: causes[index]!,
        },
      }
      : undefined
  );
  const [result] = await integrator.flushAll();
  assert.equal(result!.eventsSent, 1);
  assert.equal(result!.eventsFailed, 4);
  const letters = sink.letters.map((letter) => ({
    reason: letter.reason,
    status: letter.status,
    ids: letter.events.map((event) => event.event_id),
  }));
  const reason = (cause: string): string =>
    `item HTTP 400: mapper_parsing_exception: failed to parse; caused by illegal_argument_exception: ${cause}`;
  assert.deepEqual(letters, [
    {
      reason: reason(causes[0]!),
      status: 400,
      ids: [events[0]!.event_id, events[3]!.event_id],
    },
    { reason: reason(causes[1]!), status: 400, ids: [events[1]!.event_id] },
    { reason: reason(causes[2]!), status: 400, ids: [events[2]!.event_id] },
  ]);
});

Deno.test("Destination dead-letters what the fake's dynamic mapping refuses (indexTemplate set, the template missing) with Elasticsearch's root causes", async () => {
  await using es = startFakeElasticsearch({ apiKey: TOKENS.elasticsearch });
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([{
    platform: "elasticsearch",
    endpoint: es.url,
    token: TOKENS.elasticsearch,
    // Claimed but never installed: nothing is refused at acceptance.
    indexTemplate: true,
  }], { logger: quiet, autoFlush: false, onDeadLetter: sink.onDeadLetter });
  const events = realisticEvents(4).map((event, i) => ({
    ...event,
    metadata: [{ "": 1 }, { big: 1e20 }, { ".b": 1 }, { fine: 1 }][i]!,
  }));
  for (const event of events) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(result!.eventsSent, 1);
  assert.deepEqual(
    sink.letters.map((letter) => [
      letter.status,
      letter.events.map((event) => event.event_id),
    ]),
    events.slice(0, 3).map((event) => [400, [event.event_id]]),
  );
  const reasons = sink.letters.map((letter) => letter.reason);
  assert.equal(
    reasons[0],
    "item HTTP 400: mapper_parsing_exception: failed to parse; caused by illegal_argument_exception: field name cannot be an empty string",
  );
  assert.match(
    reasons[1]!,
    /; caused by input_coercion_exception: Numeric value \(100000000000000000000\) out of range of long/,
  );
  assert.match(
    reasons[2]!,
    /; caused by illegal_argument_exception: object field starting or ending with a \[\.\] makes object resolution ambiguous: \[metadata\.\.b\]$/,
  );
});

Deno.test("Destination keeps and retries bulk items refused because the index is closed, and delivers them once it is reopened", async () => {
  await using es = startFakeElasticsearch({ apiKey: TOKENS.elasticsearch });
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([{
    platform: "elasticsearch",
    endpoint: es.url,
    token: TOKENS.elasticsearch,
    index: "audit",
    maxRetries: 1,
    retryDelayMs: 10,
  }], { logger: quiet, autoFlush: false, onDeadLetter: sink.onDeadLetter });
  const events = realisticEvents(3);
  for (const event of events) integrator.exportEvent(event);
  es.closeIndex("audit");
  const [closed] = await integrator.flushAll();
  assert.equal(closed!.success, false);
  assert.match(
    closed!.error ?? "",
    /item HTTP 400: index_closed_exception: closed/,
  );
  assert.equal(sink.letters.length, 0);
  assert.equal(integrator.getStats().perDestination.elasticsearch!.buffered, 3);
  assert.equal(es.documents.length, 0);
  es.openIndex("audit");
  const [reopened] = await integrator.flushAll();
  assert.equal(reopened!.success, true);
  assert.deepEqual(
    es.documents.map((d) => d.id).sort(),
    events.map((e) => e.event_id).sort(),
  );
  assert.equal(sink.letters.length, 0);
  assert.equal(
    integrator.getStats().perDestination.elasticsearch!.eventsFailed,
    0,
  );
});

Deno.test("Destination splits a batch refused with 413 until it fits, and dead-letters an event too large alone", async () => {
  await using es = startFakeElasticsearch({
    apiKey: TOKENS.elasticsearch,
    maxContentLength: 4000,
  });
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([{
    platform: "elasticsearch",
    endpoint: es.url,
    token: TOKENS.elasticsearch,
  }], { logger: quiet, autoFlush: false, onDeadLetter: sink.onDeadLetter });
  const events = realisticEvents(12);
  events[5] = { ...events[5]!, metadata: { blob: "x".repeat(5000) } };
  for (const event of events) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(result!.eventsSent, 11);
  assert.equal(result!.eventsFailed, 1);
  assert.deepEqual(
    es.documents.map((d) => d.id).sort(),
    events.filter((_, i) => i !== 5).map((e) => e.event_id).sort(),
  );
  assert.equal(sink.letters[0]!.events[0]!.event_id, events[5]!.event_id);
  assert.equal(sink.letters[0]!.status, 413);
  assert.ok(es.requests.every((r) => r.status === 200 || r.status === 413));
});

test("Destination dead-letters the one event HEC names as invalid and resends the rest at once", async () => {
  await using hec = startFakeSplunk({
    token: TOKENS.splunk,
    maxEventBytes: 3000,
  });
  const sink = deadLetterSink();
  const clock = new FakeClock();
  await using integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: hec.url,
    token: TOKENS.splunk,
  }], {
    clock,
    logger: quiet,
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
  });
  const events = realisticEvents(5);
  events[2] = { ...events[2]!, metadata: { blob: "y".repeat(4000) } };
  for (const event of events) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.deepEqual(clock.pending, [], "the resend did not wait");
  assert.equal(hec.requests.length, 2);
  assert.deepEqual(
    splunkIds(hec.events),
    events.filter((_, i) => i !== 2).map((e) => e.event_id),
  );
  assert.equal(result!.eventsFailed, 1);
  assert.equal(result!.eventsSent, 4);
  assert.match(sink.letters[0]!.reason, /^HEC code 6: Invalid data format/);
});

Deno.test("Destination refuses a Datadog log over 1 MB before sending it", async () => {
  await using siems = startReceivers();
  const [, , datadog] = siems.configs();
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([datadog!], {
    logger: quiet,
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
  });
  const events = realisticEvents(3);
  events[1] = {
    ...events[1]!,
    metadata: { blob: "z".repeat(DATADOG_MAX_LOG_BYTES) },
  };
  for (const event of events) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(result!.eventsSent, 2);
  assert.equal(siems.datadog.logs.length, 2);
  assert.equal(siems.datadog.truncatedLogs, 0);
  assert.match(sink.letters[0]!.reason, /above Datadog's 1000000-byte limit/);
});

Deno.test("Destination keeps each request under maxBatchBytes", async () => {
  await using siems = startReceivers();
  await using integrator = new SIEMIntegrator(
    siems.configs({ maxBatchBytes: 4096, batchSize: 1000 }),
    { logger: quiet, autoFlush: false },
  );
  const events = realisticEvents(60);
  for (const event of events) integrator.exportEvent(event);
  const results = await integrator.flushAll();
  assert.deepEqual(results.map((r) => r.eventsSent), [60, 60, 60]);
  // Every realistic event is well under 4096 bytes, so no request may pass it.
  for (const fake of [siems.splunk, siems.elasticsearch, siems.datadog]) {
    assert.ok(fake.requests.length > 3);
    for (const request of fake.requests) {
      assert.ok(request.body.length <= 4096, `${request.body.length} bytes`);
    }
  }
  assert.deepEqual(
    siems.datadog.logs.map((log) =>
      (log.audit as { event_id: string }).event_id
    ),
    events.map((e) => e.event_id),
  );
});

Deno.test("Destination fills each request up to exactly maxBatchBytes, never a byte over", async () => {
  // For each platform, the limit is set to the exact size of a body of the
  // first `fit` events (framing and separators included), then one byte
  // under and over it: a request must hold as many events as fit and never
  // pass the limit (a separator or a closing bracket left uncounted makes a
  // request one byte over; counting framing a platform lacks leaves room).
  const events = realisticEvents(40);
  const siemEvents = events.map((event) => toSIEMEvent(parseAuditEvent(event)));
  for (const platform of ["splunk", "elasticsearch", "datadog"] as const) {
    for (const slack of [-1, 0, 1]) {
      await using siems = startReceivers();
      const config = siems.configs({ batchSize: 1000 })
        .find((c) => c.platform === platform)!;
      const exporter = createExporter(config);
      const size = (count: number): number =>
        exporter.encodeBatch(siemEvents.slice(0, count)).length;
      let fit = 1;
      while (size(fit) < 2048) fit++;
      const limit = size(fit) + slack;
      await using integrator = new SIEMIntegrator([{
        ...config,
        maxBatchBytes: limit,
      }], { logger: quiet, autoFlush: false });
      for (const event of events) integrator.exportEvent(event);
      const [result] = await integrator.flushAll();
      assert.equal(result!.eventsSent, 40);
      const fake = siems[platform];
      const label = `${platform}, limit ${limit} (${slack})`;
      for (const request of fake.requests) {
        assert.ok(
          request.body.length <= limit,
          `${label}: ${request.body.length}`,
        );
      }
      const first = fake.requests[0]!.body.length;
      assert.equal(first, slack < 0 ? size(fit - 1) : size(fit), label);
    }
  }
});

Deno.test("Destination keeps delivering when the dead-letter callback throws", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  const logger = new MemoryLogger();
  await using integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: hec.url,
    token: TOKENS.splunk,
    maxBufferedEvents: 1,
    batchSize: 1,
  }], {
    logger,
    autoFlush: false,
    onDeadLetter: () => {
      throw new Error("sink down");
    },
  });
  integrator.exportEvent(goldenEvents()[0]!);
  integrator.exportEvent(goldenEvents()[1]!);
  await integrator.flushAll();
  assert.equal(hec.events.length, 1);
  assert.ok(
    logger.lines.some((line) =>
      line.includes("dead-letter callback failed") && line.includes("sink down")
    ),
  );
});

Deno.test("Destination without a dead-letter callback logs the ids of the events it gave up", () => {
  const logger = new MemoryLogger();
  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
    maxBufferedEvents: 1,
    batchSize: 1,
  }], { logger, autoFlush: false });
  integrator.exportEvent(goldenEvents()[0]!);
  integrator.exportEvent(goldenEvents()[1]!);
  assert.ok(
    logger.lines.some((line) =>
      line.startsWith("error events dead-lettered") && line.includes("evt-2")
    ),
  );
});

Deno.test("Destination dead-letters an event older than Datadog takes, before sending it", async () => {
  await using siems = startReceivers();
  const [, , datadog] = siems.configs({ maxEventAgeMs: undefined });
  delete (datadog as { maxEventAgeMs?: number }).maxEventAgeMs;
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([datadog!], {
    logger: quiet,
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
  });
  const fresh = realisticEvents(2);
  const old = {
    ...fresh[0]!,
    event_id: "old-1",
    timestamp: new Date(Date.now() - 19 * 3_600_000).toISOString(),
  };
  for (const event of [old, ...fresh]) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(result!.eventsSent, 2);
  assert.equal(siems.datadog.logs.length, 2);
  assert.deepEqual(sink.letters.map((l) => l.events[0]!.event_id), ["old-1"]);
  assert.match(
    sink.letters[0]!.reason,
    /older than the 1075 minutes datadog takes/,
  );
  const stats = integrator.getStats();
  assert.equal(stats.eventsAged, 1);
  assert.equal(stats.eventsFailed, 1);
});

// Datadog keeps logs dated at most 2 h ahead (wire-specs §3.3, [DD-DATE]
// https://docs.datadoghq.com/logs/log_configuration/processors/log_date_remapper/):
// the age policy applies to that end too.
for (const agedEvents of ["dead_letter", "send_as_now"] as const) {
  Deno.test(`Destination applies agedEvents "${agedEvents}" to an event dated further ahead than Datadog takes`, async () => {
    await using siems = startReceivers();
    const [, , datadog] = siems.configs({ agedEvents });
    const sink = deadLetterSink();
    const clock = new FakeClock(Date.UTC(2026, 5, 1));
    await using integrator = new SIEMIntegrator([datadog!], {
      clock,
      logger: quiet,
      autoFlush: false,
      onDeadLetter: sink.onDeadLetter,
    });
    const [base] = realisticEvents(1);
    const at = (id: string, ms: number) => ({
      ...base!,
      event_id: id,
      timestamp: new Date(ms).toISOString(),
    });
    const future = at("in-2099", Date.UTC(2099, 0, 1));
    // Inside 2 h, but past the 5 minutes kept for clocks that differ.
    const edge = at("in-1h56m", clock.now() + 116 * 60_000);
    const soon = at("in-1h", clock.now() + 3_600_000);
    for (const event of [future, edge, soon]) integrator.exportEvent(event);
    const [result] = await integrator.flushAll();
    const sent = siems.datadog.logs.map((log) =>
      log.audit as Record<string, string>
    );
    assert.equal(integrator.getStats().eventsAged, 2);
    if (agedEvents === "dead_letter") {
      assert.deepEqual(sent.map((a) => a.event_id), ["in-1h"]);
      assert.equal(result!.eventsFailed, 2);
      assert.deepEqual(
        sink.letters.map((l) => l.events[0]!.event_id),
        ["in-2099", "in-1h56m"],
      );
      assert.match(sink.letters[0]!.reason, /ahead.*datadog takes/);
    } else {
      assert.deepEqual(sent.map((a) => a.event_id), [
        "in-2099",
        "in-1h56m",
        "in-1h",
      ]);
      assert.equal(sent[0]!.timestamp, new Date(clock.now()).toISOString());
      assert.equal(sent[0]!.original_timestamp, future.timestamp);
      assert.equal(sent[1]!.original_timestamp, edge.timestamp);
      assert.equal(sent[2]!.timestamp, soon.timestamp);
      assert.deepEqual(sink.letters, []);
    }
  });
}

Deno.test("Destination re-times an aged event to now when agedEvents is send_as_now", async () => {
  await using siems = startReceivers();
  const [, , datadog] = siems.configs({
    maxEventAgeMs: 3_600_000,
    agedEvents: "send_as_now",
  });
  await using integrator = new SIEMIntegrator([datadog!], {
    logger: quiet,
    autoFlush: false,
  });
  const original = new Date(Date.now() - 2 * 3_600_000).toISOString();
  integrator.exportEvent({ ...realisticEvents(1)[0]!, timestamp: original });
  const before = Date.now();
  await integrator.flushAll();
  const [log] = siems.datadog.logs;
  const audit = log!.audit as Record<string, string>;
  assert.equal(audit.original_timestamp, original);
  assert.ok(Date.parse(log!.timestamp as string) >= before - 1000);
  assert.equal(audit.timestamp, log!.timestamp);
  assert.equal(integrator.getStats().eventsAged, 1);
  assert.equal(integrator.getStats().eventsFailed, 0);
});

Deno.test("Destination logs each dead-lettered group (destination, count, reason, first ids, no token) and keeps it in stats", async () => {
  const token = "es-secret-key-123";
  // Elasticsearch refuses every document of the batch for one reason, and
  // echoes the key (as a misconfigured proxy might).
  const refuseAll: typeof fetch = async (_input, init) => {
    const lines = new TextDecoder().decode(init?.body as Uint8Array)
      .split("\n").filter(Boolean).length / 2;
    const item = {
      create: {
        status: 400,
        error: {
          type: "mapper_parsing_exception",
          reason: `failed to parse (key ${token})`,
        },
      },
    };
    return await Promise.resolve(
      Response.json({
        errors: true,
        items: Array.from({ length: lines }, () => item),
      }),
    );
  };
  const logger = new MemoryLogger();
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([{
    platform: "elasticsearch",
    endpoint: "http://127.0.0.1:9",
    token,
    compression: "none",
  }], {
    fetch: refuseAll,
    logger,
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
  });
  const events = realisticEvents(8);
  for (const event of events) integrator.exportEvent(event);
  await integrator.flushAll();
  assert.equal(sink.letters.length, 1);
  const lines = logger.lines.filter((line) =>
    line.startsWith("error events dead-lettered")
  );
  assert.equal(lines.length, 1, logger.lines.join("\n"));
  const fields = JSON.parse(lines[0]!.slice(lines[0]!.indexOf("{")));
  assert.equal(fields.destination, "elasticsearch");
  assert.equal(fields.count, 8);
  assert.equal(fields.status, 400);
  assert.match(fields.reason, /item HTTP 400: mapper_parsing_exception/);
  assert.deepEqual(
    fields.eventIds,
    events.slice(0, 5).map((event) => event.event_id),
  );
  assert.ok(!lines[0]!.includes(token), lines[0]!);
  const recent = integrator.getStats().perDestination.elasticsearch!
    .recentDeadLetters;
  assert.equal(recent?.length, 1);
  assert.equal(recent![0]!.events, 8);
  assert.equal(recent![0]!.status, 400, "the status, for /health");
  assert.match(recent![0]!.reason, /mapper_parsing_exception/);
  assert.ok(!recent![0]!.reason.includes(token));
});

Deno.test("Destination without onDeadLetter logs every dead-lettered event id, and keeps the 100 newest groups for /health", async () => {
  // Elasticsearch refuses every document with a 400.
  const refuseAll: typeof fetch = async (_input, init) => {
    const lines = new TextDecoder().decode(init?.body as Uint8Array)
      .split("\n").filter(Boolean).length / 2;
    const item = {
      create: { status: 400, error: { type: "mapper_parsing_exception" } },
    };
    return await Promise.resolve(
      Response.json({
        errors: true,
        items: Array.from({ length: lines }, () => item),
      }),
    );
  };
  const logger = new MemoryLogger();
  await using integrator = new SIEMIntegrator([{
    platform: "elasticsearch",
    endpoint: "http://127.0.0.1:9",
    compression: "none",
  }], { fetch: refuseAll, logger, autoFlush: false });
  const first = realisticEvents(8);
  for (const event of first) integrator.exportEvent(event);
  await integrator.flushAll();
  const line = logger.lines.find((l) =>
    l.startsWith("error events dead-lettered (no onDeadLetter callback set)")
  );
  assert.ok(line, logger.lines.join("\n"));
  // Without a callback the line is all that is left: it names all eight.
  assert.deepEqual(
    JSON.parse(line.slice(line.indexOf("{"))).eventIds,
    first.map((event) => event.event_id),
  );
  // 99 groups of one event, then one of three: 101 groups in all.
  for (let i = 0; i < 99; i++) {
    integrator.exportEvent(realisticEvents(1)[0]!);
    await integrator.flushAll();
  }
  for (const event of realisticEvents(3)) integrator.exportEvent(event);
  await integrator.flushAll();
  const recent = integrator.getStats().perDestination.elasticsearch!
    .recentDeadLetters!;
  assert.equal(recent.length, 100);
  // The oldest (eight events) made room; the newest (three) is kept.
  assert.equal(recent[0]!.events, 1);
  assert.equal(recent.at(-1)!.events, 3);
});

Deno.test("Destination dates each dead letter by its clock: the letter and the recent dead letters /health shows agree", async () => {
  // The injected clock is the destination's time (tests, replays, a worker's
  // request time): a letter dated by another clock falls outside /health's
  // window of recent dead letters, or inside it forever.
  const clock = new FakeClock(Date.parse("2026-01-31T12:00:00.000Z"));
  const refuseAll: typeof fetch = async (_input, init) => {
    const lines = new TextDecoder().decode(init?.body as Uint8Array)
      .split("\n").filter(Boolean).length / 2;
    const item = {
      create: { status: 400, error: { type: "mapper_parsing_exception" } },
    };
    return await Promise.resolve(
      Response.json({
        errors: true,
        items: Array.from({ length: lines }, () => item),
      }),
    );
  };
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([{
    platform: "elasticsearch",
    endpoint: "http://127.0.0.1:9",
    compression: "none",
  }], {
    fetch: refuseAll,
    clock,
    logger: new MemoryLogger(),
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
  });
  integrator.exportEvent(realisticEvents(1)[0]!);
  await integrator.flushAll();
  await clock.advance(5 * 60_000);
  integrator.exportEvent(realisticEvents(1, 2)[0]!);
  await integrator.flushAll();
  assert.deepEqual(sink.letters.map((letter) => letter.at), [
    "2026-01-31T12:00:00.000Z",
    "2026-01-31T12:05:00.000Z",
  ]);
  const recent = integrator.getStats().perDestination.elasticsearch!
    .recentDeadLetters!;
  assert.deepEqual(recent.map((letter) => letter.at), [
    "2026-01-31T12:00:00.000Z",
    "2026-01-31T12:05:00.000Z",
  ]);
});

test("Destination refuses an event it cannot serialize: dead-lettered with the reason, counted, never buffered, the others sent", async () => {
  const bodies: string[] = [];
  const hec: typeof fetch = (_input, init) => {
    bodies.push(new TextDecoder().decode(init!.body as Uint8Array));
    return Promise.resolve(Response.json({ text: "Success", code: 0 }));
  };
  const sink = deadLetterSink();
  const refused: Array<{ ids: string[]; outcome: string }> = [];
  const settled: string[] = [];
  const destination = new Destination(
    createExporter(parseSIEMConfig({
      platform: "splunk",
      endpoint: "http://127.0.0.1:9",
      token: TOKENS.splunk,
      compression: "none",
    })),
    {
      fetch: hec,
      clock: new FakeClock(),
      random: () => 0,
      logger: quiet,
      autoFlush: false,
      onDeadLetter: sink.onDeadLetter,
      onSettled: (events) => settled.push(...events.map((e) => e.event_id)),
      onRefused: (events, settlement) =>
        refused.push({
          ids: events.map((e) => e.event_id),
          outcome: settlement.outcome,
        }),
    },
  );
  const [first, bad, last] = realisticEvents(3).map((event) =>
    toSIEMEvent(parseAuditEvent(event))
  );
  // Validation keeps such a value out; an event built by hand can hold one.
  (bad!.metadata as Record<string, unknown>) = { count: 1n };
  assert.equal(destination.enqueue(first!), true);
  assert.equal(destination.enqueue(bad!), false);
  assert.equal(destination.enqueue(last!), true);
  assert.equal(destination.buffered, 2);
  const stats = destination.stats();
  assert.equal(stats.eventsReceived, 3);
  assert.equal(stats.eventsFailed, 1);
  assert.equal(sink.letters.length, 1);
  assert.deepEqual(sink.letters[0]!.events.map((e) => e.event_id), [
    bad!.event_id,
  ]);
  assert.match(
    sink.letters[0]!.reason,
    /^cannot serialize the event: .*BigInt/,
  );
  // Refused, never buffered: a spool learns it through onRefused.
  assert.deepEqual(refused, [{
    ids: [bad!.event_id],
    outcome: "dead_lettered",
  }]);
  const result = await destination.flush();
  assert.equal(result.eventsSent, 2);
  assert.equal(bodies.length, 1);
  assert.ok(!bodies[0]!.includes(bad!.event_id));
  assert.deepEqual(settled, [first!.event_id, last!.event_id]);
  await destination.close(0);
});

test("Destination keeps a batch whose exporter throws, as a setup error retried with backoff, without the credential in any output", async () => {
  // An exporter that throws (a defect, not a SIEM's answer), quoting the
  // credential in its error, until it is fixed.
  await using splunk = startFakeSplunk({ token: TOKENS.splunk });
  let broken = true;
  class Throwing extends SplunkExporter {
    override post(
      ...args: Parameters<SplunkExporter["post"]>
    ): ReturnType<SplunkExporter["post"]> {
      if (broken) {
        return Promise.reject(
          new Error(`cannot build "Authorization: Splunk ${TOKENS.splunk}"`),
        );
      }
      return super.post(...args);
    }
  }
  const logger = new MemoryLogger();
  const clock = new FakeClock();
  const settled: string[] = [];
  const destination = new Destination(
    new Throwing(parseSIEMConfig({
      platform: "splunk",
      endpoint: splunk.url,
      token: TOKENS.splunk,
      batchSize: 2,
      maxRetries: 1,
      retryDelayMs: 100,
    })),
    {
      clock,
      random: () => 0,
      logger,
      autoFlush: true,
      onSettled: (events, settlement) => {
        for (const event of events) {
          settled.push(`${event.event_id}:${settlement.outcome}`);
        }
      },
    },
  );
  const events = realisticEvents(2).map((event) =>
    toSIEMEvent(parseAuditEvent(event))
  );
  // A full batch starts the loop at once.
  for (const event of events) destination.enqueue(event);
  // The retry's wait (100 ms), then the backoff.
  assert.equal(await clock.nextTimer(), 100);
  await clock.advance(100);
  await waitFor(
    () => destination.stats().state === "backing_off",
    5000,
    "the backoff",
  );
  const stats = destination.stats();
  assert.equal(destination.buffered, 2, "the batch is kept");
  assert.match(stats.lastError ?? "", /exporter failed: .*cannot build/);
  assert.match(stats.setupError ?? "", /exporter threw/);
  assert.equal(stats.eventsFailed, 0);
  assert.deepEqual(settled, []);
  const outputs = [...logger.lines, JSON.stringify(stats)];
  assert.ok(outputs.some((line) => /destination setup error/.test(line)));
  for (const line of outputs) assert.ok(!line.includes(TOKENS.splunk), line);
  assert.ok(
    !logger.lines.some((line) => line.includes("delivery loop failed")),
  );

  broken = false;
  const result = await destination.flush();
  assert.equal(result.eventsSent, 2);
  assert.deepEqual(
    splunk.events.map((e) => (e.event as { event_id: string }).event_id),
    events.map((e) => e.event_id),
  );
  assert.deepEqual(settled, events.map((e) => `${e.event_id}:delivered`));
  assert.equal(destination.stats().setupError, undefined);
  await destination.close(0);
});

Deno.test("Destination with maxConcurrentRequests keeps that many requests open to a slow SIEM, each event delivered once; by default one", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  for (const [maxConcurrentRequests, expected] of [[3, 3], [undefined, 1]]) {
    let open = 0;
    let mostOpen = 0;
    // The SIEM answers slowly: each request is held until three are open
    // or 50 ms have passed.
    const waiting: Array<() => void> = [];
    const slowFetch: typeof fetch = async (input, init) => {
      open++;
      mostOpen = Math.max(mostOpen, open);
      const { promise, resolve } = Promise.withResolvers<void>();
      waiting.push(resolve);
      if (waiting.length >= 3) waiting.splice(0).forEach((go) => go());
      const timer = setTimeout(resolve, 50);
      await promise;
      clearTimeout(timer);
      try {
        return await fetch(input, init);
      } finally {
        open--;
      }
    };
    const before = hec.events.length;
    await using integrator = new SIEMIntegrator([{
      platform: "splunk",
      endpoint: hec.url,
      token: TOKENS.splunk,
      batchSize: 10,
      ...(maxConcurrentRequests ? { maxConcurrentRequests } : {}),
    }], { fetch: slowFetch, logger: quiet, autoFlush: false });
    const events = realisticEvents(60);
    for (const event of events) integrator.exportEvent(event);
    const [result] = await integrator.flushAll();
    assert.equal(result!.eventsSent, 60);
    assert.equal(mostOpen, expected);
    const ids = splunkIds(hec.events.slice(before));
    assert.equal(ids.length, 60);
    assert.deepEqual(
      new Set(ids),
      new Set(events.map((event) => event.event_id as string)),
    );
  }
});
