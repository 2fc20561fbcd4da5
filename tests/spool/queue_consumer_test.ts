import assert from "node:assert/strict";
import {
  type AuditEvent,
  parseAuditEvent,
} from "../../src/events/audit_event.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import {
  consumeQueueBatch,
  defaultRetryDelaySeconds,
  type QueueConsumerOptions,
} from "../../src/spool/queue_consumer.ts";
import type {
  QueueDeadLetterMessage,
  QueueEventsMessage,
} from "../../src/spool/queue_like.ts";
import { QueueSink } from "../../src/spool/queue_sink.ts";
import { type SIEMEvent, toSIEMEvent } from "../../src/events/siem_event.ts";
import { realisticEvents } from "../fixtures/events.ts";
import {
  deadLetterSink,
  MemoryLogger,
  startReceivers,
} from "../support/receivers.ts";
import {
  batchOf,
  CF_LIMITS,
  FakeQueue,
} from "../runtime/cloudflare/fake_queue.ts";
import { FakeClock } from "../support/fake_clock.ts";

const quiet = new MemoryLogger();

function audit(count: number, seed = 1): AuditEvent[] {
  return realisticEvents(count, seed).map((event) => parseAuditEvent(event));
}

/** Fast retries, so that a failing SIEM costs milliseconds. */
function fast(configs: SIEMConfigInput[], extra = {}): SIEMConfigInput[] {
  return configs.map((config) => ({
    retryDelayMs: 10,
    maxRetryDelayMs: 20,
    maxRetries: 0,
    ...config,
    ...extra,
  }));
}

/** Normalized events, as a queue message carries them. */
function siemEvents(count: number): SIEMEvent[] {
  return JSON.parse(JSON.stringify(audit(count).map((e) => toSIEMEvent(e))));
}

function options(
  destinations: SIEMConfigInput[],
  extra: Partial<QueueConsumerOptions> = {},
): QueueConsumerOptions {
  return { destinations, logger: quiet, ...extra };
}

/** Puts events on a fake queue through the sink, `perMessage` per accept. */
async function enqueue(
  configs: SIEMConfigInput[],
  events: AuditEvent[],
  perMessage: number,
): Promise<FakeQueue> {
  const queue = new FakeQueue();
  const sink = new QueueSink(queue, configs, { logger: quiet });
  for (let i = 0; i < events.length; i += perMessage) {
    await sink.accept(events.slice(i, i + perMessage));
  }
  return queue;
}

Deno.test("consumeQueueBatch delivers every message's events and acks each message once", async () => {
  await using siems = startReceivers();
  const configs = fast(siems.configs());
  const events = audit(60);
  const queue = await enqueue(configs, events, 20);
  const batch = queue.take();
  assert.equal(batch.messages.length, 9);
  const summary = await consumeQueueBatch(batch, options(configs));
  assert.deepEqual(summary, {
    acked: 9,
    retried: 0,
    deadLettered: 0,
    delivered: 180,
  });
  assert.equal(batch.acked.length, 9);
  const ids = events.map((e) => e.event_id).sort();
  assert.deepEqual(siems.elasticsearch.documents.map((d) => d.id).sort(), ids);
  assert.equal(siems.splunk.events.length, 60);
  assert.equal(siems.datadog.logs.length, 60);
});

Deno.test("consumeQueueBatch batches the events of many messages into one request", async () => {
  await using siems = startReceivers();
  const configs = fast(siems.configs()).slice(0, 1); // Splunk, batchSize 50
  const queue = await enqueue(configs, audit(50), 5);
  const batch = queue.take();
  assert.equal(batch.messages.length, 10);
  await consumeQueueBatch(batch, options(configs));
  assert.equal(siems.splunk.requests.length, 1, "one HEC request");
  assert.equal(siems.splunk.events.length, 50);
  assert.equal(batch.acked.length, 10);
});

Deno.test("consumeQueueBatch retries, with a growing delay, the messages of a SIEM that is down", async () => {
  await using siems = startReceivers();
  siems.elasticsearch.down({ status: 503 });
  const configs = fast(siems.configs()).slice(0, 2);
  const queue = await enqueue(configs, audit(30), 10);
  const batch = queue.take("siem", 2);
  const summary = await consumeQueueBatch(batch, options(configs));
  assert.equal(summary.acked, 3);
  assert.equal(summary.retried, 3);
  for (const message of batch.messages) {
    const { destination } = message.body as QueueEventsMessage;
    assert.equal(message.calls.length, 1);
    assert.deepEqual(
      message.calls[0],
      destination === "splunk" ? "ack" : { retry: 20 },
      destination,
    );
  }
  assert.equal(siems.splunk.events.length, 30);
  assert.equal(siems.elasticsearch.documents.length, 0);
  assert.equal(defaultRetryDelaySeconds(1), 10);
  assert.equal(defaultRetryDelaySeconds(10), 1800);
  // A custom delay is used and clamped to Queues' 0..43200 seconds.
  const again = queue.take();
  assert.equal(again.messages.length, 0);
  const retry = batchOf(batch.messages.map((m) => m.body), "siem", 3);
  await consumeQueueBatch(
    retry,
    options(configs, { retryDelaySeconds: (n) => n * 100_000 }),
  );
  assert.deepEqual(
    retry.retried.map((m) => m.calls[0]),
    [{ retry: 43_200 }, { retry: 43_200 }, { retry: 43_200 }],
  );
  siems.elasticsearch.down(null);
  const recovered = batchOf(batch.messages.map((m) => m.body), "siem", 4);
  await consumeQueueBatch(recovered, options(configs));
  assert.equal(recovered.acked.length, 6);
  assert.equal(siems.elasticsearch.documents.length, 30);
});

Deno.test("an Elasticsearch item refused with 400 reaches the dead-letter producer and its message is acked; a 429 item's message is retried", async () => {
  await using siems = startReceivers();
  const configs = fast(siems.configs()).slice(1, 2); // Elasticsearch
  const events = audit(9);
  const queue = await enqueue(configs, events, 3);
  siems.elasticsearch.failItemsNext(({ id }) =>
    id === events[1]!.event_id
      ? { status: 400, type: "document_parsing_exception", reason: "bad field" }
      : id === events[7]!.event_id
      ? { status: 429, type: "es_rejected_execution_exception", reason: "q" }
      : undefined
  );
  const dead = new FakeQueue();
  const letters = deadLetterSink();
  const batch = queue.take();
  // Dead letters are dated by the injected clock (no backoff wait runs:
  // maxRetries is 0).
  const clock = new FakeClock(Date.parse("2026-03-01T10:00:00.000Z"));
  const summary = await consumeQueueBatch(
    batch,
    options(configs, {
      deadLetters: dead,
      onDeadLetter: letters.onDeadLetter,
      clock,
    }),
  );
  assert.equal(siems.elasticsearch.requests.length, 1, "one bulk request");
  assert.deepEqual(batch.messages.map((m) => m.outcome), [
    "ack",
    "ack",
    "retry",
  ]);
  assert.deepEqual(summary, {
    acked: 2,
    retried: 1,
    deadLettered: 1,
    delivered: 7,
  });
  assert.equal(letters.letters.length, 1);
  const stored = dead.bodies as QueueDeadLetterMessage[];
  assert.equal(stored.length, 1);
  assert.equal(stored[0]!.v, 1);
  assert.equal(stored[0]!.destination, "elasticsearch");
  assert.match(stored[0]!.reason, /document_parsing_exception: bad field/);
  // The item's own status, so that a replay tool can tell a mapping error
  // (400) from a document too large (413) without parsing the reason.
  assert.equal(stored[0]!.status, 400);
  assert.equal(stored[0]!.at, "2026-03-01T10:00:00.000Z");
  assert.equal(stored[0]!.message_id, batch.messages[0]!.id);
  assert.deepEqual(stored[0]!.events.map((e) => e.event_id), [
    events[1]!.event_id,
  ]);
  assert.equal(dead.batches[0]![0]!.contentType, "json");
  assert.deepEqual(
    siems.elasticsearch.documents.map((d) => d.id).sort(),
    events.filter((_, i) => i !== 1 && i !== 7).map((e) => e.event_id).sort(),
  );
});

Deno.test("a message whose dead letter cannot be stored is retried, not acked", async () => {
  await using siems = startReceivers();
  const configs = fast(siems.configs()).slice(1, 2);
  const events = audit(4);
  const queue = await enqueue(configs, events, 2);
  siems.elasticsearch.failItemsNext(({ index }) =>
    index === 0
      ? { status: 400, type: "mapper_parsing_exception", reason: "nope" }
      : undefined
  );
  const dead = new FakeQueue();
  dead.failNext(new Error("Too Many Requests"));
  const logger = new MemoryLogger();
  const batch = queue.take("siem", 1);
  const summary = await consumeQueueBatch(
    batch,
    options(configs, { deadLetters: dead, logger }),
  );
  assert.deepEqual(batch.messages.map((m) => m.calls), [
    [{ retry: 10 }],
    ["ack"],
  ]);
  assert.equal(summary.deadLettered, 0);
  assert.match(logger.lines.join("\n"), /dead-letter queue sendBatch failed/);
  // Without a dead-letter producer at all, the message is retried too.
  siems.elasticsearch.failItemsNext(({ index }) =>
    index === 0
      ? { status: 400, type: "mapper_parsing_exception", reason: "nope" }
      : undefined
  );
  const again = batchOf([batch.messages[0]!.body]);
  await consumeQueueBatch(again, options(configs, { logger }));
  assert.equal(again.retried.length, 1);
  assert.match(logger.lines.join("\n"), /no dead-letter queue producer/);
});

Deno.test("malformed messages go to the dead-letter producer with a reason, then are acked", async () => {
  await using siems = startReceivers();
  const configs = fast(siems.configs()).slice(0, 1);
  const event = siemEvents(1)[0];
  const bodies = [
    "not an object",
    { v: 2, destination: "splunk", events: [event] },
    { v: 1, destination: "nowhere", events: [event] },
    { v: 1, destination: "splunk", events: [{ event_id: "x" }] },
    { v: 1, destination: "splunk" },
    // A date no platform can read: HEC's time would be "NaN".
    { v: 1, destination: "splunk", events: [{ ...event, timestamp: "soon" }] },
    { v: 1, destination: "splunk", events: [{ ...event, metadata: [] }] },
    // An event that is no object at all, or an array, and a good one after
    // it: the first bad one is named.
    { v: 1, destination: "splunk", events: [event, null] },
    { v: 1, destination: "splunk", events: [[event]] },
    // No version at all; no destination named.
    { destination: "splunk", events: [event] },
    { v: 1, events: [event] },
    { v: 1, destination: "splunk", events: [event] },
  ];
  const dead = new FakeQueue();
  const logger = new MemoryLogger();
  const batch = batchOf(bodies);
  const summary = await consumeQueueBatch(
    batch,
    options(configs, { deadLetters: dead, logger }),
  );
  assert.equal(batch.acked.length, 12);
  assert.deepEqual(summary, {
    acked: 12,
    retried: 0,
    deadLettered: 11,
    delivered: 1,
  });
  const stored = dead.bodies as QueueDeadLetterMessage[];
  assert.deepEqual(stored.map((l) => l.reason), [
    "the message body is not an object",
    "unknown message version 2 (expected 1)",
    'unknown destination "nowhere"',
    "events[0] is not a SIEM event",
    "the message has no events array",
    "events[0] is not a SIEM event",
    "events[0] is not a SIEM event",
    "events[1] is not a SIEM event",
    "events[0] is not a SIEM event",
    "unknown message version undefined (expected 1)",
    "the message names no destination",
  ]);
  assert.deepEqual(stored[10]!.events, [event], "its events are kept");
  assert.equal(stored[0]!.body, "not an object");
  assert.deepEqual(stored[2]!.events, [event], "known events are kept");
  assert.equal(stored[2]!.body, undefined);
  assert.deepEqual(stored[3]!.body, bodies[3]);
  assert.equal(
    logger.lines.filter((l) => l.includes("malformed queue message")).length,
    11,
  );
  assert.equal(siems.splunk.events.length, 1);
  for (const batch of dead.batches) {
    assert.ok(batch.length <= CF_LIMITS.batchMessages);
  }
  // Without a dead-letter producer they are retried, so that the queue's
  // dead-letter queue receives them.
  const kept = batchOf(bodies.slice(0, 1));
  await consumeQueueBatch(kept, options(configs, { logger }));
  assert.equal(kept.retried.length, 1);
});

Deno.test("a message for a disabled destination is dead-lettered, not sent", async () => {
  await using siems = startReceivers();
  const configs = fast(siems.configs()).slice(0, 1);
  const queue = await enqueue(configs, audit(2), 2);
  const dead = new FakeQueue();
  const batch = queue.take();
  await consumeQueueBatch(
    batch,
    options(fast(configs, { enabled: false }), { deadLetters: dead }),
  );
  assert.equal(batch.acked.length, 1);
  assert.equal(siems.splunk.requests.length, 0);
  const stored = dead.bodies as QueueDeadLetterMessage[];
  assert.equal(stored[0]!.reason, 'destination "splunk" is disabled');
  assert.equal(stored[0]!.events.length, 2);
});

// Issue 9.2 (consumer side): a batch holding more events than the
// destination's buffer takes is delivered whole, nothing dead-lettered as
// "buffer full", however the buffer is bounded.
Deno.test("consumeQueueBatch delivers a batch larger than the destination's buffer, none dead-lettered", async () => {
  await using siems = startReceivers();
  const configs = fast(siems.configs(), {
    batchSize: 10,
    maxBufferedEvents: 10,
  })
    .slice(1, 2); // Elasticsearch
  const events = audit(1000, 6);
  const queue = await enqueue(configs, events, 10);
  const batch = queue.take();
  assert.equal(batch.messages.length, 100);
  const dead = new FakeQueue();
  const letters = deadLetterSink();
  const summary = await consumeQueueBatch(
    batch,
    options(configs, { deadLetters: dead, onDeadLetter: letters.onDeadLetter }),
  );
  assert.deepEqual(letters.letters.map((l) => l.reason), []);
  assert.deepEqual(summary, {
    acked: 100,
    retried: 0,
    deadLettered: 0,
    delivered: 1000,
  });
  assert.deepEqual(
    siems.elasticsearch.documents.map((d) => d.id).sort(),
    events.map((e) => e.event_id).sort(),
  );
  // Requests stay within the destination's batch size.
  assert.equal(siems.elasticsearch.requests.length, 100);
});
