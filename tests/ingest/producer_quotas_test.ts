import assert from "node:assert/strict";
import type { AuditEvent } from "../../src/events/audit_event.ts";
import type { DeliveryStats } from "../../src/delivery/stats.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import type { IngestSink } from "../../src/ingest/sink.ts";
import { serverConfig } from "../../src/ingest/server_config.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { serveIngest } from "../support/serve_ingest.ts";

const A = "producer-a-token-0123456789";
const B = "producer-b-token-0123456789";
const TOKENS = [{ name: "a", token: A }, { name: "b", token: B }];

function events(count: number, tag = "x"): unknown[] {
  return Array.from({ length: count }, (_, i) => ({
    correlation_id: `${tag}-${i}`,
    event_type: "request",
    actor: "agent-7",
    action: "read",
    status: "success",
  }));
}

/** A sink of `size` events that drains only when the test says so. */
function boundedSink(size: number): IngestSink & { drain(): void } {
  let held: AuditEvent[] = [];
  const stats: DeliveryStats = {
    eventsAccepted: 0,
    buffered: 0,
    eventsReceived: 0,
    eventsExported: 0,
    eventsFailed: 0,
    exportsTotal: 0,
    exportsSuccessful: 0,
    exportsFailed: 0,
    totalRetries: 0,
    eventsAged: 0,
    avgLatencyMs: 0,
    perDestination: {},
    perPlatform: {},
  };
  return {
    accept(accepted: readonly AuditEvent[]): Promise<void> {
      held = [...held, ...accepted];
      return Promise.resolve();
    },
    capacity: (): number => size - held.length,
    getStats: (): DeliveryStats => ({ ...stats, buffered: held.length }),
    flush: (): Promise<unknown> => Promise.resolve(),
    drain(): void {
      held = [];
    },
  };
}

Deno.test("quotas: producer A at 10x its events/s gets 429 with Retry-After; every request of B within its quota is accepted; /stats and /metrics count both", async () => {
  const clock = new FakeClock(0);
  const app = createIngestApp({
    sink: boundedSink(100_000),
    tokens: TOKENS,
    clock,
    quotas: { "*": { eventsPerSecond: 10 } },
  });
  await using served = serveIngest(app);
  const statuses = { a: [] as number[], b: [] as number[] };
  const retryAfter = new Set<string | null>();
  for (let second = 0; second < 10; second++) {
    for (let i = 0; i < 10; i++) { // A: 100 events a second, 10x its quota
      const answer = await served.post(A, events(10, `a${second}-${i}`));
      statuses.a.push(answer.status);
      if (answer.status === 429) {
        retryAfter.add(answer.headers.get("retry-after"));
        assert.equal((await answer.json()).error.code, "rate_limited");
      }
    }
    const answer = await served.post(B, events(5, `b${second}`)); // within
    statuses.b.push(answer.status);
    await clock.advance(1000);
  }
  assert.equal(statuses.a.filter((s) => s === 202).length, 10);
  assert.equal(statuses.a.filter((s) => s === 429).length, 90);
  assert.deepEqual(statuses.b, Array(10).fill(202));
  // A whole number of seconds (RFC 9110 delay-seconds): the bucket refills
  // 10 events in 1 s.
  assert.deepEqual([...retryAfter], ["1"]);

  const stats = await (await served.get(A, "/stats")).json();
  assert.deepEqual(stats.producers, {
    a: {
      accepted: 10,
      eventsAccepted: 100,
      refusedByQuota: 90,
      refusedOverShare: 0,
      refusedInvalid: 0,
    },
    b: {
      accepted: 10,
      eventsAccepted: 50,
      refusedByQuota: 0,
      refusedOverShare: 0,
      refusedInvalid: 0,
    },
  });
  const metrics = await (await served.get(A, "/metrics")).text();
  assert.match(
    metrics,
    /^harombe_siem_ingest_producer_requests_total\{producer="a",outcome="rate_limited"\} 90$/m,
  );
  assert.match(
    metrics,
    /^harombe_siem_ingest_producer_events_accepted_total\{producer="b"\} 50$/m,
  );
});

Deno.test("quotas: bytes/s with a burst: a body over the burst passes on a full bucket and is paid for; invalid requests are counted per producer", async () => {
  const clock = new FakeClock(0);
  const app = createIngestApp({
    sink: boundedSink(100_000),
    tokens: TOKENS,
    clock,
    quotas: { a: { bytesPerSecond: 1000, burstBytes: 2000 } },
  });
  await using served = serveIngest(app);
  const big = events(25); // over the burst
  assert.ok(JSON.stringify(big).length > 2000);
  assert.equal((await served.post(A, big)).status, 202);
  const refused = await served.post(A, events(1));
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers.get("retry-after")) >= 1);
  // B has no quota of its own and there is no "*": unlimited.
  for (let i = 0; i < 5; i++) {
    assert.equal((await served.post(B, big)).status, 202);
  }
  await clock.advance(5000);
  assert.equal((await served.post(A, events(1))).status, 202);
  assert.equal((await served.post(A, [{ actor: "" }])).status, 400);
  const stats = await (await served.get(A, "/stats")).json();
  assert.equal(stats.producers.a.refusedByQuota, 1);
  assert.equal(stats.producers.a.refusedInvalid, 1);
  assert.equal(stats.producers.a.accepted, 2);
  assert.equal(stats.producers.b.accepted, 5);
});

Deno.test("quotas: a producer holding its maxShare of the buffers gets 503 while another keeps being accepted; it is accepted again once they drain", async () => {
  const sink = boundedSink(100);
  const app = createIngestApp({
    sink,
    tokens: TOKENS,
    quotas: { "*": { maxShare: 0.5 } },
  });
  await using served = serveIngest(app);
  const a: number[] = [];
  for (let i = 0; i < 8; i++) {
    a.push((await served.post(A, events(10, `a${i}`))).status);
  }
  assert.deepEqual(a, [202, 202, 202, 202, 202, 503, 503, 503]);
  const over = await served.post(A, events(1));
  assert.equal(over.status, 503);
  assert.ok(over.headers.get("retry-after"));
  assert.match(
    (await over.json()).error.message,
    /producer "a" holds its share/,
  );
  for (let i = 0; i < 5; i++) {
    assert.equal((await served.post(B, events(10, `b${i}`))).status, 202);
  }
  sink.drain();
  assert.equal((await served.post(A, events(10))).status, 202);
  const stats = await (await served.get(B, "/stats")).json();
  assert.equal(stats.producers.a.refusedOverShare, 4);
  assert.equal(stats.producers.b.refusedOverShare, 0);
  assert.equal(stats.producers.b.eventsAccepted, 50);
});

Deno.test("quotas: the bucket refills at its rate per second, pro rata: 100 ms at 10 events/s gives back one event", async () => {
  const clock = new FakeClock(0);
  const app = createIngestApp({
    sink: boundedSink(100_000),
    tokens: TOKENS,
    clock,
    quotas: { a: { eventsPerSecond: 10 } },
  });
  await using served = serveIngest(app);
  const post = async (count: number, tag: string): Promise<number> => {
    const answer = await served.post(A, events(count, tag));
    return answer.status;
  };
  assert.equal(await post(10, "burst"), 202, "a full bucket takes its burst");
  assert.equal(await post(1, "empty"), 429, "then the bucket is empty");
  await clock.advance(100);
  assert.equal(await post(2, "two"), 429, "100 ms refills one event, not two");
  assert.equal(await post(1, "one"), 202, "100 ms refills one event");
  await clock.advance(50);
  assert.equal(await post(1, "half"), 429, "50 ms refills half an event");
  await clock.advance(50);
  assert.equal(await post(1, "whole"), 202);
  // A long pause refills the burst, not more: a body above it passes on a
  // full bucket (documented) and is paid for, 100 ms per event.
  await clock.advance(10_000);
  assert.equal(await post(11, "over"), 202);
  await clock.advance(100);
  assert.equal(await post(1, "paying"), 429, "the 11th event is paid for");
  await clock.advance(100);
  assert.equal(await post(1, "paid"), 202);
  const stats = await (await served.get(A, "/stats")).json();
  assert.equal(stats.producers.a.refusedByQuota, 4);
  assert.equal(stats.producers.a.eventsAccepted, 24);
});

Deno.test("quotas: read from INGEST_QUOTAS or the file's quotas, and checked", () => {
  assert.deepEqual(
    serverConfig({ INGEST_QUOTAS: '{"*":{"eventsPerSecond":5}}' }).quotas,
    { "*": { eventsPerSecond: 5 } },
  );
  assert.deepEqual(
    serverConfig({}, { quotas: { a: { maxShare: 0.2 } } }).quotas,
    { a: { maxShare: 0.2 } },
  );
  assert.throws(
    () => serverConfig({ INGEST_QUOTAS: "[1]" }),
    /INGEST_QUOTAS must be a JSON object/,
  );
  assert.throws(
    () =>
      createIngestApp({
        sink: boundedSink(1),
        tokens: TOKENS,
        quotas: { a: { maxShare: 2 } },
      }),
    /maxShare must be more than 0 and at most 1/,
  );
});
