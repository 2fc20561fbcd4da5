import assert from "node:assert/strict";
import {
  type AuditEvent,
  parseAuditEvent,
} from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import { IngestError } from "../../src/ingest/ingest_error.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import {
  packBatches,
  type QueueEventsMessage,
  utf8Length,
} from "../../src/spool/queue_like.ts";
import { QueueSink } from "../../src/spool/queue_sink.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { unmappableMetadata } from "../fixtures/unmappable_metadata.ts";
import { MemoryLogger } from "../support/receivers.ts";
import {
  bodyBytes,
  CF_LIMITS,
  FakeQueue,
} from "../runtime/cloudflare/fake_queue.ts";

const quiet = new MemoryLogger();
const CONFIGS: SIEMConfigInput[] = [
  { platform: "splunk", endpoint: "http://127.0.0.1:1" },
  { platform: "elasticsearch", endpoint: "http://127.0.0.1:2" },
  { platform: "datadog", endpoint: "http://127.0.0.1:3", enabled: false },
];

function audit(count: number, seed = 1): AuditEvent[] {
  return realisticEvents(count, seed).map((event) => parseAuditEvent(event));
}

/** An event whose JSON is about `bytes` long. */
function bigEvent(id: string, bytes: number): AuditEvent {
  return parseAuditEvent({
    event_id: id,
    correlation_id: "c",
    event_type: "tool_call",
    actor: "a",
    action: "x",
    status: "success",
    metadata: { blob: "é".repeat(Math.floor(bytes / 2)) },
  });
}

function assertLimits(queue: FakeQueue): void {
  for (const batch of queue.batches) {
    assert.ok(batch.length <= CF_LIMITS.batchMessages, "≤ 100 messages");
    const total = batch.reduce(
      (sum, m) => sum + m.bytes + CF_LIMITS.metadataBytes,
      0,
    );
    assert.ok(total <= CF_LIMITS.batchBytes, `batch of ${total} bytes`);
    for (const message of batch) {
      assert.ok(message.bytes <= 100_000, `message of ${message.bytes} bytes`);
      assert.ok(
        message.bytes + CF_LIMITS.metadataBytes <= CF_LIMITS.messageBytes,
      );
      assert.equal(message.contentType, "json");
    }
  }
}

Deno.test("QueueSink sends one message per enabled destination, with normalized events", async () => {
  const queue = new FakeQueue();
  const sink = new QueueSink(queue, CONFIGS, { logger: quiet });
  const events = audit(5);
  await sink.accept(events);
  assert.equal(queue.batches.length, 1);
  const bodies = queue.bodies as QueueEventsMessage[];
  assert.deepEqual(bodies.map((b) => [b.v, b.destination]), [
    [1, "splunk"],
    [1, "elasticsearch"],
  ]);
  const expected = JSON.parse(
    JSON.stringify(events.map((event) => toSIEMEvent(event))),
  );
  assert.deepEqual(bodies[0]!.events, expected);
  assert.deepEqual(bodies[1]!.events, expected);
  const stats = sink.getStats();
  assert.equal(stats.eventsAccepted, 5);
  assert.equal(stats.perDestination.splunk!.eventsReceived, 5);
  assert.equal(stats.perDestination.elasticsearch!.eventsReceived, 5);
  assert.equal(stats.perDestination.datadog!.eventsReceived, 0);
  assert.equal(stats.perDestination.datadog!.state, "disabled");
  assert.deepEqual(stats.queue, {
    messagesSent: 2,
    batchesSent: 1,
    failedSends: 0,
  });
  assert.equal(stats.buffered, 0);
  assert.ok(sink.capacity() >= 1_000_000);
  await sink.flush();
});

Deno.test("QueueSink keeps every message ≤ 100 KB and every sendBatch ≤ 100 messages / 256 KB", async () => {
  const queue = new FakeQueue();
  const sink = new QueueSink(queue, CONFIGS, { logger: quiet });
  // 1000 realistic events (~700 KB of JSON), plus events of 30-99 KB.
  const events = [
    ...audit(1000, 3),
    bigEvent("big-1", 99_000),
    bigEvent("big-2", 60_000),
    bigEvent("big-3", 30_000),
  ];
  await sink.accept(events);
  assertLimits(queue);
  const bodies = queue.bodies as QueueEventsMessage[];
  for (const name of ["splunk", "elasticsearch"]) {
    const ids = bodies.filter((b) => b.destination === name)
      .flatMap((b) => b.events.map((e) => e.event_id));
    assert.deepEqual(ids, events.map((e) => e.event_id), `${name} in order`);
  }
  // Chunks are full: no two neighbours of one destination would fit in one.
  const splunk = queue.batches.flat().filter((m) =>
    (m.body as QueueEventsMessage).destination === "splunk"
  );
  for (let i = 1; i < splunk.length; i++) {
    assert.ok(splunk[i - 1]!.bytes + splunk[i]!.bytes > 100_000);
  }
  assert.ok(queue.batches.length > 1, "several sendBatch calls");
});

Deno.test("QueueSink fills a message to exactly 100,000 bytes, counting the comma between events", async () => {
  const envelope = utf8Length(
    JSON.stringify({ v: 1, destination: "splunk", events: [] }),
  );
  // An event whose JSON, as sent, is exactly `bytes` long.
  const sized = (id: string, bytes: number): AuditEvent => {
    const event = (blob: number): AuditEvent =>
      parseAuditEvent({
        event_id: id,
        correlation_id: "c",
        timestamp: "2026-01-31T12:00:00.000Z",
        event_type: "tool_call",
        actor: "a",
        action: "x",
        status: "success",
        metadata: { blob: "x".repeat(blob) },
      });
    const base = utf8Length(JSON.stringify(toSIEMEvent(event(0))));
    return event(bytes - base);
  };
  const sent = async (events: AuditEvent[]): Promise<number[]> => {
    const queue = new FakeQueue();
    const sink = new QueueSink(queue, [CONFIGS[0]!], { logger: quiet });
    await sink.accept(events);
    assertLimits(queue);
    return queue.batches.flat().map((message) => message.bytes);
  };
  // One event as large as a message holds.
  assert.deepEqual(await sent([sized("whole", 100_000 - envelope)]), [
    100_000,
  ]);
  // Two events and their comma: exactly 100,000 bytes fit in one message,
  // 100,001 do not.
  const first = 50_000;
  assert.deepEqual(
    await sent([
      sized("a", first),
      sized("b", 100_000 - envelope - first - 1),
    ]),
    [100_000],
  );
  assert.equal(
    (await sent([
      sized("a", first),
      sized("b", 100_001 - envelope - first - 1),
    ])).length,
    2,
  );
});

Deno.test("packBatches caps a sendBatch at 100 messages and 250 KB", () => {
  const small = Array.from({ length: 250 }, (_, i) => ({ body: i, bytes: 10 }));
  assert.deepEqual(packBatches(small).map((b) => b.length), [100, 100, 50]);
  const large = Array.from(
    { length: 5 },
    (_, i) => ({ body: i, bytes: 100_000 }),
  );
  assert.deepEqual(packBatches(large).map((b) => b.length), [2, 2, 1]);
  assert.equal(utf8Length("aé東😀"), 1 + 2 + 3 + 4);
});

Deno.test("QueueSink refuses an event too large for one message with 413, sending nothing", async () => {
  const queue = new FakeQueue();
  const sink = new QueueSink(queue, CONFIGS, { logger: quiet });
  await assert.rejects(
    sink.accept([...audit(3), bigEvent("huge", 101_000)]),
    (error: unknown) =>
      error instanceof IngestError && error.status === 413 &&
      error.code === "payload_too_large",
  );
  assert.equal(queue.batches.length, 0);
  assert.equal(sink.getStats().eventsAccepted, 0);
});

Deno.test("QueueSink answers 503 with Retry-After when the queue throws, and recovers", async () => {
  const queue = new FakeQueue();
  const logger = new MemoryLogger();
  const sink = new QueueSink(queue, CONFIGS, {
    logger,
    retryAfterSeconds: 7,
  });
  queue.failNext(new Error("Too Many Requests"));
  await assert.rejects(
    sink.accept(audit(2)),
    (error: unknown) =>
      error instanceof IngestError && error.status === 503 &&
      error.code === "overloaded" && error.headers["Retry-After"] === "7",
  );
  let stats = sink.getStats();
  assert.equal(stats.queue.failedSends, 1);
  assert.equal(stats.perDestination.splunk!.consecutiveFailures, 1);
  assert.match(
    stats.perDestination.splunk!.lastError ?? "",
    /Too Many Requests/,
  );
  assert.match(logger.lines.join("\n"), /queue sendBatch failed/);
  await sink.accept(audit(2));
  stats = sink.getStats();
  assert.equal(stats.perDestination.splunk!.consecutiveFailures, 0);
  assert.equal(stats.eventsAccepted, 2);
});

Deno.test("QueueSink refuses events with 503 when no destination is enabled", async () => {
  const sink = new QueueSink(new FakeQueue(), [
    { platform: "splunk", endpoint: "http://127.0.0.1:1", enabled: false },
  ], { logger: quiet });
  assert.equal(sink.capacity(), 0);
  await assert.rejects(
    sink.accept(audit(1)),
    (error: unknown) => error instanceof IngestError && error.status === 503,
  );
  assert.throws(
    () =>
      new QueueSink(new FakeQueue(), [
        { platform: "splunk", endpoint: "http://127.0.0.1:1" },
        { platform: "splunk", endpoint: "http://127.0.0.1:2" },
      ]),
    /name "splunk" is taken/,
  );
});

Deno.test("the ingest app on a QueueSink answers 202 only once sendBatch resolved, 503 when it threw", async () => {
  const queue = new FakeQueue();
  const token = "queue-sink-token-0123456789";
  const app = createIngestApp({
    sink: new QueueSink(queue, CONFIGS, { logger: quiet }),
    tokens: [token],
    logger: quiet,
  });
  const post = (events: unknown[]): Promise<Response> =>
    Promise.resolve(app.request("/events", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${token}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify(events),
    }));
  let release!: () => void;
  queue.hold(new Promise<void>((resolve) => release = resolve));
  let answered = false;
  const pending = post(realisticEvents(3)).then((response) => {
    answered = true;
    return response;
  });
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(answered, false, "no answer while the queue has not stored");
  assert.equal(queue.batches.length, 0);
  release();
  const response = await pending;
  assert.equal(response.status, 202);
  assert.equal((await response.json()).accepted, 3);
  assert.equal(queue.batches.length, 1);
  queue.hold(undefined);
  queue.failNext(new Error("Too Many Requests"));
  const refused = await post(realisticEvents(1));
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get("retry-after"), "5");
  const body = await refused.json();
  assert.equal(body.error.code, "overloaded");
  assert.doesNotMatch(JSON.stringify(body), /Too Many/);
  const big = await post([{
    correlation_id: "c",
    event_type: "request",
    actor: "a",
    action: "x",
    status: "success",
    metadata: { blob: "x".repeat(120_000) },
  }]);
  assert.equal(big.status, 413);
  await big.body?.cancel();
  assert.equal(bodyBytes(queue.bodies[0]) <= 100_000, true);
});

Deno.test("QueueSink.accept() refuses with 400, naming the field, metadata an Elasticsearch destination without its template can never index", async () => {
  const queue = new FakeQueue();
  const sink = new QueueSink(queue, CONFIGS, { logger: quiet });
  for (const { label, metadata, path } of unmappableMetadata()) {
    const events = audit(2);
    events[0] = { ...events[0]!, metadata };
    await assert.rejects(
      sink.accept(events),
      (error: unknown) => {
        assert.ok(error instanceof IngestError, label);
        assert.equal(error.status, 400, label);
        assert.equal(error.details.events?.[0]?.index, 0, label);
        assert.equal(error.details.events?.[0]?.path, path, label);
        return true;
      },
    );
  }
  assert.equal(queue.batches.length, 0);
  // With the template, the same events go to the queue.
  const templated = new QueueSink(
    queue,
    CONFIGS.map((config) => ({ ...config, indexTemplate: true })),
    { logger: quiet },
  );
  await templated.accept(
    unmappableMetadata().map(({ metadata }, i) => ({
      ...audit(1, i + 2)[0]!,
      metadata,
    })),
  );
  assert.ok(queue.batches.length > 0);
});
