/**
 * The producer's stamp survives storage: events accepted by the ingest over
 * HTTP into the Deno KV spool (and delivered by another spool instance that
 * only read them back), or into a queue (and delivered by the consumer),
 * reach the SIEMs stamped with the producer of the token they came with.
 */
import assert from "node:assert/strict";
import { createIngestApp } from "../../src/ingest/app.ts";
import { consumeQueueBatch } from "../../src/spool/queue_consumer.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import { QueueSink } from "../../src/spool/queue_sink.ts";
import { clockTest, FakeClock } from "../support/fake_clock.ts";
import { advanceUntil, stopOn } from "../support/fake_clock_io.ts";
import { MemoryLogger, startReceivers } from "../support/receivers.ts";
import { serveIngest } from "../support/serve_ingest.ts";
import { FakeQueue } from "../runtime/cloudflare/fake_queue.ts";
import { fast } from "../support/spool_setup.ts";

const BILLING = "billing-token-0123456789abcdef";
const AUTH = "auth-service-token-0123456789";
const TOKENS = [
  { name: "billing", token: BILLING },
  { name: "auth", token: AUTH },
];
const quiet = new MemoryLogger();

const event = (id: string, metadata: Record<string, unknown>) => ({
  event_id: id,
  correlation_id: "c-1",
  event_type: "request",
  actor: "billing-svc",
  action: "charge",
  status: "success",
  timestamp: new Date().toISOString(),
  metadata,
});

/** Posts one honest event with billing's token, one forged with auth's. */
async function post(app: ReturnType<typeof createIngestApp>): Promise<void> {
  await using served = serveIngest(app);
  const honest = await served.post(BILLING, [event("evt-honest", {})]);
  assert.equal(honest.status, 202);
  const forged = await served.post(AUTH, [
    event("evt-forged", { producer: "billing" }),
  ]);
  assert.equal(forged.status, 202);
}

function assertStamped(siems: ReturnType<typeof startReceivers>): void {
  const expected = { "evt-honest": "billing", "evt-forged": "auth" };
  assert.deepEqual(
    Object.fromEntries(
      siems.splunk.events.map((
        // deno-lint-ignore no-explicit-any -- an envelope as the fake stored it
        e: any,
      ) => [e.event.event_id, e.fields?.producer]),
    ),
    expected,
  );
  assert.deepEqual(
    Object.fromEntries(
      siems.elasticsearch.documents.map((d) => [
        d.id,
        (d.source as Record<string, unknown>).producer,
      ]),
    ),
    expected,
  );
  assert.deepEqual(
    Object.fromEntries(
      siems.datadog.logs.map((
        // deno-lint-ignore no-explicit-any -- a log as the fake stored it
        l: any,
      ) => [l.audit.event_id, l.producer]),
    ),
    expected,
  );
}

// The delivering spool's polls and flush intervals run on a fake clock.
clockTest(
  "KV spool: the stamp is stored with the event and delivered by another spool instance",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    const kv = await Deno.openKv(":memory:");
    try {
      const configs = fast(siems.configs());
      // This instance only stores: it never starts.
      const storing = new KvSpool(kv, configs, { logger: quiet });
      await post(createIngestApp({ sink: storing, tokens: TOKENS }));
      assert.equal(siems.splunk.requests.length, 0);
      const delivering = new KvSpool(kv, configs, {
        logger: quiet,
        leaseMs: 400,
        pollMs: 30,
        stopTimeoutMs: 2000,
        clock,
      });
      delivering.start();
      await advanceUntil(
        clock,
        () =>
          siems.splunk.events.length === 2 &&
          siems.elasticsearch.documents.length === 2 &&
          siems.datadog.logs.length === 2,
        "delivery from the spool",
      );
      await stopOn(clock, delivering);
      assertStamped(siems);
    } finally {
      kv.close();
    }
  },
);

Deno.test("queue: the stamp travels in the message and the consumer delivers it", async () => {
  await using siems = startReceivers();
  const configs = fast(siems.configs());
  const queue = new FakeQueue();
  const sink = new QueueSink(queue, configs, { logger: quiet });
  await post(createIngestApp({ sink, tokens: TOKENS }));
  const batch = queue.take();
  // Through JSON, as the queue hands messages to the consumer.
  const summary = await consumeQueueBatch(batch, {
    destinations: configs,
    logger: quiet,
  });
  assert.equal(summary.delivered, 6);
  assertStamped(siems);
});
